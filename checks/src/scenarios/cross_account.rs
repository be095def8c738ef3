//! Replayed scenarios about who owns the bucket: a bucket of another account (its account-level
//! Block Public Access and bucket policy are the owner's), an endpoint that ignores
//! `x-amz-expected-bucket-owner`, and Block Public Access weighed against a public bucket
//! policy or an endpoint that is not AWS.

use crate::replay::{iam_error, iam_simulation, s3_error, Replay, RequestLog};
use crate::scenarios::{assert_status, outcome_text, simulate};
use crate::{registry, Acl, Context, Outcome, SessionOptions, Settings, Status, Target};
use std::collections::HashMap;
use std::sync::Arc;

/// HeadBucket naming the caller's account (111122223333, see `Replay::identity`) as owner.
const CALLER_NAMED_OWNER: &str = "x-amz-expected-bucket-owner: 111122223333";
const OWNER: &str = "444455556666";
const S3CONTROL_BPA: &str = "/v20180820/configuration/publicAccessBlock";
const SIMULATE: &str = "Action=SimulatePrincipalPolicy";
const BUCKET: &str = "arn:aws:s3:::my-bucket";
const OBJECT: &str = "arn:aws:s3:::my-bucket/example.jpg";

/// A bucket policy of account 444455556666 granting the caller's account the upload.
const GRANTING_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ExportFromPartner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["s3:PutObject","s3:PutObjectAcl","s3:ListBucket"],"Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"]}]}"#;

fn all_off_s3control() -> &'static str {
    r#"<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#
}

fn bucket_bpa(bits: [bool; 4]) -> String {
    format!(
        r#"<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls><BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#,
        bits[0], bits[1], bits[2], bits[3]
    )
}

/// A bucket another account owns: plain HeadBucket 200, but 403 when the caller's account is
/// named as owner; the caller's own account has all account-level switches off.
fn cross_account_bucket(policy_status: u16, policy: &str) -> Replay {
    Replay::new()
        .on(
            "HEAD",
            CALLER_NAMED_OWNER,
            403,
            &[("x-amz-bucket-region", "eu-west-1")],
            "",
        )
        .on(
            "GET",
            "?policy",
            policy_status,
            &[("content-type", "application/json")],
            policy,
        )
        .on("GET", S3CONTROL_BPA, 200, &[], all_off_s3control())
}

async fn run_with(
    replay: Replay,
    settings: Settings,
    configure: impl FnOnce(&mut Target),
) -> (HashMap<&'static str, Outcome>, RequestLog) {
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    configure(&mut target);
    let (session, log) = replay.session(SessionOptions::default()).await;
    let ctx = Context::online(target, Arc::new(session)).with_settings(settings);
    let mut outcomes = HashMap::new();
    for id in [
        "bucket-exists",
        "block-public-access",
        "iam-simulation",
        "bucket-policy",
    ] {
        let check = registry::find(id).expect("registered");
        outcomes.insert(id, check.run(&ctx).await);
    }
    (outcomes, log)
}

fn expecting(owner: &str) -> Settings {
    Settings {
        expected_owner: Some(owner.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_cross_account_bucket_never_passes_on_the_callers_account_block_public_access() {
    let replay = cross_account_bucket(200, GRANTING_POLICY).healthy_bucket("eu-west-1");
    let (outcomes, log) = run_with(replay, Settings::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Warn,
        "account-level Block Public Access of the account that owns the bucket could not be read",
    );
    assert_eq!(
        outcomes["block-public-access"].evidence["account"],
        "the account that owns the bucket: not readable from the caller's account"
    );
    let requests = log.lock().unwrap().clone();
    assert!(
        !requests.iter().any(|r| r.contains(S3CONTROL_BPA)),
        "the caller's account settings are not the owner's: {requests:#?}"
    );

    // With --expected-owner confirmed by S3, the warning names the owner account.
    let replay = cross_account_bucket(200, GRANTING_POLICY).healthy_bucket("eu-west-1");
    let (outcomes, _) = run_with(replay, expecting(OWNER), |_| {}).await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Warn,
        "account-level Block Public Access of the owner account 444455556666 could not be read",
    );
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Warn,
        "--account-id 444455556666",
    );
}

#[tokio::test]
async fn a_cross_account_bucket_with_a_private_acl_passes_without_claiming_the_owners_settings() {
    let replay = cross_account_bucket(
        405,
        &s3_error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ),
    )
    .healthy_bucket("eu-west-1");
    let (outcomes, _) = run_with(replay, Settings::default(), |t| t.acl = Acl::Private).await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Pass,
        "the account level of the account that owns the bucket was not read, and cannot change that",
    );
}

