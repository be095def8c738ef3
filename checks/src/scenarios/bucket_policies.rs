//! Bucket policies that shape the upload: required encryption or KMS key, forbidden public
//! ACLs, required bucket-owner-full-control, network conditions, public-read grants, and a
//! policy the caller may not read.

use super::{assert_status, bucket_policy, run};
use crate::replay::{s3_error, Replay};
use crate::{Acl, SessionOptions, Status};

/// The AWS example that requires SSE on every upload.
const DENY_UNENCRYPTED: &str = r#"{"Sid":"DenyUnEncryptedObjectUploads","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}"#;

#[tokio::test]
async fn a_policy_requiring_encryption_fails_and_the_probe_sends_the_header() {
    let policy = bucket_policy(DENY_UNENCRYPTED);
    let explicit_deny = "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::my-bucket/bucket-preflight-probe.txt\" with an explicit deny in a resource-based policy";
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .on(
            "PUT",
            "x-amz-server-side-encryption: AES256",
            200,
            &[("etag", "\"0123456789abcdef0123456789abcdef\"")],
            "",
        )
        .on(
            "PUT",
            "amazonaws.com",
            403,
            &[],
            &s3_error("AccessDenied", explicit_deny),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    let id = "bucket-policy";
    assert_status(
        &outcomes,
        id,
        Status::Fail,
        "\"DenyUnEncryptedObjectUploads\"",
    );
    assert_status(
        &outcomes,
        id,
        Status::Fail,
        "requires uploads to send x-amz-server-side-encryption: AES256",
    );
    assert_status(
        &outcomes,
        id,
        Status::Fail,
        r#""headers": {"x-amz-server-side-encryption": "AES256"}"#,
    );
    assert_eq!(outcomes[id].evidence["policy_statements"], 1);
    assert_eq!(outcomes[id].evidence["demanded_sse"], "AES256");
    assert_eq!(
        outcomes[id].evidence["requests"]["s3:PutObject"],
        "explicit_deny"
    );
    assert_eq!(
        outcomes[id].evidence["statements"][0]["statement"],
        "DenyUnEncryptedObjectUploads"
    );
    // The dry run sends the header the policy demands, so it proves everything else.
    assert_status(&outcomes, "dry-run-put", Status::Pass, "uploaded a probe");
}

#[tokio::test]
async fn a_policy_requiring_a_kms_key_names_it() {
    let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let policy = bucket_policy(&format!(
        r#"{{"Sid":"DenyObjectsThatAreNotSSEKMS","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{{"StringNotEquals":{{"s3:x-amz-server-side-encryption":"aws:kms"}}}}}},
           {{"Sid":"DenyOtherKeys","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{{"StringNotEquals":{{"s3:x-amz-server-side-encryption-aws-kms-key-id":"{key}"}}}}}}"#
    ));
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    let id = "bucket-policy";
    assert_status(
        &outcomes,
        id,
        Status::Fail,
        "x-amz-server-side-encryption: aws:kms",
    );
    assert_status(&outcomes, id, Status::Fail, "\"DenyOtherKeys\"");
    assert_status(&outcomes, id, Status::Fail, key);
    assert_eq!(outcomes[id].evidence["demanded_sse"], "aws:kms");
}

#[tokio::test]
async fn a_policy_forbidding_public_acls_names_bucket_default() {
    let policy = bucket_policy(
        r#"{"Sid":"DenyPublicReadAcl","Effect":"Deny","Principal":"*","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringEquals":{"s3:x-amz-acl":["public-read","public-read-write"]}}}"#,
    );
    let explicit_deny = "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::my-bucket/bucket-preflight-probe.txt\" with an explicit deny in a resource-based policy";
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .on(
            "PUT",
            "x-amz-acl: public-read",
            403,
            &[],
            &s3_error("AccessDenied", explicit_deny),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    let id = "bucket-policy";
    assert_status(&outcomes, id, Status::Fail, "\"DenyPublicReadAcl\"");
    assert_status(&outcomes, id, Status::Fail, "x-amz-acl: public-read");
    assert_status(&outcomes, id, Status::Fail, "acl: bucket-default");
    assert_status(&outcomes, "dry-run-put", Status::Fail, "explicitly denied");
    // The fix it names works: without the ACL header nothing matches.
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| {
        t.acl = Acl::BucketDefault
    })
    .await;
    assert_status(&outcomes, id, Status::Pass, "no statement");
}

#[tokio::test]
async fn a_required_bucket_owner_full_control_cannot_be_sent() {
    let policy = bucket_policy(
        r#"{"Sid":"RequireBucketOwnerFullControl","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}"#,
    );
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| t.acl = Acl::Private).await;
    let id = "bucket-policy";
    assert_status(
        &outcomes,
        id,
        Status::Fail,
        "\"RequireBucketOwnerFullControl\"",
    );
    assert_status(&outcomes, id, Status::Fail, "bucket-owner-full-control");
    assert_status(
        &outcomes,
        id,
        Status::Fail,
        r#""ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/exporter"}"#,
    );
}

#[tokio::test]
async fn network_restrictions_warn_with_the_condition() {
    let cases = [
        (
            r#"{"Sid":"OfficeNetworkOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#,
            "uploads are denied unless they come from 203.0.113.0/24 (statement \"OfficeNetworkOnly\"): the export service's addresses must be in that list",
        ),
        (
            r#"{"Sid":"VpceOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"StringNotEquals":{"aws:sourceVpce":"vpce-1a2b3c4d"}}}"#,
            "unless they come through VPC endpoint vpce-1a2b3c4d (statement \"VpceOnly\"): an external export service cannot use your VPC endpoint",
        ),
    ];
    for (statement, needle) in cases {
        let replay = Replay::new()
            .on("GET", "?policy", 200, &[], &bucket_policy(statement))
            .healthy_bucket("eu-west-1");
        let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
        assert_status(&outcomes, "bucket-policy", Status::Warn, needle);
        assert_status(&outcomes, "bucket-policy", Status::Warn, "aws:PrincipalArn");
    }
}

#[tokio::test]
async fn a_deny_over_plain_http_does_not_apply_to_the_export() {
    let policy = bucket_policy(
        r#"{"Sid":"AllowSSLRequestsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
    );
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    let outcome = &outcomes["bucket-policy"];
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(
        outcome
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("\"AllowSSLRequestsOnly\" denies requests without HTTPS"),
        "{outcome:#?}"
    );
    assert_eq!(outcome.evidence["public_read"], false);
}

#[tokio::test]
async fn a_public_read_policy_warns_for_private_acls() {
    let policy = bucket_policy(
        r#"{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::my-bucket/*"}"#,
    );
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| t.acl = Acl::Private).await;
    assert_status(
        &outcomes,
        "bucket-policy",
        Status::Warn,
        "lets anyone read exported files (statement \"PublicRead\")",
    );
    assert_status(&outcomes, "bucket-policy", Status::Warn, "`acl: private`");
    assert_eq!(outcomes["bucket-policy"].evidence["public_read"], true);
    // With `acl: public` that is what was asked for.
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], &policy)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(&outcomes, "bucket-policy", Status::Pass, "no statement");
}

#[tokio::test]
async fn bucket_policy_reads_denied_or_absent() {
    let message = "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:GetBucketPolicy on resource: \"arn:aws:s3:::my-bucket\" because no identity-based policy allows the s3:GetBucketPolicy action";
    let replay = Replay::new()
        .on(
            "GET",
            "?policy",
            403,
            &[],
            &s3_error("AccessDenied", message),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "bucket-policy",
        Status::Warn,
        "s3:GetBucketPolicy",
    );
    assert_eq!(
        outcomes["bucket-policy"].evidence["denied_permission"],
        "s3:GetBucketPolicy"
    );
    // Unreadable policy: the probe goes out without an encryption header, as the export would.
    assert_status(&outcomes, "dry-run-put", Status::Pass, "uploaded a probe");
    let (outcomes, _) = run(
        Replay::new().healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        |_| {},
    )
    .await;
    assert_status(&outcomes, "bucket-policy", Status::Pass, "no bucket policy");
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[], "{\"Statement\": [")
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "bucket-policy",
        Status::Warn,
        "is not valid JSON",
    );
}
