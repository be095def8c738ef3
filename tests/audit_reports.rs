//! `audit` reports, mutes and history end to end on the emulator: JSON, JUnit and SARIF from
//! one run (JUnit parsed with an XML library, SARIF validated against the official 2.1.0
//! schema); a history across runs in which one bucket gets fixed and another broken; mutes that
//! hold and mutes that expired; the `history` command; files that are not a history.

mod support;

use assert_cmd::Command;
use support::{BucketSetup, Emulator};

const BLOCKED: [bool; 4] = [true, true, true, true];

/// The emulator with five buckets and a config naming them, in a fresh directory.
struct Estate {
    emulator: Emulator,
    dir: std::path::PathBuf,
    config: String,
}

impl Estate {
    async fn new(tag: &str) -> Estate {
        let emulator = Emulator::start();
        let buckets: [(&str, BucketSetup, &str); 5] = [
            ("alpha", BucketSetup::default(), "bucket-default"),
            (
                "beta",
                BucketSetup {
                    public_access_block: Some(BLOCKED),
                    ..Default::default()
                },
                "public",
            ),
            ("gamma", BucketSetup::default(), "public"),
            (
                "delta",
                BucketSetup {
                    ownership: Some("BucketOwnerEnforced"),
                    ..Default::default()
                },
                "public-read",
            ),
            (
                "legacy-epsilon",
                BucketSetup {
                    public_access_block: Some(BLOCKED),
                    ..Default::default()
                },
                "public",
            ),
        ];
        let mut config = String::from("[defaults]\npath = \"audit/${file.url_name}\"\n");
        for (name, setup, acl) in &buckets {
            emulator.create_bucket(name, "us-east-1", setup).await;
            config += &format!(
                "\n[[target]]\nname = \"{name}\"\nbucket = \"{name}\"\nacl = \"{acl}\"\nurl_prefix = \"{}/{name}/\"\n",
                emulator.endpoint
            );
        }
        let dir = std::env::temp_dir().join(format!(
            "bucket-preflight-audit-reports-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.toml");
        std::fs::write(&path, config).unwrap();
        Estate {
            emulator,
            config: path.display().to_string(),
            dir,
        }
    }

    fn file(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn audit(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("bucket-preflight")
            .unwrap()
            .env_clear()
            .envs(self.emulator.env())
            .current_dir(&self.dir)
            .args(["audit", "--config", &self.config])
            // No probe: the emulator does not enforce Block Public Access or disabled ACLs, so
            // an accepted probe would reconcile those predictions into warnings; without it
            // they stand as the fails these tests track.
            .arg("--no-write")
            .args(args)
            .args(self.emulator.endpoint_args())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }
}

fn json(text: &str, stderr: &str) -> serde_json::Value {
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}\nstderr:\n{stderr}"))
}

fn target<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no target {name}"))
}

fn result<'a>(target: &'a serde_json::Value, check: &str) -> &'a serde_json::Value {
    target["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == check)
        .unwrap_or_else(|| panic!("no {check} in {}", target["name"]))
}

