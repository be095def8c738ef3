//! The real binary, offline: exit codes, bad input, reports, the catalog, and the no-credentials path.

mod support;

use assert_cmd::Command;
use preflight::registry;
use std::time::{Duration, Instant};

fn bin(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("bucket-preflight").expect("binary is built");
    cmd.env_clear().envs(support::isolated_env()).args(args);
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = bin(args).output().expect("runs");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

#[test]
fn invalid_bucket_name_fails_and_names_each_violation() {
    let r = run(&["check", "My_Bucket", "--offline"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("uppercase letters (M, B)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("underscores"), "{}", r.stdout);
    assert!(r.stdout.contains("Set `bucket: my-bucket`"), "{}", r.stdout);
}

#[test]
fn dotted_bucket_warns_about_https() {
    let r = run(&["check", "my.dotted.bucket", "--offline", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let name = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "bucket-name")
        .unwrap();
    assert_eq!(name["status"], "warn");
    assert!(
        name["summary"]
            .as_str()
            .unwrap()
            .contains("HTTPS virtual-hosted URLs will fail certificate validation"),
        "{name}"
    );
    assert!(
        name["remediation"]
            .as_str()
            .unwrap()
            .contains("https://s3.<bucket_region>.amazonaws.com/my.dotted.bucket/"),
        "{name}"
    );
    let strict = run(&["check", "my.dotted.bucket", "--offline", "--strict"]);
    assert_eq!(strict.code, 1, "--strict turns warnings into exit 1");
}

#[test]
fn offline_json_matches_the_schema() {
    let r = run(&["check", "valid-bucket-123", "--offline", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).expect("stdout is JSON");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["tool"]["name"], "bucket-preflight");
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["target"]["bucket"], "valid-bucket-123");
    assert_eq!(report["target"]["acl"], "public");
    assert_eq!(
        report["target"]["path"],
        "${unique_prefix}/${file.url_name}"
    );
    for key in ["bucket_region", "url_prefix", "endpoint"] {
        assert!(report["target"][key].is_null(), "target.{key}");
    }
    let results = report["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        registry::ALL.len(),
        "every check is reported"
    );
    let mut counted = std::collections::HashMap::new();
    for result in results {
        for key in [
            "id",
            "title",
            "status",
            "summary",
            "detail",
            "remediation",
            "evidence",
            "duration_ms",
        ] {
            assert!(result.get(key).is_some(), "results[].{key} in {result}");
        }
        let status = result["status"].as_str().unwrap();
        assert!(["pass", "warn", "fail", "skip", "error"].contains(&status));
        if ["warn", "fail", "error"].contains(&status) {
            assert!(
                result["remediation"].is_string(),
                "{} has no remediation",
                result["id"]
            );
        }
        *counted.entry(status.to_owned()).or_insert(0u64) += 1;
    }
    for status in ["pass", "warn", "fail", "skip", "error"] {
        assert_eq!(
            report["summary"][status].as_u64().unwrap(),
            counted.get(status).copied().unwrap_or(0),
            "summary.{status}"
        );
    }
    let online: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| {
            registry::find(r["id"].as_str().unwrap())
                .unwrap()
                .info()
                .online
        })
        .collect();
    assert!(!online.is_empty());
    for result in online {
        assert_eq!(
            result["status"], "skip",
            "online checks are not run offline: {result}"
        );
    }
}

#[test]
fn markdown_report_is_pasteable() {
    let r = run(&["check", "My_Bucket", "--offline", "--format", "markdown"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .starts_with("## bucket-preflight report for `My_Bucket`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("| ❌ fail | `bucket-name` |"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("**How to fix:**"));
}

/// One line on stderr, exit 2, naming what is accepted.
fn assert_usage_error(args: &[&str], needles: &[&str]) {
    let r = run(args);
    assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{args:?}: nothing on stdout");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: one line, got {:?}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "{args:?}: {:?} lacks {needle:?}",
            lines[0]
        );
    }
    assert!(!r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"));
}

#[test]
fn bad_input_is_exit_2_with_one_clear_line() {
    assert_usage_error(
        &["check", "my-bucket", "--acl", "publci"],
        &[
            "'publci'",
            "--acl",
            "public, public-read, private, bucket-default",
            "did you mean 'public'",
        ],
    );
    assert_usage_error(&["check", ""], &["bucket name is empty"]);
    // Pastes gone wrong are refused at once, not laid out in a table for minutes.
    let huge = "a".repeat(100_000);
    assert_usage_error(&["check", &huge], &["100000 characters long", "3 to 63"]);
    assert_usage_error(
        &["check", "my-bucket", "--path", &huge],
        &["--path", "at most 1024 bytes"],
    );
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--url-prefix",
            &format!("https://{huge}/"),
        ],
        &["--url-prefix", "at most 2048"],
    );
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--url-prefix",
            "cdn.example.com/files/",
        ],
        &["--url-prefix", "absolute http:// or https:// URL"],
    );
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--url-prefix",
            "ftp://cdn.example.com/",
        ],
        &["`ftp:`"],
    );
    assert_usage_error(
        &["check", "my-bucket", "--endpoint-url", "localhost:9000"],
        &["--endpoint-url"],
    );
    assert_usage_error(
        &["check", "my-bucket", "--only", "bucket-nmae"],
        &["unknown check 'bucket-nmae' in --only", "bucket-name"],
    );
    assert_usage_error(
        &["check", "my-bucket", "--format", "yaml"],
        &["'yaml'", "table, json, markdown"],
    );
    assert_usage_error(&["check", "my-bucket", "--timeout", "0"], &["--timeout"]);
    assert_usage_error(
        &["explain", "nope"],
        &["unknown check or error code 'nope'", "bucket-name"],
    );
    let r = bin(&["check", "my-bucket"])
        .env("AWS_ENDPOINT_URL", "localhost:9000")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr)
        .contains("invalid value 'localhost:9000' in AWS_ENDPOINT_URL"));
}

