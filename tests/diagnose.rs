//! `diagnose` as a person runs it: the acceptance cases offline, bad input, every format, no
//! secret from an Assembly Status in the output, and, on the emulator with IAM enforced, a
//! denial the checks confirm with the denied user's own credentials.

mod support;

use assert_cmd::Command;
use serde_json::{json, Value};
use support::{BucketSetup, Emulator, ACCOUNT};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn diagnose(env: Vec<(String, String)>, stdin: &str, args: &[&str]) -> Run {
    let out = Command::cargo_bin("bucket-preflight")
        .expect("binary is built")
        .env_clear()
        .envs(env)
        .arg("diagnose")
        .args(args)
        .write_stdin(stdin.to_owned())
        .output()
        .expect("runs");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

fn offline(stdin: &str, args: &[&str]) -> Run {
    let mut all = vec!["-", "--offline"];
    all.extend(args);
    diagnose(support::isolated_env(), stdin, &all)
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", run.stdout, run.stderr))
}

const DENIED_PUT: &str = r#"API error (HTTP 403) S3_STORE_ACCESS_DENIED: User: arn:aws:iam::111122223333:user/exporter is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::acme-exports/uploads/clip.mp4" because no identity-based policy allows the s3:PutObject action https://api2.transloadit.com/assemblies/a1b2"#;

#[test]
fn an_identity_denial_names_the_identity_policy_and_the_missing_statement_offline() {
    let run = offline(DENIED_PUT, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("The writer's IAM policy does not allow the request"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(r#"Add this statement to the IAM policy of `arn:aws:iam::111122223333:user/exporter`: {"Sid":"WriteExportedFiles","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-exports/*"}"#), "{}", run.stdout);
    assert!(
        run.stdout.contains("not run with --offline"),
        "{}",
        run.stdout
    );

    let report = json_of(&offline(
        DENIED_PUT,
        &["--format", "json", "--path", "uploads/${file.url_name}"],
    ));
    assert_eq!(report["schema_version"], 1);
    assert_eq!(
        report["error"]["transloadit_code"],
        "S3_STORE_ACCESS_DENIED"
    );
    assert_eq!(report["error"]["denied_by"], "identity-based");
    assert_eq!(report["error"]["action"], "s3:PutObject");
    assert_eq!(report["error"]["bucket"], "acme-exports");
    let first = &report["causes"][0];
    assert_eq!(first["id"], "identity-policy-no-allow");
    assert_eq!(first["likelihood"], "certain");
    assert_eq!(first["status"], "not_checked");
    // The statement grants the export path's prefix when --path gives it.
    assert!(
        first["fix"]
            .as_str()
            .unwrap()
            .contains(r#""Resource":"arn:aws:s3:::acme-exports/uploads/*""#),
        "{first:#}"
    );
    assert_eq!(report["checks"]["ran"], false);
}

#[test]
fn acls_not_supported_names_object_ownership_and_bucket_default() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessControlListNotSupported</Code><Message>The bucket does not allow ACLs</Message><RequestId>8C3D</RequestId></Error>"#;
    let run = offline(xml, &["--acl", "public"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Object Ownership"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Set `acl: bucket-default` in the store step"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_permanent_redirect_names_bucket_region() {
    let xml = "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>acme-exports.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>acme-exports</Bucket></Error>";
    let run = offline(xml, &["--format", "markdown"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("## Diagnosis of `PermanentRedirect`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Set `bucket_region: eu-west-1` in the store step"),
        "{}",
        run.stdout
    );
}

#[test]
fn unrecognised_input_exits_2_saying_what_is_accepted() {
    for input in [
        "everything is fine",
        "{\"ok\": \"ASSEMBLY_COMPLETED\"}",
        "{\"error\": ",
    ] {
        let run = offline(input, &[]);
        assert_eq!(run.code, 2, "{input}: {}", run.stdout);
        assert!(
            run.stderr.starts_with("error: ") && run.stderr.contains("Assembly Status JSON"),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
    let run = diagnose(
        support::isolated_env(),
        "",
        &["/nonexistent/assembly.json", "--offline"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot read /nonexistent/assembly.json"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_assembly_status_never_shows_the_steps_secrets() {
    let status = json!({
        "ok": null, "error": "S3_STORE_ACCESS_DENIED", "message": "Access Denied", "step": "export",
        "assembly_ssl_url": "https://api2.transloadit.com/assemblies/x9",
        "params": {"steps": {"export": {"robot": "/s3/store", "bucket": "acme", "key": "AKIAIOSFODNN7EXAMPLE", "secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}}
    })
    .to_string();
    for format in ["table", "json", "markdown"] {
        let run = offline(&status, &["--format", format]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("export"), "{}", run.stdout);
        for secret in ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{format}: {}",
                run.stdout
            );
        }
    }
}

#[tokio::test]
async fn a_missing_put_object_is_confirmed_with_the_users_own_credentials() {
    let emulator = Emulator::start();
    let bucket = "diagnose-bucket";
    emulator
        .create_bucket(bucket, "us-east-1", &BucketSetup::default())
        .await;
    // Everything the checks read, but no s3:PutObject.
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketOwnershipControls", "s3:GetBucketPublicAccessBlock", "s3:GetEncryptionConfiguration", "s3:GetBucketPolicy", "s3:GetBucketRequestPayment"], "Resource": format!("arn:aws:s3:::{bucket}")}
    ]});
    let keys = emulator
        .create_user("uploader", &support::with_emulator_grants(policy, bucket))
        .await;
    let everything = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let fixed = emulator
        .create_user("fixed", &support::with_emulator_grants(everything, bucket))
        .await;
    emulator.enforce_iam();

    let message = format!(
        r#"API error (HTTP 403) S3_STORE_ACCESS_DENIED: User: arn:aws:iam::{ACCOUNT}:user/uploader is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::{bucket}/exports/clip.mp4" because no identity-based policy allows the s3:PutObject action https://api2.transloadit.com/assemblies/e2e"#
    );
    let endpoint = emulator.endpoint_args();
    let mut args = vec![
        "-",
        "--format",
        "json",
        "--acl",
        "bucket-default",
        "--bucket-region",
        "us-east-1",
        "--path",
        "exports/${file.url_name}",
    ];
    args.extend(endpoint.iter().map(String::as_str));
    let run = diagnose(emulator.env_as(&keys), &message, &args);
    let report = json_of(&run);
    assert_eq!(report["checks"]["ran"], true, "{report:#}");
    assert_eq!(
        report["checks"]["caller"],
        format!("arn:aws:iam::{ACCOUNT}:user/uploader"),
        "{report:#}"
    );
    let cause = &report["causes"][0];
    assert_eq!(cause["id"], "identity-policy-no-allow", "{report:#}");
    assert_eq!(cause["status"], "confirmed", "{cause:#}");
    let dry_run = cause["check_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "dry-run-put")
        .expect("the dry run ran");
    assert_eq!(dry_run["status"], "fail", "{cause:#}");
    // The failure still happens: exit 1.
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The user's secret never shows.
    assert!(!run.stdout.contains(&keys.secret_key));

    // A user whose policy grants the upload: the same message is not reproduced, never
    // "confirmed" and never "ruled out" (the error is about another principal).
    let run = diagnose(emulator.env_as(&fixed), &message, &args);
    let report = json_of(&run);
    let cause = &report["causes"][0];
    assert_eq!(cause["status"], "unconfirmed", "{cause:#}");
    assert!(
        cause["status_reason"]
            .as_str()
            .unwrap()
            .contains("the error is about arn:aws:iam::123456789012:user/uploader"),
        "{cause:#}"
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    // About that user itself: the checks pass now, so the error is not reproduced (fixed
    // since, or other parameters) — still not "ruled out", since the message proved it then.
    let message = message.replace("user/uploader", "user/fixed");
    let run = diagnose(emulator.env_as(&fixed), &message, &args);
    let cause = &json_of(&run)["causes"][0];
    assert_eq!(cause["status"], "not_reproduced", "{cause:#}");
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn explain_knows_transloadit_codes_too() {
    for (code, check) in [
        ("S3_STORE_WRONG_REGION", "bucket-region"),
        ("wasabi_store_not_found", "bucket-exists"),
    ] {
        let out = Command::cargo_bin("bucket-preflight")
            .expect("binary is built")
            .env_clear()
            .envs(support::isolated_env())
            .args(["explain", code])
            .output()
            .expect("runs");
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with(&format!("# {}", code.to_ascii_uppercase())),
            "{stdout}"
        );
        assert!(stdout.contains(&format!("- `{check}`")), "{stdout}");
    }
}

#[test]
fn the_template_supplies_the_failed_steps_bucket_and_acl() {
    let dir = std::env::temp_dir().join(format!("bp-diagnose-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("t.json");
    std::fs::write(
        &template,
        r#"{"steps": {
  "other": {"robot": "/s3/store", "bucket": "other-bucket", "acl": "private", "credentials": "c"},
  "exported": {"robot": "/s3/store", "bucket": "tmpl-exports", "acl": "public", "credentials": "c"}
}}"#,
    )
    .unwrap();
    let status = json!({
        "ok": null,
        "error": "S3_STORE_ACCESS_DENIED",
        "step": "exported",
        "message": "AccessControlListNotSupported: The bucket does not allow ACLs",
    })
    .to_string();
    let template = template.display().to_string();
    // No --step: the step the error names is the one read from the file.
    let run = offline(&status, &["--template", &template, "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report = json_of(&run);
    assert_eq!(report["checks"]["bucket"], "tmpl-exports", "{report}");
    // A step the file does not have is exit 2 listing the storage steps.
    let run = offline(&status, &["--template", &template, "--step", "nope"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("exported") && run.stderr.contains("other"),
        "{}",
        run.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}
