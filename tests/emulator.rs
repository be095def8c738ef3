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

/// `-vv` lists every request with its start and end (ms since the run started), operation and
/// host — in JSON under `timings`, in the table under "Requests" — and plain runs do not.
#[tokio::test]
async fn very_verbose_runs_show_when_each_request_started_and_ended() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("timed-exports", "us-east-1", &BucketSetup::default())
        .await;
    let (_, report, _) = check(&emulator, &["timed-exports", "-vv"]);
    let timings = report["timings"].as_array().expect("a timings array");
    let host = url::Url::parse(&emulator.endpoint).unwrap();
    let host = host.host_str().unwrap();
    for operation in [
        "GetCallerIdentity",
        "HeadBucket",
        "GetBucketVersioning",
        "PutObject",
    ] {
        let request = timings
            .iter()
            .find(|t| t["operation"] == operation)
            .unwrap_or_else(|| panic!("no {operation} in {timings:#?}"));
        assert_eq!(request["host"], host, "{request}");
        let (start, end) = (request["start_ms"].as_u64(), request["end_ms"].as_u64());
        assert!(start.is_some() && end >= start, "{request}");
        assert!(request["status"].is_u64(), "{request}");
    }
    // The first wave: HeadBucket is sent before identity has answered.
    let ends = |op: &str| timings.iter().find(|t| t["operation"] == op).unwrap();
    assert!(
        ends("HeadBucket")["start_ms"].as_u64() <= ends("GetCallerIdentity")["end_ms"].as_u64(),
        "{timings:#?}"
    );
    let (_, plain, _) = check(&emulator, &["timed-exports"]);
    assert!(plain.get("timings").is_none(), "{plain}");

    let out = Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(emulator.env())
        .args(["check", "timed-exports", "-vv"])
        .args(emulator.endpoint_args())
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Requests (ms since the run started):"),
        "{table}"
    );
    assert!(
        table.contains(&format!("HeadBucket {host} (200)")),
        "{table}"
    );
}
