//! The fault matrix: every API the tool calls answers, in turn, with every kind of failure a
//! network or a store produces, and the product's rules must hold each time:
//! - a check whose verdict rests on the faulted API never says `pass`;
//! - the run ends within its deadline;
//! - nothing but the probe is written, and no bucket configuration changes;
//! - neither the secret key nor the full access key id is in the output.
//!
//! A loopback proxy (`support::fault_proxy`) stands between the binary and the emulator. A
//! clean run through the proxy first records which APIs the tool calls; the matrix then faults
//! each of them with each fault, one fresh bucket per case, several cases at a time.

#[path = "fault_matrix/harness.rs"]
mod harness;
mod support;

use harness::{
    apis_called, run_matrix, statuses, Case, Fixture, CHECK_TIMEOUT_SECS, RUN_TIMEOUT_SECS,
    STARTUP_MARGIN,
};
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::fault_proxy::{Api, Fault};

/// Which checks' verdicts rest on each API: if that API fails, these checks cannot have
/// verified what they claim, so none of them may pass. Every API the tool calls must be here —
/// the matrix refuses to run with an unmapped one.
fn dependents(api: Api) -> &'static [&'static str] {
    match api {
        // The credentials check proves the keys work by asking STS who they belong to.
        Api::GetCallerIdentity => &["credentials"],
        // Existence and the region header both come from HeadBucket.
        Api::HeadBucket => &["bucket-exists", "bucket-region"],
        // Without bucket_region, the region check verifies that GetBucketLocation is allowed,
        // as every export calls it. (It may warn, never pass.)
        Api::GetBucketLocation => &["bucket-region"],
        // list-objects is this call. The probe lists only to find earlier runs' leftovers to
        // write over; its own key is new to every run (a random 128-bit id), so the upload
        // proves itself without the listing and cannot replace anything it did not write.
        Api::ListObjectsV2 => &["list-objects"],
        Api::GetPublicAccessBlock => &["block-public-access"],
        Api::GetBucketOwnershipControls => &["object-ownership"],
        Api::GetBucketVersioning => &["versioning"],
        Api::GetBucketEncryption => &["encryption"],
        Api::GetBucketPolicy => &["bucket-policy"],
        Api::GetBucketRequestPayment => &["requester-pays"],
        Api::GetObjectLockConfiguration => &["object-lock"],
        // The upload is what dry-run-put proves; the URL check reads the uploaded probe back.
        Api::PutObject => &["dry-run-put", "public-url"],
        // The anonymous GET of the result URL is the public-url check.
        Api::GetObject => &["public-url"],
        // Cleanup: the upload itself was proven, and a probe left behind is reported as such
        // (the one object the tool may leave), so no verdict rests on the delete.
        Api::DeleteObject => &[],
        // The probe's side effects (replicas, ObjectCreated events): unreadable settings are
        // said in dry-run-put's words ("replicas, if replication is set up, keep their copy"),
        // and no verdict rests on them.
        Api::GetBucketReplication | Api::GetBucketNotificationConfiguration => &[],
        other => panic!("the tool called {other}, which this matrix does not map to the checks that depend on it: add it to dependents()"),
    }
}

/// The APIs the tool calls against an S3-compatible endpoint, as the clean run must show them:
/// IAM's policy simulator and S3 Control's account-level Block Public Access exist on AWS only,
/// and the tool does not call them on another endpoint.
const EXPECTED_APIS: [Api; 16] = [
    Api::GetCallerIdentity,
    Api::HeadBucket,
    Api::GetBucketLocation,
    Api::ListObjectsV2,
    Api::GetPublicAccessBlock,
    Api::GetBucketOwnershipControls,
    Api::GetBucketVersioning,
    Api::GetBucketEncryption,
    Api::GetBucketPolicy,
    Api::GetBucketRequestPayment,
    Api::GetObjectLockConfiguration,
    Api::GetBucketReplication,
    Api::GetBucketNotificationConfiguration,
    Api::PutObject,
    Api::GetObject,
    Api::DeleteObject,
];