#[test]
fn a_probe_key_must_be_a_plain_key_under_the_path() {
    let path = ["--path", "exports/${unique_prefix}/${file.url_name}"];
    for (key, needle) in [
        (
            "other/clip.mp4",
            "not under the path's fixed prefix \"exports/\"",
        ),
        ("exports/${file.name}", "contains a variable"),
        ("/exports/clip.mp4", "without a leading or trailing /"),
        ("", "must not be empty"),
    ] {
        let mut args = vec!["check", "my-bucket", "--probe-key", key];
        args.extend(path);
        assert_usage_error(&args, &["--probe-key", needle]);
    }
}

#[test]
fn missing_arguments_are_usage_errors() {
    let r = run(&["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("<BUCKET>"));
}

#[test]
fn explain_prints_the_five_sections() {
    for id in registry::ids() {
        let r = run(&["explain", id]);
        assert_eq!(r.code, 0);
        let mut from = 0;
        for section in [
            "## What it checks",
            "## Why it matters",
            "## What it cannot see",
            "## How to fix",
            "## References",
        ] {
            let at = r.stdout[from..]
                .find(section)
                .unwrap_or_else(|| panic!("explain {id} lacks {section}"));
            from += at;
        }
    }
}

#[test]
fn a_pasted_s3_url_is_read_as_its_bucket() {
    for pasted in [
        "https://acme-exports.s3.amazonaws.com/",
        "S3://acme-exports",
        "acme-exports.s3.amazonaws.com",
    ] {
        let r = run(&["check", pasted, "--offline", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{pasted}: {e}: {}{}", r.stdout, r.stderr));
        assert_eq!(report["target"]["bucket"], "acme-exports", "{pasted}");
    }
    let file = run(&[
        "check",
        "https://acme-exports.s3.amazonaws.com/exports/a.jpg",
    ]);
    assert_eq!(file.code, 2);
    assert!(file.stderr.contains("(`acme-exports`)"), "{}", file.stderr);
}

#[test]
fn offline_and_quiet_tables_show_what_needs_attention() {
    let offline = run(&["check", "my-bucket", "--offline", "--color", "never"]);
    assert!(
        offline
            .stdout
            .contains("Not run with --offline (14 online checks): credentials,"),
        "{}",
        offline.stdout
    );
    assert!(
        !offline.stdout.contains("not run with --offline"),
        "{}",
        offline.stdout
    );
    let quiet = run(&["check", "My_Bucket", "--offline", "-q", "--color", "never"]);
    assert!(quiet.stdout.contains("FAIL"), "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("PASS"), "{}", quiet.stdout);
    assert!(quiet.stdout.contains("How to fix:"), "{}", quiet.stdout);
    let verbose = run(&["check", "my-bucket", "--offline", "-v", "--color", "never"]);
    assert!(
        !verbose.stdout.contains("  credentials — "),
        "no empty heading for a check left out: {}",
        verbose.stdout
    );
}

#[test]
fn piped_tables_honour_columns_with_a_sane_minimum() {
    let widest = |columns: &str| {
        let out = assert_cmd::Command::cargo_bin("bucket-preflight")
            .unwrap()
            .env_clear()
            .envs(support::isolated_env())
            .env("COLUMNS", columns)
            .args([
                "check",
                "My_Bucket.example",
                "--offline",
                "--color",
                "never",
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        // The table's own lines (the fixes below it are whole, never split into cells).
        stdout
            .lines()
            .filter(|l| l.starts_with('╭') || l.starts_with('│') || l.starts_with('╰'))
            .map(|l| l.chars().count())
            .max()
            .unwrap_or_else(|| panic!("no table: {stdout}"))
    };
    assert!(widest("80") <= 80, "COLUMNS=80 gave {}", widest("80"));
    assert!(widest("0") >= 60, "a zero width must not squeeze the table");
    assert!(widest("10") >= 60, "the minimum holds");
}

#[test]
fn lists_and_flags_are_read_as_people_type_them() {
    let spaced = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--only",
        "bucket-name, store-params",
    ]);
    assert!(spaced.code == 0 || spaced.code == 1, "{}", spaced.stderr);
    let bare = run(&["check", "my-bucket", "--acl"]);
    assert_eq!(bare.code, 2);
    assert!(
        bare.stderr.contains("--acl needs a value"),
        "{}",
        bare.stderr
    );
}

#[test]
fn explain_answers_typos_error_codes_and_no_argument() {
    let typo = run(&["explain", "block-public-acess"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("did you mean 'block-public-access'"),
        "{}",
        typo.stderr
    );
    assert_eq!(typo.stderr.trim().lines().count(), 1, "{}", typo.stderr);
    let code = run(&["explain", "AccessControlListNotSupported"]);
    assert_eq!(code.code, 0, "{}", code.stderr);
    assert!(
        code.stdout.contains("`object-ownership`"),
        "{}",
        code.stdout
    );
    assert!(code.stdout.contains("--only object-ownership,dry-run-put"));
    let catalog = run(&["explain"]);
    assert_eq!(catalog.code, 0, "{}", catalog.stderr);
    for id in registry::ids() {
        assert!(catalog.stdout.contains(id), "{id} missing from the catalog");
    }
}

#[test]
fn list_json_lists_every_check() {
    let r = run(&["list", "--format", "json"]);
    assert_eq!(r.code, 0);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&r.stdout).unwrap();
    let ids: Vec<&str> = listed.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, registry::ids());
    for check in &listed {
        for key in ["id", "title", "category", "online", "requires"] {
            assert!(check.get(key).is_some(), "{key} in {check}");
        }
    }
    let table = run(&["list"]);
    for id in registry::ids() {
        assert!(table.stdout.contains(id));
    }
}

#[test]
fn readme_catalog_matches_the_registry() {
    let readme =
        std::fs::read_to_string(support::repo_root().join("README.md")).expect("README.md");
    let catalog = readme
        .split("## Check catalog")
        .nth(1)
        .expect("README has a '## Check catalog' section");
    let catalog = catalog.split("\n## ").next().unwrap();
    let documented: Vec<&str> = catalog
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    assert_eq!(
        documented,
        registry::ids(),
        "the README's catalog lists the checks in registry order"
    );
    for check in registry::ALL {
        let info = check.info();
        let row = catalog
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", info.id)))
            .unwrap();
        assert!(
            row.contains(info.title),
            "README row for {} should carry its title '{}'",
            info.id,
            info.title
        );
        assert!(
            row.contains(if info.online { "online" } else { "offline" }),
            "README row for {} says online/offline",
            info.id
        );
    }
}

/// Accepts connections and never answers: a metadata service that hangs, on loopback.
fn silent_listener() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[test]
fn no_credentials_fail_fast_and_nothing_online_passes() {
    let (_listener, port) = silent_listener();
    let started = Instant::now();
    let out = bin(&["check", "some-bucket", "--format", "json"])
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let credentials = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "credentials")
        .unwrap();
    assert_eq!(credentials["status"], "fail");
    assert_eq!(credentials["summary"], "no AWS credentials found");
    assert!(credentials["remediation"]
        .as_str()
        .unwrap()
        .contains("AWS_ACCESS_KEY_ID"));
    for result in report["results"].as_array().unwrap() {
        if registry::find(result["id"].as_str().unwrap())
            .unwrap()
            .info()
            .online
        {
            assert_ne!(result["status"], "pass", "{result}");
        }
    }
}

#[test]
fn a_profile_that_does_not_exist_is_reported_not_crashed() {
    let out = bin(&[
        "check",
        "some-bucket",
        "--profile",
        "nope",
        "--only",
        "credentials",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("FAIL") && stdout.contains("credentials"),
        "{stdout}"
    );
    assert!(
        stdout.contains("profile `nope` was not found in"),
        "says the profile is missing and where it looked: {stdout}"
    );
    // With a config file that has profiles, they are listed.
    let dir = std::env::temp_dir().join(format!("bp-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        "[default]\nregion = eu-west-1\n\n[profile admin]\nregion = eu-west-1\n",
    )
    .unwrap();
    let out = bin(&[
        "check",
        "some-bucket",
        "--profile",
        "exporter",
        "--only",
        "credentials",
        "--format",
        "json",
    ])
    .env("AWS_CONFIG_FILE", &config)
    .output()
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("the profiles there: admin, default"),
        "{stdout}"
    );
}

#[test]
fn colour_only_on_request_and_never_with_no_color() {
    let coloured = bin(&["check", "My_Bucket", "--offline", "--color", "always"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&coloured.stdout).contains('\u{1b}'));
    let plain = bin(&["check", "My_Bucket", "--offline", "--color", "always"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'));
    let piped = bin(&["check", "My_Bucket", "--offline"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&piped.stdout).contains('\u{1b}'),
        "not a terminal: no colour"
    );
}

#[test]
fn policy_prints_exactly_the_minimal_policy() {
    let r = run(&[
        "policy",
        "my-bucket",
        "--acl",
        "bucket-default",
        "--bucket-region",
        "eu-west-1",
        "--offline",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policy: serde_json::Value =
        serde_json::from_str(&r.stdout).expect("stdout is exactly the policy JSON");
    assert_eq!(
        policy,
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ListExportBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::my-bucket"},
                {"Sid": "WriteExportedFiles", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "arn:aws:s3:::my-bucket/*"}
            ]
        })
    );
    assert!(
        r.stderr.contains("s3:PutObject on arn:aws:s3:::my-bucket/"),
        "explanations go to stderr: {}",
        r.stderr
    );
}

#[test]
fn policy_follows_the_parameters() {
    let r = run(&[
        "policy",
        "my-bucket",
        "--path",
        "exports/${unique_prefix}/${file.url_name}",
        "--tags",
        "--import",
        "--kms-key",
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "--offline",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policy: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let text = policy.to_string();
    for needle in [
        "s3:GetBucketLocation",
        "s3:PutObjectAcl",
        "s3:PutObjectTagging",
        "s3:GetObject",
        "arn:aws:s3:::my-bucket/exports/*",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let terraform = run(&["policy", "my-bucket", "--format", "terraform", "--offline"]);
    assert!(
        terraform
            .stdout
            .contains("resource \"aws_iam_policy\" \"my_bucket_export\""),
        "{}",
        terraform.stdout
    );
    let bucket_policy = run(&[
        "policy",
        "my-bucket",
        "--principal",
        "arn:aws:iam::111122223333:user/exporter",
        "--offline",
    ]);
    assert!(
        bucket_policy.stdout.contains("\"Principal\""),
        "{}",
        bucket_policy.stdout
    );
}

#[test]
fn policy_without_credentials_still_prints_the_policy_quickly() {
    let started = Instant::now();
    let r = run(&["policy", "my-bucket"]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 0);
    assert!(serde_json::from_str::<serde_json::Value>(&r.stdout).is_ok());
    assert!(
        r.stderr
            .contains("could not read the bucket's default encryption"),
        "{}",
        r.stderr
    );
}

fn write_policy(name: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("bucket-preflight-policies-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn policy_files_are_analysed_offline() {
    let seed = write_policy(
        "seed.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation","s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#,
    );
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--policy-file",
        seed.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let verdict = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "policy-document")
        .unwrap();
    assert_eq!(verdict["status"], "fail");
    assert!(
        verdict["summary"]
            .as_str()
            .unwrap()
            .starts_with("s3:ListBucket is granted only on arn:aws:s3:::my-bucket/*"),
        "{verdict}"
    );

    let split = write_policy(
        "split.json",
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::my-bucket"},
        {"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#,
    );
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--policy-file",
        split.to_str().unwrap(),
        "--only",
        "policy-document",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("PASS"), "{}", r.stdout);
}

#[test]
fn a_policy_aws_would_refuse_to_save_fails_naming_the_statement_and_the_fix() {
    // Transloadit's documented example policy, with `{BUCKET_NAME}` = `my-bucket`.
    let example = write_policy(
        "transloadit-example.json",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"AllowTransloaditToStoreFilesInmy-bucketBucket","Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListBucket","s3:PutObject","s3:PutObjectAcl"],"Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"]}]}"#,
    );
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--policy-file",
        example.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let verdict = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "policy-document")
        .unwrap();
    assert_eq!(verdict["status"], "fail", "{verdict:#}");
    let summary = verdict["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(r#"AWS will refuse to save this policy: statement "AllowTransloaditToStoreFilesInmy-bucketBucket" (#1): its Sid contains '-'"#),
        "{summary}"
    );
    let remediation = verdict["remediation"].as_str().unwrap();
    assert!(
        remediation.contains(r#""AllowTransloaditToStoreFilesInmyBucketBucket""#),
        "{remediation}"
    );
}

#[test]
fn policy_refuses_a_kms_key_that_is_not_a_key_arn() {
    for key in [
        "alias/exports",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:eu-west-1:111122223333:alias/exports",
    ] {
        assert_usage_error(
            &["policy", "my-bucket", "--offline", "--kms-key", key],
            &["--kms-key", "is not a KMS key ARN", "arn:aws:kms:"],
        );
    }
}

#[test]
fn policy_notes_name_the_granted_prefix_not_a_sample_file() {
    let r = run(&[
        "policy",
        "my-bucket",
        "--path",
        "exports/${unique_prefix}/${file.url_name}",
        "--offline",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("s3:PutObject on arn:aws:s3:::my-bucket/exports/*"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("example.jpg"), "{}", r.stderr);
}

#[test]
fn a_policy_with_a_principal_is_read_as_a_bucket_policy() {
    let path = write_policy(
        "bucket-kind.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/exporter"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#,
    );
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--format",
        "json",
        "--policy-file",
        path.to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let policy = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "policy-document")
        .unwrap();
    assert_eq!(policy["evidence"]["policy_kind"], "bucket", "{policy:#}");
}

#[test]
fn malformed_policy_files_are_exit_2_with_line_and_column() {
    let broken = write_policy("broken.json", "{\"Version\":\"2012-10-17\",\n \"Statement\": [\n  {\"Effect\":\"Allow\" \"Action\":\"s3:*\"}]}");
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--offline",
            "--policy-file",
            broken.to_str().unwrap(),
        ],
        &["broken.json", "line 3, column 21"],
    );
    let invalid = write_policy(
        "invalid.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow ","Action":"s3:*","Resource":"*"}]}"#,
    );
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--offline",
            "--policy-file",
            invalid.to_str().unwrap(),
        ],
        &[
            "AWS will refuse to save this policy",
            "Effect",
            "\"allow \"",
        ],
    );
    assert_usage_error(
        &[
            "check",
            "my-bucket",
            "--offline",
            "--policy-file",
            "/nonexistent/p.json",
        ],
        &["cannot read --policy-file"],
    );
    assert_usage_error(
        &["check", "my-bucket", "--principal", "exporter"],
        &["--principal", "IAM user or role ARN"],
    );
}

