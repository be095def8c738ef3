//! The online checks end to end against the S3 emulator (moto): what it reproduces faithfully —
//! existence and region, configuration read-back, versioning ids, conditional writes, and
//! identity policies by resource ARN.
//! This file holds the shared helpers and the bucket-configuration tests; the other groups are
//! the modules below.

mod support;

#[path = "online_checks/identity_policies.rs"]
mod identity_policies;
#[path = "online_checks/probe_writes.rs"]
mod probe_writes;

use serde_json::Value;
use support::{BucketSetup, Emulator};

use support::{check_json as check_with_env, result};

fn check(emulator: &Emulator, bucket: &str, args: &[&str]) -> (i32, Value) {
    check_with_env(emulator, emulator.env(), bucket, args)
}

fn assert_result(report: &Value, id: &str, status: &str, needle: &str) {
    let r = result(report, id);
    assert_eq!(r["status"], status, "{id}: {r:#}");
    let text = format!(
        "{} {}",
        r["summary"].as_str().unwrap_or_default(),
        r["remediation"].as_str().unwrap_or_default()
    );
    assert!(text.contains(needle), "{id}: {text:?} lacks {needle:?}");
}

async fn object_keys(emulator: &Emulator, region: &str, bucket: &str) -> Vec<String> {
    let out = emulator
        .s3(region)
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    out.versions()
        .iter()
        .filter_map(|v| v.key().map(str::to_owned))
        .chain(
            out.delete_markers()
                .iter()
                .filter_map(|m| m.key().map(str::to_owned)),
        )
        .collect()
}

#[tokio::test]
async fn a_bucket_ready_for_public_exports_passes_and_keeps_nothing() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("public-exports", "us-east-1", &BucketSetup::default())
        .await;
    let (code, report) = check(
        &emulator,
        "public-exports",
        &["--acl", "public", "--bucket-region", "us-east-1"],
    );
    assert_eq!(code, 0, "{report:#}");
    // The run's own facts: what the exit code says, whose credentials, and when.
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["verdict"], "ready");
    assert_eq!(report["caller"]["account"], support::ACCOUNT);
    assert!(report["started_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    for r in report["results"].as_array().unwrap() {
        let expected = match r["id"].as_str().unwrap() {
            // The emulator serves plain http on loopback.
            "result-url" => "warn",
            // moto does not implement GetBucketRequestPayment nor the IAM policy simulator:
            // reported as unsupported, not passed.
            "requester-pays" | "iam-simulation" => "skip",
            // Runs only with --policy-file.
            "policy-document" => "skip",
            _ => "pass",
        };
        assert_eq!(r["status"], expected, "{r:#}");
    }
    assert_result(&report, "public-url", "pass", "→ 200");
    assert!(
        object_keys(&emulator, "us-east-1", "public-exports")
            .await
            .is_empty(),
        "the probe was cleaned up"
    );
}

#[tokio::test]
async fn regions_are_found_and_compared() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("eu-exports", "eu-west-1", &BucketSetup::default())
        .await;
    emulator
        .create_bucket("us-exports", "us-east-1", &BucketSetup::default())
        .await;
    let (_, report) = check(
        &emulator,
        "eu-exports",
        &["--bucket-region", "eu-west-1", "--no-write"],
    );
    assert_result(&report, "bucket-region", "pass", "is in eu-west-1");
    let (code, report) = check(
        &emulator,
        "eu-exports",
        &["--bucket-region", "us-east-1", "--no-write"],
    );
    assert_eq!(code, 1);
    assert_result(
        &report,
        "bucket-region",
        "fail",
        "Set `bucket_region: eu-west-1`",
    );
    let (_, report) = check(&emulator, "us-exports", &["--no-write"]);
    assert_result(
        &report,
        "bucket-region",
        "warn",
        "Set `bucket_region: us-east-1`",
    );
    let (code, report) = check(&emulator, "no-such-bucket-here", &["--no-write"]);
    assert_eq!(code, 1);
    assert_result(
        &report,
        "bucket-exists",
        "fail",
        "no bucket named `no-such-bucket-here` exists",
    );
    assert_result(&report, "list-objects", "skip", "blocked by bucket-exists");
}

