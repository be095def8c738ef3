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
mod tests {
    use super::*;
    use crate::iam::policy::parse_policy;
    use Decision::{Allowed as A, Conditional as C, ExplicitDeny as D, NotGranted as N};

    const BUCKET: &str = "arn:aws:s3:::my-bucket";
    const OBJECT: &str = "arn:aws:s3:::my-bucket/exports/f.jpg";
    const CALLER: &str = "arn:aws:iam::111122223333:user/exporter";

    /// The three requests of an upload: ListBucket on the bucket, PutObject and PutObjectAcl
    /// on an object under the prefix `exports/`.
    const REQUESTS: [(&str, &str); 3] = [
        ("s3:ListBucket", BUCKET),
        ("s3:PutObject", OBJECT),
        ("s3:PutObjectAcl", OBJECT),
    ];

    /// The upload sends `x-amz-acl: public-read` over TLS and no SSE header; the caller is
    /// `CALLER`. Everything else (source IP, MFA, org id, ...) is unknown.
    fn evaluate_upload(policy: &str, kind: PolicyKind) -> Vec<Evaluation> {
        let policy = parse_policy(policy).unwrap_or_else(|error| panic!("{error}: {policy}"));
        let context: BTreeMap<String, Vec<String>> = [
            ("aws:SecureTransport", "true"),
            ("s3:x-amz-acl", "public-read"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), vec![value.to_owned()]))
        .collect();
        REQUESTS
            .iter()
            .map(|&(action, resource)| {
                let request = Request {
                    principal_arn: Some(CALLER),
                    context: &context,
                    absent_keys: &["s3:x-amz-server-side-encryption", "aws:TagKeys"],
                    ..Request::new(action, resource)
                };
                evaluate(&policy, kind, &request)
            })
            .collect()
    }

    /// Wraps statements in a 2012-10-17 policy document.
    fn policy(statements: &str) -> String {
        format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#)
    }

    const ALLOW_ALL: &str = r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#;
    const ALLOW_ALL_TO_ANYONE: &str =
        r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}"#;

    /// (case, policy kind, statements, expected for ListBucket / PutObject / PutObjectAcl).
    fn table() -> Vec<(&'static str, PolicyKind, String, [Decision; 3])> {
        use PolicyKind::{Identity as I, Resource as R};
        let with_allow_all = |statement: &str| format!("{ALLOW_ALL}, {statement}");
        vec![
            ("allow everything", I, ALLOW_ALL.into(), [A, A, A]),
            (
                "correctly split bucket and object statements",
                I,
                r#"{"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::my-bucket"},
                   {"Sid": "Write", "Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::my-bucket/exports/*"}"#.into(),
                [A, A, A],
            ),
            (
                "deny overrides allow",
                I,
                with_allow_all(r#"{"Effect": "Deny", "Action": "s3:PutObjectAcl", "Resource": "*"}"#),
                [A, A, D],
            ),
            (
                "NotAction allows everything but the listed action",
                I,
                r#"{"Effect": "Allow", "NotAction": "s3:PutObjectAcl", "Resource": "*"}"#.into(),
                [A, A, N],
            ),
            (
                "NotResource excludes the bucket ARN",
                I,
                r#"{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::my-bucket"}"#.into(),
                [N, A, A],
            ),
            (
                "action prefix wildcards",
                I,
                r#"{"Effect": "Allow", "Action": ["s3:List*", "s3:Put*"], "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]}"#.into(),
                [A, A, A],
            ),
            (
                "actions are case-insensitive",
                I,
                r#"{"Effect": "Allow", "Action": ["S3:LISTBUCKET", "s3:putobject"], "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]}"#.into(),
                [A, A, N],
            ),
            (
                "? matches exactly one character",
                I,
                r#"{"Effect": "Allow", "Action": "s3:PutObject???", "Resource": "*"}"#.into(),
                [N, N, A],
            ),
            (
                "a bucket-name wildcard covers bucket and objects",
                I,
                r#"{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:PutObject"], "Resource": "arn:aws:s3:::my-bucket*"}"#.into(),
                [A, A, N],
            ),
            (
                "the object grant names another prefix",
                I,
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::my-bucket"},
                   {"Effect": "Allow", "Action": "s3:Put*", "Resource": "arn:aws:s3:::my-bucket/uploads/*"}"#.into(),
                [A, N, N],
            ),
            (
                "resources name another bucket",
                I,
                r#"{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::my-bucket-old", "arn:aws:s3:::my-bucket-old/*"]}"#.into(),
                [N, N, N],
            ),
            (
                "a statement without Resource grants nothing",
                I,
                r#"{"Effect": "Allow", "Action": "s3:*"}"#.into(),
                [N, N, N],
            ),
            (
                "a condition known to hold",
                I,
                r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}"#.into(),
                [A, A, A],
            ),
            (
                "a condition known to fail",
                I,
                r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"s3:x-amz-acl": "private"}}}"#.into(),
                [N, N, N],
            ),
            (
                "a condition on an unknown key",
                I,
                r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}"#.into(),
                [C, C, C],
            ),
            (
                "IfExists on a key known to be absent",
                I,
                r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualsIfExists": {"s3:x-amz-server-side-encryption": "AES256"}}}"#.into(),
                [A, A, A],
            ),
            (
                "Null deny on an absent encryption header",
                I,
                with_allow_all(r#"{"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}"#),
                [A, D, A],
            ),
            (
                "negated operator on an absent key holds",
                I,
                with_allow_all(r#"{"Effect": "Deny", "Action": "s3:PutObject*", "Resource": "*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}"#),
                [A, D, D],
            ),
            (
                "a positive operator on an absent key fails",
                I,
                with_allow_all(r#"{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}"#),
                [A, A, A],
            ),
            (
                "a deny on an unknown key leaves everything open",
                I,
                with_allow_all(r#"{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}"#),
                [C, C, C],
            ),
            (
                "ForAllValues holds and ForAnyValue fails on an absent key",
                I,
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": "team"}}},
                   {"Effect": "Allow", "Action": "s3:Put*", "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}}"#.into(),
                [A, N, N],
            ),
            (
                "StringLike and StringNotLike on a present key",
                I,
                r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringLike": {"s3:x-amz-acl": "public-*"}}},
                   {"Effect": "Deny", "Action": "s3:PutObjectAcl", "Resource": "*", "Condition": {"StringNotLike": {"s3:x-amz-acl": ["private", "bucket-owner-*"]}}}"#.into(),
                [A, A, D],
            ),
            (
                "a policy variable in Resource",
                I,
                r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::my-bucket"},
                   {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/${aws:username}/*"},
                   {"Effect": "Allow", "Action": "s3:PutObjectAcl", "Resource": "arn:aws:s3:::other-bucket/${aws:username}/*"}"#.into(),
                [A, C, N],
            ),
            (
                "bucket policy for anyone",
                R,
                ALLOW_ALL_TO_ANYONE.into(),
                [A, A, A],
            ),
            (
                "bucket policy for AWS *",
                R,
                r#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}"#.into(),
                [A, A, A],
            ),
            (
                "bucket policy for the caller's account id",
                R,
                r#"{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}"#.into(),
                [A, A, A],
            ),
            (
                "bucket policy for the caller's account root",
                R,
                r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*", "Resource": "*"}"#.into(),
                [A, A, A],
            ),
            (
                "bucket policy for another account",
                R,
                r#"{"Effect": "Allow", "Principal": {"AWS": ["444455556666", "arn:aws:iam::444455556666:user/exporter"]}, "Action": "s3:*", "Resource": "*"}"#.into(),
                [N, N, N],
            ),
            (
                "bucket policy for the caller's exact ARN",
                R,
                r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/exporter"}, "Action": "s3:*", "Resource": "*"}"#.into(),
                [A, A, A],
            ),
            (
                "NotPrincipal deny exempts the listed caller",
                R,
                format!(r#"{ALLOW_ALL_TO_ANYONE}, {{"Effect": "Deny", "NotPrincipal": {{"AWS": ["{CALLER}", "arn:aws:iam::111122223333:root"]}}, "Action": "s3:*", "Resource": "*"}}"#),
                [A, A, A],
            ),
            (
                "NotPrincipal deny hits everyone else",
                R,
                format!(r#"{ALLOW_ALL_TO_ANYONE}, {{"Effect": "Deny", "NotPrincipal": {{"AWS": ["arn:aws:iam::111122223333:user/admin", "arn:aws:iam::111122223333:root"]}}, "Action": "s3:Put*", "Resource": "*"}}"#),
                [A, D, D],
            ),
            (
                "a bucket policy statement without Principal is ignored",
                R,
                ALLOW_ALL.into(),
                [N, N, N],
            ),
            (
                "an identity policy statement with Principal is ignored",
                I,
                ALLOW_ALL_TO_ANYONE.into(),
                [N, N, N],
            ),
        ]
    }

    #[test]
    fn decision_table() {
        let table = table();
        assert!(table.len() >= 25);
        let mut failures = Vec::new();
        for (case, kind, statements, expected) in table {
            let evaluations = evaluate_upload(&policy(&statements), kind);
            let actual: Vec<Decision> = evaluations.iter().map(|e| e.decision).collect();
            if actual != expected {
                let explanations: Vec<&str> =
                    evaluations.iter().map(|e| e.explanation.as_str()).collect();
                failures.push(format!(
                    "{case}: expected {expected:?}, got {actual:?}: {explanations:#?}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn conditional_allow_says_what_it_hinges_on() {
        let [list, ..] = <[Evaluation; 3]>::try_from(evaluate_upload(
            &policy(
                r#"{"Sid": "OfficeOnly", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
                    "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}"#,
            ),
            PolicyKind::Identity,
        ))
        .unwrap();
        assert_eq!(list.decision, C);
        assert_eq!(
            list.explanation,
            "s3:ListBucket on arn:aws:s3:::my-bucket is allowed only if aws:SourceIp is in 203.0.113.0/24 (statement \"OfficeOnly\")"
        );
        assert_eq!(
            list.matched[0].hinges_on,
            vec!["aws:SourceIp is in 203.0.113.0/24"]
        );
    }

    #[test]
    fn conditional_deny_says_when_it_denies() {
        let policy = parse_policy(&policy(&format!(
            r#"{ALLOW_ALL}, {{"Sid": "RequireSse", "Effect": "Deny", "Action": "s3:PutObject", "Resource": "*",
               "Condition": {{"Null": {{"s3:x-amz-server-side-encryption": "true"}}}}}}"#
        )))
        .unwrap();
        // Without `absent_keys` we do not know whether the upload sends an SSE header.
        let evaluation = evaluate(
            &policy,
            PolicyKind::Identity,
            &Request::new("s3:PutObject", OBJECT),
        );
        assert_eq!(evaluation.decision, C);
        assert!(
            evaluation.explanation.contains(
                "denied if s3:x-amz-server-side-encryption is absent (statement \"RequireSse\"); otherwise allowed by statement #1"
            ),
            "{}",
            evaluation.explanation
        );
    }

    #[test]
    fn variables_are_literal_before_2012_10_17() {
        let statements = r#"{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/${aws:username}/*"}"#;
        let old = parse_policy(&format!(
            r#"{{"Version": "2008-10-17", "Statement": [{statements}]}}"#
        ))
        .unwrap();
        let current = parse_policy(&policy(statements)).unwrap();
        let request = Request::new("s3:PutObject", OBJECT);
        assert_eq!(evaluate(&old, PolicyKind::Identity, &request).decision, N);
        let evaluation = evaluate(&current, PolicyKind::Identity, &request);
        assert_eq!(evaluation.decision, C);
        assert!(
            evaluation
                .explanation
                .contains("depends on ${aws:username}"),
            "{}",
            evaluation.explanation
        );
    }

    #[test]
    fn an_unknown_caller_makes_bucket_policies_conditional() {
        let policy = parse_policy(&policy(
            r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Exporter"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*"}"#,
        ))
        .unwrap();
        let unknown = evaluate(
            &policy,
            PolicyKind::Resource,
            &Request::new("s3:PutObject", OBJECT),
        );
        assert_eq!(unknown.decision, C);
        assert!(unknown
            .explanation
            .contains("the caller is arn:aws:iam::111122223333:role/Exporter"));
        let session = Request {
            principal_arn: Some("arn:aws:sts::111122223333:assumed-role/Exporter/worker-1"),
            ..Request::new("s3:PutObject", OBJECT)
        };
        assert_eq!(
            evaluate(&policy, PolicyKind::Resource, &session).decision,
            A
        );
    }

    #[test]
    fn explains_matches_and_notes() {
        let evaluations = evaluate_upload(
            &policy(
                r#"{"Sid": "Broken", "Effect": "Allow", "Action": "s3:ListBucket"},
                   {"Sid": "Write", "Effect": "Allow", "Action": "s3:Put*", "Resource": "arn:aws:s3:::my-bucket/exports/*"}"#,
            ),
            PolicyKind::Identity,
        );
        assert_eq!(
            evaluations[0].notes,
            vec!["statement \"Broken\" has no Resource, so it matches nothing"]
        );
        assert!(evaluations[0].explanation.contains("not granted"));
        let put = &evaluations[1];
        assert_eq!(
            put.explanation,
            format!("s3:PutObject on {OBJECT} is allowed by statement \"Write\"")
        );
        assert_eq!(
            put.matched[0].reason,
            format!("Action s3:Put* covers s3:PutObject; Resource arn:aws:s3:::my-bucket/exports/* covers {OBJECT}")
        );
    }
}
