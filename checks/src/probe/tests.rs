//! The probe against replayed S3 answers: what moto cannot reproduce (KMS denials, retention
//! headers without read access, suspended versioning's delete markers, conditional deletes
//! losing a race) and the verdicts `dry-run-put` builds from them.
//! The cleanup and policy groups are the modules below; the shared helpers are here.

use super::*;
use crate::checks::dry_run_put::DryRunPut;
use crate::replay::{s3_error, Replay, RequestLog};
use crate::{Check, Outcome, SessionOptions, Settings, Status, Target};
use std::sync::Arc;
use std::time::Duration;

mod cleanup;
mod policies;

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
