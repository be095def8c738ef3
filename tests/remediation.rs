//! Following a remediation fixes the finding: a user lacking a permission of the minimal policy
//! gets a failure whose remediation holds the statement to add; adding exactly that statement
//! and running again passes.

mod support;

use serde_json::{json, Value};
use support::{result, BucketSetup, Emulator, UserKeys};

const BUCKET: &str = "remedy-exports";

fn check(emulator: &Emulator, keys: &UserKeys) -> Value {
    // Under IAM enforcement moto answers anonymous GETs with 500 (see online_checks.rs).
    let args = [
        "--acl",
        "bucket-default",
        "--bucket-region",
        "us-east-1",
        "--skip",
        "public-url",
    ];
    support::check_json(emulator, emulator.env_as(keys), BUCKET, &args).1
}

/// The first JSON object in a remediation text: the statement it tells the user to add.
fn statement_in(remediation: &str) -> Value {
    let start = remediation
        .find('{')
        .unwrap_or_else(|| panic!("no statement in {remediation:?}"));
    serde_json::Deserializer::from_str(&remediation[start..])
        .into_iter::<Value>()
        .next()
        .unwrap()
        .unwrap()
}

fn policy(statements: &[Value]) -> Value {
    support::with_emulator_grants(
        json!({"Version": "2012-10-17", "Statement": statements}),
        BUCKET,
    )
}

#[tokio::test]
async fn adding_the_statement_a_failure_names_makes_it_pass() {
    let emulator = Emulator::start();
    emulator
        .create_bucket(BUCKET, "us-east-1", &BucketSetup::default())
        .await;
    let list = json!({"Sid": "ListExportBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": format!("arn:aws:s3:::{BUCKET}")});
    let put = json!({"Sid": "WriteExportedFiles", "Effect": "Allow", "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*")});
    let admin = emulator.create_user("admin", &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})).await;
    let without_put = emulator
        .create_user("without-put", &policy(std::slice::from_ref(&list)))
        .await;
    let without_list = emulator
        .create_user("without-list", &policy(std::slice::from_ref(&put)))
        .await;
    emulator.enforce_iam();

    // Missing s3:PutObject: the dry run fails and names the statement.
    let report = check(&emulator, &without_put);
    let dry_run = result(&report, "dry-run-put");
    assert_eq!(dry_run["status"], "fail", "{dry_run:#}");
    let fix = statement_in(dry_run["remediation"].as_str().unwrap());
    assert_eq!(fix["Action"], "s3:PutObject", "{fix}");
    emulator
        .replace_user_policy(&admin, "without-put", &policy(&[list.clone(), fix]))
        .await;
    let report = check(&emulator, &without_put);
    assert_eq!(
        result(&report, "dry-run-put")["status"],
        "pass",
        "{report:#}"
    );

    // Missing s3:ListBucket: HeadBucket is refused, and the failure names the bucket-ARN statement.
    let report = check(&emulator, &without_list);
    let exists = result(&report, "bucket-exists");
    assert_eq!(exists["status"], "fail", "{exists:#}");
    let fix = statement_in(exists["remediation"].as_str().unwrap());
    assert_eq!(fix["Resource"], format!("arn:aws:s3:::{BUCKET}"), "{fix}");
    emulator
        .replace_user_policy(&admin, "without-list", &policy(&[put, fix]))
        .await;
    let report = check(&emulator, &without_list);
    for id in ["bucket-exists", "list-objects", "dry-run-put"] {
        assert_eq!(result(&report, id)["status"], "pass", "{id}: {report:#}");
    }
}
