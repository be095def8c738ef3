//! Bad input on the command line: exit 2 with one clear line naming what is accepted, and input
//! read as people type or paste it.

use super::{assert_usage_error, bin, run};

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
