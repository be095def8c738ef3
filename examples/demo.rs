//! The demo behind the README's first command: the local S3 emulator, a healthy bucket and the
//! classic misconfigurations, each checked by the real `bucket-preflight` binary.
//!
//! Run it with `scripts/demo.sh`, which installs the emulator and builds the binary first.

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::Command;
use support::{BucketSetup, Emulator};

struct Scenario {
    title: &'static str,
    story: &'static str,
    bucket: &'static str,
    args: &'static [&'static str],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        title: "A healthy bucket",
        story: "ACLs enabled, Block Public Access off, region given: every check passes and the dry-run probe is removed again.",
        bucket: "acme-exports",
        args: &["--acl", "public", "--bucket-region", "us-east-1"],
    },
    Scenario {
        title: "A bucket name that is not DNS-compliant (no AWS needed)",
        story: "Uppercase letters and underscores: caught offline, with the rename hint and the path-style url_prefix for legacy buckets.",
        bucket: "Acme_Exports",
        args: &["--offline"],
    },
    Scenario {
        title: "A bucket created with today's AWS defaults, used with acl: public",
        story: "Since April 2023 new buckets have Block Public Access on and ACLs disabled (BucketOwnerEnforced): the default acl: public fails twice over.",
        bucket: "acme-new-bucket",
        args: &["--acl", "public", "--bucket-region", "us-east-1", "--no-write"],
    },
    Scenario {
        title: "The same bucket with acl: bucket-default",
        story: "Applying the remediation: no ACL header is sent, so neither setting gets in the way.",
        bucket: "acme-new-bucket",
        args: &["--acl", "bucket-default", "--bucket-region", "us-east-1"],
    },
    Scenario {
        title: "The wrong bucket_region",
        story: "The template says us-east-1, the bucket lives in eu-west-1.",
        bucket: "acme-eu-exports",
        args: &["--acl", "private", "--bucket-region", "us-east-1", "--no-write"],
    },
    Scenario {
        title: "SSE-KMS default encryption",
        story: "Uploads also need kms:GenerateDataKey on the bucket's key; the check names the key and the statement.",
        bucket: "acme-kms-exports",
        args: &["--acl", "bucket-default", "--bucket-region", "us-east-1", "--no-write"],
    },
    Scenario {
        title: "An IAM policy that grants s3:ListBucket on BUCKET/* instead of the bucket",
        story: "The most common broken policy: run as that user (IAM enforcement on), the first check names the exact statement to add.",
        bucket: "acme-iam-exports",
        args: &["--acl", "public", "--bucket-region", "us-east-1", "--no-write"],
    },
];

fn binary() -> PathBuf {
    let examples = std::env::current_exe().expect("own path");
    let dir = examples
        .parent()
        .and_then(|p| p.parent())
        .expect("target/<profile>/examples");
    dir.join(format!("bucket-preflight{}", std::env::consts::EXE_SUFFIX))
}

#[tokio::main]
async fn main() {
    let binary = binary();
    assert!(
        binary.exists(),
        "{} is not built: run `scripts/demo.sh` (or `cargo build` first)",
        binary.display()
    );
    println!("Starting the local S3 emulator (moto) ...");
    let emulator = Emulator::start();
    emulator
        .create_bucket("acme-exports", "us-east-1", &BucketSetup::default())
        .await;
    let aws_defaults = BucketSetup {
        public_access_block: Some([true, true, true, true]),
        ownership: Some("BucketOwnerEnforced"),
        ..Default::default()
    };
    emulator
        .create_bucket("acme-new-bucket", "us-east-1", &aws_defaults)
        .await;
    emulator
        .create_bucket("acme-eu-exports", "eu-west-1", &BucketSetup::default())
        .await;
    let kms = BucketSetup {
        default_encryption: Some("aws:kms"),
        kms_key: Some(
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        ),
        ..Default::default()
    };
    emulator
        .create_bucket("acme-kms-exports", "us-east-1", &kms)
        .await;
    emulator
        .create_bucket("acme-iam-exports", "us-east-1", &BucketSetup::default())
        .await;
    let broken_policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject", "s3:PutObjectAcl", "sts:GetCallerIdentity"],
            "Resource": ["arn:aws:s3:::acme-iam-exports/*", "*"]
        }]
    });
    let exporter = emulator.create_user("exporter", &broken_policy).await;
    println!("Emulator at {} with 5 example buckets. It serves plain http on loopback, so `result-url` warns throughout.\n", emulator.endpoint);

    let colour = if std::io::stdout().is_terminal() {
        "always"
    } else {
        "never"
    };
    for (n, scenario) in SCENARIOS.iter().enumerate() {
        println!("━━━ {}. {} ━━━", n + 1, scenario.title);
        println!("{}", scenario.story);
        println!(
            "$ bucket-preflight check {} {}\n",
            scenario.bucket,
            scenario.args.join(" ")
        );
        let env = if scenario.bucket == "acme-iam-exports" {
            emulator.enforce_iam();
            emulator.env_as(&exporter)
        } else {
            emulator.env()
        };
        let url_prefix = format!(
            "{}/{}/",
            emulator.endpoint,
            scenario.bucket.to_ascii_lowercase()
        );
        let mut cmd = Command::new(&binary);
        cmd.env_clear()
            .envs(env)
            .arg("check")
            .arg(scenario.bucket)
            .args(scenario.args)
            .args(["--color", colour]);
        if !scenario.args.contains(&"--offline") {
            cmd.args(emulator.endpoint_args())
                .args(["--url-prefix", &url_prefix]);
        }
        if colour == "always" {
            cmd.env_remove("NO_COLOR");
        }
        let status = cmd.status().expect("run bucket-preflight");
        println!("(exit code {})\n", status.code().unwrap_or(-1));
    }
    println!("Against a real bucket, drop the emulator flags:\n  bucket-preflight check my-bucket --acl public --bucket-region eu-west-1");
}
