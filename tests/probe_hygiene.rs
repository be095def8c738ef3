//! Probe hygiene against the emulator: many runs, and runs at once, on one prefix leave at most
//! one probe, no extra versions or delete markers, and every object the tool did not write
//! byte-identical. The probe runs in-process through the library (`Context::probe`), one fresh
//! context (and so one fresh run id) per run, as separate processes would.

mod support;

use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use preflight::probe::naming::ABANDONED_LEN;
use preflight::probe::{Cleanup, KeyShape, ProbeReport, PublicRead, Upload, PROBE_LEN};
use preflight::{Context, Session, SessionOptions, Target};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use support::{BucketSetup, Emulator, ACCESS_KEY, SECRET_KEY};

const RUNS: usize = 100;
/// The path's fixed prefix. Under IAM enforcement moto rejects the signature of a listing whose
/// prefix holds an encoded `/` (real S3 does not), so that test uses a prefix without one.
const PREFIX: &str = "exports/";
const FLAT_PREFIX: &str = "exports-";

/// Objects the tool did not write, at every kind of key its probes could be confused with: the
/// old fixed probe name, a reserved-looking name of another size, a probe-sized object with a
/// name outside the reserved pattern, and a real export next to them.
fn user_objects(prefix: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            format!("{prefix}bucket-preflight-probe.txt"),
            b"an old probe name, but mine".to_vec(),
        ),
        (
            format!("{prefix}bucket-preflight-probe-0123456789abcdef0123456789abcdef.txt"),
            b"reserved-looking, but my size".to_vec(),
        ),
        (
            format!("{prefix}bucket-preflight-probe-notes.txt"),
            vec![b'x'; PROBE_LEN],
        ),
        (
            format!("{prefix}bucket-preflight-probe-old.txt"),
            vec![b'x'; ABANDONED_LEN],
        ),
        (format!("{prefix}2024/clip.mp4"), b"a real export".to_vec()),
    ]
}

async fn session(emulator: &Emulator, access_key: &str, secret_key: &str) -> Arc<Session> {
    let options = SessionOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(emulator.endpoint.clone()),
        path_style: true,
        credentials_provider: Some(SharedCredentialsProvider::new(Credentials::new(
            access_key, secret_key, None, None, "test",
        ))),
        ..Default::default()
    };
    Arc::new(Session::new(options).await)
}

fn context(emulator: &Emulator, session: &Arc<Session>, bucket: &str, prefix: &str) -> Context {
    let mut target = Target::new(bucket);
    target.bucket_region = Some("us-east-1".into());
    target.path = format!("{prefix}${{unique_prefix}}/${{file.url_name}}");
    target.url_prefix = Some(format!("{}/{bucket}/", emulator.endpoint));
    target.endpoint = Some(emulator.endpoint.clone());
    Context::online(target, session.clone())
}

/// Every version and delete marker in the bucket, as `key → [(version id, is marker)]`.
async fn versions(
    inspector: &aws_sdk_s3::Client,
    bucket: &str,
) -> BTreeMap<String, Vec<(String, bool)>> {
    let out = inspector
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .expect("list versions");
    let mut all: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
    for v in out.versions() {
        all.entry(v.key().unwrap_or_default().to_owned())
            .or_default()
            .push((v.version_id().unwrap_or_default().to_owned(), false));
    }
    for m in out.delete_markers() {
        all.entry(m.key().unwrap_or_default().to_owned())
            .or_default()
            .push((m.version_id().unwrap_or_default().to_owned(), true));
    }
    all
}

async fn body(inspector: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    inspector
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{key} is gone: {e:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

fn assert_proved(report: &ProbeReport, run: usize) {
    assert!(
        matches!(report.upload, Upload::Written { .. }),
        "run {run} did not prove the upload: {report:#?}"
    );
}

/// Keys the probe wrote: of the reserved shape, and not one of the user's.
fn probe_keys<'a>(all: &'a BTreeMap<String, Vec<(String, bool)>>, prefix: &str) -> Vec<&'a String> {
    let shape = KeyShape::default_for(prefix);
    let users: Vec<String> = user_objects(prefix).into_iter().map(|(k, _)| k).collect();
    all.keys()
        .filter(|k| shape.is_probe_key(k) && !users.contains(k))
        .collect()
}

