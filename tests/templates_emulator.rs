//! `check --template` end to end on the emulator: the step's acl, path, region and host are
//! what is checked (a flag overrides them), and a step's inline keys are the identity the
//! online checks run as, not the environment's.

mod support;

use serde_json::{json, Value};
use support::{BucketSetup, Emulator};

/// Writes `step` as Assembly Instructions into a fresh file and returns its path.
fn template_file(name: &str, step: Value) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("bucket-preflight-templates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.json"));
    let instructions =
        json!({"steps": {":original": {"robot": "/upload/handle"}, "exported": step}});
    std::fs::write(&path, instructions.to_string()).expect("write template");
    path
}

fn check(
    env: Vec<(String, String)>,
    file: &std::path::Path,
    args: &[&str],
) -> (i32, Value, String) {
    let out = assert_cmd::Command::cargo_bin("bucket-preflight")
        .expect("the binary is built")
        .env_clear()
        .envs(env)
        .args(["check", "--template"])
        .arg(file)
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}{stderr}"));
    (out.status.code().expect("exited"), report, stdout + &stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_steps_acl_path_region_and_host_are_checked_and_a_flag_overrides_them() {
    let emulator = Emulator::start();
    let bucket = "template-target";
    emulator
        .create_bucket(bucket, "eu-west-1", &BucketSetup::default())
        .await;
    let file = template_file(
        "s3-host",
        json!({
            "robot": "/s3/store",
            "use": ":original",
            "credentials": "prod_s3",
            "bucket": bucket,
            "bucket_region": "eu-west-1",
            "acl": "private",
            "path": "exports/${unique_prefix}/${file.url_name}",
            "host": emulator.endpoint,
            "no_vhost": true,
            "url_prefix": format!("{}/{bucket}/", emulator.endpoint),
        }),
    );
    let (code, report, _) = check(emulator.env(), &file, &[]);
    let target = &report["target"];
    assert_eq!(target["acl"], "private", "{report:#}");
    assert_eq!(target["path"], "exports/${unique_prefix}/${file.url_name}");
    assert_eq!(target["bucket_region"], "eu-west-1");
    assert_eq!(target["endpoint"], emulator.endpoint.as_str());
    assert_eq!(target["source"]["step"], "exported");
    assert!(
        target["source"]["notes"]
            .to_string()
            .contains("--credentials prod_s3=PROFILE"),
        "{target:#}"
    );
    for id in ["bucket-exists", "bucket-region", "dry-run-put"] {
        assert_eq!(
            support::result(&report, id)["status"],
            "pass",
            "{id}: {report:#}"
        );
    }
    // The probe was written under the step's path prefix, with its acl.
    let put = support::result(&report, "dry-run-put");
    assert!(put.to_string().contains("exports/"), "{put:#}");
    // A custom host is not AWS: the AWS-only checks say so instead of passing.
    assert_eq!(support::result(&report, "iam-simulation")["status"], "skip");
    assert_ne!(code, 2, "{report:#}");

    // Flags typed on the command line win.
    let (_, report, _) = check(
        emulator.env(),
        &file,
        &[
            "--acl",
            "bucket-default",
            "--path",
            "other/${file.url_name}",
            "--bucket-region",
            "us-east-1",
        ],
    );
    let target = &report["target"];
    assert_eq!(target["acl"], "bucket-default");
    assert_eq!(target["path"], "other/${file.url_name}");
    assert_eq!(target["bucket_region"], "us-east-1");
    // The bucket is in eu-west-1: the overriding region is what was checked.
    assert_eq!(
        support::result(&report, "bucket-region")["status"],
        "fail",
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn inline_keys_are_the_identity_checked_not_the_environments() {
    let emulator = Emulator::start();
    let bucket = "template-inline";
    emulator
        .create_bucket(bucket, "us-east-1", &BucketSetup::default())
        .await;
    let everything = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let admin = emulator.create_user("admin", &everything).await;
    // Can look at the bucket, cannot write to it.
    let read_only = support::with_emulator_grants(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": format!("arn:aws:s3:::{bucket}")}
        ]}),
        bucket,
    );
    let limited = emulator.create_user("limited", &read_only).await;
    emulator.enforce_iam();

    let step = |keys: Option<&support::UserKeys>| {
        let mut step = json!({
            "robot": "/s3/store",
            "use": ":original",
            "bucket": bucket,
            "bucket_region": "us-east-1",
            "acl": "private",
            "path": "exports/${file.url_name}",
        });
        if let Some(keys) = keys {
            step["key"] = json!(keys.access_key);
            step["secret"] = json!(keys.secret_key);
        }
        step
    };
    let url_prefix = format!("{}/{bucket}/", emulator.endpoint);
    let mut args: Vec<String> = emulator.endpoint_args().to_vec();
    args.extend([
        "--url-prefix".into(),
        url_prefix,
        "--skip".into(),
        "public-url".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // The environment's admin alone may write: the baseline.
    let (_, report, _) = check(
        emulator.env_as(&admin),
        &template_file("admin", step(None)),
        &args,
    );
    assert_eq!(
        support::result(&report, "dry-run-put")["status"],
        "pass",
        "{report:#}"
    );

    // With the limited user's keys inline, the checks run as that user: its denial shows.
    let (code, report, output) = check(
        emulator.env_as(&admin),
        &template_file("inline", step(Some(&limited))),
        &args,
    );
    assert_eq!(code, 1, "{report:#}");
    assert!(
        report["caller"]["arn"]
            .as_str()
            .is_some_and(|arn| arn.ends_with("user/limited")),
        "{report:#}"
    );
    let put = support::result(&report, "dry-run-put");
    assert_eq!(put["status"], "fail", "{put:#}");
    assert!(put.to_string().contains("AccessDenied"), "{put:#}");
    assert!(
        !output.contains(&limited.secret_key) && !output.contains(&limited.access_key),
        "the inline keys leaked: {output}"
    );

    // Template Credentials mapped to a local profile: that profile's keys are used.
    let home = std::env::temp_dir().join(format!(
        "bucket-preflight-template-creds-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&home).expect("temp dir");
    let credentials_file = home.join("credentials");
    std::fs::write(
        &credentials_file,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n[exporter]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            admin.access_key, admin.secret_key, limited.access_key, limited.secret_key
        ),
    )
    .expect("write credentials file");
    let mut env: Vec<(String, String)> = support::isolated_env()
        .into_iter()
        .filter(|(name, _)| name != "AWS_SHARED_CREDENTIALS_FILE")
        .collect();
    env.push((
        "AWS_SHARED_CREDENTIALS_FILE".into(),
        credentials_file.display().to_string(),
    ));
    let mut named = step(None);
    named["credentials"] = json!("prod_s3");
    let named = template_file("named", named);
    let (_, report, _) = check(env.clone(), &named, &args);
    assert!(
        report["caller"]["arn"]
            .as_str()
            .is_some_and(|arn| arn.ends_with("user/admin")),
        "unmapped: the default profile: {report:#}"
    );
    let mapped: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--credentials", "prod_s3=exporter"])
        .collect();
    let (_, report, _) = check(env, &named, &mapped);
    assert!(
        report["caller"]["arn"]
            .as_str()
            .is_some_and(|arn| arn.ends_with("user/limited")),
        "mapped: the exporter profile: {report:#}"
    );
    assert_eq!(
        support::result(&report, "dry-run-put")["status"],
        "fail",
        "{report:#}"
    );
}
