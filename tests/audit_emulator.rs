//! `audit` end to end on the emulator: 30+ buckets of mixed configurations from one config
//! file, checked in one run; the JSON report, dedup, shards, --all-buckets and the probe's
//! hygiene.

mod support;

use assert_cmd::Command;
use std::collections::{BTreeMap, BTreeSet};
use support::{BucketSetup, Emulator};

/// What a bucket is set up as, and the finding the audit must report for it.
struct Case {
    bucket: String,
    region: &'static str,
    setup: BucketSetup,
    /// Extra lines of its `[[target]]`.
    fields: String,
    /// (check id, status) the audit must report.
    expect: (&'static str, &'static str),
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for i in 0..12 {
        cases.push(Case {
            bucket: format!("healthy-{i:02}"),
            region: "us-east-1",
            setup: BucketSetup::default(),
            fields: "acl = \"bucket-default\"\n".into(),
            expect: ("dry-run-put", "pass"),
        });
    }
    for i in 0..8 {
        cases.push(Case {
            bucket: format!("blocked-{i:02}"),
            region: "us-east-1",
            setup: BucketSetup {
                public_access_block: Some([true, true, true, true]),
                ..Default::default()
            },
            fields: "acl = \"public\"\n".into(),
            // The emulator stores Block Public Access without enforcing it: the dry run's
            // accepted upload stands, and the prediction is reconciled into a warning.
            expect: ("block-public-access", "warn"),
        });
    }
    for i in 0..6 {
        cases.push(Case {
            bucket: format!("enforced-{i:02}"),
            region: "us-east-1",
            setup: BucketSetup {
                ownership: Some("BucketOwnerEnforced"),
                ..Default::default()
            },
            fields: "acl = \"public-read\"\n".into(),
            // Likewise for disabled ACLs: the emulator accepts the ACL the prediction refuses.
            expect: ("object-ownership", "warn"),
        });
    }
    for i in 0..4 {
        cases.push(Case {
            bucket: format!("elsewhere-{i:02}"),
            region: "eu-west-1",
            setup: BucketSetup::default(),
            fields: "acl = \"bucket-default\"\nbucket_region = \"us-east-1\"\n".into(),
            expect: ("bucket-region", "fail"),
        });
    }
    for i in 0..2 {
        cases.push(Case {
            bucket: format!("missing-{i:02}"),
            region: "",
            setup: BucketSetup::default(),
            fields: String::new(),
            expect: ("bucket-exists", "fail"),
        });
    }
    cases
}

struct Estate {
    emulator: Emulator,
    dir: std::path::PathBuf,
    config: std::path::PathBuf,
    cases: Vec<Case>,
}

