//! `check --template` and `steps`, offline: every input shape, every storage Robot, the errors
//! that exit 2, flags that override the step, and inline keys that never reach any output.

mod support;

use assert_cmd::Command;
use serde_json::Value;

const FIXTURES: &str = "tests/fixtures/templates";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = Command::cargo_bin("bucket-preflight")
        .expect("binary is built")
        .env_clear()
        .envs(support::isolated_env())
        .current_dir(support::repo_root().join(FIXTURES))
        .args(args)
        .output()
        .expect("runs");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", run.stdout, run.stderr))
}

fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .and_then(|r| r["status"].as_str())
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn a_template_bucket_with_violations_fails_and_the_target_shows_the_step() {
    let r = run(&[
        "check",
        "--template",
        "my-bucket.json",
        "--offline",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let report = json(&r);
    assert_eq!(status(&report, "bucket-name"), "fail");
    let summary = report["results"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("uppercase") && summary.contains("underscores"),
        "{summary}"
    );
    let target = &report["target"];
    assert_eq!(target["bucket"], "My_Bucket");
    assert_eq!(target["acl"], "private");
    assert_eq!(target["path"], "exports/${unique_prefix}/${file.url_name}");
    assert_eq!(target["bucket_region"], "eu-west-1");
    assert_eq!(target["source"]["file"], "my-bucket.json");
    assert_eq!(target["source"]["step"], "exported");
    assert_eq!(target["source"]["robot"], "/s3/store");
}

#[test]
fn every_shape_gives_the_same_target() {
    for file in [
        "template-api.json",
        "template-encoded.json",
        "list-page.json",
    ] {
        let mut args = vec!["check", "--template", file, "--offline", "--format", "json"];
        if file == "list-page.json" {
            args.extend(["--step", "video-export/exported"]);
        }
        let r = run(&args);
        assert!(
            r.code == 0 || r.code == 1,
            "{file}: {}{}",
            r.stdout,
            r.stderr
        );
        let target = &json(&r)["target"];
        assert!(
            target["bucket"]
                .as_str()
                .is_some_and(|b| b.starts_with("acme-")),
            "{file}: {target}"
        );
        assert_eq!(target["bucket_region"], "us-east-2", "{file}");
    }
}

#[test]
fn flags_given_override_the_step() {
    let r = run(&[
        "check",
        "--template",
        "my-bucket.json",
        "--offline",
        "--format",
        "json",
        "--acl",
        "public-read",
        "--path",
        "other/${file.url_name}",
        "--bucket-region",
        "us-east-1",
    ]);
    let target = &json(&r)["target"];
    assert_eq!(target["acl"], "public-read");
    assert_eq!(target["path"], "other/${file.url_name}");
    assert_eq!(target["bucket_region"], "us-east-1");
    // Defaults are not "given": without the flags the step's values stand.
    let r = run(&[
        "check",
        "--template",
        "my-bucket.json",
        "--offline",
        "--format",
        "json",
    ]);
    assert_eq!(json(&r)["target"]["acl"], "private");
}

#[test]
fn a_field_variable_in_the_bucket_exits_2_until_given() {
    let r = run(&["check", "--template", "interpolated.json", "--offline"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    for part in ["step `exported`", "`bucket`", "--field bucket="] {
        assert!(r.stderr.contains(part), "{part}: {}", r.stderr);
    }
    let r = run(&[
        "check",
        "--template",
        "interpolated.json",
        "--offline",
        "--field",
        "bucket=acme",
        "--format",
        "json",
    ]);
    assert_ne!(r.code, 2, "{}", r.stderr);
    assert_eq!(json(&r)["target"]["bucket"], "acme");
}

#[test]
fn other_variables_in_the_host_exit_2_naming_them() {
    let r = run(&["check", "--template", "interpolated-host.json", "--offline"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("`host`") && r.stderr.contains("${assembly.region}"),
        "{}",
        r.stderr
    );
}

#[test]
fn several_storage_steps_need_step_and_unknown_steps_list_them() {
    let r = run(&["check", "--template", "two-storage-steps.json", "--offline"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--step") && r.stderr.contains("`originals`, `thumbs`"),
        "{}",
        r.stderr
    );
    for wrong in ["nope", ":original"] {
        let r = run(&[
            "check",
            "--template",
            "two-storage-steps.json",
            "--step",
            wrong,
            "--offline",
        ]);
        assert_eq!(r.code, 2, "{wrong}");
        assert!(r.stderr.contains("`originals`, `thumbs`"), "{}", r.stderr);
    }
    let r = run(&[
        "check",
        "--template",
        "two-storage-steps.json",
        "--step",
        "thumbs",
        "--offline",
        "--format",
        "json",
    ]);
    assert_eq!(json(&r)["target"]["bucket"], "acme-thumbs");
}

#[test]
fn malformed_json_exits_2_with_line_and_column() {
    let r = run(&["check", "--template", "malformed.json", "--offline"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("line 6, column 5"), "{}", r.stderr);
    let r = run(&["steps", "--template", "malformed.json"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("line 6, column 5"), "{}", r.stderr);
}

#[test]
fn bucket_and_template_are_exclusive_and_one_is_needed() {
    assert_eq!(
        run(&["check", "acme", "--template", "my-bucket.json"]).code,
        2
    );
    let r = run(&["check", "--offline"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--template"), "{}", r.stderr);
}

#[test]
fn unknown_parameters_are_named_in_a_note() {
    let r = run(&[
        "check",
        "--template",
        "unknown-params.json",
        "--offline",
        "--format",
        "json",
    ]);
    let notes = json(&r)["target"]["source"]["notes"].to_string();
    assert!(
        notes.contains("`no_vhost`, `storage_class`") && notes.contains("rejects unknown"),
        "{notes}"
    );
}

#[test]
fn other_stores_skip_the_aws_only_checks_with_the_reason() {
    let r = run(&[
        "check",
        "--template",
        "every-robot.json",
        "--step",
        "spaces",
        "--offline",
        "--format",
        "json",
    ]);
    let report = json(&r);
    assert_eq!(
        report["target"]["endpoint"],
        "https://fra1.digitaloceanspaces.com"
    );
    for id in ["block-public-access", "iam-simulation"] {
        let result = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap();
        assert_eq!(result["status"], "skip", "{result}");
        assert!(
            result["summary"].as_str().unwrap().contains("not AWS"),
            "{result}"
        );
    }
}

#[test]
fn inline_keys_never_reach_any_output() {
    let secrets = [
        "AKIAFIXTUREINLINE0001",
        "fixture/Inline+Secret/0001",
        "FIXTURESESSIONTOKEN0001",
    ];
    let mut runs = Vec::new();
    for format in ["table", "json", "markdown"] {
        runs.push(run(&[
            "check",
            "--template",
            "inline-secrets.json",
            "--offline",
            "--format",
            format,
            "-vv",
        ]));
    }
    for format in ["table", "json"] {
        runs.push(run(&[
            "steps",
            "--template",
            "inline-secrets.json",
            "--format",
            format,
        ]));
    }
    // Online against nothing: the keys are used (credentials check), and still never shown.
    runs.push(run(&[
        "check",
        "--template",
        "inline-secrets.json",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--format",
        "json",
        "--check-timeout",
        "3",
        "--timeout",
        "10",
    ]));
    for r in &runs {
        for secret in secrets {
            assert!(
                !r.stdout.contains(secret) && !r.stderr.contains(secret),
                "{secret} leaked: {}{}",
                r.stdout,
                r.stderr
            );
        }
    }
    // The online run used the step's keys (the environment has none): the credentials check
    // shows their shortened id.
    let online = json(runs.last().unwrap());
    let credentials = online["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "credentials")
        .unwrap();
    assert_eq!(credentials["evidence"]["access_key_id"], "AKIA…0001");
    assert!(
        runs[1].stdout.contains("Template Credentials"),
        "the warning recommends Template Credentials: {}",
        runs[1].stdout
    );
}

#[test]
fn unmapped_credentials_say_whose_permissions_are_proven() {
    let r = run(&[
        "check",
        "--template",
        "my-bucket.json",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--only",
        "credentials",
        "--format",
        "json",
        "--check-timeout",
        "3",
    ]);
    let notes = json(&r)["target"]["source"]["notes"].to_string();
    assert!(
        notes.contains("prod_s3") && notes.contains("--credentials prod_s3=PROFILE"),
        "{notes}"
    );
}

#[test]
fn steps_lists_checked_unresolved_and_other_robots() {
    let r = run(&[
        "steps",
        "--template",
        "every-robot.json",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = json(&r);
    let by_step = |name: &str| {
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    for checked in [
        "s3", "spaces", "wasabi", "minio", "tigris", "supabase", "r2",
    ] {
        assert_eq!(by_step(checked)["status"], "checked", "{checked}");
    }
    assert_eq!(by_step("backblaze")["status"], "not-checked");
    assert!(by_step("backblaze")["reason"]
        .as_str()
        .unwrap()
        .contains("not the S3 API"));
    assert_eq!(by_step("imported")["status"], "not-checked");
    assert_eq!(by_step("encoded")["status"], "not-checked");
    assert_eq!(by_step("minio_no_host")["status"], "unresolved");
    let headers = run(&[
        "steps",
        "--template",
        "sse-headers-tags.json",
        "--format",
        "json",
    ]);
    let target = &json(&headers)["steps"][0]["target"];
    assert_eq!(target["headers"][1][0], "x-amz-server-side-encryption");
    assert_eq!(target["tags"][0], serde_json::json!(["team", "media"]));
    assert_eq!(target["sign_urls_for"], 3600);
}

#[test]
fn a_template_on_standard_input() {
    let text = std::fs::read_to_string(support::repo_root().join(FIXTURES).join("my-bucket.json"))
        .unwrap();
    let out = Command::cargo_bin("bucket-preflight")
        .unwrap()
        .env_clear()
        .envs(support::isolated_env())
        .args(["check", "--template", "-", "--offline", "--format", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["target"]["source"]["file"], "-");
    assert_eq!(report["target"]["bucket"], "My_Bucket");
}
