//! The probe against replayed S3 answers: what moto cannot reproduce (KMS denials, retention
//! headers without read access, suspended versioning's delete markers, conditional deletes
//! losing a race) and the verdicts `dry-run-put` builds from them.

use super::*;
use crate::checks::dry_run_put::DryRunPut;
use crate::replay::{s3_error, Replay, RequestLog};
use crate::{Check, Outcome, SessionOptions, Settings, Status, Target};
use std::sync::Arc;
use std::time::Duration;

const LEFTOVER_ID: &str = "0123456789abcdef0123456789abcdef";
const KMS_KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn leftover_key() -> String {
    KeyShape::default_for("").key(LEFTOVER_ID)
}

/// A listing with one object under the probe prefix.
fn listing(key: &str, etag: &str, size: usize) -> String {
    format!(
        r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>my-bucket</Name><Prefix>bucket-preflight-probe-</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>{key}</Key><LastModified>2026-11-01T10:00:00.000Z</LastModified><ETag>&quot;{etag}&quot;</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"#
    )
}

async fn context(replay: Replay, settings: Settings) -> (Arc<Context>, RequestLog) {
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    // The anonymous GET stays on loopback (a closed port): no real network.
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    let (session, log) = replay.session(SessionOptions::default()).await;
    let ctx = Context::online(target, Arc::new(session)).with_settings(settings);
    (Arc::new(ctx), log)
}

async fn dry_run(replay: Replay, settings: Settings) -> (Outcome, Vec<String>) {
    let (ctx, log) = context(replay, settings).await;
    let outcome = DryRunPut.run(&ctx).await;
    let requests = log.lock().unwrap().clone();
    (outcome, requests)
}

fn assert_outcome(outcome: &Outcome, status: Status, needle: &str) {
    let text = format!(
        "{} {}",
        outcome.summary,
        outcome.remediation.as_deref().unwrap_or_default()
    );
    assert_eq!(outcome.status, status, "{outcome:#?}");
    assert!(text.contains(needle), "{text:?} lacks {needle:?}");
}

fn count(requests: &[String], prefix: &str) -> usize {
    requests.iter().filter(|r| r.starts_with(prefix)).count()
}

