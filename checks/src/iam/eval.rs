//! IAM's evaluation logic for one policy and one request: explicit deny wins, then allow, and
//! otherwise nothing is granted. Anything that cannot be known offline (a condition key we do
//! not have, a policy variable, an unknown caller) makes the verdict `Conditional`, with the
//! open question spelled out, rather than guessing.

use super::arn::arn_matches;
use super::condition::evaluate_condition;
use super::policy::{Effect, PatternList, PolicyDocument, Statement};
use super::principal::principal_applies;
use super::truth::Truth;
use super::variables::{
    for_wildcard_match, has_literal_escapes, policy_variables, widen_variables,
};
use serde::Serialize;
use std::collections::BTreeMap;
use wildmatch::WildMatch;

static NO_CONTEXT: BTreeMap<String, Vec<String>> = BTreeMap::new();

/// One request the upload makes, with what we know about it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// e.g. `s3:PutObject`.
    pub action: &'a str,
    /// e.g. `arn:aws:s3:::my-bucket/exports/f.jpg` or `arn:aws:s3:::my-bucket`.
    pub resource: &'a str,
    /// The caller, for bucket policies; `None` when unknown.
    pub principal_arn: Option<&'a str>,
    /// The caller's account; taken from `principal_arn` when `None`.
    pub principal_account: Option<&'a str>,
    /// Condition keys the real request carries, with their values (e.g. `s3:x-amz-acl` →
    /// `["public-read"]`). A key absent here is known-absent if listed in `absent_keys`, and
    /// unknown otherwise.
    pub context: &'a BTreeMap<String, Vec<String>>,
    /// Keys we know the request will not carry (e.g. `s3:x-amz-server-side-encryption` when no
    /// SSE header is sent). Entries may be wildcard patterns: `s3:*` says the context lists
    /// every S3 key the request carries.
    pub absent_keys: &'a [&'a str],
    /// Keys (or patterns) whose value cannot be known offline even though `absent_keys` covers
    /// them (e.g. `s3:x-amz-content-sha256` under `s3:*`); checked first.
    pub unknown_keys: &'a [&'a str],
}

impl<'a> Request<'a> {
    /// A request with an unknown caller and no known condition keys; set the other fields with
    /// struct update syntax.
    pub fn new(action: &'a str, resource: &'a str) -> Self {
        Request {
            action,
            resource,
            principal_arn: None,
            principal_account: None,
            context: &NO_CONTEXT,
            absent_keys: &[],
            unknown_keys: &[],
        }
    }
}

/// Which kind of policy is evaluated: it decides what `Principal` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user or role: statements must not have a `Principal`.
    Identity,
    /// A bucket policy: each statement's `Principal`/`NotPrincipal` must cover the caller.
    Resource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    /// A Deny statement applies: nothing else can grant the request.
    ExplicitDeny,
    /// No statement allows the request ("implicit deny"); another policy still could.
    NotGranted,
    /// The verdict depends on something unknown offline; `Evaluation::explanation` says what.
    Conditional,
}

/// A statement that applies, or may apply, to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedStatement {
    /// The Sid, or `#index` (counting from 1).
    pub statement: String,
    pub effect: Effect,
    /// Why it matched: which Action and Resource patterns cover the request.
    pub reason: String,
    /// What must hold for the statement to apply; empty when it certainly applies.
    pub hinges_on: Vec<String>,
}

impl MatchedStatement {
    pub fn is_certain(&self) -> bool {
        self.hinges_on.is_empty()
    }

    fn label(&self) -> String {
        if self.statement.starts_with('#') {
            format!("statement {}", self.statement)
        } else {
            format!("statement {:?}", self.statement)
        }
    }

