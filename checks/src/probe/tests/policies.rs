//! The probe under bucket policies: conditional writes enforced, grants by key shape that ask
//! for a representative probe key, and whose upload the dry run proved.

use super::*;

fn policy_route(replay: Replay, policy: &str) -> Replay {
    replay.on("GET", "?policy", 200, &[], policy)
}

const REQUIRE_IF_NONE_MATCH: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"RequireIfNoneMatch","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"Null":{"s3:if-none-match":"true"}}}]}"#;

/// S3 under AWS's "enforce conditional writes" policy: a PUT with `If-None-Match` goes
/// through, one without it is refused (a bare 403, as across accounts).
fn enforcing_conditional_writes(replay: Replay) -> Replay {
    replay
        .on(
            "PUT",
            "if-none-match: *",
            200,
            &[("etag", "\"0123456789abcdef0123456789abcdef\"")],
            "",
        )
        .on(
            "PUT",
            PROBE_MARKER,
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
}

#[tokio::test]
async fn the_probe_sends_the_exports_request_so_a_policy_demanding_if_none_match_fails_it() {
    // Export credentials rarely may read the bucket policy: the probe itself must meet the
    // policy as the export does, without a conditional header of its own.
    let replay = enforcing_conditional_writes(Replay::new())
        .on(
            "GET",
            "?policy",
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
        .healthy_bucket("eu-west-1");
    // The replay accepts only PUTs with If-None-Match: a probe sending it would pass here.
    let (outcome, _) = dry_run(replay, Settings::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    // With the policy readable, the statement is named.
    let replay = policy_route(
        enforcing_conditional_writes(Replay::new()),
        REQUIRE_IF_NONE_MATCH,
    )
    .healthy_bucket("eu-west-1");
    let (outcome, _) = dry_run(replay, Settings::default()).await;
    assert_outcome(&outcome, Status::Fail, "RequireIfNoneMatch");
}

#[tokio::test]
async fn a_probe_that_had_to_send_if_none_match_does_not_pass_for_the_export() {
    // The listing is refused, so the run's key is not shown free: the probe falls back to
    // If-None-Match, which the export does not send. Its success then cannot stand for it.
    let replay = policy_route(
        enforcing_conditional_writes(Replay::new()),
        REQUIRE_IF_NONE_MATCH,
    )
    .on(
        "GET",
        "list-type=2",
        403,
        &[],
        &s3_error("AccessDenied", "Access Denied"),
    )
    .healthy_bucket("eu-west-1");
    let (outcome, _) = dry_run(replay, Settings::default()).await;
    assert_outcome(&outcome, Status::Fail, "cannot stand for the export");
    assert_outcome(&outcome, Status::Fail, "RequireIfNoneMatch");
}

#[tokio::test]
async fn grants_by_key_shape_ask_for_a_representative_probe_key() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Mp4Only","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/exporter"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*.mp4"}]}"#;
    let replay = policy_route(Replay::new(), policy).healthy_bucket("eu-west-1");
    let (outcome, _) = dry_run(replay, Settings::default()).await;
    assert_outcome(&outcome, Status::Warn, "--probe-key");
    // Shaped like a real file, the probe key matches the pattern as the real one does.
    let replay = policy_route(Replay::new(), policy).healthy_bucket("eu-west-1");
    let settings = Settings {
        probe_key: Some("2024/clip.mp4".into()),
        ..Default::default()
    };
    let (outcome, requests) = dry_run(replay, settings).await;
    assert_outcome(&outcome, Status::Pass, "2024/clip.bucket-preflight-probe-");
    assert!(requests.iter().any(|r| r.starts_with("PUT ")
        && r.contains("2024/clip.bucket-preflight-probe-")
        && r.contains(".mp4")));
}

#[tokio::test]
async fn the_dry_run_names_whose_upload_it_proved() {
    let (outcome, _) = dry_run(
        Replay::new().healthy_bucket("eu-west-1"),
        Settings::default(),
    )
    .await;
    assert_outcome(
        &outcome,
        Status::Pass,
        "proving uploads by arn:aws:iam::111122223333:user/exporter",
    );
    let settings = Settings {
        principal: Some("arn:aws:iam::111122223333:role/transloadit".into()),
        ..Default::default()
    };
    let (outcome, _) = dry_run(Replay::new().healthy_bucket("eu-west-1"), settings).await;
    assert_outcome(
        &outcome,
        Status::Warn,
        "not that of --principal arn:aws:iam::111122223333:role/transloadit",
    );
}

#[tokio::test]
async fn a_refused_probe_under_shape_matching_grants_points_at_probe_key() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Mp4Only","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/exporter"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*.mp4"}]}"#;
    let replay = policy_route(Replay::new(), policy)
        .on(
            "PUT",
            "amazonaws.com",
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = dry_run(replay, Settings::default()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let detail = outcome.detail.unwrap_or_default();
    assert!(
        detail.contains("Mp4Only") && detail.contains("--probe-key"),
        "{detail}"
    );
}