#[tokio::test]
async fn default_encryption_is_read_back() {
    let emulator = Emulator::start();
    let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    emulator
        .create_bucket(
            "sse-s3",
            "us-east-1",
            &BucketSetup {
                default_encryption: Some("AES256"),
                ..Default::default()
            },
        )
        .await;
    emulator
        .create_bucket(
            "sse-kms",
            "us-east-1",
            &BucketSetup {
                default_encryption: Some("aws:kms"),
                kms_key: Some(key.into()),
                ..Default::default()
            },
        )
        .await;
    let (_, report) = check(&emulator, "sse-s3", &["--no-write"]);
    assert_result(&report, "encryption", "pass", "SSE-S3");
    let (_, report) = check(&emulator, "sse-kms", &["--no-write"]);
    assert_result(&report, "encryption", "warn", "kms:GenerateDataKey");
    assert_result(&report, "encryption", "warn", key);
}

#[tokio::test]
async fn object_lock_retention_keeps_the_dry_run_from_writing() {
    let emulator = Emulator::start();
    let setup = BucketSetup {
        object_lock: true,
        lock_retention_days: Some(1),
        ..Default::default()
    };
    emulator
        .create_bucket("locked-exports", "us-east-1", &setup)
        .await;
    let (_, report) = check(
        &emulator,
        "locked-exports",
        &["--bucket-region", "us-east-1"],
    );
    assert_result(&report, "object-lock", "warn", "GOVERNANCE for 1 day(s)");
    assert_result(&report, "dry-run-put", "skip", "--write-locked");
    assert_result(&report, "public-url", "skip", "blocked by dry-run-put");
    assert!(object_keys(&emulator, "us-east-1", "locked-exports")
        .await
        .is_empty());
}

#[tokio::test]
async fn acl_settings_are_predicted_from_the_configuration() {
    let emulator = Emulator::start();
    emulator
        .create_bucket(
            "bpa-on",
            "us-east-1",
            &BucketSetup {
                public_access_block: Some([true, true, true, true]),
                ..Default::default()
            },
        )
        .await;
    emulator
        .create_bucket(
            "acls-off",
            "us-east-1",
            &BucketSetup {
                ownership: Some("BucketOwnerEnforced"),
                ..Default::default()
            },
        )
        .await;
    let (code, report) = check(&emulator, "bpa-on", &["--acl", "public", "--no-write"]);
    assert_eq!(code, 1);
    assert_result(
        &report,
        "block-public-access",
        "fail",
        "BlockPublicAcls is on (bucket level)",
    );
    let (code, report) = check(
        &emulator,
        "bpa-on",
        &["--acl", "bucket-default", "--no-write"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_result(&report, "block-public-access", "pass", "not affected");
    let (_, report) = check(&emulator, "acls-off", &["--acl", "private", "--no-write"]);
    assert_result(
        &report,
        "object-ownership",
        "fail",
        "AccessControlListNotSupported",
    );
    let (_, report) = check(
        &emulator,
        "acls-off",
        &["--acl", "bucket-default", "--no-write"],
    );
    assert_result(&report, "object-ownership", "pass", "no ACL header");
}

#[tokio::test]
async fn no_write_makes_no_mutating_request() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("read-only-run", "us-east-1", &BucketSetup::default())
        .await;
    let _ = emulator.log(); // fixtures' own requests
    let (_, report) = check(&emulator, "read-only-run", &["--no-write"]);
    assert_result(&report, "dry-run-put", "skip", "--no-write");
    let requests: Vec<String> = emulator
        .log()
        .into_iter()
        .filter(|l| l.contains("HTTP/1.1\""))
        .collect();
    assert!(!requests.is_empty(), "the run made requests");
    for line in &requests {
        let request = line.split('"').nth(1).unwrap_or_default();
        let mutating = request.starts_with("PUT ")
            || request.starts_with("DELETE ")
            || (request.starts_with("POST ") && !request.starts_with("POST / "));
        assert!(!mutating, "mutating request under --no-write: {line}");
    }
    assert!(object_keys(&emulator, "us-east-1", "read-only-run")
        .await
        .is_empty());
}