#[test]
fn store_step_flags_with_bad_values_are_exit_2_saying_what_is_accepted() {
    let cases: &[(&[&str], &str)] = &[
        (&["--header", "Content-Type"], "'Name: value'"),
        (&["--header", "Bad Name: x"], "not a valid header name"),
        (&["--tag", "project"], "KEY=VALUE"),
        (&["--tag", "aws:owner=me"], "reserves"),
        (&["--tag", "k=a,b"], "S3 accepts letters, digits, spaces"),
        (&["--tag", "k=1", "--tag", "k=2"], "twice"),
        (&["--sign-urls-for", "0"], "1 to 604800"),
        (&["--sign-urls-for", "1h"], "1 to 604800"),
    ];
    for (args, needle) in cases {
        let mut all = vec!["check", "my-bucket", "--offline"];
        all.extend_from_slice(args);
        let r = run(&all);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
    let eleven: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
    let mut all = vec!["check", "my-bucket", "--offline"];
    for tag in &eleven {
        all.extend_from_slice(&["--tag", tag]);
    }
    let r = run(&all);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("at most 10"), "{}", r.stderr);
}

#[test]
fn policy_follows_the_store_steps_tags_signed_urls_and_kms_header() {
    let r = run(&[
        "policy",
        "my-bucket",
        "--acl",
        "bucket-default",
        "--bucket-region",
        "eu-west-1",
        "--tag",
        "project=acme",
        "--sign-urls-for",
        "3600",
        "--header",
        "x-amz-server-side-encryption: aws:kms",
        "--header",
        "x-amz-server-side-encryption-aws-kms-key-id: arn:aws:kms:eu-west-1:111122223333:key/step-key",
        "--offline",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let policy: serde_json::Value = serde_json::from_str(&r.stdout).expect("policy JSON");
    assert_eq!(
        policy["Statement"][1]["Action"],
        serde_json::json!(["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject"])
    );
    assert_eq!(
        policy["Statement"][2]["Resource"],
        "arn:aws:kms:eu-west-1:111122223333:key/step-key"
    );
    assert!(r.stderr.contains("hence s3:GetObject"), "{}", r.stderr);
}

#[test]
fn the_step_headers_that_s3_refuses_fail_store_params_offline() {
    let r = run(&[
        "check",
        "my-bucket",
        "--offline",
        "--format",
        "json",
        "--header",
        "Authorization: AWS4-HMAC-SHA256 Credential=x",
        "--header",
        "x-amz-server-side-encryption-customer-key: c2VjcmV0a2V5",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("Authorization"), "{}", r.stdout);
    // Never echo a secret header's value.
    assert!(!r.stdout.contains("c2VjcmV0a2V5"), "{}", r.stdout);
    assert!(!r.stdout.contains("Credential=x"), "{}", r.stdout);
}
