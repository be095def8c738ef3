//! Replayed scenarios about who owns the bucket and what the IAM simulator could not see: a
//! bucket of another account (its account-level Block Public Access and bucket policy are the
//! owner's), an endpoint that ignores `x-amz-expected-bucket-owner`, simulator answers with
//! `MissingContextValues`, and a public bucket policy next to an ignored public ACL.

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
    for id in ["bucket-exists", "block-public-access", "iam-simulation"] {
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

/// A SimulatePrincipalPolicy answer for the object call in which IAM reports, per resource as
/// it does when ResourceArns are given, condition keys it had no value for.
fn allowed_with_missing_context(missing: &[&str]) -> String {
    simulated_with_missing_context("allowed", missing)
}

/// As IAM answers: an implicit deny names no statement.
fn simulated_with_missing_context(decision: &str, missing: &[&str]) -> String {
    let missing: String = missing
        .iter()
        .map(|k| format!("<member>{k}</member>"))
        .collect();
    let matched = if decision == "allowed" {
        "<MatchedStatements><member><SourcePolicyId>export</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType><StartPosition><Line>1</Line><Column>44</Column></StartPosition><EndPosition><Line>1</Line><Column>167</Column></EndPosition></member></MatchedStatements>"
    } else {
        "<MatchedStatements/>"
    };
    let member = |action: &str| {
        format!("<member><EvalActionName>{action}</EvalActionName><EvalResourceName>{OBJECT}</EvalResourceName><EvalDecision>{decision}</EvalDecision>{matched}<MissingContextValues/><ResourceSpecificResults><member><EvalResourceName>{OBJECT}</EvalResourceName><EvalResourceDecision>{decision}</EvalResourceDecision>{matched}<MissingContextValues>{missing}</MissingContextValues></member></ResourceSpecificResults></member>")
    };
    format!(
        r#"<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{}{}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>004d7059-4c14-11e5-b121-bd8c7EXAMPLE</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>"#,
        member("s3:PutObject"),
        member("s3:PutObjectAcl")
    )
}

#[tokio::test]
async fn missing_context_values_warn_with_the_condition_key() {
    let replay = Replay::new()
        .on(
            "POST",
            "ActionNames.member.1=s3%3APutObject",
            200,
            &[("content-type", "text/xml")],
            &allowed_with_missing_context(&["aws:SourceIp"]),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    let text = outcome_text(&outcome);
    assert!(
        text.contains("only without values for aws:SourceIp"),
        "{text}"
    );
    assert!(text.contains("Transloadit's network"), "{text}");
    assert_eq!(outcome.evidence["unknown_context_keys"][0], "aws:SourceIp");
}

#[tokio::test]
async fn keys_the_export_never_sends_are_no_reason_to_warn() {
    let replay = Replay::new()
        .on(
            "POST",
            "ActionNames.member.1=s3%3APutObject",
            200,
            &[("content-type", "text/xml")],
            &allowed_with_missing_context(&["s3:if-none-match"]),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
}

#[tokio::test]
async fn only_the_requests_that_send_the_acl_are_simulated_with_it() {
    // A policy denying everything when `s3:x-amz-acl` is public-read: the simulator denies
    // whichever call claims to carry that header. ListBucket does not carry it.
    let trap = iam_simulation(&[
        ("s3:ListBucket", BUCKET, "explicitDeny", "deny-public-acl"),
        ("s3:PutObject", OBJECT, "allowed", "export"),
        ("s3:PutObjectAcl", OBJECT, "allowed", "export"),
    ]);
    let replay = Replay::new()
        .on(
            "POST",
            "ContextKeyName=s3%3Ax-amz-acl",
            200,
            &[("content-type", "text/xml")],
            &trap,
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
}

#[tokio::test]
async fn iam_simulation_says_whose_permissions_it_simulated() {
    let settings = Settings {
        principal: Some("arn:aws:iam::111122223333:user/transloadit".into()),
        ..Default::default()
    };
    let (outcome, _) = simulate(
        Replay::new().healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        settings,
    )
    .await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .ends_with("for arn:aws:iam::111122223333:user/transloadit"),
        "{outcome:#?}"
    );
    let text = outcome_text(&outcome);
    assert!(
        text.contains("the permissions simulated are those of arn:aws:iam::111122223333:user/transloadit, given with --principal, not those of the caller arn:aws:iam::111122223333:user/exporter"),
        "{text}"
    );
    assert_eq!(outcome.evidence["principal_source"], "--principal");
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
async fn a_denial_decided_without_a_condition_key_names_the_key() {
    // An Allow conditioned on aws:SourceIp: without the key, the simulator finds no allow.
    let body = simulated_with_missing_context("implicitDeny", &["aws:SourceIp"]);
    let replay = Replay::new()
        .on(
            "POST",
            "ActionNames.member.1=s3%3APutObject",
            200,
            &[("content-type", "text/xml")],
            &body,
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = simulate(replay, SessionOptions::default(), Default::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .contains("(implicitDeny); decided without a value for aws:SourceIp"),
        "{outcome:#?}"
    );
}