#[tokio::test]
async fn the_policy_refused_to_a_non_owner_shows_another_account_owns_the_bucket() {
    // HeadBucket itself is refused (no s3:ListBucket), so only GetBucketPolicy's 405 tells.
    let replay = Replay::new()
        .on(
            "HEAD",
            "amazonaws.com",
            403,
            &[("x-amz-bucket-region", "eu-west-1")],
            "",
        )
        .on(
            "GET",
            "?policy",
            405,
            &[],
            &s3_error(
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            ),
        )
        .on("GET", S3CONTROL_BPA, 200, &[], all_off_s3control())
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run_with(replay, Settings::default(), |_| {}).await;
    let bpa = &outcomes["block-public-access"];
    assert_eq!(bpa.status, Status::Warn, "{bpa:#?}");
    assert!(bpa.summary.contains("405 MethodNotAllowed"), "{bpa:#?}");
}

#[tokio::test]
async fn a_policy_only_the_owner_may_read_is_no_pass_and_no_unsupported_endpoint() {
    // On AWS, 405 to GetBucketPolicy means another account owns the bucket: the policy was
    // not evaluated, which is neither a pass nor "not supported by this endpoint".
    let replay = cross_account_bucket(
        405,
        &s3_error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ),
    )
    .healthy_bucket("eu-west-1");
    let (outcomes, _) = run_with(replay, Settings::default(), |_| {}).await;
    assert_status(
        &outcomes,
        "bucket-policy",
        Status::Warn,
        "another account owns this bucket and its policy was not evaluated",
    );
}

#[tokio::test]
async fn iam_simulation_uses_the_bucket_owner_as_resource_owner() {
    let allowed = iam_simulation(&[
        ("s3:ListBucket", BUCKET, "allowed", "export"),
        ("s3:PutObject", OBJECT, "allowed", "export"),
        ("s3:PutObjectAcl", OBJECT, "allowed", "export"),
    ]);
    let replay = cross_account_bucket(200, GRANTING_POLICY)
        .on(
            "POST",
            "ResourceOwner=arn%3Aaws%3Aiam%3A%3A444455556666%3Aroot",
            200,
            &[("content-type", "text/xml")],
            &allowed,
        )
        .on(
            "POST",
            SIMULATE,
            400,
            &[("content-type", "text/xml")],
            &iam_error(
                "InvalidInput",
                "the replay expected the bucket owner as ResourceOwner",
            ),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), expecting(OWNER)).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert_eq!(
        outcome.evidence["resource_owner"],
        "arn:aws:iam::444455556666:root"
    );
    let text = outcome_text(&outcome);
    assert!(
        text.contains("both the identity policy and the bucket policy must allow"),
        "{text}"
    );
}

#[tokio::test]
async fn iam_simulation_of_a_bucket_whose_policy_only_its_owner_can_read_is_not_a_pass() {
    let replay = cross_account_bucket(
        405,
        &s3_error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ),
    )
    .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), expecting(OWNER)).await;
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    let text = outcome_text(&outcome);
    assert!(
        text.contains("the bucket policy of the owner account 444455556666 could not be simulated"),
        "{text}"
    );
    assert!(text.contains("only that account can read it"), "{text}");
}

#[tokio::test]
async fn an_owner_claim_the_endpoint_does_not_check_is_not_a_pass() {
    // Every HeadBucket answers 200, whoever is named as owner.
    let (outcomes, _) = run_with(
        Replay::new().healthy_bucket("eu-west-1"),
        expecting(OWNER),
        |_| {},
    )
    .await;
    assert_status(
        &outcomes,
        "bucket-exists",
        Status::Warn,
        "its owner is not verified",
    );
    // The caller's own account claimed: a control account must be refused.
    let (outcomes, log) = run_with(
        Replay::new().healthy_bucket("eu-west-1"),
        expecting("111122223333"),
        |_| {},
    )
    .await;
    assert_status(
        &outcomes,
        "bucket-exists",
        Status::Warn,
        "account 000000000000 was named as owner",
    );
    assert!(log.lock().unwrap().iter().any(|r| r.starts_with("HEAD ")));
}