    /// The statement's open questions as one phrase.
    fn condition_phrase(&self) -> String {
        self.hinges_on.join(" and ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub decision: Decision,
    pub matched: Vec<MatchedStatement>,
    /// One readable sentence, e.g. "s3:PutObject on arn:... is allowed only if aws:SourceIp is
    /// in 203.0.113.0/24 (statement \"OfficeOnly\")".
    pub explanation: String,
    /// Statements that can never apply as written (no Resource, a misplaced Principal).
    pub notes: Vec<String>,
}

/// Evaluates one policy for one request.
pub fn evaluate(policy: &PolicyDocument, kind: PolicyKind, request: &Request) -> Evaluation {
    let variables = policy.has_policy_variables();
    let mut notes = Vec::new();
    let matched: Vec<MatchedStatement> = policy
        .statements
        .iter()
        .filter_map(|statement| match_statement(statement, kind, request, variables, &mut notes))
        .collect();
    let (decision, verdict) = decide(&matched);
    Evaluation {
        decision,
        explanation: format!("{} on {} is {verdict}", request.action, request.resource),
        matched,
        notes,
    }
}

fn match_statement(
    statement: &Statement,
    kind: PolicyKind,
    request: &Request,
    variables: bool,
    notes: &mut Vec<String>,
) -> Option<MatchedStatement> {
    let action_reason = action_reason(&statement.action, request.action)?;
    if let Some(problem) = principal_placement_problem(statement, kind) {
        notes.push(problem);
        return None;
    }
    let Some(resources) = &statement.resource else {
        notes.push(format!(
            "{} has no Resource, so it matches nothing",
            statement.label()
        ));
        return None;
    };
    let (resource_test, resource_reason) = resource_test(resources, request.resource, variables);
    let principal_test = match (kind, &statement.principal) {
        (PolicyKind::Resource, Some(block)) => principal_applies(block, request),
        _ => Truth::True,
    };
    let condition_test = Truth::all(
        statement
            .conditions
            .iter()
            .map(|condition| evaluate_condition(condition, request, variables)),
    );
    let hinges_on = match Truth::all([resource_test, principal_test, condition_test]) {
        Truth::False => return None,
        Truth::True => Vec::new(),
        Truth::Unknown(phrases) => phrases,
    };
    Some(MatchedStatement {
        statement: statement.name(),
        effect: statement.effect,
        reason: format!("{action_reason}; {resource_reason}"),
        hinges_on,
    })
}

/// Why the statement's Action/NotAction covers the action, or `None` when it does not.
/// Action names are case-insensitive in IAM.
fn action_reason(actions: &PatternList, action: &str) -> Option<String> {
    let covering = actions
        .patterns
        .iter()
        .find(|pattern| WildMatch::new_case_insensitive(pattern).matches(action));
    match (actions.negated, covering) {
        (false, Some(pattern)) => Some(format!("Action {pattern} covers {action}")),
        (true, None) => Some(format!("NotAction does not list {action}")),
        _ => None,
    }
}

/// A Principal where IAM forbids it, or none where IAM requires one: AWS would reject the
/// policy, so the statement is reported and ignored.
fn principal_placement_problem(statement: &Statement, kind: PolicyKind) -> Option<String> {
    match (kind, &statement.principal) {
        (PolicyKind::Identity, Some(_)) => Some(format!(
            "{} has a Principal, which identity policies cannot have (AWS rejects the policy); it is ignored",
            statement.label()
        )),
        (PolicyKind::Resource, None) => Some(format!(
            "{} has no Principal, which every bucket policy statement needs (AWS rejects the policy); it is ignored",
            statement.label()
        )),
        _ => None,
    }
}

/// Whether Resource/NotResource covers the resource, and a phrase saying why.
fn resource_test(resources: &PatternList, resource: &str, variables: bool) -> (Truth, String) {
    let covered = Truth::any(
        resources
            .patterns
            .iter()
            .map(|pattern| pattern_covers(pattern, resource, variables)),
    );
    if !resources.negated {
        let covering = resources
            .patterns
            .iter()
            .find(|pattern| arn_matches(pattern, resource))
            .map_or_else(|| resources.patterns.join(", "), String::clone);
        return (covered, format!("Resource {covering} covers {resource}"));
    }
    let listed = resources.patterns.join(", ");
    let test = match covered {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        Truth::Unknown(_) => Truth::unknown(format!(
            "NotResource {listed} does not cover {resource} (depends on {})",
            variables_in(&resources.patterns).join(", ")
        )),
    };
    (
        test,
        format!("NotResource {listed} does not cover {resource}"),
    )
}

/// One Resource pattern against the resource. With unresolved variables, a pattern that could
/// match for some value of them stays open; one that cannot is simply false.
fn pattern_covers(pattern: &str, resource: &str, variables: bool) -> Truth {
    let unresolved = if variables {
        policy_variables(pattern)
    } else {
        Vec::new()
    };
    if unresolved.is_empty() {
        if variables && has_literal_escapes(pattern) {
            let (pattern, resource) = for_wildcard_match(pattern, resource);
            return Truth::from_bool(arn_matches(&pattern, &resource));
        }
        return Truth::from_bool(arn_matches(pattern, resource));
    }
    if !arn_matches(&widen_variables(pattern), resource) {
        return Truth::False;
    }
    Truth::unknown(format!(
        "Resource {pattern} covers {resource} (depends on {})",
        unresolved.join(", ")
    ))
}

fn variables_in(patterns: &[String]) -> Vec<&str> {
    patterns
        .iter()
        .flat_map(|pattern| policy_variables(pattern))
        .collect()
}

/// IAM's combination: a certain Deny wins; a possible Deny leaves the request open whatever
/// the Allows say; then a certain Allow grants, a possible one leaves it open.
fn decide(matched: &[MatchedStatement]) -> (Decision, String) {
    let of = |effect: Effect, certain: bool| -> Vec<&MatchedStatement> {
        matched
            .iter()
            .filter(|statement| statement.effect == effect && statement.is_certain() == certain)
            .collect()
    };
    let (denies, open_denies) = (of(Effect::Deny, true), of(Effect::Deny, false));
    let (allows, open_allows) = (of(Effect::Allow, true), of(Effect::Allow, false));
    if let Some(deny) = denies.first() {
        return (
            Decision::ExplicitDeny,
            format!("explicitly denied by {}", deny.label()),
        );
    }
    let allow_verdict = match (allows.first(), open_allows.is_empty()) {
        (Some(allow), _) => Some(format!("allowed by {}", allow.label())),
        (None, false) => Some(format!("allowed only if {}", alternatives(&open_allows))),
        (None, true) => None,
    };
    if !open_denies.is_empty() {
        let otherwise = allow_verdict.unwrap_or_else(|| "not granted (implicit deny)".into());
        let verdict = format!(
            "denied if {}; otherwise {otherwise}",
            alternatives(&open_denies)
        );
        return (Decision::Conditional, verdict);
    }
    match (allows.is_empty(), allow_verdict) {
        (false, Some(verdict)) => (Decision::Allowed, verdict),
        (true, Some(verdict)) => (Decision::Conditional, verdict),
        (_, None) => (
            Decision::NotGranted,
            "not granted: no statement allows it (implicit deny)".into(),
        ),
    }
}

/// "A (statement "X") or B (statement #2)".
fn alternatives(statements: &[&MatchedStatement]) -> String {
    statements
        .iter()
        .map(|statement| format!("{} ({})", statement.condition_phrase(), statement.label()))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
