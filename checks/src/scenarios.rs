//! Whole-bucket scenarios against replayed AWS answers: what real S3 says in situations the
//! emulator cannot produce (Block Public Access and disabled ACLs enforced, wrong-region
//! redirects, KMS denials, requester pays, unsupported APIs, denied configuration reads).

use crate::replay::{s3_error, s3control_error, Replay, RequestLog};
use crate::{registry, Acl, Context, Outcome, SessionOptions, Status, Target};
use std::collections::HashMap;
use std::sync::Arc;

mod cross_account;
mod denied_uploads;
mod faults;
mod first_wave;
mod partitions;
mod public_urls;
mod simulation_context;
mod step_parameters;
mod verdicts;

const ACCESS_DENIED: &str = "Access Denied";

/// Runs every online check once against the replay and returns the outcomes by id.
pub(crate) async fn run(
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
    (run_checks(&ctx).await, log)
}

/// Runs every online check once, one after another, and returns the outcomes by id.
pub(crate) async fn run_checks(ctx: &Context) -> HashMap<&'static str, Outcome> {
    let mut outcomes = HashMap::new();
    for check in registry::ALL.iter().filter(|c| c.info().online) {
        outcomes.insert(check.info().id, check.run(ctx).await);
    }
    outcomes
}

pub(crate) fn assert_status(
    outcomes: &HashMap<&str, Outcome>,
    id: &str,
    status: Status,
    needle: &str,
) {
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
                || (request.starts_with("POST ")
                    && (request.contains("sts.") || request.contains("iam."))),
            "mutating request under --no-write: {request}"
        );
    }
}

/// A bucket policy document around `statements`, as GetBucketPolicy returns it.
fn bucket_policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Id":"ExportBucketPolicy","Statement":[{statements}]}}"#)
}

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

/// Runs `iam-simulation` alone against the replay, with `settings`.
pub(crate) async fn simulate(
    replay: Replay,
    options: SessionOptions,
    settings: crate::Settings,
) -> (Outcome, RequestLog) {
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    let (session, log) = replay.session(options).await;
    let ctx = Context::online(target, Arc::new(session)).with_settings(settings);
    let check = registry::find("iam-simulation").expect("iam-simulation is registered");
    (check.run(&ctx).await, log)
}

pub(crate) fn outcome_text(outcome: &Outcome) -> String {
    format!(
        "{} | {} | {}",
        outcome.summary,
        outcome.remediation.as_deref().unwrap_or_default(),
        outcome.detail.as_deref().unwrap_or_default()
    )
}

/// Form-body needles of SimulatePrincipalPolicy, as the SDK encodes them.
const SIMULATE: &str = "Action=SimulatePrincipalPolicy";
const SIMULATE_LIST_BUCKET: &str = "ActionNames.member.1=s3%3AListBucket";
const SIMULATE_ACL_CONTEXT: &str =
    "ContextKeyName=s3%3Ax-amz-acl&ContextEntries.member.2.ContextKeyValues.member.1=public-read";

fn iam_invalid_input() -> String {
    crate::replay::iam_error(
        "InvalidInput",
        "the replay expected another simulation request",
    )
}

#[tokio::test]
async fn iam_simulation_passes_when_every_action_is_allowed() {
    let (outcome, log) = simulate(
        Replay::new().healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        Default::default(),
    )
    .await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(
        outcome.summary.contains(
            "the simulator allows every action of the upload for arn:aws:iam::111122223333:user/exporter"
        ),
        "{outcome:#?}"
    );
    let decisions = outcome.evidence["decisions"].as_array().unwrap();
    let actions: Vec<&str> = decisions
        .iter()
        .map(|d| d["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["s3:ListBucket", "s3:PutObject", "s3:PutObjectAcl"]
    );
    assert!(decisions.iter().all(|d| d["decision"] == "allowed"));
    assert_eq!(
        decisions[1]["matched_statements"][0],
        "policy `export` (IAM Policy), statement at line 1"
    );
    assert!(outcome.detail.unwrap().contains("dry-run-put is the proof"));
    let simulations = log
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.as_str() == "POST https://iam.amazonaws.com/")
        .count();
    assert_eq!(
        simulations, 2,
        "one call per resource: the bucket and an object"
    );
}

