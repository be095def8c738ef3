//! Endpoints the SDK takes from the environment or a profile, not from `--endpoint-url`: the
//! report must name the store the requests really went to, and apply the S3-compatible rules.

mod support;

use serde_json::Value;
use support::{isolated_env, BucketSetup, Emulator};

/// Runs `check` with `env` and no `--endpoint-url`; returns the exit code and the JSON report.
fn check_without_flag(env: Vec<(String, String)>, bucket: &str, args: &[&str]) -> (i32, Value) {
    let out = assert_cmd::Command::cargo_bin("bucket-preflight")
        .expect("the binary is built")
        .env_clear()
        .envs(env)
        .args(["check", bucket, "--format", "json", "--path-style"])
        .args(args)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exited normally"), report)
}

fn status_of<'a>(report: &'a Value, id: &str) -> &'a str {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .and_then(|r| r["status"].as_str())
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

#[tokio::test]
async fn an_s3_endpoint_from_the_environment_is_reported_and_treated_as_s3_compatible() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("env-endpoint", "us-east-1", &BucketSetup::default())
        .await;
    let mut env = emulator.env();
    env.push(("AWS_ENDPOINT_URL_S3".into(), emulator.endpoint.clone()));
    let (_, report) = check_without_flag(env, "env-endpoint", &["--bucket-region", "us-east-1"]);
    assert_eq!(report["target"]["endpoint"], emulator.endpoint.as_str());
    assert_eq!(report["target"]["endpoint_source"], "AWS_ENDPOINT_URL_S3");
    // The store's keys are not sent to AWS: STS is asked at the store, as with --endpoint-url.
    assert_eq!(report["target"]["sts_endpoint"], emulator.endpoint.as_str());
    // The requests reached the emulator (the bucket exists only there).
    assert_eq!(status_of(&report, "bucket-exists"), "pass", "{report:#}");
    // S3-compatible rules: the result URL is tried at the endpoint, path-style.
    let probe_url = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "public-url")
        .and_then(|r| r["evidence"]["url"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        probe_url.is_empty() || probe_url.starts_with(&emulator.endpoint),
        "{probe_url}"
    );
}

#[tokio::test]
async fn a_profile_services_section_redirects_s3_and_sts() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("profile-endpoint", "us-east-1", &BucketSetup::default())
        .await;
    let dir = std::env::temp_dir().join(format!("bp-endpoints-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile exporter]\nregion = us-east-1\nservices = local-store\n\n[services local-store]\ns3 =\n  endpoint_url = {0}\nsts =\n  endpoint_url = {0}\n",
            emulator.endpoint
        ),
    )
    .unwrap();
    let mut env = emulator.env();
    env.retain(|(k, _)| k != "AWS_CONFIG_FILE");
    env.push(("AWS_CONFIG_FILE".into(), config.display().to_string()));
    let (_, report) = check_without_flag(
        env,
        "profile-endpoint",
        &["--profile", "exporter", "--no-write"],
    );
    assert_eq!(report["target"]["endpoint"], emulator.endpoint.as_str());
    assert_eq!(report["target"]["sts_endpoint"], emulator.endpoint.as_str());
    assert!(
        report["target"]["endpoint_source"]
            .as_str()
            .unwrap()
            .contains("profile exporter"),
        "{:#}",
        report["target"]
    );
    assert_eq!(status_of(&report, "bucket-exists"), "pass", "{report:#}");
}

#[test]
fn ignoring_configured_endpoints_is_respected() {
    let mut env = isolated_env();
    env.push(("AWS_ENDPOINT_URL_S3".into(), "http://127.0.0.1:9".into()));
    env.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS".into(), "true".into()));
    let (_, report) = check_without_flag(env, "some-bucket", &["--offline"]);
    assert_eq!(report["target"]["endpoint"], Value::Null, "{report:#}");
}

#[test]
fn a_bad_endpoint_from_the_environment_is_exit_2_naming_the_variable() {
    let mut env = isolated_env();
    env.push(("AWS_ENDPOINT_URL_S3".into(), "ftp://store.example".into()));
    let out = assert_cmd::Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(env)
        .args(["check", "some-bucket", "--offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AWS_ENDPOINT_URL_S3"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn an_s3_endpoint_on_awss_own_hosts_keeps_sts_at_aws() {
    let mut env = isolated_env();
    let vpce = "https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com";
    env.push(("AWS_ENDPOINT_URL_S3".into(), vpce.into()));
    let (_, report) = check_without_flag(env, "some-bucket", &["--offline"]);
    assert_eq!(report["target"]["endpoint"], vpce, "{report:#}");
    assert_eq!(report["target"]["sts_endpoint"], Value::Null, "{report:#}");
}
