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

mod support;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fault_proxy::{Api, Fault, FaultProxy, Seen};
use support::{BucketSetup, Emulator};

/// Per-check and whole-run limits given to every run. The SDK retries 5xx and I/O errors
/// three times with up to a few seconds of backoff, which the per-check limit leaves room for.
const CHECK_TIMEOUT_SECS: u64 = 3;
const RUN_TIMEOUT_SECS: u64 = 15;
/// Process start, credential resolution and rendering on a loaded 2-core machine.
const STARTUP_MARGIN: Duration = Duration::from_secs(5);
/// Cases at a time: the emulator answers one request at a time, most of a case is waiting.
const WORKERS: usize = 6;

const FIXTURE_KEY: &str = "existing/customer-file.txt";
/// Whether `key` is a probe key the tool reserves for itself (the path has no fixed prefix
/// here): `bucket-preflight-probe-<32 hex digits>.txt`, one per run.
fn is_probe_key(key: &str) -> bool {
    key.strip_prefix("bucket-preflight-probe-")
        .and_then(|rest| rest.strip_suffix(".txt"))
        .is_some_and(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

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

/// What every case's bucket looks like: as ready as the emulator allows, so that as many
/// checks as possible pass without a fault; versioned, so that every write leaves a trace; with
/// a bucket policy, so that GetBucketPolicy answers with a document (JSON) rather than a 404.
/// Encrypted with AES256, or with SSE-KMS under `kms_key` (which takes the probe's multipart
/// path).
fn setup(bucket: &str, kms_key: Option<&str>) -> BucketSetup {
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ExportWriter",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{}:root", support::ACCOUNT)},
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": format!("arn:aws:s3:::{bucket}/*")
        }]
    });
    BucketSetup {
        versioning: true,
        default_encryption: Some(if kms_key.is_some() {
            "aws:kms"
        } else {
            "AES256"
        }),
        kms_key: kms_key.map(str::to_owned),
        ownership: Some("ObjectWriter"),
        public_access_block: Some([false; 4]),
        policy: Some(policy.to_string()),
        objects: vec![(FIXTURE_KEY.to_owned(), b"keep me".to_vec())],
        ..Default::default()
    }
}

struct Run {
    code: Option<i32>,
    report: serde_json::Value,
    stderr: String,
    elapsed: Duration,
}

/// Runs `check` against the emulator through `proxy`.
fn run_through(env: &[(String, String)], proxy: &FaultProxy, bucket: &str) -> Run {
    let url_prefix = format!("{}/{bucket}/", proxy.endpoint);
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bucket-preflight"))
        .env_clear()
        .envs(env.iter().cloned())
        .args(["check", bucket, "--format", "json", "--path-style"])
        .args([
            "--endpoint-url",
            &proxy.endpoint,
            "--url-prefix",
            &url_prefix,
        ])
        .args(["--check-timeout", &CHECK_TIMEOUT_SECS.to_string()])
        .args(["--timeout", &RUN_TIMEOUT_SECS.to_string()])
        .output()
        .expect("the binary runs");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    Run {
        code: out.status.code(),
        report,
        stderr,
        elapsed,
    }
}

fn statuses(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The bucket's configuration as the emulator holds it, read directly (not through the
/// proxy), for comparing before and after.
async fn configuration(s3: &aws_sdk_s3::Client, bucket: &str) -> String {
    let versioning = s3.get_bucket_versioning().bucket(bucket).send().await;
    let encryption = s3.get_bucket_encryption().bucket(bucket).send().await;
    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await;
    let bpa = s3.get_public_access_block().bucket(bucket).send().await;
    let policy = s3.get_bucket_policy().bucket(bucket).send().await;
    let lock = s3
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await;
    let acl = s3.get_bucket_acl().bucket(bucket).send().await;
    format!(
        "versioning={:?}\nencryption={:?}\nownership={:?}\nbpa={:?}\npolicy={:?}\nlock={:?}\nacl={:?}",
        versioning.map(|o| o.status().cloned()).ok(),
        encryption
            .map(|o| format!("{:?}", o.server_side_encryption_configuration()))
            .ok(),
        ownership.map(|o| format!("{:?}", o.ownership_controls())).ok(),
        bpa.map(|o| format!("{:?}", o.public_access_block_configuration()))
            .ok(),
        policy.map(|o| o.policy().map(str::to_owned)).ok(),
        lock.map(|o| format!("{:?}", o.object_lock_configuration()))
            .ok(),
        acl.map(|o| format!("{:?} {:?}", o.owner(), o.grants())).ok(),
    )
}

/// Every object version and delete marker: (key, version id, is a delete marker).
async fn versions(s3: &aws_sdk_s3::Client, bucket: &str) -> BTreeSet<(String, String, bool)> {
    let out = s3
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .expect("list object versions");
    let objects = out.versions().iter().map(|v| {
        (
            v.key().unwrap_or_default().to_owned(),
            v.version_id().unwrap_or_default().to_owned(),
            false,
        )
    });
    let markers = out.delete_markers().iter().map(|m| {
        (
            m.key().unwrap_or_default().to_owned(),
            m.version_id().unwrap_or_default().to_owned(),
            true,
        )
    });
    objects.chain(markers).collect()
}

/// The rules every run must keep, fault or not. Returns the broken ones.
fn wire_violations(seen: &[Seen]) -> Vec<String> {
    let mut broken = Vec::new();
    for request in seen {
        let allowed = if request.api.writes() {
            request.object_key().is_some_and(is_probe_key)
        } else if request.api == Api::Other {
            // Query-protocol reads (STS/IAM Get*, List*, Simulate*) and nothing else.
            matches!(request.method.as_str(), "GET" | "HEAD")
                || request
                    .action
                    .as_deref()
                    .is_some_and(|a| ["Get", "List", "Simulate"].iter().any(|p| a.starts_with(p)))
        } else {
            true
        };
        if !allowed {
            broken.push(format!(
                "wrote something other than the probe: {} {} ({:?})",
                request.method, request.target, request.api
            ));
        }
    }
    broken
}

struct Case {
    api: Api,
    fault: Fault,
    /// Another API faulted at the same time, without which `api` is never called.
    with: Option<(Api, Fault)>,
}

impl Case {
    fn alone(api: Api, fault: Fault) -> Case {
        Case {
            api,
            fault,
            with: None,
        }
    }

    fn rules(&self) -> Vec<(Api, Fault)> {
        std::iter::once((self.api, self.fault))
            .chain(self.with)
            .collect()
    }
}

struct Fixture {
    /// Behind a lock only because its log receiver cannot be shared; bucket creation is short.
    emulator: tokio::sync::Mutex<Emulator>,
    endpoint: String,
    env: Vec<(String, String)>,
    s3: aws_sdk_s3::Client,
    runtime: tokio::runtime::Runtime,
    /// The buckets' default KMS key; `None`: AES256.
    kms_key: Option<String>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::start(false)
    }

    /// Buckets encrypted by default with a KMS key created in the emulator.
    fn with_kms_key() -> Fixture {
        Fixture::start(true)
    }

    fn start(kms: bool) -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let emulator = Emulator::start();
        let kms_key = kms.then(|| {
            runtime.block_on(support::kms::create_key(
                &emulator.endpoint,
                "fault matrix: bucket default encryption",
            ))
        });
        Fixture {
            kms_key,
            endpoint: emulator.endpoint.clone(),
            // Long-term keys: with a session token the credentials check warns (temporary
            // credentials expire), and its pairs would prove nothing. tests/secrets.rs runs
            // with a token through the proxy.
            env: emulator.env(),
            s3: emulator.s3("us-east-1"),
            emulator: tokio::sync::Mutex::new(emulator),
            runtime,
        }
    }

    fn bucket(&self, name: &str) -> (String, BTreeSet<(String, String, bool)>) {
        self.runtime.block_on(async {
            let emulator = self.emulator.lock().await;
            emulator
                .create_bucket(name, "us-east-1", &setup(name, self.kms_key.as_deref()))
                .await;
            drop(emulator);
            (
                configuration(&self.s3, name).await,
                versions(&self.s3, name).await,
            )
        })
    }

    /// Runs one case (faulting each API of `rules`) and returns what went wrong (empty: every
    /// rule held).
    fn case(&self, bucket: &str, rules: Vec<(Api, Fault)>) -> (Run, Vec<Seen>, Vec<String>) {
        let (config_before, versions_before) = self.bucket(bucket);
        let proxy = self
            .runtime
            .block_on(FaultProxy::start_with(&self.endpoint, rules));
        let run = run_through(&self.env, &proxy, bucket);
        let seen = proxy.seen();
        let mut broken = wire_violations(&seen);
        let limit = Duration::from_secs(RUN_TIMEOUT_SECS) + STARTUP_MARGIN;
        if run.elapsed > limit {
            broken.push(format!(
                "took {:.1}s, beyond the {RUN_TIMEOUT_SECS}s deadline",
                run.elapsed.as_secs_f64()
            ));
        }
        let output = format!("{}\n{}", run.report, run.stderr);
        if output.contains("the check crashed") {
            broken.push(format!("a check crashed (a caught panic): {output}"));
        }
        for (name, secret) in [
            ("secret key", support::SECRET_KEY),
            ("access key id", support::ACCESS_KEY),
        ] {
            if output.contains(secret) {
                broken.push(format!("the {name} appears in the output"));
            }
        }
        if !matches!(run.code, Some(0 | 1 | 3)) {
            broken.push(format!("exit code {:?}; stderr: {}", run.code, run.stderr));
        }
        let (config_after, versions_after) = self.runtime.block_on(async {
            (
                configuration(&self.s3, bucket).await,
                versions(&self.s3, bucket).await,
            )
        });
        if config_after != config_before {
            broken.push(format!(
                "the bucket configuration changed:\nbefore: {config_before}\nafter: {config_after}"
            ));
        }
        for gone in versions_before.difference(&versions_after) {
            broken.push(format!("object version lost: {gone:?}"));
        }
        for new in versions_after.difference(&versions_before) {
            if !is_probe_key(&new.0) {
                broken.push(format!(
                    "something other than the probe was written: {new:?}"
                ));
            }
        }
        // A probe the report calls deleted must be gone, every version of it.
        let remaining: Vec<_> = versions_after
            .difference(&versions_before)
            .filter(|v| is_probe_key(&v.0))
            .collect();
        let dry_run = run.report["results"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["id"] == "dry-run-put"));
        if let Some(dry_run) = dry_run {
            if dry_run["evidence"]["cleaned_up"] == true && !remaining.is_empty() {
                broken.push(format!(
                    "dry-run-put says the probe was deleted, but {remaining:?} remain: {dry_run}"
                ));
            }
        }
        (run, seen, broken)
    }
}

/// The APIs a clean run calls, in the order first seen.
fn apis_called(seen: &[Seen]) -> Vec<Api> {
    let mut apis = Vec::new();
    for request in seen {
        if !apis.contains(&request.api) {
            apis.push(request.api);
        }
    }
    apis
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

/// Runs `cases`, several at a time, each on a fresh bucket; returns the broken rules per case.
fn run_matrix(
    fixture: &Arc<Fixture>,
    cases: VecDeque<Case>,
    dependents: fn(Api) -> &'static [&'static str],
) -> Vec<String> {
    let queue = Arc::new(Mutex::new(cases));
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (fixture, queue, failures) = (fixture.clone(), queue.clone(), failures.clone());
            std::thread::spawn(move || loop {
                let Some(case) = queue.lock().unwrap().pop_front() else {
                    break;
                };
                let prefix = if fixture.kms_key.is_some() {
                    "fk"
                } else {
                    "fm"
                };
                let with = case
                    .with
                    .map(|(api, _)| format!("-{api}"))
                    .unwrap_or_default();
                // Unique per case, within S3's 63 characters.
                let mut bucket =
                    format!("{prefix}-{}-{}{with}", case.api, case.fault).to_ascii_lowercase();
                bucket.truncate(63);
                let (run, seen, mut broken) = fixture.case(&bucket, case.rules());
                if !seen.iter().any(|s| s.faulted && s.api == case.api) {
                    broken.push(format!(
                        "{} was never called, so the fault was never applied",
                        case.api
                    ));
                }
                let got = statuses(&run.report);
                for id in dependents(case.api) {
                    if got.get(*id).map(String::as_str) == Some("pass") {
                        let result = run.report["results"]
                            .as_array()
                            .and_then(|r| r.iter().find(|r| r["id"] == *id))
                            .cloned()
                            .unwrap_or_default();
                        broken.push(format!(
                            "{id} passed although {} failed: {result}",
                            case.api
                        ));
                    }
                }
                if !broken.is_empty() {
                    let with = case
                        .with
                        .map(|(api, fault)| format!(" (with {api} × {fault})"))
                        .unwrap_or_default();
                    failures.lock().unwrap().push(format!(
                        "{} × {}{with}:\n  {}",
                        case.api,
                        case.fault,
                        broken.join("\n  ")
                    ));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a worker panicked");
    }
    let failures = failures.lock().unwrap();
    failures.clone()
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
/// version of the probe may remain (the rule on remaining probes in [`Fixture::case`]).
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