#[tokio::test]
async fn an_owner_claim_s3_confirms_passes() {
    let replay = Replay::new()
        .on(
            "HEAD",
            CALLER_NAMED_OWNER,
            403,
            &[("x-amz-bucket-region", "eu-west-1")],
            "",
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run_with(replay, expecting(OWNER), |_| {}).await;
    assert_status(
        &outcomes,
        "bucket-exists",
        Status::Pass,
        "owned by account 444455556666 (S3 confirmed",
    );
    let replay = Replay::new()
        .on(
            "HEAD",
            "x-amz-expected-bucket-owner: 000000000000",
            403,
            &[],
            "",
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run_with(replay, expecting("111122223333"), |_| {}).await;
    assert_status(
        &outcomes,
        "bucket-exists",
        Status::Pass,
        "owned by account 111122223333",
    );
}

const PUBLIC_READ_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#;

fn ignore_public_acls_with_public_policy(bits: [bool; 4]) -> Replay {
    Replay::new()
        .on("GET", "?publicAccessBlock", 200, &[], &bucket_bpa(bits))
        .on(
            "GET",
            "?policy",
            200,
            &[("content-type", "application/json")],
            PUBLIC_READ_POLICY,
        )
        .healthy_bucket("eu-west-1")
}

#[tokio::test]
async fn an_ignored_public_acl_under_a_public_policy_is_a_warning_not_a_failure() {
    let (outcomes, _) = run_with(
        ignore_public_acls_with_public_policy([false, true, false, false]),
        Settings::default(),
        |_| {},
    )
    .await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Warn,
        "so files are public anyway",
    );
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Warn,
        "statement PublicRead",
    );
}

#[tokio::test]
async fn restrict_public_buckets_makes_a_public_policy_ineffective() {
    let (outcomes, _) = run_with(
        ignore_public_acls_with_public_policy([false, true, false, true]),
        Settings::default(),
        |_| {},
    )
    .await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Fail,
        "RestrictPublicBuckets is on (bucket level)",
    );
    let (outcomes, _) = run_with(
        ignore_public_acls_with_public_policy([false, false, false, true]),
        Settings::default(),
        |t| t.acl = Acl::BucketDefault,
    )
    .await;
    assert_status(
        &outcomes,
        "block-public-access",
        Status::Warn,
        "anonymous readers are refused",
    );
}

#[tokio::test]
async fn a_predicted_refusal_on_an_endpoint_that_is_not_aws_says_the_proof_decides_there() {
    // The emulator stores Block Public Access but accepts the public upload anyway.
    let replay = Replay::new()
        .on(
            "GET",
            "?publicAccessBlock",
            200,
            &[],
            &bucket_bpa([true, true, true, true]),
        )
        .healthy_bucket("eu-west-1");
    let other_store = SessionOptions {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        path_style: true,
        ..Default::default()
    };
    let (outcomes, _) = crate::scenarios::run(replay, other_store, |_| {}).await;
    let bpa = &outcomes["block-public-access"];
    assert_eq!(bpa.status, Status::Fail, "{bpa:#?}");
    assert!(
        bpa.detail
            .as_deref()
            .unwrap_or_default()
            .contains("This endpoint is not AWS: it may store the setting without enforcing it"),
        "{bpa:#?}"
    );
    // On AWS the refusal is certain: no such hedge.
    let replay = Replay::new()
        .on(
            "GET",
            "?publicAccessBlock",
            200,
            &[],
            &bucket_bpa([true, true, true, true]),
        )
        .healthy_bucket("eu-west-1");
    let (outcomes, _) = run_with(replay, Settings::default(), |_| {}).await;
    assert_eq!(outcomes["block-public-access"].detail, None);
}

#[tokio::test]
async fn a_bare_403_on_another_accounts_bucket_is_not_blamed_on_the_callers_account_setting() {
    // The caller's own account blocks public ACLs; the bucket belongs to 444455556666, whose
    // account level cannot be read. The denied upload must not be "proven" to be the caller's
    // account setting: it says nothing about another account's bucket.
    let blocks_public_acls = r#"<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#;
    let replay = Replay::new()
        .on(
            "HEAD",
            CALLER_NAMED_OWNER,
            403,
            &[("x-amz-bucket-region", "eu-west-1")],
            "",
        )
        .on("GET", "?policy", 200, &[], GRANTING_POLICY)
        .on("GET", S3CONTROL_BPA, 200, &[], blocks_public_acls)
        .on(
            "PUT",
            "bucket-preflight-probe-",
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
        .healthy_bucket("eu-west-1");
    let (session, _) = replay.session(SessionOptions::default()).await;
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    let ctx = Context::online(target, Arc::new(session));
    let outcome = registry::find("dry-run-put")
        .expect("registered")
        .run(&ctx)
        .await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(
        !outcome.summary.contains("BlockPublicAcls"),
        "the caller's account setting was taken for the owner's: {outcome:#?}"
    );
}
