//! IAM JSON policy documents: the model, and a parser whose errors point at the statement and
//! element a person has to fix.
//!
//! The parser goes through `serde_json::Value` rather than derived structs so that a structural
//! error can name the element and the statement ("statement \"AllowPut\" (#1): Effect ..."),
//! which is what someone editing a bucket policy by hand needs.
//!
//! The parser lives in `policy/parse.rs`.

use std::fmt;

mod parse;
pub use parse::parse_policy;

/// The only policy language version in which `${...}` is a variable; in older documents (or
/// without `Version`) it is literal text.
pub const VARIABLES_VERSION: &str = "2012-10-17";

/// A parsed IAM policy (identity policy or bucket policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Whether `${aws:username}` and friends are policy variables in this document.
    pub fn has_policy_variables(&self) -> bool {
        self.version.as_deref() == Some(VARIABLES_VERSION)
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Position in the document, counting from 1 as people do.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`; only bucket (resource) policies have one.
    pub principal: Option<PrincipalBlock>,
    /// `Action` or `NotAction`: exactly one is always present.
    pub action: PatternList,
    /// `Resource` or `NotResource`.
    pub resource: Option<PatternList>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// How evaluations name the statement: its Sid, or `#index` when it has none.
    pub fn name(&self) -> String {
        statement_name(self.sid.as_deref(), self.index)
    }

    /// Whether the statement's Action (or NotAction, by leaving it out) covers `action`;
    /// action names are case-insensitive in IAM.
    pub fn names_action(&self, action: &str) -> bool {
        let listed = self
            .action
            .patterns
            .iter()
            .any(|pattern| wildmatch::WildMatch::new_case_insensitive(pattern).matches(action));
        listed != self.action.negated
    }

    /// How sentences name the statement: `statement "AllowPut"` or `statement #2`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) => format!("statement {sid:?}"),
            None => format!("statement #{}", self.index),
        }
    }
}

fn statement_name(sid: Option<&str>, index: usize) -> String {
    match sid {
        Some(sid) => sid.to_owned(),
        None => format!("#{index}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: patterns, and whether the element is the
/// `Not` form (the statement covers everything *except* the patterns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternList {
    pub negated: bool,
    pub patterns: Vec<String>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalBlock {
    pub negated: bool,
    pub principal: Principal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`: everyone, including anonymous callers.
    Anyone,
    Listed(PrincipalList),
}

/// The typed entries of a principal object, each kept as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalList {
    /// Account ids, `arn:aws:iam::ACCOUNT:root`, user/role/session ARNs, or `"*"`.
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

/// One `operator → key → values` entry of a `Condition` block. Values are kept as strings
/// because IAM compares them as strings (`true` and `"true"` are the same condition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

/// Why a policy could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON. The caller prefixes the file name: "policy.json is not valid...".
    #[error("is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON is not a policy IAM would accept.
    #[error("{}{field} {message}", statement_prefix(.statement))]
    Invalid {
        /// The policy element at fault: `Effect`, `Action`, `Statement`, ...
        field: String,
        /// `"AllowPut" (#1)` when the statement has a Sid, `#1` when not; `None` for
        /// document-level errors.
        statement: Option<String>,
        message: String,
    },
}

fn statement_prefix(statement: &Option<String>) -> String {
    match statement {
        Some(statement) => format!("statement {statement}: "),
        None => String::new(),
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
