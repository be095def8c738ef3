//! The fault matrix's answer-level faults for the APIs it cannot reach: S3 Control's
//! account-level Block Public Access and IAM's policy simulator exist on AWS only, so the
//! loopback proxy in `tests/fault_matrix.rs` never sees them. Replayed through the SDK's HTTP
//! layer instead: each fault the replay can express (an error status, an empty 403, a document
//! cut short, an HTML page) for each of the two, and the checks resting on them never pass.
//! (Refused connections, silence and resets are transport faults the proxy covers for the
//! other APIs; the SDK handles them the same way for every service.)

use crate::replay::{iam_simulation, Replay};
use crate::{registry, Context, Outcome, SessionOptions, Status, Target};
use std::collections::HashMap;
use std::sync::Arc;

async fn run(replay: Replay) -> HashMap<&'static str, Outcome> {
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    let (session, _) = replay.session(SessionOptions::default()).await;
    let ctx = Context::online(target, Arc::new(session));
    let mut outcomes = HashMap::new();
    for check in registry::ALL.iter().filter(|c| c.info().online) {
        outcomes.insert(check.info().id, check.run(&ctx).await);
    }
    outcomes
}

/// A fault as a replayed answer.
struct FaultedAnswer {
    name: &'static str,
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: String,
}

/// Each fault the replay can express; `whole` is the complete document the API would send,
/// which the truncation cuts.
fn faulted_answers(whole: &str) -> Vec<FaultedAnswer> {
    let answer = |name, status, headers, body: &str| FaultedAnswer {
        name,
        status,
        headers,
        body: body.to_owned(),
    };
    let cut = whole[..whole.len() / 2].to_owned();
    vec![
        answer("500", 500, vec![], "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>"),
        answer("503 SlowDown", 503, vec![], "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"),
        answer("empty 403", 403, vec![], ""),
        answer("truncated XML", 200, vec![("content-type", "text/xml")], &cut),
        answer("HTML page", 200, vec![("content-type", "text/html; charset=utf-8")], "<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>"),
    ]
}

/// The account-level settings turn IgnorePublicAcls on; every field sits after the cut, so a
/// reader that accepts the cut document sees "all off" and would pass `acl: public`.
const ACCOUNT_BPA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">                                                                                                    <BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#;

#[tokio::test]
async fn account_public_access_block_faults_never_pass_block_public_access() {
    let healthy = run(Replay::new().healthy_bucket("eu-west-1")).await;
    assert_eq!(
        healthy["block-public-access"].status,
        Status::Pass,
        "without a fault it passes"
    );
    for FaultedAnswer {
        name,
        status,
        headers,
        body,
    } in faulted_answers(ACCOUNT_BPA)
    {
        let replay = Replay::new()
            .on(
                "GET",
                "/v20180820/configuration/publicAccessBlock",
                status,
                &headers,
                &body,
            )
            .healthy_bucket("eu-west-1");
        let outcomes = run(replay).await;
        let outcome = &outcomes["block-public-access"];
        assert_ne!(outcome.status, Status::Pass, "{name}: {outcome:#?}");
    }
}

#[tokio::test]
async fn policy_simulator_faults_never_pass_iam_simulation() {
    let healthy = run(Replay::new().healthy_bucket("eu-west-1")).await;
    assert_eq!(
        healthy["iam-simulation"].status,
        Status::Pass,
        "without a fault it passes"
    );
    let bucket = "arn:aws:s3:::my-bucket";
    let object = "arn:aws:s3:::my-bucket/example.jpg";
    // The denial comes last: a cut document loses it and keeps the grants before it.
    let whole = iam_simulation(&[
        ("s3:ListBucket", bucket, "allowed", "export"),
        ("s3:GetBucketLocation", bucket, "allowed", "export"),
        ("s3:PutObjectAcl", object, "allowed", "export"),
        ("s3:PutObject", object, "implicitDeny", ""),
    ]);
    for FaultedAnswer {
        name,
        status,
        headers,
        body,
    } in faulted_answers(&whole)
    {
        let replay = Replay::new()
            .on(
                "POST",
                "Action=SimulatePrincipalPolicy",
                status,
                &headers,
                &body,
            )
            .healthy_bucket("eu-west-1");
        let outcomes = run(replay).await;
        let outcome = &outcomes["iam-simulation"];
        assert_ne!(outcome.status, Status::Pass, "{name}: {outcome:#?}");
    }
}
