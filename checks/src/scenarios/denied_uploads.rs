//! Probe uploads denied with a bare 403 (as S3 answers cross-account requests): the cause
//! `dry-run-put` names must agree with what the other checks found.

use super::{assert_status, bucket_policy, run, ACCESS_DENIED};
use crate::replay::{s3_error, Replay};
use crate::{Acl, SessionOptions, Status};

/// Replays a bucket whose policy holds `statements` and whose uploads get a bare 403.
fn denied_bucket(statements: &str) -> Replay {
    Replay::new()
        .on("GET", "?policy", 200, &[], &bucket_policy(statements))
        .on(
            "PUT",
            "bucket-preflight-probe-",
            403,
            &[],
            &s3_error("AccessDenied", ACCESS_DENIED),
        )
        .healthy_bucket("eu-west-1")
}

#[tokio::test]
async fn a_matching_bucket_policy_deny_is_named_before_the_iam_policy() {
    let replay = denied_bucket(
        r#"{"Sid":"OnlyOurAccountWrites","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"444455556666"}}}"#,
    );
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    let outcome = &outcomes["dry-run-put"];
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(
        outcome.summary.contains("bare 403 AccessDenied: the bucket policy's statement \"OnlyOurAccountWrites\" denies s3:PutObject on arn:aws:s3:::my-bucket/bucket-preflight-probe-"),
        "{}",
        outcome.summary
    );
    assert!(
        outcome
            .summary
            .contains("(StringNotEquals aws:PrincipalAccount = 444455556666)"),
        "{}",
        outcome.summary
    );
    // The IAM policy is still listed, but last, as a possibility.
    let remediation = outcome.remediation.as_deref().unwrap();
    assert!(
        remediation.starts_with(
            "Causes, proven first: (1) the bucket policy's statement \"OnlyOurAccountWrites\""
        ),
        "{remediation}"
    );
    assert!(
        remediation.ends_with(r#""Resource":"arn:aws:s3:::my-bucket/*"}."#),
        "{remediation}"
    );
    // bucket-policy names the same statement.
    assert_status(
        &outcomes,
        "bucket-policy",
        Status::Fail,
        "\"OnlyOurAccountWrites\"",
    );
}

#[tokio::test]
async fn the_deny_is_judged_by_the_headers_the_probe_sent() {
    // The probe sends what the export sends: no conditional header (its key is its own and
    // the listing showed it free) and no ACL header for bucket-default. A statement demanding
    // conditional writes matches it, one denying public ACLs does not.
    let replay = denied_bucket(
        r#"{"Sid":"DenyPublicAcls","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringEquals":{"s3:x-amz-acl":"public-read"}}},
           {"Sid":"NoConditionalWrites","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"Null":{"s3:if-none-match":"true"}}}"#,
    );
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| {
        t.acl = Acl::BucketDefault
    })
    .await;
    let outcome = &outcomes["dry-run-put"];
    assert!(
        outcome
            .summary
            .contains("statement \"NoConditionalWrites\" denies s3:PutObject"),
        "{outcome:#?}"
    );
    assert!(
        !format!("{outcome:?}").contains("DenyPublicAcls"),
        "{outcome:#?}"
    );
}

#[tokio::test]
async fn without_evidence_the_iam_policy_is_one_possibility() {
    let replay = Replay::new()
        .on(
            "PUT",
            "bucket-preflight-probe-",
            403,
            &[],
            &s3_error("AccessDenied", ACCESS_DENIED),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    let outcome = &outcomes["dry-run-put"];
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(
        outcome.summary.contains("possibly: if the bucket belongs to another account, a bucket policy must grant s3:PutObject and s3:PutObjectAcl to the writer, and the bucket has none"),
        "{}",
        outcome.summary
    );
    let remediation = outcome.remediation.as_deref().unwrap();
    assert!(
        remediation.contains("(2) the IAM policy lacks s3:PutObject and s3:PutObjectAcl"),
        "{remediation}"
    );
}

#[tokio::test]
async fn an_unreadable_policy_is_said_to_be_unchecked() {
    let replay = Replay::new()
        .on(
            "GET",
            "?policy",
            403,
            &[],
            &s3_error("AccessDenied", ACCESS_DENIED),
        )
        .on(
            "PUT",
            "bucket-preflight-probe-",
            403,
            &[],
            &s3_error("AccessDenied", ACCESS_DENIED),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        "a Deny statement in the bucket policy, which could not be checked",
    );
}

#[tokio::test]
async fn an_explicit_deny_in_the_bucket_policy_names_the_statement() {
    let explicit = "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::my-bucket/bucket-preflight-probe-0123456789abcdef0123456789abcdef.txt\" with an explicit deny in a resource-based policy";
    let replay = Replay::new()
        .on(
            "GET",
            "?policy",
            200,
            &[],
            &bucket_policy(
                r#"{"Sid":"FreezeUploads","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}"#,
            ),
        )
        .on(
            "PUT",
            "bucket-preflight-probe-",
            403,
            &[],
            &s3_error("AccessDenied", explicit),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        "The bucket policy's statement \"FreezeUploads\" denies s3:PutObject",
    );
}
