//! Whole-bucket scenarios against replayed AWS answers: what real S3 says in situations the
//! emulator cannot produce (Block Public Access and disabled ACLs enforced, wrong-region
//! redirects, KMS denials, requester pays, unsupported APIs, denied configuration reads).

use crate::replay::{s3_error, s3control_error, Replay, RequestLog};
use crate::{registry, Acl, Context, Outcome, SessionOptions, Status, Target};
use std::collections::HashMap;
use std::sync::Arc;

const ACCESS_DENIED: &str = "Access Denied";

/// Runs every online check once against the replay and returns the outcomes by id.
async fn run(
    replay: Replay,
    options: SessionOptions,
    configure: impl FnOnce(&mut Target),
) -> (HashMap<&'static str, Outcome>, RequestLog) {
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    // The anonymous GET of the result URL stays on loopback (a closed port): no real network.
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    configure(&mut target);
    let (session, log) = replay.session(options).await;
    let ctx = Context::online(target, Arc::new(session));
    let mut outcomes = HashMap::new();
    for check in registry::ALL.iter().filter(|c| c.info().online) {
        outcomes.insert(check.info().id, check.run(&ctx).await);
    }
    (outcomes, log)
}

fn assert_status(outcomes: &HashMap<&str, Outcome>, id: &str, status: Status, needle: &str) {
    let outcome = &outcomes[id];
    assert_eq!(outcome.status, status, "{id}: {outcome:#?}");
    let text = format!(
        "{} {}",
        outcome.summary,
        outcome.remediation.as_deref().unwrap_or_default()
    );
    assert!(text.contains(needle), "{id}: {text:?} lacks {needle:?}");
}

#[tokio::test]
async fn a_healthy_bucket_passes_everything() {
    let (outcomes, log) = run(
        Replay::new().healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        |_| {},
    )
    .await;
    for (id, outcome) in &outcomes {
        if *id == "public-url" {
            continue; // its URL is a closed loopback port here
        }
        assert_eq!(
            outcome.status,
            Status::Pass,
            "{id}: {outcome:#?}\n{:#?}",
            log.lock().unwrap()
        );
    }
    let requests = log.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("PUT ") && r.contains("bucket-preflight-probe.txt")),
        "{requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("DELETE ") && r.contains("bucket-preflight-probe.txt")),
        "{requests:#?}"
    );
}

#[tokio::test]
async fn block_public_acls_rejects_public_uploads_with_403() {
    let replay = Replay::new()
        .on("GET", "?publicAccessBlock", 200, &[], r#"<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#)
        .on("PUT", "x-amz-acl: public-read", 403, &[], &s3_error("AccessDenied", ACCESS_DENIED))
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Fail,
        "BlockPublicAcls is on (bucket level)",
    );
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Fail,
        "acl: bucket-default",
    );
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        "Block Public Access (BlockPublicAcls) refuses `acl: public`",
    );
    assert_status(&outcomes, "public-url", Status::Skip, "no probe");
}

#[tokio::test]
async fn account_level_block_public_access_counts_too() {
    let replay = Replay::new()
        .on("GET", "/v20180820/configuration/publicAccessBlock", 200, &[], r#"<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Fail,
        "IgnorePublicAcls is on (account level)",
    );
    let (outcomes, _) = run(
        Replay::new().healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        |t| t.acl = Acl::BucketDefault,
    )
    .await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Pass,
        "not affected",
    );
}

#[tokio::test]
async fn disabled_acls_refuse_uploads_with_400() {
    let replay = Replay::new()
        .on("GET", "?ownershipControls", 200, &[], r#"<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>"#)
        .on("PUT", "x-amz-acl", 400, &[], &s3_error("AccessControlListNotSupported", "The bucket does not allow ACLs"))
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |t| t.acl = Acl::Private).await;
    assert_status(
        &outcomes,
        "object-ownership",
        Status::Fail,
        "AccessControlListNotSupported",
    );
    assert_status(
        &outcomes,
        "object-ownership",
        Status::Fail,
        "Set `acl: bucket-default`",
    );
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        "does not allow ACLs",
    );
}

#[tokio::test]
async fn a_301_redirect_is_followed_to_the_real_region() {
    let replay = Replay::new()
        .on("HEAD", "s3.us-east-1.amazonaws.com", 301, &[("x-amz-bucket-region", "eu-west-1")], "")
        .on("GET", "s3.us-east-1.amazonaws.com", 301, &[("x-amz-bucket-region", "eu-west-1")], &s3_error("PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint."))
        .healthy_bucket("eu-west-1");
    let (outcomes, log) = run(replay, SessionOptions::default(), |t| {
        t.bucket_region = None
    })
    .await;
    assert_status(&outcomes, "bucket-exists", Status::Pass, "exists");
    assert_eq!(
        outcomes["bucket-exists"].evidence["redirected_from"],
        "us-east-1"
    );
    assert_status(&outcomes, "bucket-region", Status::Warn, "is in eu-west-1");
    assert_status(
        &outcomes,
        "bucket-region",
        Status::Warn,
        "Set `bucket_region: eu-west-1`",
    );
    assert_status(&outcomes, "list-objects", Status::Pass, "allowed");
    let requests = log.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .filter(|r| r.contains("s3.us-east-1"))
            .count()
            == 1,
        "only the first HEAD goes to the wrong region: {requests:#?}"
    );
}