#[tokio::test]
async fn a_leftover_under_sse_kms_without_get_object_is_written_over_and_proves_the_upload() {
    // Route 10: least privilege (no s3:GetObject, no s3:DeleteObject) under SSE-KMS. The
    // leftover's ETag is no MD5 and HeadObject is refused: its reserved name and size identify it.
    let key = leftover_key();
    let replay = Replay::new()
        .on(
            "GET",
            "list-type=2",
            200,
            &[],
            &listing(&key, "kmsetagthatisnotanmd5kmsetag0001", PROBE_LEN),
        )
        .on("HEAD", "bucket-preflight-probe-", 403, &[], "")
        .on(
            "PUT",
            "if-match: \"kmsetagthatisnotanmd5kmsetag0001\"",
            200,
            &[("etag", "\"kmsetag0002\"")],
            "",
        )
        .on(
            "PUT",
            "/",
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
        .on(
            "DELETE",
            "/",
            403,
            &[],
            &s3_error("AccessDenied", "Access Denied"),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, requests) = dry_run(replay, Settings::default()).await;
    assert_outcome(
        &outcome,
        Status::Pass,
        "writing over an earlier run's probe",
    );
    assert_outcome(
        &outcome,
        Status::Pass,
        "the next run writes over it instead of adding one",
    );
    assert_eq!(outcome.evidence["key"], key.as_str());
    assert_eq!(
        count(
            &requests,
            "HEAD https://my-bucket.s3.eu-west-1.amazonaws.com/bucket"
        ),
        0
    );
}

#[tokio::test]
async fn an_object_that_only_resembles_a_probe_is_never_written_over() {
    // A reserved-looking name, but not the probe's size: someone's file. The store ignores
    // preconditions, so only not writing there protects it.
    let key = leftover_key();
    let replay = Replay::new()
        .on(
            "GET",
            "list-type=2",
            200,
            &[],
            &listing(&key, "0123456789abcdef0123456789abcdef", 12),
        )
        .healthy_bucket("eu-west-1");
    let (outcome, requests) = dry_run(replay, Settings::default()).await;
    assert_outcome(&outcome, Status::Pass, "uploaded a probe");
    assert!(
        !requests
            .iter()
            .any(|r| r.contains(&key) && !r.starts_with("GET ")),
        "{requests:#?}"
    );
    assert!(requests
        .iter()
        .any(|r| r.starts_with("PUT ") && r.contains(PROBE_MARKER)));
}

/// A bucket under SSE-KMS whose uploads S3 confirms with the KMS headers.
fn kms_bucket(replay: Replay) -> Replay {
    replay
        .on("POST", "?uploads", 200, &[], r#"<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>my-bucket</Bucket><Key>k</Key><UploadId>UPLOAD1</UploadId></InitiateMultipartUploadResult>"#)
        .on("PUT", "partNumber=1", 200, &[("etag", "\"part1\"")], "")
        .on("PUT", "amazonaws.com", 200, &[("etag", "\"kmsetag0001\""), ("x-amz-server-side-encryption", "aws:kms"), ("x-amz-server-side-encryption-aws-kms-key-id", KMS_KEY)], "")
        .healthy_bucket("eu-west-1")
}

#[tokio::test]
async fn multipart_uploads_under_sse_kms_need_kms_decrypt() {
    let decrypt_denied = format!("User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: kms:Decrypt on resource: {KMS_KEY} because no identity-based policy allows the kms:Decrypt action");
    let replay = Replay::new()
        .on(
            "POST",
            "uploadId=UPLOAD1",
            403,
            &[],
            &s3_error("AccessDenied", &decrypt_denied),
        )
        .on("DELETE", "uploadId=UPLOAD1", 204, &[], "");
    let (outcome, requests) = dry_run(kms_bucket(replay), Settings::default()).await;
    assert_outcome(&outcome, Status::Fail, "kms:Decrypt");
    assert_outcome(&outcome, Status::Fail, KMS_KEY);
    assert_eq!(
        count(&requests, "DELETE"),
        2,
        "abort, then the probe: {requests:#?}"
    );
}

#[tokio::test]
async fn a_completed_multipart_probe_is_removed_with_the_probe() {
    let replay = Replay::new().on(
        "POST",
        "uploadId=UPLOAD1",
        200,
        &[],
        r#"<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>my-bucket</Bucket><Key>k</Key><ETag>"mpu-1"</ETag></CompleteMultipartUploadResult>"#,
    );
    let (outcome, requests) = dry_run(kms_bucket(replay), Settings::default()).await;
    assert_outcome(&outcome, Status::Pass, "deleted it again");
    assert!(requests
        .iter()
        .any(|r| r.starts_with("POST ") && r.contains("uploadId=UPLOAD1")));
}

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
async fn replicas_and_notifications_are_reported_and_deletion_is_not_overstated() {
    let replay = Replay::new()
        .on("GET", "?replication", 200, &[], r#"<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Role>arn:aws:iam::111122223333:role/replication</Role><Rule><ID>all</ID><Priority>1</Priority><Status>Enabled</Status><Filter><Prefix></Prefix></Filter><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication><Destination><Bucket>arn:aws:s3:::my-replica</Bucket></Destination></Rule></ReplicationConfiguration>"#)
        .on("GET", "?notification", 200, &[], r#"<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CloudFunctionConfiguration><Id>thumbs</Id><CloudFunction>arn:aws:lambda:eu-west-1:111122223333:function:thumbs</CloudFunction><Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration></NotificationConfiguration>"#)
        .healthy_bucket("eu-west-1");
    let (outcome, _) = dry_run(replay, Settings::default()).await;
    assert_outcome(
        &outcome,
        Status::Pass,
        "replication has copied it to arn:aws:s3:::my-replica",
    );
    assert_outcome(
        &outcome,
        Status::Pass,
        "Lambda arn:aws:lambda:eu-west-1:111122223333:function:thumbs",
    );
    assert!(
        !outcome.summary.contains("deleted it again"),
        "{}",
        outcome.summary
    );
}

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
