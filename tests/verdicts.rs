//! Verdicts that claim no more than was checked (issue 8), end to end: the closing verdict of
//! limited runs, a prediction reconciled with the proof that contradicts it, and an ownership
//! claim the endpoint cannot confirm. The emulator (moto) stores Block Public Access without
//! enforcing it and ignores `x-amz-expected-bucket-owner`, which is exactly what these need.

mod support;

use serde_json::Value;
use support::{check_json, result, BucketSetup, Emulator};

fn assert_result(report: &Value, id: &str, status: &str, needle: &str) {
    let r = result(report, id);
    assert_eq!(r["status"], status, "{id}: {r:#}");
    let text = r["summary"].as_str().unwrap_or_default();
    assert!(text.contains(needle), "{id}: {text:?} lacks {needle:?}");
}

/// The table a person sees, and the exit code.
fn table(args: &[&str], env: Vec<(String, String)>) -> (i32, String) {
    let out = assert_cmd::Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(env)
        .arg("check")
        .args(args)
        .args(["--color", "never"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn an_offline_run_is_never_ready() {
    let (code, text) = table(&["acme-exports", "--offline"], support::isolated_env());
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Not a readiness verdict: name and parameters are fine; nothing was checked against the bucket (--offline)."),
        "{text}"
    );
    assert!(!text.contains("Ready"), "{text}");
    let (code, text) = table(
        &[
            "acme-exports",
            "--offline",
            "--strict",
            "--url-prefix",
            "https://acme-exports.s3.amazonaws.com/",
        ],
        support::isolated_env(),
    );
    assert_eq!(code, 3, "--strict: a limited run is unverified\n{text}");
    let (_, json) = table(
        &["acme-exports", "--offline", "--format", "json"],
        support::isolated_env(),
    );
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["verdict"], "limited");
    assert_eq!(report["scope"]["complete"], false);
    assert_eq!(
        report["scope"]["limited_by"],
        serde_json::json!(["offline"])
    );
}

#[tokio::test]
async fn limited_online_runs_say_what_they_did_not_establish_and_as_whom() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("acme-exports", "us-east-1", &BucketSetup::default())
        .await;
    let (code, report) = check_json(&emulator, emulator.env(), "acme-exports", &[]);
    assert_eq!(
        (code, &report["verdict"]),
        (0, &Value::from("ready")),
        "{report:#}"
    );
    let caller = report["caller"]["arn"].as_str().unwrap().to_owned();
    assert!(
        report["conclusion"]
            .as_str()
            .unwrap()
            .contains(&format!("the dry run proved the upload as {caller}")),
        "{report:#}"
    );
    for (args, needle) in [
        (vec!["--only", "public-url"], "only public-url (and the checks they require) ran (--only)".to_owned()),
        (vec!["--no-write"], format!("the configuration was read as {caller}, but write access was not proven (--no-write skips dry-run-put)")),
        (vec!["--principal", "arn:aws:iam::123456789012:role/transloadit"], format!("the dry run and listing proved the access of {caller}, not of --principal arn:aws:iam::123456789012:role/transloadit")),
    ] {
        let (code, report) = check_json(&emulator, emulator.env(), "acme-exports", &args);
        assert_eq!(code, 0, "{args:?}: {report:#}");
        assert_eq!(report["verdict"], "limited", "{args:?}");
        assert_eq!(report["scope"]["proved_as"], caller.as_str(), "{args:?}");
        let conclusion = report["conclusion"].as_str().unwrap();
        assert!(conclusion.contains(&needle), "{args:?}: {conclusion}");
        assert!(!conclusion.contains("Ready"), "{args:?}: {conclusion}");
    }
}

#[tokio::test]
async fn block_public_access_the_emulator_does_not_enforce_is_reconciled_with_the_proof() {
    let emulator = Emulator::start();
    for (bucket, flags) in [
        ("bpa-all-on", [true, true, true, true]),
        ("bpa-ignore-only", [false, true, false, false]),
    ] {
        let setup = BucketSetup {
            public_access_block: Some(flags),
            ..Default::default()
        };
        emulator.create_bucket(bucket, "us-east-1", &setup).await;
    }
    let (_, report) = check_json(
        &emulator,
        emulator.env(),
        "bpa-all-on",
        &["--acl", "public"],
    );
    assert_result(&report, "dry-run-put", "pass", "uploaded a probe");
    let endpoint = &emulator.endpoint;
    assert_result(
        &report,
        "block-public-access",
        "warn",
        &format!("BlockPublicAcls is on (bucket level), but this endpoint ({endpoint}) accepted dry-run-put's probe with x-amz-acl: public-read: it stores Block Public Access without enforcing it, so the proof stands for this endpoint; on AWS the same setting refuses these uploads with 403 AccessDenied"),
    );
    // IgnorePublicAcls predicts private files; the anonymous GET was served the probe.
    let (_, report) = check_json(
        &emulator,
        emulator.env(),
        "bpa-ignore-only",
        &["--acl", "public"],
    );
    assert_result(&report, "public-url", "pass", "→ 200");
    assert_result(
        &report,
        "block-public-access",
        "warn",
        &format!("IgnorePublicAcls is on (bucket level), but this endpoint ({endpoint}) served the probe to an anonymous GET (public-url: 200)"),
    );
}

#[tokio::test]
async fn an_owner_the_endpoint_cannot_confirm_is_never_a_pass() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("owned-elsewhere", "us-east-1", &BucketSetup::default())
        .await;
    let (code, report) = check_json(
        &emulator,
        emulator.env(),
        "owned-elsewhere",
        &["--expected-owner", "111122223333"],
    );
    assert_result(
        &report,
        "bucket-exists",
        "warn",
        "its owner is not verified: the endpoint also answered 200 when account 123456789012 was named as owner",
    );
    assert_result(
        &report,
        "bucket-exists",
        "warn",
        "(these credentials belong to account 123456789012)",
    );
    assert_eq!(code, 0, "a warning, not a failure: {report:#}");
    // Claiming the caller's own account: the control names an account that cannot own it.
    let (_, report) = check_json(
        &emulator,
        emulator.env(),
        "owned-elsewhere",
        &["--expected-owner", support::ACCOUNT],
    );
    assert_result(
        &report,
        "bucket-exists",
        "warn",
        "the endpoint also answered 200 when account 000000000000 was named as owner",
    );
}

/// moto stores BucketOwnerEnforced but accepts ACL headers all the same.
#[tokio::test]
async fn disabled_acls_the_emulator_does_not_enforce_are_reconciled_with_the_proof() {
    let emulator = Emulator::start();
    let setup = BucketSetup {
        ownership: Some("BucketOwnerEnforced"),
        ..Default::default()
    };
    emulator
        .create_bucket("acls-off", "us-east-1", &setup)
        .await;
    let (_, report) = check_json(&emulator, emulator.env(), "acls-off", &["--acl", "private"]);
    assert_result(&report, "dry-run-put", "pass", "uploaded a probe");
    let endpoint = &emulator.endpoint;
    assert_result(
        &report,
        "object-ownership",
        "warn",
        &format!("ACLs are disabled (BucketOwnerEnforced), but this endpoint ({endpoint}) accepted dry-run-put's probe with x-amz-acl: private: it stores Object Ownership without enforcing it, so the proof stands for this endpoint; on AWS the same setting refuses these uploads with 400 AccessControlListNotSupported"),
    );
    let detail = result(&report, "dry-run-put")["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("see object-ownership"), "{detail}");
}
