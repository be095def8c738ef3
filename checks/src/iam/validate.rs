//! Policy grammar as AWS enforces it when a policy is saved, checked before any evaluation —
//! the way IAM Access Analyzer's `ValidatePolicy` does, but labelled by what really happens:
//!
//! - [`Severity::Refused`] — IAM (`PutUserPolicy`, `CreatePolicy`: `MalformedPolicyDocument`)
//!   or S3 (`PutBucketPolicy`: `MalformedPolicy`) refuses to save the document, so nothing it
//!   says ever takes effect.
//! - [`Severity::Surprising`] — AWS saves it, but it does not do what it appears to (a policy
//!   variable taken literally, an Allow with `NotPrincipal`, a resource no S3 action acts on).
//!
//! Access Analyzer labels some saved-but-surprising documents `ERROR` (variables under an old
//! `Version`): those are [`Severity::Surprising`] here because AWS does save them.
//!
//! The parser ([`super::policy`]) already refuses what cannot be modelled at all (unknown
//! elements, `Action` with `NotAction`, a missing or misspelled `Effect`); this module checks
//! the rules a well-formed document can still break.

use super::arn::Arn;
use super::eval::PolicyKind;
use super::policy::{PolicyDocument, Principal, Statement, VARIABLES_VERSION};
use super::variables::policy_variables;
use serde::Serialize;
use std::collections::HashMap;

