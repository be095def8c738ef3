//! The store step's `headers`, `tags` and `check_integrity` against replayed S3 answers: bucket
//! policy conditions on the encryption header, the KMS key and the object tags (which moto does
//! not evaluate), and object lock's checksum requirement.

use super::{assert_status, bucket_policy, run};
use crate::replay::{s3_error, Replay};
use crate::{SessionOptions, Status, Target};

const STEP_KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/step-key";
const OTHER_KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/other-key";
const ETAG: (&str, &str) = ("etag", "\"0123456789abcdef0123456789abcdef\"");

fn explicit_deny() -> String {
    s3_error("AccessDenied", "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::my-bucket/bucket-preflight-probe.txt\" with an explicit deny in a resource-based policy")
}

/// A bucket whose policy holds `statement`, accepting uploads that carry `accepted` (a header
/// line as the replay sees it) and denying others explicitly, as S3 does.
fn policed(statement: &str, accepted: &str) -> Replay {
    Replay::new()
        .on("GET", "?policy", 200, &[], &bucket_policy(statement))
        .on("PUT", accepted, 200, &[ETAG], "")
        .on("PUT", "amazonaws.com", 403, &[], &explicit_deny())
        .healthy_bucket("eu-west-1")
}

fn kms_step(target: &mut Target, key: &str) {
    target.headers = vec![
        ("Content-Type".into(), "${file.mime}".into()),
        ("x-amz-server-side-encryption".into(), "aws:kms".into()),
        (
            "x-amz-server-side-encryption-aws-kms-key-id".into(),
            key.into(),
        ),
    ];
}

/// AWS's "require SSE-KMS" example.
const DEMAND_KMS: &str = r#"{"Sid":"RequireKms","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}"#;

#[tokio::test]
async fn a_policy_demanding_kms_is_satisfied_by_the_steps_header() {
    let replay = policed(DEMAND_KMS, "x-amz-server-side-encryption: aws:kms");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| kms_step(t, STEP_KEY)).await;
    assert_status(&outcomes, "bucket-policy", Status::Pass, "no statement");
    assert_eq!(outcomes["bucket-policy"].evidence["step_sse"], "aws:kms");
    // The probe sent the step's headers, and says how it made ${file.mime} concrete.
    assert_status(&outcomes, "dry-run-put", Status::Pass, "uploaded a probe");
    let probe = &outcomes["dry-run-put"];
    let request = probe.evidence["request"].as_str().unwrap();
    assert!(
        request.contains(&format!(
            "x-amz-server-side-encryption-aws-kms-key-id: {STEP_KEY}"
        )),
        "{request}"
    );
    assert!(
        probe
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("Content-Type: ${file.mime} as text/plain"),
        "{probe:#?}"
    );
    // KMS permissions on the step's key, not the bucket's default (AES256 here).
    assert_status(&outcomes, "encryption", Status::Warn, "key/step-key");
}

#[tokio::test]
async fn a_policy_denying_the_steps_encryption_value_fails() {
    let replay = policed(DEMAND_KMS, "x-amz-server-side-encryption: aws:kms");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| {
        t.headers = vec![("x-amz-server-side-encryption".into(), "AES256".into())];
    })
    .await;
    assert_status(
        &outcomes,
        "bucket-policy",
        Status::Fail,
        "the store step's `headers` send x-amz-server-side-encryption: AES256",
    );
    assert_status(&outcomes, "dry-run-put", Status::Fail, "explicitly denied");
}

#[tokio::test]
async fn a_policy_demanding_another_kms_key_fails() {
    let statement = format!(
        r#"{{"Sid":"OnlyOurKey","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{{"StringNotEquals":{{"s3:x-amz-server-side-encryption-aws-kms-key-id":"{OTHER_KEY}"}}}}}}"#
    );
    let replay = policed(&statement, OTHER_KEY);
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| kms_step(t, STEP_KEY)).await;
    assert_status(&outcomes, "bucket-policy", Status::Fail, "another KMS key");
    assert_status(&outcomes, "bucket-policy", Status::Fail, "key/other-key");
}

/// Uploads must carry the tag classification=public.
const DEMAND_TAG: &str = r#"{"Sid":"ClassifiedUploads","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringNotEquals":{"s3:RequestObjectTag/classification":"public"}}}"#;

#[tokio::test]
async fn tag_conditions_judge_the_steps_tags_and_the_probe_sends_them() {
    let replay = policed(DEMAND_TAG, "x-amz-tagging: classification=public");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| {
        t.tags = vec![("classification".into(), "public".into())];
    })
    .await;
    assert_status(&outcomes, "bucket-policy", Status::Pass, "no statement");
    assert_status(&outcomes, "dry-run-put", Status::Pass, "uploaded a probe");
    // The tagging permission is part of the evaluated export.
    assert!(
        outcomes["bucket-policy"].evidence["requests"]["s3:PutObjectTagging"].is_string(),
        "{:#?}",
        outcomes["bucket-policy"].evidence
    );

    let replay = policed(DEMAND_TAG, "x-amz-tagging: classification=public");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| {
        t.tags = vec![("classification".into(), "internal".into())];
    })
    .await;
    assert_status(
        &outcomes,
        "bucket-policy",
        Status::Fail,
        "\"ClassifiedUploads\"",
    );
    assert_status(&outcomes, "dry-run-put", Status::Fail, "explicitly denied");
}

/// Object lock's answer to an upload without a checksum under default retention.
fn locked_bucket() -> Replay {
    Replay::new()
        // Export credentials rarely read the lock configuration: the probe writes anyway.
        .on("GET", "?object-lock", 403, &[], &s3_error("AccessDenied", "Access Denied"))
        .on("PUT", "content-md5:", 200, &[ETAG], "")
        .on(
            "PUT",
            "amazonaws.com",
            400,
            &[],
            &s3_error("InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters"),
        )
        .healthy_bucket("eu-west-1")
}

#[tokio::test]
async fn under_object_lock_check_integrity_decides_whether_uploads_are_accepted() {
    let (outcomes, _) = run(locked_bucket(), SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        "Set `check_integrity: true`",
    );
    let (outcomes, _) = run(locked_bucket(), SessionOptions::default(), |t| {
        t.check_integrity = true
    })
    .await;
    assert_status(&outcomes, "dry-run-put", Status::Pass, "uploaded a probe");
    let request = outcomes["dry-run-put"].evidence["request"]
        .as_str()
        .unwrap();
    assert!(
        request.contains("Content-MD5 (check_integrity)"),
        "{request}"
    );
}

/// GetObjectLockConfiguration of a bucket that keeps every upload for a day.
const DEFAULT_RETENTION: &str = r#"<?xml version="1.0" encoding="UTF-8"?><ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>"#;

#[tokio::test]
async fn the_object_lock_check_names_check_integrity_as_the_fix() {
    let retained = || {
        Replay::new()
            .on("GET", "?object-lock", 200, &[], DEFAULT_RETENTION)
            .healthy_bucket("eu-west-1")
    };
    let (outcomes, _) = run(retained(), SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "object-lock",
        Status::Warn,
        "Set `check_integrity: true`",
    );
    assert_status(&outcomes, "object-lock", Status::Warn, "may be refused");
    let (outcomes, _) = run(retained(), SessionOptions::default(), |t| {
        t.check_integrity = true
    })
    .await;
    assert_status(
        &outcomes,
        "object-lock",
        Status::Warn,
        "uploads are accepted",
    );
}
