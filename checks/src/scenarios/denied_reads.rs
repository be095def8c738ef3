//! Reads the caller may not make: configuration reads, the listing, PutObjectAcl, and a bucket
//! that is missing or forbidden.

use super::{assert_status, run};
use crate::replay::{s3_error, s3control_error, Replay};
use crate::{SessionOptions, Status};

#[tokio::test]
async fn denied_configuration_reads_warn_with_the_permission() {
    let cases = [
        (
            "?publicAccessBlock",
            "block-public-access",
            "s3:GetBucketPublicAccessBlock",
        ),
        (
            "/v20180820/configuration/publicAccessBlock",
            "block-public-access",
            "s3:GetAccountPublicAccessBlock",
        ),
        (
            "?ownershipControls",
            "object-ownership",
            "s3:GetBucketOwnershipControls",
        ),
        ("?versioning", "versioning", "s3:GetBucketVersioning"),
        ("?encryption", "encryption", "s3:GetEncryptionConfiguration"),
        (
            "?requestPayment",
            "requester-pays",
            "s3:GetBucketRequestPayment",
        ),
        (
            "?object-lock",
            "object-lock",
            "s3:GetBucketObjectLockConfiguration",
        ),
    ];
    for (needle, id, permission) in cases {
        let message = format!("User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: {permission} on resource: \"arn:aws:s3:::my-bucket\" because no identity-based policy allows the {permission} action");
        let body = if needle.starts_with("/v2018") {
            s3control_error("AccessDenied", &message)
        } else {
            s3_error("AccessDenied", &message)
        };
        let replay = Replay::new()
            .on("GET", needle, 403, &[], &body)
            .healthy_bucket("eu-west-1");
        let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
        assert_status(&outcomes, id, Status::Warn, permission);
        assert!(
            outcomes[id]
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains("no identity-based policy allows"),
            "{id}: {:#?}",
            outcomes[id]
        );
    }
}

#[tokio::test]
async fn denied_listing_fails_with_the_bucket_arn_statement() {
    let message = "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::my-bucket\" because no identity-based policy allows the s3:ListBucket action";
    let replay = Replay::new()
        .on(
            "GET",
            "list-type=2",
            403,
            &[],
            &s3_error("AccessDenied", message),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "list-objects",
        Status::Fail,
        r#""Resource":"arn:aws:s3:::my-bucket""#,
    );
}

#[tokio::test]
async fn denied_put_object_acl_names_both_actions() {
    let message = "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObjectAcl on resource: \"arn:aws:s3:::my-bucket/exports/bucket-preflight-probe.txt\" because no identity-based policy allows the s3:PutObjectAcl action";
    let replay = Replay::new()
        .on("PUT", "/", 403, &[], &s3_error("AccessDenied", message))
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| {
        t.path = "exports/${file.url_name}".into()
    })
    .await;
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        "also need s3:PutObjectAcl",
    );
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        r#""Resource":"arn:aws:s3:::my-bucket/exports/*""#,
    );
}

#[tokio::test]
async fn a_missing_bucket_and_a_forbidden_one() {
    let (outcomes, _) = run(
        Replay::new()
            .on("HEAD", "/", 404, &[], "")
            .healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        |_| {},
    )
    .await;
    assert_status(
        &outcomes,
        "bucket-exists",
        Status::Fail,
        "no bucket named `my-bucket` exists",
    );
    assert_status(
        &outcomes,
        "bucket-region",
        Status::Skip,
        "see bucket-exists",
    );
    let (outcomes, _) = run(
        Replay::new()
            .on(
                "HEAD",
                "/",
                403,
                &[("x-amz-bucket-region", "eu-west-1")],
                "",
            )
            .healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        |_| {},
    )
    .await;
    assert_status(
        &outcomes,
        "bucket-exists",
        Status::Fail,
        "arn:aws:iam::111122223333:user/exporter may not use it",
    );
    assert_status(&outcomes, "bucket-exists", Status::Fail, "s3:ListBucket");
}