#[tokio::test]
async fn json_junit_and_sarif_from_one_run_with_mutes() {
    let estate = Estate::new("formats").await;
    let mutes = estate.file("mutes.toml");
    std::fs::write(
        &mutes,
        r#"
[[mute]]
check = "block-public-access"
target = "legacy-*"
reason = "legacy bucket, private on purpose"

[[mute]]
check = "object-ownership"
target = "delta"
reason = "was going to be migrated"
expires = "2020-06-30"

[[mute]]
check = "bucket-exists"
target = "nowhere-*"
reason = "stale"
"#,
    )
    .unwrap();
    let (junit, sarif) = (estate.file("a.xml"), estate.file("a.sarif"));
    let markdown = estate.file("a.md");
    let (code, stdout, stderr) = estate.audit(&[
        "--format",
        "json",
        "--mute",
        &mutes,
        "--report",
        &format!("junit={junit}"),
        "--report",
        &format!("sarif={sarif}"),
        "--report",
        &format!("markdown={markdown}"),
    ]);
    assert_eq!(code, 1, "beta and delta fail: {stderr}");
    let report = json(&stdout, &stderr);
    assert_eq!(report["summary"]["targets"], 5);
    // The Markdown from the same run: a row per target, the muted finding said as muted.
    let md = std::fs::read_to_string(&markdown).unwrap();
    for t in report["targets"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        assert!(
            md.contains(&format!("| `{name}` |")),
            "{name} missing:\n{md}"
        );
    }
    assert!(
        md.contains("*(muted: legacy bucket, private on purpose)*"),
        "{md}"
    );
    assert!(md.contains("Verdict: `not_ready` (exit 1)"), "{md}");

    // The live mute: still reported, as muted with its reason, and not counted as a fail.
    let epsilon = target(&report, "legacy-epsilon");
    let muted = result(epsilon, "block-public-access");
    assert_eq!(muted["status"], "fail");
    assert_eq!(
        muted["muted"]["reason"],
        "legacy bucket, private on purpose"
    );
    assert_eq!(epsilon["summary"]["fail"], 0);
    assert_eq!(epsilon["summary"]["muted"], 1);
    // The expired mute: not muted, and said so.
    let delta = target(&report, "delta");
    let expired = result(delta, "object-ownership");
    assert_eq!(expired["status"], "fail");
    assert!(expired["muted"].is_null());
    assert_eq!(expired["expired_mute"]["expires"], "2020-06-30");
    let notices: Vec<(&str, &str)> = report["mutes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["state"].as_str().unwrap(), n["check"].as_str().unwrap()))
        .collect();
    assert_eq!(
        notices,
        [
            ("expired", "object-ownership"),
            ("unmatched", "bucket-exists")
        ]
    );
    assert!(stderr.contains("expired on 2020-06-30"), "{stderr}");
    assert!(stderr.contains("matched no finding"), "{stderr}");

    // JUnit: one suite per target, one case per check, the muted fail skipped with its reason.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let suites: Vec<_> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 5);
    for suite in &suites {
        let name = suite.attribute("name").unwrap();
        let json_results = target(&report, name)["results"].as_array().unwrap().len();
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), json_results, "{name}");
        assert!(cases.iter().all(|c| c.attribute("classname") == Some(name)));
    }
    let beta = suites
        .iter()
        .find(|s| s.attribute("name") == Some("beta"))
        .unwrap();
    assert!(beta.descendants().any(|n| n.has_tag_name("failure")
        && n.parent().unwrap().attribute("name") == Some("block-public-access")));
    let epsilon_suite = suites
        .iter()
        .find(|s| s.attribute("name") == Some("legacy-epsilon"))
        .unwrap();
    assert_eq!(epsilon_suite.attribute("failures"), Some("0"));
    let skipped = epsilon_suite
        .descendants()
        .find(|n| {
            n.has_tag_name("skipped") && n.attribute("message").unwrap_or("").starts_with("muted")
        })
        .unwrap();
    assert_eq!(
        skipped.attribute("message"),
        Some("muted: legacy bucket, private on purpose")
    );

    // SARIF: valid against the official schema; the beta fail located in the config.
    let sarif: serde_json::Value = json(&std::fs::read_to_string(&sarif).unwrap(), &stderr);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            support::repo_root().join("tests/fixtures/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let beta_fail = results
        .iter()
        .find(|r| r["ruleId"] == "block-public-access" && r["properties"]["target"] == "beta")
        .unwrap();
    assert_eq!(beta_fail["level"], "error");
    let place = &beta_fail["locations"][0]["physicalLocation"];
    assert_eq!(place["artifactLocation"]["uri"], "audit.toml");
    assert!(place["region"]["startLine"].as_u64().unwrap() > 1);
    let muted_fail = results
        .iter()
        .find(|r| {
            r["properties"]["target"] == "legacy-epsilon" && r["ruleId"] == "block-public-access"
        })
        .unwrap();
    assert_eq!(muted_fail["suppressions"][0]["kind"], "external");
}