/// Runs the probe `RUNS` times, one fresh context each, and checks what the bucket holds after
/// (`inspector` reads the bucket with full rights).
async fn many_runs(
    emulator: &Emulator,
    inspector: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    session: &Arc<Session>,
    can_delete: bool,
) {
    let before = versions(inspector, bucket).await;
    for run in 0..RUNS {
        let ctx = context(emulator, session, bucket, prefix);
        let report = ctx.probe().await;
        assert_proved(report, run);
        if can_delete {
            assert!(
                matches!(report.cleanup, Cleanup::Deleted),
                "run {run}: {report:#?}"
            );
        }
    }
    let after = versions(inspector, bucket).await;
    let probes = probe_keys(&after, prefix);
    let expected_probes = if can_delete { 0 } else { 1 };
    assert_eq!(probes.len(), expected_probes, "probes left: {after:#?}");
    for probe in &probes {
        assert_eq!(after[*probe].len(), 1, "one version, no marker: {after:#?}");
    }
    // Nothing else changed: the same versions, no delete markers, the same bytes.
    let probes: Vec<String> = probes.into_iter().cloned().collect();
    let others: BTreeMap<_, _> = after
        .into_iter()
        .filter(|(k, _)| !probes.contains(k))
        .collect();
    assert_eq!(others, before, "objects the probe did not write");
    for (key, content) in user_objects(prefix) {
        assert_eq!(body(inspector, bucket, &key).await, content, "{key}");
    }
}

async fn bucket_with_user_objects(
    emulator: &Emulator,
    bucket: &str,
    prefix: &str,
    setup: BucketSetup,
) {
    let setup = BucketSetup {
        objects: user_objects(prefix),
        ..setup
    };
    emulator.create_bucket(bucket, "us-east-1", &setup).await;
}

#[tokio::test]
async fn a_hundred_runs_leave_nothing_on_unversioned_versioned_and_suspended_buckets() {
    let emulator = Emulator::start();
    let admin = session(&emulator, ACCESS_KEY, SECRET_KEY).await;
    let inspector = emulator.s3("us-east-1");

    bucket_with_user_objects(&emulator, "plain", PREFIX, BucketSetup::default()).await;
    many_runs(&emulator, &inspector, "plain", PREFIX, &admin, true).await;

    let versioned = BucketSetup {
        versioning: true,
        ..Default::default()
    };
    bucket_with_user_objects(&emulator, "versioned", PREFIX, versioned.clone()).await;
    many_runs(&emulator, &inspector, "versioned", PREFIX, &admin, true).await;

    bucket_with_user_objects(&emulator, "suspended", PREFIX, versioned).await;
    emulator
        .s3("us-east-1")
        .put_bucket_versioning()
        .bucket("suspended")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .expect("suspend versioning");
    many_runs(&emulator, &inspector, "suspended", PREFIX, &admin, true).await;
}

#[tokio::test]
async fn a_hundred_runs_without_delete_permission_under_sse_kms_leave_one_probe_and_keep_proving() {
    // Route 10: the least-privilege export policy (no s3:GetObject, no s3:DeleteObject).
    let emulator = Emulator::start();
    let bucket = "least-privilege";
    let setup = BucketSetup {
        default_encryption: Some("aws:kms"),
        ..Default::default()
    };
    bucket_with_user_objects(&emulator, bucket, FLAT_PREFIX, setup).await;
    let policy = support::with_emulator_grants(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": format!("arn:aws:s3:::{bucket}")},
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}
        ]}),
        bucket,
    );
    let keys = emulator.create_user("exporter", &policy).await;
    // Under enforcement the root keys stop working: inspect as an admin user.
    let everything = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let admin = emulator.create_user("admin", &everything).await;
    emulator.enforce_iam();
    let inspector = emulator.s3_as("us-east-1", &admin.access_key, &admin.secret_key);
    let exporter = session(&emulator, &keys.access_key, &keys.secret_key).await;
    many_runs(&emulator, &inspector, bucket, FLAT_PREFIX, &exporter, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_at_once_neither_delete_nor_mistake_each_others_writes() {
    let emulator = Emulator::start();
    let bucket = "concurrent";
    bucket_with_user_objects(&emulator, bucket, PREFIX, BucketSetup::default()).await;
    let admin = session(&emulator, ACCESS_KEY, SECRET_KEY).await;
    for round in 0..10 {
        let contexts: Vec<Context> = (0..4)
            .map(|_| context(&emulator, &admin, bucket, PREFIX))
            .collect();
        let reports = futures::future::join_all(contexts.iter().map(|c| c.probe())).await;
        for report in &reports {
            assert_proved(report, round);
            // A probe of a run under way is never another run's leftover: no run writes over
            // another's, each deletes its own, and each reads its own file at its URL.
            assert!(
                matches!(
                    report.upload,
                    Upload::Written {
                        replaced_earlier_probe: false,
                        ..
                    }
                ),
                "round {round}: {report:#?}"
            );
            assert!(
                matches!(report.cleanup, Cleanup::Deleted),
                "round {round}: {report:#?}"
            );
            assert!(
                matches!(
                    report.public_read,
                    PublicRead::Status {
                        serves_probe: true,
                        ..
                    }
                ),
                "round {round}: {report:#?}"
            );
        }
    }
    let inspector = emulator.s3("us-east-1");
    let after = versions(&inspector, bucket).await;
    assert!(probe_keys(&after, PREFIX).is_empty(), "{after:#?}");
    for (key, content) in user_objects(PREFIX) {
        assert_eq!(body(&inspector, bucket, &key).await, content, "{key}");
    }
}
