//! Bucket policies that got the wrong verdict when one context served every request and the
//! probe key stood for every file, and the verdict they get now.

use super::*;
use crate::iam::policy::parse_policy;
use std::time::{Duration, UNIX_EPOCH};

const EXPORTER: &str = "arn:aws:iam::111122223333:user/exporter";
const PATH: &str = "exports/${unique_prefix}/${file.url_name}";

fn policy(statements: &str) -> PolicyDocument {
    parse_policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
    ))
    .unwrap()
}

/// The export: `acl: public`, over HTTPS, by `EXPORTER`, on 2026-11-29.
fn export() -> ExportShape<'static> {
    ExportShape {
        acl_header: Some("public-read"),
        caller_arn: Some(EXPORTER),
        now: UNIX_EPOCH + Duration::from_secs(1_795_953_600),
        ..ExportShape::new("my-bucket", PATH)
    }
}

/// How the policy's statement "X" meets the export: (always, for some files, possibly).
type Denied = (Vec<&'static str>, Vec<&'static str>, Vec<&'static str>);

fn denial_of(statements: &str, shape: &ExportShape) -> Denied {
    let evaluations = evaluate_bucket_policy(&policy(statements), shape);
    let denial = statement_denial(&evaluations, "X");
    (denial.always, denial.for_some_files, denial.possibly)
}

const PUT: &str = "s3:PutObject";
const ACL: &str = "s3:PutObjectAcl";
const LIST: &str = "s3:ListBucket";

#[test]
fn deny_statements_meet_the_request_the_export_really_makes() {
    let http = ExportShape {
        secure_transport: false,
        ..export()
    };
    let none: Vec<&str> = vec![];
    let cases: Vec<(&str, String, ExportShape, Denied)> = vec![
        (
            "AWS's enforce-conditional-writes policy: the export sends no If-None-Match",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {"Null": {"s3:if-none-match": "true"}}}"#.into(),
            export(),
            (vec![PUT], none.clone(), none.clone()),
        ),
        (
            "the enforce-conditional-writes Deny that spares multipart parts still hits PutObject",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {"Null": {"s3:if-none-match": "true", "s3:if-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}}}"#.into(),
            export(),
            (vec![PUT], none.clone(), none.clone()),
        ),
        (
            "StringNotEquals on x-amz-acl hits ListBucket, which never carries it",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"], "Condition": {"StringNotEquals": {"s3:x-amz-acl": "public-read"}}}"#.into(),
            export(),
            (vec![LIST], none.clone(), none.clone()),
        ),
        (
            "StringNotEqualsIfExists on x-amz-acl: absent on ListBucket, so it applies",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"], "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-acl": "public-read"}}}"#.into(),
            export(),
            (vec![LIST], none.clone(), none.clone()),
        ),
        (
            "a plain-HTTP deny hits an export to an http:// endpoint",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#.into(),
            http.clone(),
            (vec![PUT, ACL, LIST], none.clone(), none.clone()),
        ),
        (
            "a plain-HTTP deny spares an export over HTTPS",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#.into(),
            export(),
            (none.clone(), none.clone(), none.clone()),
        ),
        (
            "a Deny sparing only the admin by aws:PrincipalArn hits the export user",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/admin"}}}"#.into(),
            export(),
            (vec![PUT], none.clone(), none.clone()),
        ),
        (
            "a Deny from a date on applies now",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}}"#.into(),
            export(),
            (vec![PUT], none.clone(), none.clone()),
        ),
        (
            "a Deny on keys with a slash below the prefix hits real keys (the unique prefix has one)",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/exports/*/*"}"#.into(),
            export(),
            (vec![PUT], none.clone(), none.clone()),
        ),
        (
            "a Deny on one extension depends on the file name",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*.mp4"}"#.into(),
            export(),
            (none.clone(), vec![PUT], none.clone()),
        ),
        (
            "aws:VpcSourceIp cannot be known here",
            r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {"NotIpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}}"#.into(),
            export(),
            (none.clone(), none.clone(), vec![PUT]),
        ),
    ];
    let mut failures = Vec::new();
    for (case, statements, shape, expected) in cases {
        let actual = denial_of(&statements, &shape);
        if actual != expected {
            failures.push(format!("{case}: expected {expected:?}, got {actual:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn allows_meet_each_request_with_its_own_keys() {
    let decisions = |statements: &str| {
        decisions_by_action(&evaluate_bucket_policy(&policy(statements), &export()))
    };
    use Decision::{Allowed as A, Conditional as C, NotGranted as N};
    // An Allow conditioned on x-amz-acl cannot grant ListBucket: AWS never sets the key there.
    assert_eq!(
        decisions(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{EXPORTER}"}}, "Action": "s3:*", "Resource": "*", "Condition": {{"StringEquals": {{"s3:x-amz-acl": "public-read"}}}}}}"#
        )),
        [(PUT, A), (ACL, A), (LIST, N)]
    );
    // An expired grant grants nothing.
    assert_eq!(
        decisions(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{EXPORTER}"}}, "Action": "s3:*", "Resource": "*", "Condition": {{"DateLessThan": {{"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}}}}"#
        )),
        [(PUT, N), (ACL, N), (LIST, N)]
    );
    // A grant on one sample file does not cover the files the export writes.
    assert_eq!(
        decisions(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{EXPORTER}"}}, "Action": "s3:*", "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/exports/example.jpg"]}}"#
        )),
        [(PUT, N), (ACL, N), (LIST, A)]
    );
    // A grant on `*.jpg` covers some files only.
    assert_eq!(
        decisions(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{EXPORTER}"}}, "Action": "s3:*", "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/exports/*.jpg"]}}"#
        )),
        [(PUT, C), (ACL, C), (LIST, A)]
    );
    // `${*}` is a literal star: no real key ends in one.
    assert_eq!(
        decisions(&format!(
            r#"{{"Effect": "Allow", "Principal": {{"AWS": "{EXPORTER}"}}, "Action": "s3:*", "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/exports/${{*}}"]}}"#
        )),
        [(PUT, N), (ACL, N), (LIST, A)]
    );
}

#[test]
fn the_enforce_conditional_writes_policy_denies_the_export_but_not_the_probe() {
    // AWS's documented example (Amazon S3 User Guide, "Enforce conditional writes").
    let document = policy(
        r#"{"Sid": "BlockNonConditionalObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {"Null": {"s3:if-none-match": "true"}}}"#,
    );
    // The export's PutObject (no If-None-Match) is denied; the probe's (with it) is not.
    let denies_put = |document: &PolicyDocument, if_none_match: bool, statement: &str| {
        let shape = ExportShape {
            if_none_match,
            ..export()
        };
        statement_denial(&evaluate_bucket_policy(document, &shape), statement)
            .always
            .contains(&"s3:PutObject")
    };
    assert!(denies_put(
        &document,
        false,
        "BlockNonConditionalObjectUploads"
    ));
    assert!(!denies_put(
        &document,
        true,
        "BlockNonConditionalObjectUploads"
    ));
    assert!(conditions_on_conditional_writes(&document.statements[0]));
    // The Allow-style version grants the probe's request, not the export's.
    let allow_style = policy(&format!(
        r#"{{"Sid": "AllowConditionalPut", "Effect": "Allow", "Principal": {{"AWS": "{EXPORTER}"}}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {{"Null": {{"s3:if-none-match": "false"}}}}}}"#
    ));
    assert_eq!(
        grants_only_with_conditional_header(&allow_style, &export()),
        ["statement \"AllowConditionalPut\""]
    );
    // A policy that denies both is not about the header.
    let everything = policy(
        r#"{"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}"#,
    );
    assert!(denies_put(&everything, false, "X") && denies_put(&everything, true, "X"));
}

#[test]
fn demanded_sse_follows_the_deny_conditions() {
    let null = r#"{"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}"#;
    let kms = r#"{"Sid": "DenyNotKms", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}"#;
    let forbid_sse_s3 = r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}"#;
    let tls = r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#;
    assert_eq!(demanded_sse(&policy(null)).as_deref(), Some("AES256"));
    assert_eq!(demanded_sse(&policy(kms)).as_deref(), Some("aws:kms"));
    assert_eq!(
        demanded_sse(&policy(&format!("{null}, {kms}"))).as_deref(),
        Some("aws:kms")
    );
    assert_eq!(demanded_sse(&policy(forbid_sse_s3)), None);
    assert_eq!(demanded_sse(&policy(tls)), None);
}

#[test]
fn public_read_needs_an_allow_for_everyone() {
    let object = "arn:aws:s3:::b/k";
    let anyone = policy(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    assert!(public_read(&anyone, object).is_some());
    let account = policy(
        r#"{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    assert!(public_read(&account, object).is_none());
    let deny_only = policy(
        r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#,
    );
    assert!(public_read(&deny_only, object).is_none());
}
