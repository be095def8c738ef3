//! The probe's cleanup against replayed answers: retention it could not read, suspended and
//! unreadable versioning, exactly its own version deleted, a probe another run wrote over, a
//! timeout mid-cleanup, and a retained leftover that stops the next write.

use super::*;

#[tokio::test]
async fn with_the_lock_state_unreadable_a_retained_probe_is_reported_and_not_deleted() {
    let replay = Replay::new()
        .on(
            "GET",
            "?object-lock",
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
        .on(
            "HEAD",
            "bucket-preflight-probe-",
            200,
            &[
                ("x-amz-object-lock-mode", "GOVERNANCE"),
                (
                    "x-amz-object-lock-retain-until-date",
                    "2026-12-01T00:00:00.000Z",
                ),
            ],
            "",
        )
        .healthy_bucket("eu-west-1");
    let (outcome, requests) = dry_run(replay, Settings::default()).await;
    assert_outcome(
        &outcome,
        Status::Pass,
        "retains the probe until 2026-12-01T00:00:00Z",
    );
    assert_eq!(count(&requests, "DELETE"), 0, "{requests:#?}");
}

#[tokio::test]
async fn with_versioning_suspended_the_null_version_is_deleted_so_no_marker_is_left() {
    let replay = Replay::new()
        .on("GET", "?versioning", 200, &[], r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Suspended</Status></VersioningConfiguration>"#)
        .healthy_bucket("eu-west-1");
    let (outcome, requests) = dry_run(replay, Settings::default()).await;
    assert_outcome(&outcome, Status::Pass, "deleted it again");
    let deletes: Vec<&String> = requests
        .iter()
        .filter(|r| r.starts_with("DELETE"))
        .collect();
    assert_eq!(deletes.len(), 1, "{requests:#?}");
    assert!(deletes[0].contains("versionId=null"), "{deletes:?}");
}

#[tokio::test]
async fn an_unreadable_versioning_state_that_turns_out_suspended_removes_the_marker_too() {
    // S3 answers a plain delete on a suspended bucket with a delete marker (version id null).
    let replay = Replay::new()
        .on(
            "GET",
            "?versioning",
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
        .on("DELETE", "versionId=null", 204, &[], "")
        .on(
            "DELETE",
            "/",
            204,
            &[
                ("x-amz-delete-marker", "true"),
                ("x-amz-version-id", "null"),
            ],
            "",
        )
        .healthy_bucket("eu-west-1");
    let (outcome, requests) = dry_run(replay, Settings::default()).await;
    assert_outcome(&outcome, Status::Pass, "deleted it again");
    assert_eq!(count(&requests, "DELETE"), 2, "{requests:#?}");
}

#[tokio::test]
async fn on_a_versioned_bucket_exactly_the_probes_version_is_deleted() {
    let replay = Replay::new()
        .on(
            "PUT",
            "amazonaws.com",
            200,
            &[("etag", "\"e1\""), ("x-amz-version-id", "v-probe-1")],
            "",
        )
        .on("DELETE", "versionId=v-probe-1", 204, &[], "")
        .on(
            "DELETE",
            "/",
            500,
            &[],
            &s3_error("InternalError", "unexpected delete"),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, _) = dry_run(replay, Settings::default()).await;
    assert_outcome(&outcome, Status::Pass, "deleted it again");
}

#[tokio::test]
async fn a_probe_another_run_wrote_over_is_left_to_that_run() {
    let replay = Replay::new()
        .on(
            "DELETE",
            "if-match",
            412,
            &[],
            &s3_error(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
            ),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, requests) = dry_run(replay, Settings::default()).await;
    assert_outcome(&outcome, Status::Pass, "another run wrote over the probe");
    assert_eq!(
        count(&requests, "DELETE"),
        1,
        "no unconditional retry: {requests:#?}"
    );
}

#[tokio::test]
async fn a_probe_cut_short_by_a_timeout_is_still_deleted_and_reported() {
    // The anonymous GET goes to a listener that never answers: the probe is written, and the
    // check hangs until it is aborted, as the runner's timeout does.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (accepted_tx, accepted_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let _ = accepted_tx.send(());
        // Hold the connection open without answering.
        let _held = socket;
        std::future::pending::<()>().await;
    });
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    target.url_prefix = Some(format!("http://{address}/my-bucket/"));
    let (session, log) = Replay::new()
        .healthy_bucket("eu-west-1")
        .session(SessionOptions::default())
        .await;
    let ctx = Arc::new(Context::online(target, Arc::new(session)));
    let running = ctx.clone();
    let task = tokio::spawn(async move {
        running.probe().await;
    });
    accepted_rx
        .await
        .expect("the probe reached its anonymous GET");
    task.abort();
    let _ = task.await;
    let notes = finish_interrupted_cleanups(Duration::from_secs(30)).await;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("cut short") && n.contains("deleted afterwards")),
        "{notes:#?}"
    );
    let requests = log.lock().unwrap().clone();
    assert_eq!(count(&requests, "DELETE"), 1, "{requests:#?}");
}

#[tokio::test]
async fn a_retained_leftover_stops_the_next_run_from_writing_when_the_lock_state_is_unreadable() {
    let key = leftover_key();
    let replay = Replay::new()
        .on(
            "GET",
            "?object-lock",
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
        .on(
            "GET",
            "list-type=2",
            200,
            &[],
            &listing(&key, "e0", PROBE_LEN),
        )
        .on(
            "HEAD",
            "bucket-preflight-probe-",
            200,
            &[
                ("x-amz-object-lock-mode", "COMPLIANCE"),
                (
                    "x-amz-object-lock-retain-until-date",
                    "2027-01-01T00:00:00.000Z",
                ),
            ],
            "",
        )
        .healthy_bucket("eu-west-1");
    let (outcome, requests) = dry_run(replay, Settings::default()).await;
    assert_outcome(
        &outcome,
        Status::Skip,
        "retained by object lock (COMPLIANCE) until 2027-01-01T00:00:00Z",
    );
    assert_eq!(count(&requests, "PUT"), 0, "{requests:#?}");
}