/// The emulator with every case's bucket, and a config file naming them all, plus one bucket
/// named twice under different names (the same target: checked once).
async fn estate(tag: &str) -> Estate {
    let emulator = Emulator::start();
    let cases = cases();
    let mut config =
        String::from("[defaults]\npath = \"audit/${unique_prefix}/${file.url_name}\"\n\n");
    for case in &cases {
        if !case.region.is_empty() {
            emulator
                .create_bucket(&case.bucket, case.region, &case.setup)
                .await;
        }
        config += &format!(
            "[[target]]\nname = \"{0}\"\nbucket = \"{0}\"\nurl_prefix = \"{1}/{0}/\"\n{2}\n",
            case.bucket, emulator.endpoint, case.fields
        );
    }
    config += &format!(
        "[[target]]\nname = \"healthy-00-again\"\nbucket = \"healthy-00\"\nurl_prefix = \"{}/healthy-00/\"\nacl = \"bucket-default\"\n",
        emulator.endpoint
    );
    let dir = std::env::temp_dir().join(format!(
        "bucket-preflight-audit-{tag}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("audit.toml");
    std::fs::write(&path, config).unwrap();
    Estate {
        emulator,
        dir,
        config: path,
        cases,
    }
}

fn audit(emulator: &Emulator, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(emulator.env())
        .arg("audit")
        .args(args)
        .args(emulator.endpoint_args())
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(stdout: &str, stderr: &str) -> serde_json::Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"))
}

fn status_of<'a>(target: &'a serde_json::Value, check: &str) -> &'a str {
    target["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == check)
        .and_then(|r| r["status"].as_str())
        .unwrap_or_else(|| panic!("no {check} in {target}"))
}

#[tokio::test]
async fn a_config_of_thirty_buckets_is_audited_in_one_run() {
    let estate = estate("config").await;
    let config = estate.config.display().to_string();
    let (code, stdout, stderr) =
        audit(&estate.emulator, &["--config", &config, "--format", "json"]);
    let report = json(&stdout, &stderr);
    assert_eq!(code, 1, "fails on some targets: {stderr}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["kind"], "audit");
    assert_eq!(report["exit_code"], 1);
    assert_eq!(report["verdict"], "not_ready");
    assert!(report["fixed"].as_array().unwrap().is_empty());

    let targets: BTreeMap<String, &serde_json::Value> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t))
        .collect();
    assert_eq!(
        targets.len(),
        estate.cases.len() + 1,
        "every entry reported once"
    );
    assert_eq!(report["summary"]["targets"], targets.len());
    let failing = estate.cases.iter().filter(|c| c.expect.1 == "fail").count();
    assert_eq!(report["summary"]["targets_failing"], failing);

    for case in &estate.cases {
        let target = targets[&case.bucket];
        let (check, status) = case.expect;
        assert_eq!(
            status_of(target, check),
            status,
            "{}: {target}",
            case.bucket
        );
        assert_eq!(target["source"]["kind"], "config");
        assert_eq!(target["source"]["file"], config.as_str());
        assert!(target["source"]["line"].as_u64().unwrap() > 1);
        assert_eq!(target["target"]["bucket"], case.bucket.as_str());
        assert_eq!(
            target["target"]["endpoint"],
            estate.emulator.endpoint.as_str()
        );
        assert_eq!(
            target["target"]["path"], "audit/${unique_prefix}/${file.url_name}",
            "[defaults] applies"
        );
        for result in target["results"].as_array().unwrap() {
            for key in [
                "id",
                "status",
                "summary",
                "remediation",
                "evidence",
                "muted",
                "change",
            ] {
                assert!(
                    result.get(key).is_some(),
                    "{}: results[].{key}",
                    case.bucket
                );
            }
        }
        let summary = &target["summary"];
        let counted: u64 = ["pass", "warn", "fail", "skip", "error", "muted"]
            .iter()
            .map(|k| summary[k].as_u64().unwrap())
            .sum();
        assert_eq!(
            counted as usize,
            target["results"].as_array().unwrap().len()
        );
    }

    // The same bucket, parameters and identity under two names: one run, reported twice.
    let again = targets["healthy-00-again"];
    assert_eq!(again["same_as"], serde_json::json!(["healthy-00"]));
    assert_eq!(
        targets["healthy-00"]["same_as"],
        serde_json::json!(["healthy-00-again"])
    );
    assert_eq!(again["results"], targets["healthy-00"]["results"]);
    let probes_to_healthy_00 = estate
        .emulator
        .log()
        .iter()
        .filter(|line| line.contains("\"PUT /healthy-00/audit/"))
        .count();
    assert_eq!(
        probes_to_healthy_00, 1,
        "the deduplicated target is probed once"
    );

    // The probe never stays behind.
    let s3 = estate.emulator.s3("us-east-1");
    for case in estate.cases.iter().filter(|c| c.region == "us-east-1") {
        let listed = s3
            .list_objects_v2()
            .bucket(&case.bucket)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.key_count(), Some(0), "{} keeps a probe", case.bucket);
    }
    let _ = std::fs::remove_dir_all(&estate.dir);
}