#[tokio::test]
async fn iam_simulation_implicit_deny_of_list_bucket_names_the_bucket_arn_statement() {
    let body = crate::replay::iam_simulation(&[(
        "s3:ListBucket",
        "arn:aws:s3:::my-bucket",
        "implicitDeny",
        "",
    )]);
    let replay = Replay::new()
        .on(
            "POST",
            SIMULATE_LIST_BUCKET,
            200,
            &[("content-type", "text/xml")],
            &body,
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let text = outcome_text(&outcome);
    assert!(
        text.contains("no policy allows arn:aws:iam::111122223333:user/exporter s3:ListBucket on arn:aws:s3:::my-bucket (implicitDeny)"),
        "{text}"
    );
    assert!(
        text.contains(r#"{"Sid":"ListExportBucket","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"}"#),
        "{text}"
    );
    assert!(
        !text.contains("s3:PutObject on"),
        "only the denied action: {text}"
    );
    assert_eq!(outcome.evidence["decisions"][0]["decision"], "implicitDeny");
}

#[tokio::test]
async fn iam_simulation_explicit_deny_names_the_policy_to_change() {
    // Answered only when the object call carries the ACL the upload sends in its context.
    let object = "arn:aws:s3:::my-bucket/example.jpg";
    let body = crate::replay::iam_simulation(&[
        ("s3:PutObject", object, "allowed", "export"),
        (
            "s3:PutObjectAcl",
            object,
            "explicitDeny",
            "deny-public-acls",
        ),
    ]);
    let replay = Replay::new()
        .on(
            "POST",
            SIMULATE_ACL_CONTEXT,
            200,
            &[("content-type", "text/xml")],
            &body,
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let text = outcome_text(&outcome);
    assert!(
        text.contains("s3:PutObjectAcl on arn:aws:s3:::my-bucket/example.jpg is explicitly denied for arn:aws:iam::111122223333:user/exporter by policy `deny-public-acls` (IAM Policy)"),
        "{text}"
    );
    assert!(
        text.contains("Remove or narrow the Deny statement in policy `deny-public-acls`"),
        "{text}"
    );
    assert!(!text.contains("s3:PutObject on"), "{text}");
}

#[tokio::test]
async fn iam_simulation_skips_when_the_caller_may_not_simulate() {
    let denied = crate::replay::iam_error(
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: iam:SimulatePrincipalPolicy on resource: user exporter",
    );
    let replay = Replay::new()
        .on(
            "POST",
            SIMULATE,
            403,
            &[("content-type", "text/xml")],
            &denied,
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Skip, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .contains("is not allowed iam:SimulatePrincipalPolicy"),
        "{outcome:#?}"
    );
    assert!(
        outcome
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains(r#""Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::111122223333:user/exporter""#),
        "{outcome:#?}"
    );
    assert_eq!(
        outcome.evidence["denied_permission"],
        "iam:SimulatePrincipalPolicy"
    );
}

#[tokio::test]
async fn iam_simulation_other_failures_are_errors() {
    let replay = Replay::new()
        .on(
            "POST",
            SIMULATE,
            400,
            &[("content-type", "text/xml")],
            &iam_invalid_input(),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Error, "{outcome:#?}");
    assert!(outcome.summary.contains("InvalidInput"), "{outcome:#?}");
}

#[tokio::test]
async fn iam_simulation_simulates_the_principal_given() {
    // In the bucket owner's account: a principal of another account would also need the
    // bucket policy to allow it (see scenarios/cross_account.rs).
    let role = "arn:aws:iam::111122223333:role/Exporter";
    let allowed = crate::replay::iam_simulation(&[
        (
            "s3:ListBucket",
            "arn:aws:s3:::my-bucket",
            "allowed",
            "export",
        ),
        (
            "s3:PutObject",
            "arn:aws:s3:::my-bucket/example.jpg",
            "allowed",
            "export",
        ),
        (
            "s3:PutObjectAcl",
            "arn:aws:s3:::my-bucket/example.jpg",
            "allowed",
            "export",
        ),
    ]);
    let replay = Replay::new()
        .on(
            "POST",
            "PolicySourceArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FExporter&",
            200,
            &[("content-type", "text/xml")],
            &allowed,
        )
        .on(
            "POST",
            SIMULATE,
            400,
            &[("content-type", "text/xml")],
            &iam_invalid_input(),
        )
        .healthy_bucket("eu-west-1");
    let settings = crate::Settings {
        principal: Some(role.into()),
        ..Default::default()
    };
    let (outcome, _) = simulate(replay, SessionOptions::default(), settings).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(outcome.summary.ends_with(role), "{outcome:#?}");
    assert_eq!(outcome.evidence["principal"], role);
}

#[tokio::test]
async fn iam_simulation_simulates_the_role_of_an_assumed_role_caller() {
    let allowed = crate::replay::iam_simulation(&[
        (
            "s3:ListBucket",
            "arn:aws:s3:::my-bucket",
            "allowed",
            "export",
        ),
        (
            "s3:PutObject",
            "arn:aws:s3:::my-bucket/example.jpg",
            "allowed",
            "export",
        ),
        (
            "s3:PutObjectAcl",
            "arn:aws:s3:::my-bucket/example.jpg",
            "allowed",
            "export",
        ),
    ]);
    let replay = Replay::new()
        .on(
            "POST",
            "Action=GetCallerIdentity",
            200,
            &[("content-type", "text/xml")],
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:sts::111122223333:assumed-role/Exporter/worker-1</Arn>
    <UserId>AROASAMPLEROLEID:worker-1</UserId>
    <Account>111122223333</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>"#,
        )
        .on(
            "POST",
            "PolicySourceArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2FExporter&",
            200,
            &[("content-type", "text/xml")],
            &allowed,
        )
        .on(
            "POST",
            SIMULATE,
            400,
            &[("content-type", "text/xml")],
            &iam_invalid_input(),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .ends_with("arn:aws:iam::111122223333:role/Exporter"),
        "{outcome:#?}"
    );
    let detail = outcome.detail.unwrap_or_default();
    assert!(
        detail.contains("assumed-role session `worker-1`"),
        "{detail}"
    );
    assert!(detail.contains("path"), "{detail}");
}

#[tokio::test]
async fn iam_simulation_passes_the_bucket_policy_and_checks_the_kms_key() {
    let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Export","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/exporter"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#;
    let kms_denied = crate::replay::iam_simulation(&[
        ("kms:GenerateDataKey", key, "implicitDeny", ""),
        ("kms:Decrypt", key, "implicitDeny", ""),
    ]);
    let replay = Replay::new()
        .on("GET", "?policy", 200, &[("content-type", "application/json")], policy)
        .on("GET", "?encryption", 200, &[], &format!(r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>{key}</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"#))
        .on("POST", "ActionNames.member.1=kms%3AGenerateDataKey", 200, &[("content-type", "text/xml")], &kms_denied)
        // The S3 calls carry the bucket policy and its owner; anything else is refused.
        .on("POST", "ResourceOwner=arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot", 200, &[("content-type", "text/xml")], &crate::replay::iam_simulation(&[
            ("s3:ListBucket", "arn:aws:s3:::my-bucket", "allowed", "export"),
            ("s3:PutObject", "arn:aws:s3:::my-bucket/example.jpg", "allowed", "ResourcePolicy"),
            ("s3:PutObjectAcl", "arn:aws:s3:::my-bucket/example.jpg", "allowed", "export"),
        ]))
        .on("POST", SIMULATE, 400, &[("content-type", "text/xml")], &iam_invalid_input())
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let text = outcome_text(&outcome);
    assert!(
        text.contains(&format!(
            r#"{{"Sid":"UseBucketKmsKey","Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"{key}"}}"#
        )),
        "{text}"
    );
    assert!(text.contains("key policy"), "{text}");
    assert_eq!(outcome.evidence["bucket_policy_simulated"], true);
    assert_eq!(outcome.evidence["decisions"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn iam_simulation_is_skipped_on_another_endpoint() {
    let other_store = SessionOptions {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        path_style: true,
        ..Default::default()
    };
    let (outcome, log) = simulate(
        Replay::new().healthy_bucket("eu-west-1"),
        other_store,
        Default::default(),
    )
    .await;
    assert_eq!(outcome.status, Status::Skip, "{outcome:#?}");
    assert_eq!(
        outcome.summary,
        "the IAM policy simulator is not available on this endpoint"
    );
    assert!(log.lock().unwrap().is_empty());
}

/// Answers every request on loopback with 200 and a page that is not the stored file.
fn website_answering_everything() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4).flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = "<html>Welcome</html>";
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}/")
}

#[tokio::test]
async fn a_200_that_is_not_the_file_proves_nothing() {
    // A website in front of the bucket answering every path: the URL does not serve the file.
    let url_prefix = website_answering_everything();
    let (outcomes, _) = run(
        Replay::new().healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        |t| t.url_prefix = Some(url_prefix),
    )
    .await;
    assert_status(
        &outcomes,
        "public-url",
        Status::Fail,
        "not with the stored file",
    );
}

#[tokio::test]
async fn iam_simulation_does_not_pass_what_it_could_not_simulate() {
    let body = r#"<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>alias/exports</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"#;
    let replay = Replay::new()
        .on("GET", "?encryption", 200, &[], body)
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "iam-simulation",
        Status::Warn,
        "the KMS permissions could not be simulated",
    );
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

#[tokio::test]
async fn a_second_redirect_is_not_reachable() {
    let replay = Replay::new()
        .on(
            "HEAD",
            "s3.eu-west-1.amazonaws.com",
            301,
            &[("x-amz-bucket-region", "us-west-2")],
            "",
        )
        .on(
            "HEAD",
            "s3.us-west-2.amazonaws.com",
            301,
            &[("x-amz-bucket-region", "ap-south-1")],
            "",
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run(replay, SessionOptions::default(), |_| {}).await;
    assert_status(&outcomes, "bucket-exists", Status::Error, "redirected");
}