/// Dependents that do not pass in the clean run: bucket-region warns that `bucket_region` is
/// not set (setting it would spare GetBucketLocation, which the matrix wants called).
const CLEAN_NOT_PASSING: [&str; 1] = ["bucket-region"];

#[test]
fn every_api_under_every_fault_128_pairs_never_passes_unverified_checks() {
    let fixture = Arc::new(Fixture::new());

    // The clean run: which APIs are called, and what passes when nothing fails.
    let (clean, seen, broken) = fixture.case("fm-clean", Vec::new());
    assert!(broken.is_empty(), "the clean run broke a rule: {broken:#?}");
    let called: BTreeSet<String> = apis_called(&seen).iter().map(|a| a.to_string()).collect();
    let expected: BTreeSet<String> = EXPECTED_APIS.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        called, expected,
        "the APIs the tool calls changed: map the new ones in dependents() and EXPECTED_APIS"
    );
    let clean_statuses = statuses(&clean.report);
    for api in EXPECTED_APIS {
        for id in dependents(api) {
            assert!(
                clean_statuses.contains_key(*id),
                "dependents({api}) names an unknown check {id}"
            );
        }
    }

    // A dependent that does not pass even without a fault makes its pairs prove nothing: only
    // these may, each for a reason the emulator or the setup imposes.
    let not_passing_clean: BTreeSet<&str> = EXPECTED_APIS
        .iter()
        .flat_map(|api| dependents(*api).iter().copied())
        .filter(|id| clean_statuses[*id] != "pass")
        .collect();
    assert_eq!(
        not_passing_clean,
        BTreeSet::from(CLEAN_NOT_PASSING),
        "clean run: {clean_statuses:?}"
    );

    let cases: VecDeque<Case> = EXPECTED_APIS
        .iter()
        .flat_map(|&api| Fault::ALL.iter().map(move |&fault| Case::alone(api, fault)))
        .collect();
    assert_eq!(
        cases.len(),
        128,
        "the test's name states the number of pairs"
    );
    let failures = run_matrix(&fixture, cases, dependents);
    assert!(
        failures.is_empty(),
        "{} of 128 pairs broke a rule:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The multipart path of the probe under SSE-KMS, and its retention read: which checks'
/// verdicts rest on each of these APIs.
fn kms_dependents(api: Api) -> &'static [&'static str] {
    match api {
        // The one-part multipart upload is dry-run-put's proof that large files can be stored
        // (they need kms:Decrypt, which a single PUT never asks for).
        Api::CreateMultipartUpload | Api::UploadPart | Api::CompleteMultipartUpload => {
            &["dry-run-put"]
        }
        // Called only when a step failed (CompleteMultipartUpload is faulted with it): the
        // proof failed, and an upload that could not be aborted must not turn it into a pass.
        Api::AbortMultipartUpload => &["dry-run-put"],
        // Called only when the lock configuration is unreadable (GetObjectLockConfiguration is
        // faulted with it), so object-lock cannot pass; the probe's retention is said in
        // dry-run-put's words and no verdict rests on it.
        Api::HeadObject => &["object-lock"],
        other => panic!("{other} is not on the multipart path"),
    }
}

/// The APIs faulted on the SSE-KMS path, with what must fail with each for it to be called.
/// A completion whose answer is lost may have completed all the same; its write is read back
/// with HeadObject to be cleaned up, and with HeadObject refused too the report must say that a
/// version of the probe may remain (the rule on remaining probes in `Fixture::case`).
const KMS_PATH: [(Api, Option<(Api, Fault)>); 6] = [
    (Api::CreateMultipartUpload, None),
    (Api::UploadPart, None),
    (Api::CompleteMultipartUpload, None),
    (
        Api::CompleteMultipartUpload,
        Some((Api::HeadObject, Fault::EmptyForbidden)),
    ),
    (
        Api::AbortMultipartUpload,
        Some((Api::CompleteMultipartUpload, Fault::EmptyForbidden)),
    ),
    (
        Api::HeadObject,
        Some((Api::GetObjectLockConfiguration, Fault::EmptyForbidden)),
    ),
];

