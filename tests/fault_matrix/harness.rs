//! The fault matrix's harness: one case is one run of the binary through the fault proxy on a
//! fresh bucket, and the rules every run must keep whatever the fault; cases run several at a
//! time.

use crate::support::fault_proxy::{Api, Fault, FaultProxy, Seen};
use crate::support::{self, BucketSetup, Emulator};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Per-check and whole-run limits given to every run. The SDK retries 5xx and I/O errors
/// three times with up to a few seconds of backoff, which the per-check limit leaves room for.
pub const CHECK_TIMEOUT_SECS: u64 = 3;
pub const RUN_TIMEOUT_SECS: u64 = 15;
/// Process start, credential resolution and rendering on a loaded 2-core machine.
pub const STARTUP_MARGIN: Duration = Duration::from_secs(5);
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

pub struct Run {
    code: Option<i32>,
    pub report: serde_json::Value,
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

pub fn statuses(report: &serde_json::Value) -> BTreeMap<String, String> {
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

pub struct Case {
    pub api: Api,
    pub fault: Fault,
    /// Another API faulted at the same time, without which `api` is never called.
    pub with: Option<(Api, Fault)>,
}

impl Case {
    pub fn alone(api: Api, fault: Fault) -> Case {
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

pub struct Fixture {
    /// Behind a lock only because its log receiver cannot be shared; bucket creation is short.
    emulator: tokio::sync::Mutex<Emulator>,
    endpoint: String,
    env: Vec<(String, String)>,
    s3: aws_sdk_s3::Client,
    runtime: tokio::runtime::Runtime,
    /// The buckets' default KMS key; `None`: AES256.
    pub kms_key: Option<String>,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::start(false)
    }

    /// Buckets encrypted by default with a KMS key created in the emulator.
    pub fn with_kms_key() -> Fixture {
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
    pub fn case(&self, bucket: &str, rules: Vec<(Api, Fault)>) -> (Run, Vec<Seen>, Vec<String>) {
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
        if let Some(mark) = support::debug_dump_in(&output) {
            broken.push(format!("a debug dump ({mark:?}) in the output: {output}"));
        }
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
pub fn apis_called(seen: &[Seen]) -> Vec<Api> {
    let mut apis = Vec::new();
    for request in seen {
        if !apis.contains(&request.api) {
            apis.push(request.api);
        }
    }
    apis
}

/// Runs `cases`, several at a time, each on a fresh bucket; returns the broken rules per case.
pub fn run_matrix(
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
