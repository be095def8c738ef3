//! Replayed IAM simulator answers about the request context: `MissingContextValues` (per
//! resource, as IAM reports them when ResourceArns are given), which requests carry
//! `s3:x-amz-acl`, and whose permissions a `--principal` run simulates.

use crate::replay::{iam_simulation, Replay};
use crate::scenarios::{outcome_text, simulate};
use crate::{SessionOptions, Settings, Status};

const BUCKET: &str = "arn:aws:s3:::my-bucket";
const OBJECT: &str = "arn:aws:s3:::my-bucket/example.jpg";

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

#[tokio::test]
async fn a_listing_by_the_caller_is_no_pass_for_another_principal() {
    use crate::{registry, Context, Target};
    use std::sync::Arc;
    let (session, _) = Replay::new()
        .healthy_bucket("eu-west-1")
        .session(SessionOptions::default())
        .await;
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    let settings = Settings {
        principal: Some("arn:aws:iam::111122223333:user/transloadit".into()),
        ..Default::default()
    };
    let ctx = Context::online(target, Arc::new(session)).with_settings(settings);
    let outcome = registry::find("list-objects")
        .expect("registered")
        .run(&ctx)
        .await;
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    assert!(
        outcome_text(&outcome).contains("proves nothing for --principal"),
        "{outcome:#?}"
    );
}
