//! The real binary, offline: exit codes, bad input, reports, the catalog, and the no-credentials path.
//! This file holds the helpers and the report tests; the other groups are the modules below.

mod support;

#[path = "cli/bad_input.rs"]
mod bad_input;
#[path = "cli/catalog.rs"]
mod catalog;
#[path = "cli/credentials.rs"]
mod credentials;
#[path = "cli/policy.rs"]
mod policy;

use assert_cmd::Command;
use preflight::registry;

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
