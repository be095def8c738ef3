//! `public-url` and `result-url` against the S3 emulator (moto) serving the bucket on its own
//! endpoint: a private file's 403 is what `acl: private` asks for, and a `url_prefix` that adds
//! a key prefix makes every URL miss its file.

mod support;

use assert_cmd::Command;
use support::{result, BucketSetup, Emulator};

/// `check BUCKET --url-prefix PREFIX ARGS…` against the emulator, as JSON.
fn check(emulator: &Emulator, bucket: &str, url_prefix: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(emulator.env())
        .args([
            "check",
            bucket,
            "--url-prefix",
            url_prefix,
            "--format",
            "json",
        ])
        .args(["--bucket-region", "us-east-1"])
        .args(emulator.endpoint_args())
        .args(args)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn assert_result(report: &serde_json::Value, id: &str, status: &str, needle: &str) {
    let r = result(report, id);
    let text = format!(
        "{} {}",
        r["summary"].as_str().unwrap_or_default(),
        r["remediation"].as_str().unwrap_or_default()
    );
    assert_eq!(r["status"], status, "{id}: {r:#}");
    assert!(text.contains(needle), "{id}: {text:?} lacks {needle:?}");
}

#[tokio::test]
async fn private_files_at_the_buckets_endpoint_are_refused_as_intended() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("private-exports", "us-east-1", &BucketSetup::default())
        .await;
    let prefix = format!("{}/private-exports/", emulator.endpoint);
    let report = check(&emulator, "private-exports", &prefix, &["--acl", "private"]);
    assert_result(&report, "dry-run-put", "pass", "uploaded a probe");
    assert_result(&report, "public-url", "pass", "as `acl: private` intends");
    assert_eq!(
        result(&report, "public-url")["evidence"]["url_prefix_at_bucket_endpoint"],
        true
    );
}

#[tokio::test]
async fn a_key_prefix_in_url_prefix_makes_urls_miss_the_file() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("acme-exports", "us-east-1", &BucketSetup::default())
        .await;
    let prefix = format!("{}/acme-exports/exports/", emulator.endpoint);
    let args = [
        "--acl",
        "public",
        "--path",
        "exports/${unique_prefix}/${file.url_name}",
    ];
    let report = check(&emulator, "acme-exports", &prefix, &args);
    assert_result(
        &report,
        "result-url",
        "fail",
        "URLs address `exports/exports/…`",
    );
    assert_result(&report, "dry-run-put", "pass", "uploaded a probe");
    assert_result(
        &report,
        "public-url",
        "fail",
        "so the URL addresses `exports/exports/bucket-preflight-probe-",
    );
    let fixed = format!("Set `url_prefix: {}/acme-exports/`", emulator.endpoint);
    assert_result(&report, "public-url", "fail", &fixed);
}

#[tokio::test]
async fn a_url_prefix_without_its_slash_is_named_and_never_fetched() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("acme-exports", "us-east-1", &BucketSetup::default())
        .await;
    // Glued to the key, this prefix makes `…/acme-exportsf2/…`-style URLs: a finding of
    // store-params, not something to fetch.
    let prefix = format!("{}/acme-exports", emulator.endpoint);
    let report = check(&emulator, "acme-exports", &prefix, &[]);
    assert_result(&report, "store-params", "fail", "Transloadit concatenates");
    assert_result(&report, "store-params", "fail", &format!("{prefix}f2/"));
    assert_result(&report, "public-url", "skip", "see store-params");
    assert_result(&report, "dry-run-put", "pass", "uploaded a probe");
    let text = report.to_string();
    assert_eq!(support::debug_dump_in(&text), None, "{text}");
}
