//! Runs without usable credentials: no credentials at all, or a profile that does not exist,
//! fail fast and never pass an online check.

use super::bin;
use preflight::registry;
use std::time::{Duration, Instant};

/// Accepts connections and never answers: a metadata service that hangs, on loopback.
fn silent_listener() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[test]
fn no_credentials_fail_fast_and_nothing_online_passes() {
    let (_listener, port) = silent_listener();
    let started = Instant::now();
    let out = bin(&["check", "some-bucket", "--format", "json"])
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let credentials = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "credentials")
        .unwrap();
    assert_eq!(credentials["status"], "fail");
    assert_eq!(credentials["summary"], "no AWS credentials found");
    assert!(credentials["remediation"]
        .as_str()
        .unwrap()
        .contains("AWS_ACCESS_KEY_ID"));
    for result in report["results"].as_array().unwrap() {
        if registry::find(result["id"].as_str().unwrap())
            .unwrap()
            .info()
            .online
        {
            assert_ne!(result["status"], "pass", "{result}");
        }
    }
}

#[test]
fn a_profile_that_does_not_exist_is_reported_not_crashed() {
    let out = bin(&[
        "check",
        "some-bucket",
        "--profile",
        "nope",
        "--only",
        "credentials",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("FAIL") && stdout.contains("credentials"),
        "{stdout}"
    );
    assert!(
        stdout.contains("profile `nope` was not found in"),
        "says the profile is missing and where it looked: {stdout}"
    );
    // With a config file that has profiles, they are listed.
    let dir = std::env::temp_dir().join(format!("bp-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        "[default]\nregion = eu-west-1\n\n[profile admin]\nregion = eu-west-1\n",
    )
    .unwrap();
    let out = bin(&[
        "check",
        "some-bucket",
        "--profile",
        "exporter",
        "--only",
        "credentials",
        "--format",
        "json",
    ])
    .env("AWS_CONFIG_FILE", &config)
    .output()
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("the profiles there: admin, default"),
        "{stdout}"
    );
}