/// The policy language versions AWS accepts in `Version`.
const LANGUAGE_VERSIONS: [&str; 2] = [VARIABLES_VERSION, "2008-10-17"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// AWS refuses to save the policy.
    Refused,
    /// AWS saves the policy, but it does not do what it appears to.
    Surprising,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrammarFinding {
    pub severity: Severity,
    /// A short, stable name of the rule (`sid-characters`, `principal-in-identity-policy`, ...).
    pub rule: &'static str,
    /// `statement "Sid" (#1)`, `statement #2`, or `None` for the document as a whole.
    pub statement: Option<String>,
    /// What is wrong, and what AWS says or does about it.
    pub message: String,
    /// What to write instead.
    pub fix: String,
}

impl GrammarFinding {
    /// The finding as one sentence: "statement \"X\" (#1): ..." or the bare message.
    pub fn sentence(&self) -> String {
        match &self.statement {
            Some(statement) => format!("{statement}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// What the policy is for: its kind, and the bucket a bucket policy is attached to.
#[derive(Debug, Clone, Copy)]
pub struct PolicyTarget<'a> {
    pub kind: PolicyKind,
    pub bucket: &'a str,
    /// The bucket's partition, for suggested ARNs.
    pub partition: &'a str,
}

/// Every rule `policy` breaks, refusals first, in document order.
pub fn validate_policy(policy: &PolicyDocument, target: &PolicyTarget) -> Vec<GrammarFinding> {
    let mut findings = Vec::new();
    version_rules(policy, &mut findings);
    duplicate_sids(policy, target.kind, &mut findings);
    for statement in &policy.statements {
        let at = Rules {
            statement,
            target,
            findings: &mut findings,
        };
        at.check();
    }
    // A stable sort keeps document order within each severity.
    findings.sort_by_key(|finding| finding.severity != Severity::Refused);
    findings
}

/// How findings name a statement: with its Sid and position, as the parser's errors do.
fn statement_ref(statement: &Statement) -> String {
    match &statement.sid {
        Some(sid) => format!("statement {sid:?} (#{})", statement.index),
        None => format!("statement #{}", statement.index),
    }
}

fn version_rules(policy: &PolicyDocument, findings: &mut Vec<GrammarFinding>) {
    let version = policy.version.as_deref();
    if let Some(version) = version.filter(|v| !LANGUAGE_VERSIONS.contains(v)) {
        findings.push(GrammarFinding {
            severity: Severity::Refused,
            rule: "invalid-version",
            statement: None,
            message: format!(
                "Version {version:?} is not a policy language version; AWS accepts only \"2012-10-17\" and \"2008-10-17\" (a policy's date is not its version)"
            ),
            fix: "Set \"Version\": \"2012-10-17\".".into(),
        });
        return;
    }
    if version == Some(VARIABLES_VERSION) {
        return;
    }
    // Older documents are saved, but `${aws:username}` in them is literal text.
    let written = match version {
        Some(version) => format!("\"Version\": {version:?}"),
        None => "no Version".into(),
    };
    for statement in &policy.statements {
        let mut variables: Vec<&str> = statement_values(statement)
            .flat_map(policy_variables)
            .collect();
        variables.dedup();
        if let Some(first) = variables.first() {
            findings.push(GrammarFinding {
                severity: Severity::Surprising,
                rule: "variable-unsupported-in-version",
                statement: Some(statement_ref(statement)),
                message: format!(
                    "{first} is not a policy variable in a document with {written}: AWS saves it, but matches the characters \"{first}\" literally (variables need \"Version\": \"2012-10-17\")"
                ),
                fix: "Set \"Version\": \"2012-10-17\" so that policy variables are expanded.".into(),
            });
        }
    }
}

/// Resource patterns and condition values: where variables can appear.
fn statement_values(statement: &Statement) -> impl Iterator<Item = &str> {
    let resources = statement
        .resource
        .iter()
        .flat_map(|list| list.patterns.iter());
    let conditions = statement
        .conditions
        .iter()
        .flat_map(|condition| condition.values.iter());
    resources.chain(conditions).map(String::as_str)
}

fn duplicate_sids(policy: &PolicyDocument, kind: PolicyKind, findings: &mut Vec<GrammarFinding>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for statement in &policy.statements {
        let Some(sid) = statement.sid.as_deref().filter(|sid| !sid.is_empty()) else {
            continue;
        };
        let Some(first) = seen.get(sid).copied() else {
            seen.insert(sid, statement.index);
            continue;
        };
        let unique = unique_sid(policy, sid);
        let (severity, consequence) = match kind {
            PolicyKind::Identity => (
                Severity::Refused,
                "IAM refuses the policy (MalformedPolicyDocument: \"Statement IDs (SID) in a single policy must be unique\")",
            ),
            PolicyKind::Resource => (
                Severity::Surprising,
                "S3 saves it, but tools that edit statements by Sid (Terraform, CloudFormation, scripts) keep only one of them",
            ),
        };
        findings.push(GrammarFinding {
            severity,
            rule: "duplicate-sid",
            statement: Some(statement_ref(statement)),
            message: format!("Sid {sid:?} is also the Sid of statement #{first}: {consequence}"),
            fix: format!(
                "Give statement #{} its own Sid, for example {unique:?}.",
                statement.index
            ),
        });
    }
}

/// `sid` with a number appended that no statement of `policy` uses yet.
fn unique_sid(policy: &PolicyDocument, sid: &str) -> String {
    let base = alphanumeric_sid(sid);
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|candidate| {
            !policy
                .statements
                .iter()
                .any(|s| s.sid.as_deref() == Some(candidate))
        })
        .expect("an unused number exists")
}

/// The Sid with every character IAM refuses dropped, and the letter after each dropped run
/// capitalised: `AllowTransloaditToStoreFilesInmy-bucketBucket` becomes
/// `AllowTransloaditToStoreFilesInmyBucketBucket`.
pub fn alphanumeric_sid(sid: &str) -> String {
    let mut corrected = String::with_capacity(sid.len());
    let mut capitalise_next = false;
    for character in sid.chars() {
        if character.is_ascii_alphanumeric() {
            corrected.push(if capitalise_next {
                character.to_ascii_uppercase()
            } else {
                character
            });
            capitalise_next = false;
        } else {
            capitalise_next = !corrected.is_empty();
        }
    }
    corrected
}

/// The rules of one statement.
struct Rules<'s, 'f> {
    statement: &'s Statement,
    target: &'s PolicyTarget<'s>,
    findings: &'f mut Vec<GrammarFinding>,
}

impl Rules<'_, '_> {
    fn check(mut self) {
        match self.target.kind {
            PolicyKind::Identity => {
                self.sid_characters();
                self.principal_in_identity_policy();
            }
            PolicyKind::Resource => {
                self.principal_required();
                self.allow_with_not_principal();
                self.principal_format();
            }
        }
        self.action_format();
        self.resources();
        if self.target.kind == PolicyKind::Resource {
            self.action_applies_to_a_resource();
        }
    }

    fn push(&mut self, severity: Severity, rule: &'static str, message: String, fix: String) {
        self.findings.push(GrammarFinding {
            severity,
            rule,
            statement: Some(statement_ref(self.statement)),
            message,
            fix,
        });
    }

    fn refused(&mut self, rule: &'static str, message: String, fix: String) {
        self.push(Severity::Refused, rule, message, fix);
    }

    fn sid_characters(&mut self) {
        let Some(sid) = &self.statement.sid else {
            return;
        };
        if sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return;
        }
        let corrected = alphanumeric_sid(sid);
        let fix = if corrected.is_empty() {
            "Remove the Sid, or write one of ASCII letters and digits only.".to_owned()
        } else {
            format!("Rename the Sid to {corrected:?} (ASCII letters and digits only).")
        };
        let mut refused: Vec<char> = sid.chars().filter(|c| !c.is_ascii_alphanumeric()).collect();
        refused.dedup();
        let refused: Vec<String> = refused.iter().map(|c| format!("{c:?}")).collect();
        self.refused(
            "sid-characters",
            format!("its Sid contains {}, but IAM accepts only ASCII letters and digits in an identity policy's Sid (MalformedPolicyDocument: \"Statement IDs (SID) must be alpha-numeric\")", refused.join(", ")),
            fix,
        );
    }

    /// IAM and S3 refuse an action without its service prefix (`ListBucket`) or with more
    /// than one colon.
    fn action_format(&mut self) {
        let element = if self.statement.action.negated {
            "NotAction"
        } else {
            "Action"
        };
        let (who, quote) = match self.target.kind {
            PolicyKind::Identity => (
                "IAM",
                "MalformedPolicyDocument: \"Actions/Conditions must be prefaced by a vendor\"",
            ),
            PolicyKind::Resource => ("S3", "MalformedPolicy: \"Policy has invalid action\""),
        };
        let malformed: Vec<String> = self
            .statement
            .action
            .patterns
            .iter()
            .filter(|p| p.as_str() != "*" && p.matches(':').count() != 1)
            .cloned()
            .collect();
        for pattern in malformed {
            let fix = match super::diagnose::suggested_service_prefix(&pattern) {
                Some(known) if !pattern.contains(':') => format!("Write {known:?}."),
                _ => "Write the action as SERVICE:Action, e.g. \"s3:PutObject\".".to_owned(),
            };
            self.refused(
                "action-format",
                format!("{element} {pattern:?} is not SERVICE:Action (one colon, e.g. \"s3:PutObject\"), which {who} refuses ({quote})"),
                fix,
            );
        }
    }

    fn principal_in_identity_policy(&mut self) {
        let Some(block) = &self.statement.principal else {
            return;
        };
        let element = if block.negated {
            "NotPrincipal"
        } else {
            "Principal"
        };
        self.refused(
            "principal-in-identity-policy",
            format!("has {element}, which IAM refuses in an identity policy, rejecting the whole document (MalformedPolicyDocument: \"Policy document should not specify a principal\")"),
            format!("Remove {element}: an identity policy applies to the user or role it is attached to. If this is a bucket policy, pass --policy-kind bucket."),
        );
    }

    fn principal_required(&mut self) {
        if self.statement.principal.is_some() {
            return;
        }
        self.refused(
            "missing-principal",
            "has no Principal, which S3 refuses in a bucket policy (MalformedPolicy: \"Missing required field Principal\")".into(),
            "Add the principal the statement is about, e.g. \"Principal\": {\"AWS\": \"arn:aws:iam::ACCOUNT:user/EXPORTER\"} (or \"*\" for a Deny that applies to everyone). If this is an identity policy, pass --policy-kind identity.".into(),
        );
    }

    fn allow_with_not_principal(&mut self) {
        let negated = self.statement.principal.as_ref().is_some_and(|p| p.negated);
        if !negated || self.statement.effect != super::policy::Effect::Allow {
            return;
        }
        self.push(
            Severity::Surprising,
            "allow-with-not-principal",
            "combines \"Effect\": \"Allow\" with NotPrincipal: S3 saves it, but it allows everyone except the listed principals, anonymous callers included".into(),
            "Name the export's principal in Principal instead; keep NotPrincipal for Deny statements.".into(),
        );
    }

    fn principal_format(&mut self) {
        let Some(Principal::Listed(list)) = self.statement.principal.as_ref().map(|p| &p.principal)
        else {
            return;
        };
        let malformed: Vec<&String> = list.aws.iter().filter(|id| !is_aws_principal(id)).collect();
        for id in malformed {
            self.refused(
                "invalid-principal",
                format!("Principal AWS {id:?} is neither \"*\", a 12-digit account id nor an ARN, which S3 refuses (MalformedPolicy: \"Invalid principal in policy\")"),
                "Name the principal by its ARN (arn:aws:iam::ACCOUNT:user/NAME or :role/NAME) or by its 12-digit account id.".into(),
            );
        }
    }

    fn bucket_arn(&self) -> String {
        super::arn::bucket_arn(self.target.partition, self.target.bucket)
    }

    fn objects_arn(&self) -> String {
        crate::partition::objects_arn(self.target.partition, self.target.bucket, "")
    }
}

/// `"*"`, a 12-digit account id, or an ARN.
fn is_aws_principal(id: &str) -> bool {
    id == "*"
        || (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
        || Arn::parse(id).is_some()
}

mod resources;

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
