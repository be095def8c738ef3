//! What the dry-run probe writes and takes away on the emulator: exactly its own version on a
//! versioned bucket, never an object it did not write, and an earlier probe reused and removed.

use super::support::{result, BucketSetup, Emulator};
use super::{assert_result, check, object_keys};

#[tokio::test]
async fn versioned_buckets_lose_exactly_the_probe_version() {
    let emulator = Emulator::start();
    let setup = BucketSetup {
        versioning: true,
        ..Default::default()
    };
    emulator
        .create_bucket("versioned-exports", "us-east-1", &setup)
        .await;
    let (_, report) = check(
        &emulator,
        "versioned-exports",
        &["--bucket-region", "us-east-1"],
    );
    assert_result(&report, "versioning", "pass", "meta.version_id");
    let put = result(&report, "dry-run-put");
    assert_eq!(put["status"], "pass", "{put:#}");
    assert!(put["evidence"]["version_id"].is_string(), "{put:#}");
    assert!(
        object_keys(&emulator, "us-east-1", "versioned-exports")
            .await
            .is_empty(),
        "no version and no delete marker left"
    );
    let (code, report) = check(
        &emulator,
        "versioned-exports",
        &[
            "--bucket-region",
            "us-east-1",
            "--expect-versioning",
            "--no-write",
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    emulator
        .create_bucket("plain-exports", "us-east-1", &BucketSetup::default())
        .await;
    let (code, report) = check(
        &emulator,
        "plain-exports",
        &[
            "--bucket-region",
            "us-east-1",
            "--expect-versioning",
            "--no-write",
        ],
    );
    assert_eq!(code, 1);
    assert_result(&report, "versioning", "fail", "put-bucket-versioning");
}

#[tokio::test]
async fn the_probe_never_replaces_an_object_it_did_not_write() {
    let emulator = Emulator::start();
    let foreign = b"somebody's real file".to_vec();
    // The old fixed probe name, and a reserved-looking name of another size: both someone's.
    let lookalike = "exports/bucket-preflight-probe-0123456789abcdef0123456789abcdef.txt";
    let setup = BucketSetup {
        objects: vec![
            ("exports/bucket-preflight-probe.txt".into(), foreign.clone()),
            (lookalike.into(), foreign.clone()),
        ],
        ..Default::default()
    };
    emulator
        .create_bucket("taken-key", "us-east-1", &setup)
        .await;
    let (_, report) = check(
        &emulator,
        "taken-key",
        &[
            "--bucket-region",
            "us-east-1",
            "--path",
            "exports/${unique_prefix}/${file.url_name}",
        ],
    );
    assert_result(&report, "dry-run-put", "pass", "deleted it again");
    for key in ["exports/bucket-preflight-probe.txt", lookalike] {
        let body = emulator
            .s3("us-east-1")
            .get_object()
            .bucket("taken-key")
            .key(key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert_eq!(body.to_vec(), foreign, "{key} is untouched");
    }
    assert_eq!(
        object_keys(&emulator, "us-east-1", "taken-key").await.len(),
        2
    );
}

#[tokio::test]
async fn an_earlier_probe_is_reused_and_removed() {
    let emulator = Emulator::start();
    let earlier = "0123456789abcdef0123456789abcdef";
    let mut abandoned = preflight::probe::probe_body(earlier);
    abandoned.extend_from_slice(preflight::probe::naming::ABANDONED_NOTE);
    // The probe of another run still under way: a running probe's size, written just now.
    let running = "fedcba9876543210fedcba9876543210";
    let running_key = preflight::probe::KeyShape::default_for("").key(running);
    let setup = BucketSetup {
        objects: vec![
            (
                preflight::probe::KeyShape::default_for("").key(earlier),
                abandoned,
            ),
            (running_key.clone(), preflight::probe::probe_body(running)),
        ],
        ..Default::default()
    };
    emulator
        .create_bucket("leftover-probe", "us-east-1", &setup)
        .await;
    let (_, report) = check(
        &emulator,
        "leftover-probe",
        &["--bucket-region", "us-east-1"],
    );
    assert_result(
        &report,
        "dry-run-put",
        "pass",
        "writing over an earlier run's probe",
    );
    // The abandoned probe was written over and removed; the running one was not touched.
    assert_eq!(
        object_keys(&emulator, "us-east-1", "leftover-probe").await,
        [running_key]
    );
}
