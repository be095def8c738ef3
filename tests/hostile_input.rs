//! Hostile input against the binary: generated command lines (offline, no network) with odd
//! bucket names, templates, URL prefixes, regions and policy files. Whatever comes in, the
//! process exits 0, 1, 2 or 3 — never 101 (a panic), and no check crashes (a panic the runner
//! caught) — and a rejection (exit 2) is one line on stderr, with no panic text and no Debug dump.
//!
//! Values go in `--flag=value` form, each flag once, so a value that starts with `-` stays a
//! value: the structural mistakes (an unknown or repeated flag, a missing argument) get clap's
//! multi-line usage text on purpose. A NUL byte cannot be passed in an argument at all (the OS
//! refuses it), so the generators leave it out here; the library-level properties in
//! `checks/tests/hostile_input.rs` cover it.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// An offline run starts, parses and renders; anything near this is a hang.
const RUN_LIMIT: Duration = Duration::from_secs(10);

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("${".to_owned()),
        Just("}".to_owned()),
        Just("/".to_owned()),
        Just("..".to_owned()),
        Just("-".to_owned()),
        Just("*".to_owned()),
        Just("%00".to_owned()),
        Just("s3://".to_owned()),
        Just("arn:aws:s3:::".to_owned()),
        Just("https://".to_owned()),
        Just("http://[::1".to_owned()),
        Just("'\"`\\".to_owned()),
        Just("\n".to_owned()),
        Just("\u{1b}[31m".to_owned()),
        Just("é".to_owned()),
        Just("İ".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("👩‍👩‍👧".to_owned()),
        "[a-z0-9.-]{1,12}",
        "\\PC{0,8}",
    ];
    prop_oneof![
        6 => prop::collection::vec(piece, 0..12).prop_map(|p| p.concat()),
        1 => ("[a-z]{1,2}", 64usize..2_000).prop_map(|(unit, n)| unit.repeat(n)),
    ]
    .prop_map(|s| s.replace('\0', ""))
}

/// A policy file's content: arbitrary text, broken JSON, or JSON of the wrong shape.
fn policy_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        text().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..256),
        Just(b"{\"Version\":\"2012-10-17\",\"Statement\":[".to_vec()),
        Just(
            b"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":7}}"
                .to_vec()
        ),
        (text(), text()).prop_map(|(action, resource)| serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource,
                           "Condition": {"StringLike": {"s3:prefix": [resource]}}}]
        })
        .to_string()
        .into_bytes()),
        Just("[".repeat(100_000).into_bytes()),
    ]
}

