//! The store step's `tags` and `sign_urls_for` against the S3 emulator (moto): the probe object
//! carries the step's tags, and a private file is served by a presigned GET (200) while the
//! anonymous GET is refused (403).
//!
//! moto authenticates only the Authorization header when IAM is enforced (a presigned GET then
//! answers 500), so the signed read runs without enforcement, and a signed URL refused for
//! lack of s3:GetObject is covered by `public_url`'s own tests.

mod support;

use serde_json::json;
use support::{check_json, result, BucketSetup, Emulator};

const BUCKET: &str = "tagged-exports";

#[tokio::test]
async fn the_probe_carries_the_steps_tags() {
    let emulator = Emulator::start();
    emulator
        .create_bucket(BUCKET, "us-east-1", &BucketSetup::default())
        .await;
    // No s3:DeleteObject: the probe stays, so that its tags can be read afterwards.
    let policy = support::with_emulator_grants(
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": format!("arn:aws:s3:::{BUCKET}")},
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectTagging"], "Resource": format!("arn:aws:s3:::{BUCKET}/*")}
        ]}),
        BUCKET,
    );
    let exporter = emulator.create_user("exporter", &policy).await;
    let everything = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let admin = emulator.create_user("admin", &everything).await;
    emulator.enforce_iam();

    let args = [
        "--acl",
        "private",
        "--bucket-region",
        "us-east-1",
        "--tag",
        "project=acme",
        "--tag",
        "team=media exports",
    ];
    let (_, report) = check_json(&emulator, emulator.env_as(&exporter), BUCKET, &args);
    let dry_run = result(&report, "dry-run-put");
    assert!(
        dry_run["evidence"]["request"]
            .as_str()
            .unwrap()
            .contains("x-amz-tagging: project=acme&team=media+exports"),
        "{dry_run:#}"
    );

    let inspector = emulator.s3_as("us-east-1", &admin.access_key, &admin.secret_key);
    let listed = inspector
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list");
    let probe = listed
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .find(|k| k.contains("bucket-preflight-probe-"))
        .unwrap_or_else(|| panic!("the probe stays without s3:DeleteObject: {listed:#?}"))
        .to_owned();
    let tagging = inspector
        .get_object_tagging()
        .bucket(BUCKET)
        .key(&probe)
        .send()
        .await
        .expect("tags of the probe");
    let mut tags: Vec<(String, String)> = tagging
        .tag_set()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        vec![
            ("project".to_owned(), "acme".to_owned()),
            ("team".to_owned(), "media exports".to_owned())
        ]
    );
}

#[tokio::test]
async fn signed_urls_serve_private_files_that_anonymous_reads_do_not() {
    let emulator = Emulator::start();
    emulator
        .create_bucket(BUCKET, "us-east-1", &BucketSetup::default())
        .await;
    let args = [
        "--acl",
        "private",
        "--bucket-region",
        "us-east-1",
        "--sign-urls-for",
        "3600",
    ];
    let (_, report) = check_json(&emulator, emulator.env(), BUCKET, &args);
    let public_url = result(&report, "public-url");
    assert_eq!(public_url["status"], "pass", "{public_url:#}");
    assert!(
        public_url["summary"]
            .as_str()
            .unwrap()
            .contains("signed result URLs serve the file"),
        "{public_url:#}"
    );
    assert_eq!(public_url["evidence"]["signed_url_status"], 200);
    // The anonymous GET of the same private file is refused, as `acl: private` intends.
    assert_eq!(public_url["evidence"]["status"], 403, "{public_url:#}");
    // No presigned query (access key, signature) anywhere in the report.
    let text = report.to_string();
    assert!(!text.contains("X-Amz-Credential"), "{text}");
    assert!(
        !text.contains("X-Amz-Signature=") || text.contains("X-Amz-Signature=…"),
        "{text}"
    );
}