#[tokio::test]
async fn history_marks_the_new_fail_and_the_fix_and_fail_on_new_counts_only_new() {
    let estate = Estate::new("history").await;
    let db = estate.file("h.db");
    let (code, stdout, stderr) = estate.audit(&["--format", "json", "--history", &db]);
    assert_eq!(code, 1, "{stderr}");
    let first = json(&stdout, &stderr);
    assert_eq!(
        result(target(&first, "beta"), "block-public-access")["change"],
        "new"
    );
    assert_eq!(
        result(target(&first, "gamma"), "block-public-access")["status"],
        "pass"
    );
    assert_eq!(first["fixed"], serde_json::json!([]));

    // Someone fixes beta and breaks gamma.
    let s3 = estate.emulator.s3("us-east-1");
    s3.delete_public_access_block()
        .bucket("beta")
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket("gamma")
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let (code, stdout, stderr) =
        estate.audit(&["--format", "json", "--history", &db, "--fail-on", "new"]);
    let second = json(&stdout, &stderr);
    assert_eq!(code, 1, "gamma's fail is new: {stderr}");
    let gamma = result(target(&second, "gamma"), "block-public-access");
    assert_eq!(
        (gamma["status"].as_str(), gamma["change"].as_str()),
        (Some("fail"), Some("new"))
    );
    assert_eq!(
        result(target(&second, "delta"), "object-ownership")["change"],
        "same"
    );
    let fixed = second["fixed"].as_array().unwrap();
    assert_eq!(fixed.len(), 1, "{fixed:?}");
    assert_eq!(fixed[0]["target"], "beta");
    assert_eq!(fixed[0]["check"], "block-public-access");
    assert_eq!(fixed[0]["since"], first["started_at"]);
    let new_fails: usize = second["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["results"].as_array().unwrap())
        .filter(|r| r["status"] == "fail" && r["change"] == "new")
        .count();
    assert_eq!(new_fails, 1);

    // Nothing changed since: the old fails (delta, epsilon, gamma) are `same`, and under
    // --fail-on new they no longer fail the run.
    let (code, stdout, stderr) =
        estate.audit(&["--format", "json", "--history", &db, "--fail-on", "new"]);
    let third = json(&stdout, &stderr);
    assert_ne!(code, 1, "no new fail: {stderr}");
    assert_eq!(
        result(target(&third, "gamma"), "block-public-access")["change"],
        "same"
    );

    // The history command shows gamma's runs, newest first, with the change.
    let out = Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(support::isolated_env())
        .args([
            "history",
            "--history",
            &db,
            "--target",
            "gamma",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let view = json(&String::from_utf8(out.stdout).unwrap(), "");
    let runs = view["targets"][0]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs[1]["new"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["check"] == "block-public-access" && f["status"] == "fail"));
    let out = Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(support::isolated_env())
        .args(["history", "--history", &db, "--target", "betta"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("did you mean `beta`"));
}

#[tokio::test]
async fn a_file_that_is_not_a_history_is_exit_2_and_never_overwritten() {
    let estate = Estate::new("not-history").await;
    let path = estate.file("notes.txt");
    std::fs::write(&path, "my notes\n").unwrap();
    let (code, stdout, stderr) = estate.audit(&["--history", &path]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    assert!(
        stderr.contains("is not a bucket-preflight history database"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "my notes\n");
    // --fail-on new without a history to compare with is refused too.
    let (code, _, stderr) = estate.audit(&["--fail-on", "new"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--fail-on new needs --history"), "{stderr}");
    // A bad mute file is exit 2 with file and line before anything runs.
    let mutes = estate.file("bad-mutes.toml");
    std::fs::write(&mutes, "[[mute]]\ncheck = \"result-url\"\ntarget = \"*\"\n").unwrap();
    let (code, stdout, stderr) = estate.audit(&["--mute", &mutes]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("bad-mutes.toml:1:"), "{stderr}");
    assert!(stderr.contains("reason"), "{stderr}");
}