#[tokio::test]
async fn the_table_names_each_target_and_groups_findings_by_check() {
    let estate = estate("table").await;
    let config = estate.config.display().to_string();
    let (code, stdout, stderr) = audit(
        &estate.emulator,
        &[
            "--config",
            &config,
            "--only",
            "block-public-access,object-ownership",
        ],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("block-public-access: fail on 8 targets: blocked-00, blocked-01"),
        "{stdout}"
    );
    assert!(
        stdout.contains("object-ownership: fail on 6 targets"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("more (-v lists all)"),
        "eight names fit: {stdout}"
    );
    let row = stdout.lines().find(|l| l.contains("enforced-03")).unwrap();
    assert!(
        row.contains("FAIL") && row.contains("object-ownership"),
        "{row}"
    );
    assert!(
        stderr.is_empty(),
        "no progress bar when stderr is no terminal: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&estate.dir);
}

#[tokio::test]
async fn two_shards_cover_every_target_exactly_once() {
    let estate = estate("shards").await;
    let config = estate.config.display().to_string();
    let mut seen: Vec<String> = Vec::new();
    for shard in ["1/2", "2/2"] {
        let (_, stdout, stderr) = audit(
            &estate.emulator,
            &[
                "--config",
                &config,
                "--shard",
                shard,
                "--only",
                "bucket-name",
                "--format",
                "json",
            ],
        );
        let report = json(&stdout, &stderr);
        assert_eq!(report["shard"], shard);
        let names: Vec<String> = report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect();
        assert!(!names.is_empty(), "shard {shard} is empty");
        seen.extend(names);
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no target in both shards");
    assert_eq!(seen.len(), estate.cases.len() + 1, "together: every target");
    let _ = std::fs::remove_dir_all(&estate.dir);
}

#[tokio::test]
async fn all_buckets_lists_the_account_and_writes_nothing() {
    let estate = estate("account").await;
    // The fixtures' own log lines may still be on their way: a request after them marks where
    // the audit's requests begin.
    let _ = estate
        .emulator
        .s3("us-east-1")
        .head_bucket()
        .bucket("log-sentinel")
        .send()
        .await;
    let (code, stdout, stderr) = audit(&estate.emulator, &["--all-buckets", "--format", "json"]);
    let report = json(&stdout, &stderr);
    assert_ne!(code, 2, "{stderr}");
    let created = estate.cases.iter().filter(|c| !c.region.is_empty()).count();
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), created, "{stdout}");
    for target in targets {
        assert_eq!(target["source"]["kind"], "account");
        assert_eq!(target["name"], target["target"]["bucket"]);
        assert_eq!(
            status_of(target, "dry-run-put"),
            "skip",
            "--no-write implied: {target}"
        );
    }
    // The emulator's ListBuckets names no BucketRegion (S3's does: see the replayed test in
    // src/audit/sources_tests.rs); the bucket-region check still finds the bucket's region.
    let elsewhere = targets
        .iter()
        .find(|t| t["name"] == "elsewhere-00")
        .unwrap();
    assert_ne!(status_of(elsewhere, "bucket-exists"), "fail", "{elsewhere}");
    // STS and IAM are `POST /` (queries, not writes); anything else that is no read is.
    let audit_requests: Vec<String> = estate
        .emulator
        .log()
        .into_iter()
        .skip_while(|line| !line.contains("/log-sentinel"))
        .skip(1)
        .collect();
    assert!(
        audit_requests
            .iter()
            .any(|l| l.contains("x-id=ListBuckets")),
        "the audit's ListBuckets is in the log ({} lines after the sentinel)",
        audit_requests.len()
    );
    let writes: Vec<&String> = audit_requests
        .iter()
        .filter(|line| {
            line.contains("\"PUT ")
                || line.contains("\"DELETE ")
                || (line.contains("\"POST ") && !line.contains("\"POST / "))
        })
        .collect();
    assert!(writes.is_empty(), "--all-buckets wrote: {writes:?}");
    let _ = std::fs::remove_dir_all(&estate.dir);
}

#[test]
fn a_bad_config_is_exit_2_with_file_and_line() {
    let dir =
        std::env::temp_dir().join(format!("bucket-preflight-audit-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "[[target]]\nbucket = \"a\"\nregion = \"eu-west-1\"\n",
    )
    .unwrap();
    let out = Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(support::isolated_env())
        .args(["audit", "--config", &path.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "error: {}:3: unknown field `region`",
            path.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("`bucket_region`"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_history_command_on_a_missing_file_is_exit_2_and_creates_nothing() {
    let missing = std::env::temp_dir().join(format!("bp-no-history-{}.db", std::process::id()));
    let out = Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(support::isolated_env())
        .args(["history", "--history", &missing.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no history database"));
    assert!(!missing.exists());
}

#[tokio::test]
async fn every_storage_step_of_a_template_is_a_target_from_flag_and_config_glob() {
    let emulator = Emulator::start();
    emulator
        .create_bucket("tmpl-exports", "us-east-1", &BucketSetup::default())
        .await;
    let endpoint = emulator.endpoint.clone();
    let template = serde_json::json!({
        "id": "tpl-1",
        "name": "video",
        "content": {"steps": {
            ":original": {"robot": "/upload/handle"},
            "exported": {"robot": "/s3/store", "use": ":original", "bucket": "tmpl-exports",
                          "acl": "bucket-default", "path": "tmpl/${unique_prefix}/${file.url_name}",
                          "url_prefix": format!("{endpoint}/tmpl-exports/")},
            "mirrored": {"robot": "/minio/store", "use": ":original", "bucket": "tmpl-exports",
                          "host": endpoint, "path": "mirror/${unique_prefix}/${file.url_name}"},
            "thumbs": {"robot": "/image/resize", "use": ":original"}
        }}
    });
    let dir = std::env::temp_dir().join(format!(
        "bucket-preflight-audit-tmpl-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    let file = dir.join("templates").join("video.json");
    std::fs::write(&file, serde_json::to_string_pretty(&template).unwrap()).unwrap();

    let (code, stdout, stderr) = audit(
        &emulator,
        &[
            "--template",
            &file.display().to_string(),
            "--format",
            "json",
        ],
    );
    let report = json(&stdout, &stderr);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(
        targets.len(),
        2,
        "the two storage steps, not the encoder: {report}"
    );
    let exported = targets.iter().find(|t| t["name"] == "exported").unwrap();
    assert_eq!(exported["source"]["kind"], "template");
    assert_eq!(exported["source"]["step"], "exported");
    assert!(
        exported["source"]["line"].as_u64().unwrap() > 1,
        "{exported}"
    );
    assert_eq!(exported["target"]["acl"], "bucket-default");
    assert_eq!(status_of(exported, "dry-run-put"), "pass", "{exported}");
    let mirrored = targets.iter().find(|t| t["name"] == "mirrored").unwrap();
    // MinIO is not AWS: the AWS-only checks skip there, never pass.
    assert_eq!(
        status_of(mirrored, "block-public-access"),
        "skip",
        "{mirrored}"
    );
    assert_eq!(status_of(mirrored, "iam-simulation"), "skip", "{mirrored}");
    assert_ne!(code, 2, "{stderr}");

    // The same file through a config's [[templates]] glob, relative to the config.
    let config = dir.join("audit.toml");
    std::fs::write(&config, "[[templates]]\npath = \"templates/*.json\"\n").unwrap();
    let (_, stdout, stderr) = audit(
        &emulator,
        &[
            "--config",
            &config.display().to_string(),
            "--format",
            "json",
            "--no-write",
        ],
    );
    let report = json(&stdout, &stderr);
    assert_eq!(report["targets"].as_array().unwrap().len(), 2, "{report}");

    // A glob that matches nothing is bad input naming the config line.
    std::fs::write(&config, "[[templates]]\npath = \"nothing/*.json\"\n").unwrap();
    let (code, _, stderr) = audit(&emulator, &["--config", &config.display().to_string()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("audit.toml:1") && stderr.contains("matches no file"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
