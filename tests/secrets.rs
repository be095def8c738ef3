//! No secret in any output: the binary runs with known fake credentials (a session token
//! included) against the emulator and the fault proxy, in every report format and verbosity and
//! down the error paths, and neither the secret key, nor the token, nor the full access key id
//! (which reports shorten) appears on stdout or stderr — not even a 12-character piece of one,
//! so that a secret wrapped across table lines is caught too.
//!
//! The caught-panic path is tested at unit level in `src/runner.rs`
//! (`a_panic_message_carrying_secrets_is_redacted_in_every_format`).

mod support;

use support::fault_proxy::{Api, Fault, FaultProxy};
use support::{BucketSetup, Emulator};

const KEY_ID: &str = "AKIAFAKESECRETSCAN01";
const SECRET: &str = "fakeSecretScan/ShouldNeverAppear+01234567";
const TOKEN: &str =
    "IQoJb3JpZ2luX2VjEFAKEsessionTokenForTheSecretsScan//////////wEaCXVzLWVhc3QtMSJHMEUCIQD";

/// Pieces this long of a secret count as the secret.
const PIECE: usize = 12;

fn env() -> Vec<(String, String)> {
    let mut env = support::isolated_env();
    env.push(("AWS_ACCESS_KEY_ID".into(), KEY_ID.into()));
    env.push(("AWS_SECRET_ACCESS_KEY".into(), SECRET.into()));
    env.push(("AWS_SESSION_TOKEN".into(), TOKEN.into()));
    env
}

/// The secrets (or pieces of them) found in `text`.
fn leaks(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (name, secret) in [
        ("secret key", SECRET),
        ("session token", TOKEN),
        ("access key id", KEY_ID),
    ] {
        if let Some(piece) = secret
            .as_bytes()
            .windows(PIECE)
            .map(|w| std::str::from_utf8(w).expect("ASCII"))
            .find(|piece| text.contains(piece))
        {
            found.push(format!("{name} (piece {piece:?})"));
        }
    }
    found
}

/// Runs the binary and returns what leaked, with the run described, and whether the output
/// shows a redaction (proof that secrets reached the report and were scrubbed there).
fn scan_redacted(args: &[String]) -> (Vec<String>, bool) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bucket-preflight"))
        .env_clear()
        .envs(env())
        .args(args)
        .output()
        .expect("the binary runs");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0..=3)),
        "{args:?} exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut found = Vec::new();
    let mut redacted = false;
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        redacted |= text.contains("[REDACTED]");
        for leak in leaks(&text) {
            found.push(format!("{args:?}: {leak} on {stream}"));
        }
    }
    (found, redacted)
}

fn scan(args: &[String]) -> Vec<String> {
    scan_redacted(args).0
}

/// Every report format at every verbosity.
fn every_rendering() -> Vec<Vec<String>> {
    let mut variants = Vec::new();
    for format in ["table", "json", "markdown"] {
        for verbosity in [None, Some("-v"), Some("-vv")] {
            let mut args = vec!["--format".to_owned(), format.to_owned()];
            args.extend(verbosity.map(str::to_owned));
            if format == "table" {
                args.extend(["--color".to_owned(), "always".to_owned()]);
            }
            variants.push(args);
        }
    }
    variants
}

fn check_args(bucket: &str, endpoint: &str, extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = ["check", bucket, "--path-style", "--endpoint-url", endpoint]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--url-prefix".into(), format!("{endpoint}/{bucket}/")]);
    args.extend([
        "--check-timeout".into(),
        "3".into(),
        "--timeout".into(),
        "15".into(),
    ]);
    args.extend(extra.iter().cloned());
    args
}

#[test]
fn no_secret_in_any_format_verbosity_or_error_path() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = Emulator::start();
    let bucket = "secrets-scan";
    runtime.block_on(emulator.create_bucket(
        bucket,
        "us-east-1",
        &BucketSetup {
            versioning: true,
            public_access_block: Some([false; 4]),
            ..Default::default()
        },
    ));
    let mut leaked = Vec::new();

    // A healthy bucket, every rendering; the policy command's outputs too.
    for rendering in every_rendering() {
        leaked.extend(scan(&check_args(bucket, &emulator.endpoint, &rendering)));
    }
    for format in ["json", "terraform"] {
        let args: Vec<String> = [
            "policy",
            bucket,
            "--path-style",
            "--endpoint-url",
            &emulator.endpoint,
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        leaked.extend(scan(&args));
    }

    // Error paths: no such bucket; an endpoint that refuses connections.
    let verbose_json = ["--format".to_owned(), "json".to_owned(), "-vv".to_owned()];
    let verbose_table = ["-vv".to_owned()];
    for rendering in [&verbose_json[..], &verbose_table[..]] {
        leaked.extend(scan(&check_args(
            "no-such-bucket-here",
            &emulator.endpoint,
            rendering,
        )));
    }
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    for rendering in every_rendering() {
        leaked.extend(scan(&check_args(bucket, &closed, &rendering)));
    }

    // Through the fault proxy: STS failing in several ways, and every API answering with an
    // error that quotes the request's credentials back (as S3 does for a bad signature/token).
    let mut faults: Vec<(Api, Fault)> = [
        Fault::InternalError,
        Fault::EmptyForbidden,
        Fault::HtmlPage,
        Fault::TruncatedXml,
    ]
    .into_iter()
    .map(|fault| (Api::GetCallerIdentity, fault))
    .collect();
    faults.extend(
        [
            Api::GetCallerIdentity,
            Api::ListObjectsV2,
            Api::GetBucketPolicy,
            Api::GetBucketEncryption,
            Api::PutObject,
            Api::DeleteObject,
        ]
        .into_iter()
        .map(|api| (api, Fault::EchoCredentials)),
    );
    let mut echoes_redacted = 0;
    for rule in faults {
        let proxy = runtime.block_on(FaultProxy::start(&emulator.endpoint, Some(rule)));
        for rendering in [&verbose_json[..], &verbose_table[..]] {
            let (found, redacted) = scan_redacted(&check_args(bucket, &proxy.endpoint, rendering));
            leaked.extend(found);
            if rule.1 == Fault::EchoCredentials && redacted {
                echoes_redacted += 1;
            }
        }
        assert!(
            proxy.seen().iter().any(|s| s.faulted),
            "{rule:?} was never applied"
        );
    }

    assert!(leaked.is_empty(), "secrets leaked:\n{}", leaked.join("\n"));
    // The echoed messages carry the key id and token into reports: the scan above is only
    // meaningful if some of them got there (and were scrubbed).
    assert!(
        echoes_redacted > 0,
        "no echoed credential ever reached a report"
    );
}

/// The scan itself finds what it looks for, pieces included.
#[test]
fn the_scan_finds_secrets_and_pieces_of_them() {
    assert!(leaks("nothing here").is_empty());
    assert_eq!(leaks(&format!("x{SECRET}y")).len(), 1);
    assert_eq!(leaks(&TOKEN[20..40]).len(), 1);
    // The shortened form reports show is not a leak.
    assert!(leaks("AKIA…AN01").is_empty());
}
