//! `policy` and `--policy-file`: the minimal policy printed for the parameters, and policy
//! documents analysed offline.

use super::{assert_usage_error, run};
use std::time::{Duration, Instant};

#[test]
fn policy_prints_exactly_the_minimal_policy() {
    let r = run(&[
        "policy",
        "my-bucket",
        "--acl",
        "bucket-default",
        "--bucket-region",
        "eu-west-1",
        "--offline",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policy: serde_json::Value =
        serde_json::from_str(&r.stdout).expect("stdout is exactly the policy JSON");
    assert_eq!(
        policy,
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ListExportBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::my-bucket"},
                {"Sid": "WriteExportedFiles", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::my-bucket/*"}
            ]
        })
    );
    assert!(
        r.stderr.contains("s3:PutObject on arn:aws:s3:::my-bucket/"),
        "explanations go to stderr: {}",
        r.stderr
    );
}

#[test]
fn policy_follows_the_parameters() {
    let r = run(&[
        "policy",
        "my-bucket",
        "--path",
        "exports/${unique_prefix}/${file.url_name}",
        "--tags",
        "--import",
        "--kms-key",
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "--offline",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policy: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let text = policy.to_string();
    for needle in [
        "s3:GetBucketLocation",
        "s3:PutObjectAcl",
        "s3:PutObjectTagging",
        "s3:GetObject",
        "arn:aws:s3:::my-bucket/exports/*",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let terraform = run(&["policy", "my-bucket", "--format", "terraform", "--offline"]);
    assert!(
        terraform
            .stdout
            .contains("resource \"aws_iam_policy\" \"my_bucket_export\""),
        "{}",
        terraform.stdout
    );
    let bucket_policy = run(&[
        "policy",
        "my-bucket",
        "--principal",
        "arn:aws:iam::111122223333:user/exporter",
        "--offline",
    ]);
    assert!(
        bucket_policy.stdout.contains("\"Principal\""),
        "{}",
        bucket_policy.stdout
    );
}

#[test]
fn policy_without_credentials_still_prints_the_policy_quickly() {
    let started = Instant::now();
    let r = run(&["policy", "my-bucket"]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 0);
    assert!(serde_json::from_str::<serde_json::Value>(&r.stdout).is_ok());
    assert!(
        r.stderr
            .contains("could not read the bucket's default encryption"),
        "{}",
        r.stderr
    );
}

fn write_policy(name: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("bucket-preflight-policies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn policy_files_are_analysed_offline() {
    let seed = write_policy(
        "seed.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation","s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#,
    );
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--policy-file",
        seed.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let verdict = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "policy-document")
        .unwrap();
    assert_eq!(verdict["status"], "fail");
    assert!(
        verdict["summary"]
            .as_str()
            .unwrap()
            .starts_with("s3:ListBucket is granted only on arn:aws:s3:::my-bucket/*"),
        "{verdict}"
    );

    let split = write_policy(
        "split.json",
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::my-bucket"},
        {"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#,
    );
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--policy-file",
        split.to_str().unwrap(),
        "--only",
        "policy-document",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("PASS"), "{}", r.stdout);
}

#[test]
fn a_policy_aws_would_refuse_to_save_fails_naming_the_statement_and_the_fix() {
    // Transloadit's documented example policy, with `{BUCKET_NAME}` = `my-bucket`.
    let example = write_policy(
        "transloadit-example.json",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowTransloaditToStoreFilesInmy-bucketBucket","Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListBucket","s3:PutObject","s3:PutObjectAcl"],"Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"]}]}"#,
    );
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--policy-file",
        example.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let verdict = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "policy-document")
        .unwrap();
    assert_eq!(verdict["status"], "fail", "{verdict:#}");
    let summary = verdict["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(r#"AWS will refuse to save this policy: statement "AllowTransloaditToStoreFilesInmy-bucketBucket" (#1): its Sid contains '-'"#),
        "{summary}"
    );
    let remediation = verdict["remediation"].as_str().unwrap();
    assert!(
        remediation.contains(r#""AllowTransloaditToStoreFilesInmyBucketBucket""#),
        "{remediation}"
    );
}

#[test]
fn policy_refuses_a_kms_key_that_is_not_a_key_arn() {
    for key in [
        "alias/exports",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:111122223333:alias/exports",
    ] {
        assert_usage_error(
            &["policy", "my-bucket", "--offline", "--kms-key", key],
            &["--kms-key", "is not a KMS key ARN", "arn:aws:kms:"],
        );
    }
}

#[test]
fn policy_notes_name_the_granted_prefix_not_a_sample_file() {
    let r = run(&[
        "policy",
        "my-bucket",
        "--path",
        "exports/${unique_prefix}/${file.url_name}",
        "--offline",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("s3:PutObject on arn:aws:s3:::my-bucket/exports/*"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("example.jpg"), "{}", r.stderr);
}

#[test]
fn a_policy_with_a_principal_is_read_as_a_bucket_policy() {
    let path = write_policy(
        "bucket-kind.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/exporter"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#,
    );
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--format",
        "json",
        "--policy-file",
        path.to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let policy = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "policy-document")
        .unwrap();
    assert_eq!(policy["evidence"]["policy_kind"], "bucket", "{policy:#}");
}

#[test]
fn malformed_policy_files_are_exit_2_with_line_and_column() {
    let broken = write_policy("broken.json", "{\"Version\":\"2012-10-17\",\n \"Statement\": [\n  {\"Effect\":\"Allow\" \"Action\":\"s3:*\"}]}");
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--offline",
            "--policy-file",
            broken.to_str().unwrap(),
        ],
        &["broken.json", "line 3, column 21"],
    );
    let invalid = write_policy(
        "invalid.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow ","Action":"s3:*","Resource":"*"}]}"#,
    );
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--offline",
            "--policy-file",
            invalid.to_str().unwrap(),
        ],
        &[
            "AWS will refuse to save this policy",
            "Effect",
            "\"allow \"",
        ],
    );
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--offline",
            "--policy-file",
            "/nonexistent/p.json",
        ],
        &["cannot read --policy-file"],
    );
    assert_usage_error(
        &["check", "my-bucket", "--principal", "exporter"],
        &["--principal", "IAM user or role ARN"],
    );
}

#[test]
fn policy_follows_the_store_steps_tags_signed_urls_and_kms_header() {
    let r = run(&[
        "policy",
        "my-bucket",
        "--acl",
        "bucket-default",
        "--bucket-region",
        "eu-west-1",
        "--tag",
        "project=acme",
        "--sign-urls-for",
        "3600",
        "--header",
        "x-amz-server-side-encryption: aws:kms",
        "--header",
        "x-amz-server-side-encryption-aws-kms-key-id: arn:aws:kms:eu-west-1:111122223333:key/step-key",
        "--offline",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policy: serde_json::Value = serde_json::from_str(&r.stdout).expect("policy JSON");
    assert_eq!(
        policy["Statement"][1]["Action"],
        serde_json::json!(["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject"])
    );
    assert_eq!(
        policy["Statement"][2]["Resource"],
        "arn:aws:kms:eu-west-1:111122223333:key/step-key"
    );
    assert!(r.stderr.contains("hence s3:GetObject"), "{}", r.stderr);
}