#[test]
fn kms_path_under_every_fault_48_pairs_never_passes_unverified_checks() {
    let fixture = Arc::new(Fixture::with_kms_key());
    let kms_key = fixture.kms_key.clone().expect("a KMS key");

    // The clean run takes the multipart path (the emulator answers the probe's PUT with
    // `x-amz-server-side-encryption: aws:kms`), and proves it: otherwise no pair below would
    // fault anything that matters.
    let (clean, seen, broken) = fixture.case("fk-clean", Vec::new());
    assert!(broken.is_empty(), "the clean run broke a rule: {broken:#?}");
    let called = apis_called(&seen);
    for api in [
        Api::CreateMultipartUpload,
        Api::UploadPart,
        Api::CompleteMultipartUpload,
    ] {
        assert!(called.contains(&api), "{api} not called: {called:?}");
    }
    let dry_run = clean.report["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == "dry-run-put"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(dry_run["status"], "pass", "{dry_run}");
    assert_eq!(dry_run["evidence"]["multipart"], "proved", "{dry_run}");
    let encryption = clean.report["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == "encryption"))
        .cloned()
        .unwrap_or_default();
    assert!(
        encryption.to_string().contains(&kms_key),
        "the bucket's KMS key is not the one created: {encryption}"
    );
    let clean_statuses = statuses(&clean.report);
    assert_eq!(clean_statuses["object-lock"], "pass", "{clean_statuses:?}");

    let cases: VecDeque<Case> = KMS_PATH
        .iter()
        .flat_map(|&(api, with)| {
            Fault::ALL
                .iter()
                .map(move |&fault| Case { api, fault, with })
        })
        .collect();
    assert_eq!(
        cases.len(),
        48,
        "the test's name states the number of pairs"
    );
    let failures = run_matrix(&fixture, cases, kms_dependents);
    assert!(
        failures.is_empty(),
        "{} of 48 pairs broke a rule:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A port nobody listens on refuses every API at once: every online check says why it could not
/// verify, none passes, and the run still ends in time.
#[test]
fn an_endpoint_that_refuses_every_connection_passes_no_online_check() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bucket-preflight"))
        .env_clear()
        .envs(support::isolated_env())
        .envs([
            ("AWS_ACCESS_KEY_ID", support::ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", support::SECRET_KEY),
        ])
        .args([
            "check",
            "refused-bucket",
            "--format",
            "json",
            "--path-style",
        ])
        .args(["--endpoint-url", &closed])
        .args(["--check-timeout", &CHECK_TIMEOUT_SECS.to_string()])
        .args(["--timeout", &RUN_TIMEOUT_SECS.to_string()])
        .output()
        .expect("runs");
    assert!(started.elapsed() < Duration::from_secs(RUN_TIMEOUT_SECS) + STARTUP_MARGIN);
    assert_eq!(out.status.code(), Some(3), "could not verify: exit 3");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // Each error is said in words: the host tried, what happened, what to do.
    let text = report.to_string();
    assert_eq!(support::debug_dump_in(&text), None, "{text}");
    let host = closed.trim_start_matches("http://");
    assert!(
        text.contains(&format!(
            "could not reach {host}: the connection was refused"
        )),
        "{text}"
    );
    let catalog = preflight::registry::ALL;
    for result in report["results"].as_array().expect("results") {
        let info = catalog
            .iter()
            .find(|c| c.info().id == result["id"])
            .expect("a known check")
            .info();
        if info.online {
            assert_ne!(result["status"], "pass", "{result}");
        }
    }
}
