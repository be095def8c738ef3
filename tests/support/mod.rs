//! The S3 emulator under the tests (and the demo): moto in server mode on a free loopback port.
//!
//! `scripts/install-emulator.sh` installs the pinned moto into `.venv/`. A missing emulator is a
//! test failure that says how to install it, never a silent skip.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod fault_proxy;
pub mod kms;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Credentials the emulator accepts; moto's root user is account 123456789012.
pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const ACCOUNT: &str = "123456789012";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the moto server executable is: `BUCKET_PREFLIGHT_MOTO_SERVER`, or the project venv.
pub fn moto_server_path() -> PathBuf {
    match std::env::var_os("BUCKET_PREFLIGHT_MOTO_SERVER") {
        Some(path) => PathBuf::from(path),
        None => repo_root().join(".venv/bin/moto_server"),
    }
}

pub struct Emulator {
    child: Child,
    pub endpoint: String,
    log: mpsc::Receiver<String>,
}

impl Emulator {
    /// Starts a fresh emulator and waits until it listens.
    pub fn start() -> Emulator {
        let server = moto_server_path();
        assert!(
            server.exists(),
            "the S3 emulator (moto) is not installed at {}.\nInstall it with `scripts/install-emulator.sh` (the README's test command, `scripts/test.sh`, does this), or point BUCKET_PREFLIGHT_MOTO_SERVER at a moto_server executable.",
            server.display()
        );
        let mut child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // moto reads these for the region and account of its fake responses.
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let stderr = child.stderr.take().expect("stderr is piped");
        let (port_tx, port_rx) = mpsc::channel();
        let (log_tx, log_rx) = mpsc::channel();
        // werkzeug prints "Running on http://127.0.0.1:PORT" once the socket listens. The thread
        // keeps draining the log afterwards, so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("Running on http://127.0.0.1:").nth(1) {
                    if let Some(tx) = port_tx.take() {
                        let _ = tx.send(rest.trim().to_owned());
                    }
                }
                let _ = log_tx.send(line);
            }
        });
        let port = match port_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                let log: Vec<String> = log_rx.try_iter().collect();
                panic!(
                    "moto did not report its port within 60s; its output:\n{}",
                    log.join("\n")
                );
            }
        };
        Emulator {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log: log_rx,
        }
    }

    /// What the emulator logged so far (one line per request), for assertions and diagnostics.
    pub fn log(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }

    /// An S3 client with the emulator's root credentials, for creating fixtures.
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        self.s3_as(region, ACCESS_KEY, SECRET_KEY)
    }

    pub fn s3_as(&self, region: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .credentials_provider(Credentials::new(
                access_key, secret_key, None, None, "fixture",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Creates `name` in `region` and applies `setup`.
    pub async fn create_bucket(&self, name: &str, region: &str, setup: &BucketSetup) {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
        let s3 = self.s3(region);
        let mut create = s3.create_bucket().bucket(name);
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        if setup.object_lock {
            create = create.object_lock_enabled_for_bucket(true);
        }
        create
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {name}: {e:?}"));
        setup.apply(&s3, name).await;
    }

    /// The environment a `bucket-preflight` run gets: nothing of the developer's own (no
    /// credentials, profiles or metadata service), the emulator's root credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut env = isolated_env();
        env.push(("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()));
        env.push(("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()));
        env
    }

    /// Arguments that point a `check` at this emulator.
    pub fn endpoint_args(&self) -> [String; 3] {
        [
            "--endpoint-url".into(),
            self.endpoint.clone(),
            "--path-style".into(),
        ]
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An environment with no AWS configuration at all: an empty HOME, no shared files, and the
/// instance-metadata service switched off so that nothing leaves the machine.
pub fn isolated_env() -> Vec<(String, String)> {
    let home = std::env::temp_dir().join(format!("bucket-preflight-home-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), home.display().to_string()),
        (
            "AWS_CONFIG_FILE".into(),
            home.join("no-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            home.join("no-credentials").display().to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("NO_COLOR".into(), "1".into()),
    ]
}

/// A bucket configuration, applied after creation. Everything unset stays as a fresh bucket
/// has it in the emulator (no ownership controls, no public access block: pre-2023 defaults).
#[derive(Debug, Clone, Default)]
pub struct BucketSetup {
    pub versioning: bool,
    pub object_lock: bool,
    /// `AES256` or `aws:kms` (with `kms_key`).
    pub default_encryption: Option<&'static str>,
    pub kms_key: Option<String>,
    /// `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`.
    pub ownership: Option<&'static str>,
    /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
    pub public_access_block: Option<[bool; 4]>,
    pub policy: Option<String>,
    /// Default retention in days, GOVERNANCE mode (needs `object_lock`).
    pub lock_retention_days: Option<i32>,
    pub objects: Vec<(String, Vec<u8>)>,
}

impl BucketSetup {
    async fn apply(&self, s3: &aws_sdk_s3::Client, bucket: &str) {
        use aws_sdk_s3::types::*;
        if self.versioning {
            s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .expect("put versioning");
        }
        if let Some(algorithm) = self.default_encryption {
            let mut default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(algorithm));
            if let Some(key) = &self.kms_key {
                default = default.kms_master_key_id(key);
            }
            let rule = ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default.build().expect("sse default"));
            s3.put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(
                    ServerSideEncryptionConfiguration::builder()
                        .rules(rule.build())
                        .build()
                        .expect("sse config"),
                )
                .send()
                .await
                .expect("put encryption");
        }
        if let Some(ownership) = self.ownership {
            let rule = OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::from(ownership))
                .build()
                .expect("rule");
            s3.put_bucket_ownership_controls()
                .bucket(bucket)
                .ownership_controls(
                    OwnershipControls::builder()
                        .rules(rule)
                        .build()
                        .expect("controls"),
                )
                .send()
                .await
                .expect("put ownership controls");
        }
        if let Some([acls, ignore, policy, restrict]) = self.public_access_block {
            s3.put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(acls)
                        .ignore_public_acls(ignore)
                        .block_public_policy(policy)
                        .restrict_public_buckets(restrict)
                        .build(),
                )
                .send()
                .await
                .expect("put public access block");
        }
        if let Some(days) = self.lock_retention_days {
            let retention = DefaultRetention::builder()
                .mode(ObjectLockRetentionMode::Governance)
                .days(days)
                .build();
            s3.put_object_lock_configuration()
                .bucket(bucket)
                .object_lock_configuration(
                    ObjectLockConfiguration::builder()
                        .object_lock_enabled(ObjectLockEnabled::Enabled)
                        .rule(
                            ObjectLockRule::builder()
                                .default_retention(retention)
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .expect("put object lock configuration");
        }
        if let Some(policy) = &self.policy {
            s3.put_bucket_policy()
                .bucket(bucket)
                .policy(policy)
                .send()
                .await
                .expect("put bucket policy");
        }
        for (key, body) in &self.objects {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(body.clone().into())
                .send()
                .await
                .expect("put object");
        }
    }
}

/// Runs `bucket-preflight check BUCKET ARGS` against the emulator as `env`, with result URLs on
/// the emulator too, and returns the exit code and the JSON report.
pub fn check_json(
    emulator: &Emulator,
    env: Vec<(String, String)>,
    bucket: &str,
    args: &[&str],
) -> (i32, serde_json::Value) {
    let url_prefix = format!("{}/{bucket}/", emulator.endpoint);
    let out = assert_cmd::Command::cargo_bin("bucket-preflight")
        .expect("the binary is built")
        .env_clear()
        .envs(env)
        .args([
            "check",
            bucket,
            "--url-prefix",
            &url_prefix,
            "--format",
            "json",
        ])
        .args(emulator.endpoint_args())
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

/// The result of check `id` in a JSON report.
pub fn result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

/// `policy` plus what only the emulator asks for. moto authorises HeadBucket as an action of its
/// own, `s3:HeadBucket`, where real S3 checks `s3:ListBucket` on the bucket ARN: it is granted
/// exactly to policies that allow that, i.e. to users real S3 would let through. moto also checks
/// `sts:GetCallerIdentity`, which real AWS never denies.
pub fn with_emulator_grants(mut policy: serde_json::Value, bucket: &str) -> serde_json::Value {
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let names = |v: &serde_json::Value, wanted: &str| match v {
        serde_json::Value::String(s) => s == wanted,
        serde_json::Value::Array(items) => items.iter().any(|i| i == wanted),
        _ => false,
    };
    let statements = policy["Statement"]
        .as_array_mut()
        .expect("a Statement array");
    let lists_bucket = statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && names(&s["Action"], "s3:ListBucket")
            && names(&s["Resource"], &bucket_arn)
    });
    let mut emulator_only = vec!["sts:GetCallerIdentity"];
    if lists_bucket {
        emulator_only.push("s3:HeadBucket");
    }
    statements.push(serde_json::json!({"Sid": "EmulatorOnly", "Effect": "Allow", "Action": emulator_only, "Resource": "*"}));
    policy
}

/// Keys of an IAM user created in the emulator.
#[derive(Debug, Clone)]
pub struct UserKeys {
    pub access_key: String,
    pub secret_key: String,
}

impl Emulator {
    fn iam(&self) -> aws_sdk_iam::Client {
        self.iam_as(ACCESS_KEY, SECRET_KEY)
    }

    fn iam_as(&self, access_key: &str, secret_key: &str) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                access_key, secret_key, None, None, "fixture",
            ))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    /// Replaces `user`'s inline policy, acting as `admin` (after `enforce_iam`, the root
    /// fixture keys are no longer accepted).
    pub async fn replace_user_policy(
        &self,
        admin: &UserKeys,
        user: &str,
        policy: &serde_json::Value,
    ) {
        self.iam_as(&admin.access_key, &admin.secret_key)
            .put_user_policy()
            .user_name(user)
            .policy_name(format!("{user}-policy"))
            .policy_document(policy.to_string())
            .send()
            .await
            .expect("put user policy as admin");
    }

    /// Creates an IAM user with one inline policy and an access key.
    pub async fn create_user(&self, name: &str, policy: &serde_json::Value) -> UserKeys {
        let iam = self.iam();
        iam.create_user()
            .user_name(name)
            .send()
            .await
            .expect("create user");
        iam.put_user_policy()
            .user_name(name)
            .policy_name(format!("{name}-policy"))
            .policy_document(policy.to_string())
            .send()
            .await
            .expect("put user policy");
        let key = iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .expect("create access key");
        let key = key.access_key().expect("access key");
        UserKeys {
            access_key: key.access_key_id().to_owned(),
            secret_key: key.secret_access_key().to_owned(),
        }
    }

    /// Turns on IAM enforcement: from now on only keys of users created above are accepted,
    /// and only for what their policies allow.
    pub fn enforce_iam(&self) {
        use std::io::{Read, Write};
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connect to the emulator");
        let body = "0";
        write!(
            stream,
            "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "reset-auth failed: {response}"
        );
    }

    /// The environment for running as `keys` instead of the root user.
    pub fn env_as(&self, keys: &UserKeys) -> Vec<(String, String)> {
        let mut env = isolated_env();
        env.push(("AWS_ACCESS_KEY_ID".into(), keys.access_key.clone()));
        env.push(("AWS_SECRET_ACCESS_KEY".into(), keys.secret_key.clone()));
        env
    }
}

/// Marks of a Rust debug dump (`{:?}` of an error) that no report, error or note may contain:
/// an error is said in words, with the host tried and what to do.
pub const DEBUG_DUMP_MARKS: [&str; 7] = [
    "Error {",
    "DispatchFailure(",
    "ConnectorError",
    "Some(",
    "hyper_util",
    "kind: ",
    "source: ",
];

/// The first debug-dump mark in `output`, if any.
pub fn debug_dump_in(output: &str) -> Option<&'static str> {
    DEBUG_DUMP_MARKS
        .into_iter()
        .find(|mark| output.contains(mark))
}