#[tokio::test]
async fn a_400_authorization_header_malformed_is_read_for_the_region() {
    // Regions launched after March 2019 answer 400 instead of 301; a HEAD answer has no body.
    let replay = Replay::new()
        .on(
            "HEAD",
            "s3.eu-west-1.amazonaws.com",
            400,
            &[("x-amz-bucket-region", "ap-east-2")],
            "",
        )
        .healthy_bucket("ap-east-2");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(&outcomes, "bucket-exists", Status::Pass, "exists");
    assert_status(
        &outcomes,
        "bucket-region",
        Status::Fail,
        "bucket_region is eu-west-1, but bucket `my-bucket` is in ap-east-2",
    );
    assert_status(
        &outcomes,
        "bucket-region",
        Status::Fail,
        "Set `bucket_region: ap-east-2`",
    );
}

#[tokio::test]
async fn kms_denials_name_the_key_and_the_statement() {
    let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let replay = Replay::new()
        .on("GET", "?encryption", 200, &[], &format!(r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>{key}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"#))
        .on("PUT", "/", 403, &[], &s3_error("AccessDenied", &format!("User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: kms:GenerateDataKey on resource: {key} because no identity-based policy allows the kms:GenerateDataKey action")))
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(&outcomes, "encryption", Status::Warn, "kms:GenerateDataKey");
    assert_status(&outcomes, "encryption", Status::Warn, key);
    assert_eq!(outcomes["encryption"].evidence["bucket_key_enabled"], true);
    assert_status(&outcomes, "dry-run-put", Status::Fail, "denied by KMS");
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        &format!(r#""Resource":"{key}""#),
    );
}

#[tokio::test]
async fn kms_aliases_and_the_aws_managed_key_are_flagged() {
    for (key_xml, needle) in [
        (
            "<KMSMasterKeyID>alias/exports</KMSMasterKeyID>",
            "aliases resolve in the caller's account",
        ),
        ("", "aws/s3"),
    ] {
        let body = format!(
            r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>{key_xml}</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#
        );
        let replay = Replay::new()
            .on("GET", "?encryption", 200, &[], &body)
            .healthy_bucket("eu-west-1");
        let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
        let encryption = &outcomes["encryption"];
        assert_eq!(encryption.status, Status::Warn);
        assert!(
            encryption
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains(needle),
            "{encryption:#?}"
        );
    }
}

#[tokio::test]
async fn requester_pays_fails_for_a_writer_from_another_account() {
    let replay = Replay::new()
        .on("GET", "?requestPayment", 200, &[], r#"<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Payer>Requester</Payer></RequestPaymentConfiguration>"#)
        .on("HEAD", "x-amz-expected-bucket-owner: 111122223333", 403, &[("x-amz-bucket-region", "eu-west-1")], "")
        .on("PUT", "/", 403, &[], &s3_error("AccessDenied", ACCESS_DENIED))
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "requester-pays",
        Status::Fail,
        "x-amz-request-payer",
    );
    assert_status(
        &outcomes,
        "dry-run-put",
        Status::Fail,
        "requester pays is on",
    );
}

#[tokio::test]
async fn requester_pays_is_fine_for_the_owner() {
    let replay = Replay::new()
        .on("GET", "?requestPayment", 200, &[], r#"<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Payer>Requester</Payer></RequestPaymentConfiguration>"#)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(&outcomes, "requester-pays", Status::Pass, "owns the bucket");
}

#[tokio::test]
async fn apis_an_endpoint_lacks_are_skipped_not_passed() {
    let not_implemented = s3_error(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
    );
    let replay = Replay::new()
        .on("GET", "?publicAccessBlock", 501, &[], &not_implemented)
        .on("GET", "?ownershipControls", 501, &[], &not_implemented)
        .on("GET", "?object-lock", 501, &[], &not_implemented)
        .healthy_bucket("eu-west-1");
    let other_store = SessionOptions {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        path_style: true,
        ..Default::default()
    };
    let (outcomes, _) = run(replay, other_store, |_| {}).await;
    for id in ["block-public-access", "object-ownership", "object-lock"] {
        assert_status(
            &outcomes,
            id,
            Status::Skip,
            "not supported by this endpoint",
        );
    }
}

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

#[tokio::test]
async fn no_write_sends_no_mutating_request() {
    let options = SessionOptions::default();
    let (session, log) = Replay::new()
        .healthy_bucket("eu-west-1")
        .session(options)
        .await;
    let mut target = Target::new("my-bucket");
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    let ctx = Context::online(target, Arc::new(session)).with_settings(crate::Settings {
        write: false,
        ..Default::default()
    });
    for check in registry::ALL {
        check.info();
        let outcome = check.run(&ctx).await;
        if ["dry-run-put", "public-url"].contains(&check.info().id) {
            assert_eq!(outcome.status, Status::Skip, "{outcome:?}");
        }
    }
    let requests = log.lock().unwrap().clone();
    assert!(!requests.is_empty());
    for request in requests {
        assert!(
            request.starts_with("GET ")
                || request.starts_with("HEAD ")
                || (request.starts_with("POST ") && request.contains("sts.")),
            "mutating request under --no-write: {request}"
        );
    }
}
