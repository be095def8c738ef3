//! A healthy bucket, and the bucket settings that change what an upload may send: Block Public
//! Access, disabled ACLs, KMS keys, requester pays, APIs an endpoint lacks, configuration answers
//! the checks cannot read, and what `--no-write` leaves alone.

use super::{assert_status, run, ACCESS_DENIED};
use crate::replay::{s3_error, s3control_error, Replay};
use crate::{registry, Acl, Context, SessionOptions, Status, Target};
use std::sync::Arc;

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
            .any(|r| r.starts_with("PUT ") && r.contains("bucket-preflight-probe-")),
        "{requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("DELETE ") && r.contains("bucket-preflight-probe-")),
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
                || (request.starts_with("POST ")
                    && (request.contains("sts.") || request.contains("iam."))),
            "mutating request under --no-write: {request}"
        );
    }
}

#[tokio::test]
async fn empty_or_unknown_configuration_answers_are_not_read_as_absent() {
    let replay = Replay::new()
        .on("GET", "?ownershipControls", 200, &[], r#"<OwnershipControls xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ObjectOwnership>SomethingNew</ObjectOwnership></Rule></OwnershipControls>"#)
        .on("GET", "?encryption", 200, &[], r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    for id in ["object-ownership", "encryption"] {
        assert_ne!(
            outcomes[id].status,
            Status::Pass,
            "{id}: {:#?}",
            outcomes[id]
        );
    }
}

#[tokio::test]
async fn account_block_public_access_that_aws_cannot_answer_is_not_a_pass() {
    let replay = Replay::new()
        .on(
            "GET",
            "/v20180820/configuration/publicAccessBlock",
            501,
            &[],
            &s3control_error("NotImplemented", "not implemented"),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_ne!(
        outcomes["block-public-access"].status,
        Status::Pass,
        "{:#?}",
        outcomes["block-public-access"]
    );
}
