//! IAM's evaluation logic, table-driven: one policy, the three requests of an upload.
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
