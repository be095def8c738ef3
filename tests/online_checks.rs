//! The online checks end to end against the S3 emulator (moto): what it reproduces faithfully —
//! existence and region, configuration read-back, versioning ids, conditional writes, and
//! identity policies by resource ARN.

mod support;

use serde_json::{json, Value};
use support::{BucketSetup, Emulator, UserKeys};

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

/// The minimal policy for `acl: public` with `bucket_region` set, with `s3:ListBucket` (and
/// `s3:GetBucketLocation` when `location`) on `list_resource`.
fn minimal_policy(bucket: &str, location: bool, list_resource: &str) -> Value {
    let mut bucket_actions = vec!["s3:ListBucket"];
    if location {
        bucket_actions.push("s3:GetBucketLocation");
    }
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ListExportBucket", "Effect": "Allow", "Action": bucket_actions, "Resource": list_resource},
            {"Sid": "WriteExportedFiles", "Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": format!("arn:aws:s3:::{bucket}/*")}
        ]
    });
    support::with_emulator_grants(policy, bucket)
}

async fn enforced(emulator: &Emulator, bucket: &str, users: &[(&str, Value)]) -> Vec<UserKeys> {
    emulator
        .create_bucket(bucket, "us-east-1", &BucketSetup::default())
        .await;
    let mut keys = Vec::new();
    for (name, policy) in users {
        keys.push(emulator.create_user(name, policy).await);
    }
    emulator.enforce_iam();
    keys
}

#[tokio::test]
async fn a_user_with_the_minimal_policy_can_export() {
    let emulator = Emulator::start();
    let bucket = "iam-exports";
    let keys = enforced(
        &emulator,
        bucket,
        &[(
            "exporter",
            minimal_policy(bucket, false, &format!("arn:aws:s3:::{bucket}")),
        )],
    )
    .await;
    // With IAM enforcement on, moto answers anonymous GETs with 500, so public-url cannot be
    // exercised here (it is in the test without enforcement).
    let args = ["--bucket-region", "us-east-1", "--skip", "public-url"];
    let (code, report) = check_with_env(&emulator, emulator.env_as(&keys[0]), bucket, &args);
    assert_eq!(code, 0, "{report:#}");
    for id in [
        "credentials",
        "bucket-exists",
        "bucket-region",
        "list-objects",
        "dry-run-put",
    ] {
        assert_eq!(
            result(&report, id)["status"],
            "pass",
            "{id}: {:#}",
            result(&report, id)
        );
    }
    // Without s3:DeleteObject the probe stays, and says so.
    assert_result(
        &report,
        "dry-run-put",
        "pass",
        "the probe stays at s3://iam-exports/bucket-preflight-probe-",
    );
    // A configuration read this user may not make is a warning naming the permission, never a
    // pass. (moto enforces this one; it lets most other configuration reads through.)
    assert_result(
        &report,
        "versioning",
        "warn",
        "s3:GetBucketVersioning is not granted",
    );
    // The next run reuses the probe instead of piling up objects.
    let (_, again) = check_with_env(&emulator, emulator.env_as(&keys[0]), bucket, &args);
    assert_result(
        &again,
        "dry-run-put",
        "pass",
        "writing over an earlier run's probe",
    );
}

#[tokio::test]
async fn a_user_without_get_bucket_location_needs_bucket_region() {
    let emulator = Emulator::start();
    let bucket = "iam-location";
    let keys = enforced(
        &emulator,
        bucket,
        &[(
            "exporter",
            minimal_policy(bucket, false, &format!("arn:aws:s3:::{bucket}")),
        )],
    )
    .await;
    let (code, report) = check_with_env(
        &emulator,
        emulator.env_as(&keys[0]),
        bucket,
        &["--no-write"],
    );
    assert_eq!(code, 1, "{report:#}");
    assert_result(
        &report,
        "bucket-region",
        "fail",
        "s3:GetBucketLocation is denied",
    );
    assert_result(
        &report,
        "bucket-region",
        "fail",
        "Set `bucket_region: us-east-1`",
    );
    // The remediation works: with bucket_region set the same user passes that check.
    let (_, report) = check_with_env(
        &emulator,
        emulator.env_as(&keys[0]),
        bucket,
        &["--no-write", "--bucket-region", "us-east-1"],
    );
    assert_result(&report, "bucket-region", "pass", "as bucket_region says");
}

#[tokio::test]
async fn list_bucket_granted_on_objects_instead_of_the_bucket_is_caught() {
    let emulator = Emulator::start();
    let bucket = "iam-wrong-arn";
    let keys = enforced(
        &emulator,
        bucket,
        &[(
            "exporter",
            minimal_policy(bucket, true, &format!("arn:aws:s3:::{bucket}/*")),
        )],
    )
    .await;
    let (code, report) = check_with_env(
        &emulator,
        emulator.env_as(&keys[0]),
        bucket,
        &["--bucket-region", "us-east-1", "--no-write"],
    );
    assert_eq!(code, 1, "{report:#}");
    // Real S3 authorises HeadBucket as s3:ListBucket on the bucket ARN: the first check to fail
    // names exactly that statement.
    assert_result(
        &report,
        "bucket-exists",
        "fail",
        r#""Action":"s3:ListBucket","Resource":"arn:aws:s3:::iam-wrong-arn""#,
    );
}

#[tokio::test]
async fn a_bucket_policy_requiring_encryption_fails_naming_the_statement() {
    let emulator = Emulator::start();
    let bucket = "sse-required";
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyUnEncryptedObjectUploads",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}
        }]
    });
    let setup = BucketSetup {
        policy: Some(policy.to_string()),
        ..Default::default()
    };
    emulator.create_bucket(bucket, "us-east-1", &setup).await;
    let (code, report) = check(
        &emulator,
        bucket,
        &["--bucket-region", "us-east-1", "--no-write"],
    );
    assert_eq!(code, 1, "{report:#}");
    assert_result(
        &report,
        "bucket-policy",
        "fail",
        "statement \"DenyUnEncryptedObjectUploads\" denies s3:PutObject",
    );
    assert_result(
        &report,
        "bucket-policy",
        "fail",
        "x-amz-server-side-encryption: AES256",
    );
    let evidence = &result(&report, "bucket-policy")["evidence"];
    assert_eq!(evidence["policy_statements"], 1, "{evidence:#}");
    assert_eq!(evidence["demanded_sse"], "AES256", "{evidence:#}");
}