#[derive(Debug, Clone)]
enum Invocation {
    Check {
        bucket: String,
        options: Vec<(&'static str, String)>,
        policy: Option<Vec<u8>>,
        format: &'static str,
    },
    Policy {
        bucket: String,
        options: Vec<(&'static str, String)>,
    },
    Explain(String),
    /// An argument that is not UTF-8 at all.
    NotUtf8 {
        flag: &'static str,
        bytes: Vec<u8>,
    },
}

fn check_options() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let flag = prop_oneof![
        Just("--path"),
        Just("--url-prefix"),
        Just("--bucket-region"),
        Just("--acl"),
        Just("--expected-owner"),
        Just("--principal"),
        Just("--only"),
        Just("--skip"),
        Just("--check-timeout"),
        Just("--timeout"),
        Just("--region"),
        Just("--endpoint-url"),
        Just("--color"),
    ];
    // One value per flag: a repeated flag is a usage mistake (like an unknown flag or a missing
    // argument) that clap answers with its usage text on purpose, not bad input.
    prop::collection::vec((flag, text()), 0..5).prop_map(|mut options| {
        let mut seen = std::collections::HashSet::new();
        options.retain(|(flag, _)| seen.insert(*flag));
        options
    })
}

fn invocation() -> impl Strategy<Value = Invocation> {
    let format = prop_oneof![Just("table"), Just("json"), Just("markdown")];
    prop_oneof![
        6 => (text(), check_options(), prop::option::of(policy_text()), format).prop_map(
            |(bucket, options, policy, format)| Invocation::Check { bucket, options, policy, format }
        ),
        2 => (text(), prop::collection::vec((prop_oneof![Just("--path"), Just("--acl"), Just("--kms-key"), Just("--principal"), Just("--bucket-region")], text()), 0..4))
            .prop_map(|(bucket, mut options)| {
                let mut seen = std::collections::HashSet::new();
                options.retain(|(flag, _)| seen.insert(*flag));
                Invocation::Policy { bucket, options }
            }),
        1 => text().prop_map(Invocation::Explain),
        1 => (prop_oneof![Just("--path"), Just("--url-prefix"), Just("--bucket-region")], prop::collection::vec(128u8..=255, 1..8))
            .prop_map(|(flag, bytes)| Invocation::NotUtf8 { flag, bytes }),
    ]
}

static POLICY_FILES: AtomicUsize = AtomicUsize::new(0);

fn arguments(invocation: &Invocation) -> (Vec<OsString>, Option<std::path::PathBuf>) {
    let pair = |flag: &str, value: &str| OsString::from(format!("{flag}={value}"));
    match invocation {
        Invocation::Check {
            bucket,
            options,
            policy,
            format,
        } => {
            let mut args: Vec<OsString> = vec!["check".into(), "--offline".into()];
            args.push(pair("--format", format));
            args.extend(options.iter().map(|(f, v)| pair(f, v)));
            let file = policy.as_ref().map(|content| {
                let n = POLICY_FILES.fetch_add(1, Ordering::Relaxed);
                let path = std::env::temp_dir().join(format!(
                    "bucket-preflight-hostile-{}-{n}.json",
                    std::process::id()
                ));
                std::fs::write(&path, content).expect("write the policy file");
                args.push(pair("--policy-file", &path.display().to_string()));
                path
            });
            args.extend(["--".into(), bucket.into()]);
            (args, file)
        }
        Invocation::Policy { bucket, options } => {
            let mut args: Vec<OsString> = vec!["policy".into(), "--offline".into()];
            args.extend(options.iter().map(|(f, v)| pair(f, v)));
            args.extend(["--".into(), bucket.into()]);
            (args, None)
        }
        Invocation::Explain(id) => (vec!["explain".into(), "--".into(), id.into()], None),
        Invocation::NotUtf8 { flag, bytes } => {
            let mut value = format!("{flag}=").into_bytes();
            value.extend_from_slice(bytes);
            (
                vec![
                    "check".into(),
                    "--offline".into(),
                    OsString::from_vec(value),
                    "my-bucket".into(),
                ],
                None,
            )
        }
    }
}

fn run(invocation: &Invocation) -> Result<(), TestCaseError> {
    let (args, file) = arguments(invocation);
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bucket-preflight"))
        .env_clear()
        .envs(support::isolated_env())
        .args(&args)
        .output()
        .expect("the binary runs");
    let took = started.elapsed();
    if let Some(file) = file {
        let _ = std::fs::remove_file(file);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    let shown = || format!("{args:?} → exit {code:?}\nstdout: {stdout}\nstderr: {stderr}");
    prop_assert!(took < RUN_LIMIT, "took {took:?}: {}", shown());
    prop_assert!(
        matches!(code, Some(0..=3)),
        "exit code must be 0-3: {}",
        shown()
    );
    for output in [&stdout, &stderr] {
        for banned in [
            "panicked",
            "internal error",
            "the check crashed",
            "Error {",
            "RUST_BACKTRACE",
        ] {
            prop_assert!(
                !output.contains(banned),
                "{banned:?} in output: {}",
                shown()
            );
        }
    }
    for output in [&stdout, &stderr] {
        if let Some(mark) = support::debug_dump_in(output) {
            prop_assert!(false, "a debug dump ({mark:?}) in output: {}", shown());
        }
    }
    if code == Some(2) {
        prop_assert!(
            stderr.trim_end().lines().count() == 1 && stderr.starts_with("error: "),
            "a rejection is one line starting with `error: `: {}",
            shown()
        );
    }
    Ok(())
}

#[test]
fn generated_command_lines_exit_cleanly_and_reject_in_one_line() {
    let mut runner = TestRunner::new(Config {
        // Each case is one process start (~20-50 ms offline).
        cases: 200,
        max_shrink_iters: 200,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&invocation(), |invocation| run(&invocation));
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

/// Inputs that once broke, or that sit on an edge the generator reaches only by luck.
#[test]
fn known_hostile_inputs_exit_cleanly() {
    let cases = [
        Invocation::Check {
            bucket: "my-bucket".into(),
            options: vec![("--bucket-region", "é1".into())],
            policy: None,
            format: "json",
        },
        Invocation::Check {
            bucket: "a".repeat(10_000),
            options: vec![("--path", "${".repeat(1_000))],
            policy: Some(b"[".repeat(100_000)),
            format: "table",
        },
        Invocation::Check {
            bucket: "\u{202e}bucket\u{1b}[2J".into(),
            options: vec![(
                "--url-prefix",
                "https://cdn.example.com/${file.url_name}/".into(),
            )],
            policy: Some(vec![0xff, 0xfe, 0x00, 0x7b]),
            format: "markdown",
        },
        // Echoed values once split the rejection over several lines (and let escapes through).
        Invocation::Check {
            bucket: "my-bucket".into(),
            options: vec![("--url-prefix", "\n\u{1b}[2Jhttps://x/".into())],
            policy: None,
            format: "json",
        },
        // Not UTF-8 once got clap's multi-line usage text.
        Invocation::NotUtf8 {
            flag: "--path",
            bytes: vec![0xc3, 0x28],
        },
    ];
    for case in &cases {
        run(case).unwrap_or_else(|e| panic!("{e}"));
    }
}
