//! Verdicts that must not claim more than the answers show: a probe refused over plain HTTP
//! for its transport, and a prediction that the proof contradicts.

use super::{assert_status, bucket_policy, run, ACCESS_DENIED};
use crate::reconcile::reconcile;
use crate::replay::{s3_error, Replay};
use crate::{SessionOptions, Status};

const TLS_ONLY: &str = r#"{"Sid":"AllowSSLRequestsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;

const EXPLICIT_DENY: &str = "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::my-bucket/bucket-preflight-probe.txt\" with an explicit deny in a resource-based policy";

/// An S3-compatible store reached over plain HTTP, as a Transloadit `host` without https://.
const PLAIN_HTTP: &str = "http://storage.example.internal:9000";

#[tokio::test]
async fn a_probe_refused_over_plain_http_is_named_as_the_secure_transport_deny() {
    for message in [EXPLICIT_DENY, ACCESS_DENIED] {
        let replay = Replay::new()
            .on("GET", "?policy", 200, &[], &bucket_policy(TLS_ONLY))
            .on(
                "PUT",
                "bucket-preflight-probe-",
                403,
                &[],
                &s3_error("AccessDenied", message),
            )
            .healthy_bucket("eu-west-1");
        let (outcomes, _) = run(replay, SessionOptions::default(), |t| {
            t.endpoint = Some(PLAIN_HTTP.into())
        })
        .await;
        assert_status(
            &outcomes,
            "dry-run-put",
            Status::Fail,
            "upload refused because the probe went over plain HTTP (http://storage.example.internal:9000): the bucket policy's statement \"AllowSSLRequestsOnly\" (Bool aws:SecureTransport = false) denies requests without HTTPS",
        );
        assert_status(
            &outcomes,
            "dry-run-put",
            Status::Fail,
            "Give the store step an https:// `host`",
        );
        let fix = outcomes["dry-run-put"].remediation.clone().unwrap();
        assert!(
            !fix.starts_with("Remove"),
            "the fix is HTTPS, not dropping the policy: {fix}"
        );
        assert_eq!(
            outcomes["dry-run-put"].evidence["denied_by"],
            "aws:SecureTransport"
        );
        // bucket-policy says the same for the same scheme.
        assert_status(&outcomes, "bucket-policy", Status::Fail, "over plain HTTP");
    }
}

#[tokio::test]
async fn an_unreadable_policy_over_plain_http_names_secure_transport_as_likely() {
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
            &s3_error("AccessDenied", EXPLICIT_DENY),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| {
        t.endpoint = Some(PLAIN_HTTP.into())
    })
    .await;
    let outcome = &outcomes["dry-run-put"];
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let detail = outcome.detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("The probe went over plain HTTP (http://storage.example.internal:9000): a bucket policy Deny on aws:SecureTransport false"),
        "{detail}"
    );
    // Over HTTPS (AWS's endpoints) the transport is never blamed.
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &bucket_policy(TLS_ONLY))
        .on(
            "PUT",
            "bucket-preflight-probe-",
            403,
            &[],
            &s3_error("AccessDenied", EXPLICIT_DENY),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    let outcome = &outcomes["dry-run-put"];
    assert!(!outcome.summary.contains("plain HTTP"), "{outcome:#?}");
}

/// S3 refuses the public ACL with 403 under BlockPublicAcls; an endpoint that stores the
/// setting without enforcing it accepts the probe. The report reconciles the two.
#[tokio::test]
async fn block_public_acls_contradicted_by_an_accepted_upload_is_reconciled() {
    let replay = Replay::new()
        .on("GET", "?publicAccessBlock", 200, &[], r#"<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#)
        .healthy_bucket("eu-west-1");
    let (mut outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Fail,
        "BlockPublicAcls is on",
    );
    assert_status(&outcomes, "dry-run-put", Status::Pass, "uploaded a probe");
    reconcile(
        outcomes.iter_mut().map(|(id, o)| (*id, o)),
        Some(PLAIN_HTTP),
    );
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Warn,
        "BlockPublicAcls is on (bucket level), but this endpoint (http://storage.example.internal:9000) accepted dry-run-put's probe with x-amz-acl: public-read: it stores Block Public Access without enforcing it, so the proof stands for this endpoint; on AWS the same setting refuses these uploads with 403 AccessDenied",
    );
    assert!(outcomes["dry-run-put"]
        .detail
        .as_deref()
        .unwrap_or_default()
        .contains("see block-public-access"));
}
