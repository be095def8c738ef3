//! Identity and bucket policies enforced by the emulator: the minimal policy is enough, and each
//! permission it leaves out (GetBucketLocation, ListBucket on the bucket, encryption a policy
//! demands) is caught and named.

use super::support::{self, check_json as check_with_env, result, BucketSetup, Emulator, UserKeys};
use super::{assert_result, check};
use serde_json::{json, Value};

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
