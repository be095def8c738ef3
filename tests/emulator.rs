//! End to end against a real S3 API: the moto emulator on loopback.

mod support;

use assert_cmd::Command;
use support::{result, BucketSetup, Emulator};

fn check(emulator: &Emulator, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut cmd = Command::cargo_bin("bucket-preflight").unwrap();
    cmd.env_clear()
        .envs(emulator.env())
        .arg("check")
        .args(args)
        .args(emulator.endpoint_args())
        .args(["--format", "json"]);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report, stdout)
}

#[tokio::test]
async fn credentials_are_verified_against_the_emulator() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("healthy-exports", "us-east-1", &BucketSetup::default())
        .await;
    let (_, report, _) = check(
        &emulator,
        &[
            "healthy-exports",
            "--url-prefix",
            "https://cdn.example.com/",
        ],
    );
    let credentials = result(&report, "credentials");
    assert_eq!(credentials["status"], "pass", "{credentials}");
    assert_eq!(credentials["evidence"]["account"], support::ACCOUNT);
    assert!(
        credentials["evidence"]["principal_arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:"),
        "{credentials}"
    );
    assert_eq!(credentials["evidence"]["access_key_id"], "AKIA…MPLE");
    assert_eq!(report["target"]["endpoint"], emulator.endpoint);
}

#[tokio::test]
async fn temporary_credentials_warn() {
    let emulator = Emulator::start();
    let mut cmd = Command::cargo_bin("bucket-preflight").unwrap();
    cmd.env_clear()
        .envs(emulator.env())
        .env("AWS_ACCESS_KEY_ID", "ASIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SESSION_TOKEN",
            "FwoGZXIvYXdzEXAMPLESESSIONTOKENdoNotPrintMe",
        )
        .args([
            "check",
            "any-bucket",
            "--only",
            "credentials",
            "--format",
            "json",
        ])
        .args(emulator.endpoint_args());
    let out = cmd.output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let credentials = result(&report, "credentials");
    assert_eq!(credentials["status"], "warn", "{credentials}");
    assert!(credentials["summary"]
        .as_str()
        .unwrap()
        .contains("temporary credentials"));
    assert_eq!(credentials["evidence"]["temporary"], true);
}

/// The secret key and session token never appear, in any format, at any verbosity.
#[tokio::test]
async fn secrets_never_reach_the_output() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("secret-test", "us-east-1", &BucketSetup::default())
        .await;
    let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKENdoNotPrintMe";
    for format in ["table", "json", "markdown"] {
        let mut cmd = Command::cargo_bin("bucket-preflight").unwrap();
        cmd.env_clear()
            .envs(emulator.env())
            .env("AWS_SESSION_TOKEN", token)
            .args(["check", "secret-test", "-vv", "--format", format])
            .args(emulator.endpoint_args());
        let out = cmd.output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("credentials"), "{all}");
        assert!(
            !all.contains(support::SECRET_KEY),
            "secret key leaked in {format}"
        );
        assert!(!all.contains(token), "session token leaked in {format}");
        assert!(
            !all.contains(support::ACCESS_KEY),
            "full key id shown in {format}"
        );
    }
}
