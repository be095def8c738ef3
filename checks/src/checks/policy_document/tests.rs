//! `policy-document` against policies people write: grammar AWS refuses, mistakes, and fixes
//! that pass once pasted.

use super::*;
use crate::iam::parse_policy;
use crate::{Acl, PolicyFile, Settings, Status, Target};

async fn run(policy: &str, kind: PolicyKind, configure: impl FnOnce(&mut Target)) -> Outcome {
    let mut target = Target::new("my-bucket");
    configure(&mut target);
    let file = PolicyFile {
        name: "p.json".into(),
        kind,
        document: parse_policy(policy).unwrap(),
    };
    let settings = Settings {
        policy_document: Some(file),
        ..Default::default()
    };
    PolicyDocumentCheck
        .run(&Context::offline(target).with_settings(settings))
        .await
}

const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation","s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#;
const SPLIT: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Sid":"ListExportBucket","Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::my-bucket"},
    {"Sid":"WriteExportedFiles","Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#;

#[tokio::test]
async fn the_seed_policy_mistake_is_pinpointed() {
    let outcome = run(SEED, PolicyKind::Identity, |_| {}).await;
    assert_eq!(outcome.status, Status::Fail);
    // Each action's problem is said once: by the named mistake, not again as "not granted".
    assert!(
        !outcome.summary.contains("is not granted"),
        "{}",
        outcome.summary
    );
    assert!(
        outcome.summary.contains(
            "s3:GetBucketLocation is granted only on arn:aws:s3:::my-bucket/*, an object ARN"
        ),
        "{}",
        outcome.summary
    );
    assert!(
        outcome.summary.starts_with(
            "s3:ListBucket is granted only on arn:aws:s3:::my-bucket/*, an object ARN"
        ),
        "names the ListBucket-on-/* mistake first: {}",
        outcome.summary
    );
    assert!(outcome
        .remediation
        .unwrap()
        .contains(r#""Resource":"arn:aws:s3:::my-bucket""#));
}

#[tokio::test]
async fn the_split_policy_passes() {
    let outcome = run(SPLIT, PolicyKind::Identity, |_| {}).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
}

#[tokio::test]
async fn what_the_upload_needs_follows_the_parameters() {
    let only_put = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"},
        {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/exports/*"}]}"#;
    let outcome = run(only_put, PolicyKind::Identity, |t| {
        t.acl = Acl::BucketDefault;
        t.bucket_region = Some("eu-west-1".into());
        t.path = "exports/${file.url_name}".into();
    })
    .await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    let outcome = run(only_put, PolicyKind::Identity, |t| {
        t.bucket_region = Some("eu-west-1".into())
    })
    .await;
    assert_eq!(
        outcome.status,
        Status::Fail,
        "acl public needs PutObjectAcl, the default path is outside exports/"
    );
}

#[tokio::test]
async fn bucket_policies_fail_only_on_explicit_denies() {
    let deny_acl = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoPublicAcl","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringEquals":{"s3:x-amz-acl":"public-read"}}}]}"#;
    let outcome = run(deny_acl, PolicyKind::Resource, |_| {}).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(
        outcome.summary.contains("explicitly denied"),
        "{}",
        outcome.summary
    );
    let outcome = run(deny_acl, PolicyKind::Resource, |t| {
        t.acl = Acl::BucketDefault
    })
    .await;
    assert_eq!(
        outcome.status,
        Status::Warn,
        "not granted by a bucket policy is only a warning: {outcome:#?}"
    );
}

/// The split policy plus `extra` statements.
fn split_with(extra: &str) -> String {
    SPLIT.replacen("]}", &format!(",{extra}]}}"), 1)
}

#[tokio::test]
async fn identity_policies_meet_the_export_request_by_request() {
    let bucket_only = |t: &mut Target| {
        t.bucket_region = Some("eu-west-1".into());
        t.path = "exports/${unique_prefix}/${file.url_name}".into();
    };
    // (case, policy, expected status, text the outcome must contain)
    let cases: Vec<(&str, String, Status, &str)> = vec![
        (
            "an Allow conditioned on x-amz-acl does not grant ListBucket",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:x-amz-acl":"public-read"}}}]}"#.into(),
            Status::Fail,
            "s3:ListBucket on arn:aws:s3:::my-bucket is not granted",
        ),
        (
            "a StringNotEquals Deny on x-amz-acl hits ListBucket",
            split_with(r#"{"Sid":"PublicOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}}"#),
            Status::Fail,
            "s3:ListBucket on arn:aws:s3:::my-bucket is explicitly denied",
        ),
        (
            "an expired grant grants nothing",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}"#.into(),
            Status::Fail,
            "is not granted",
        ),
        (
            "a grant on one sample file does not cover real keys",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"},{"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/exports/example.jpg"}]}"#.into(),
            Status::Fail,
            "which does not cover arn:aws:s3:::my-bucket/exports/f2/d3eeeb67479f11f8b091b04f6181ad/Summer-holiday-_1_.jpg where files are written: grant it on arn:aws:s3:::my-bucket/exports/*",
        ),
        (
            "a grant on one extension depends on the file name",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"},{"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/exports/*.jpg"}]}"#.into(),
            Status::Warn,
            "s3:PutObject depends on the file name",
        ),
        (
            "a Deny on nested keys hits the unique prefix's slash",
            split_with(r#"{"Sid":"FlatOnly","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/exports/*/*"}"#),
            Status::Fail,
            "explicitly denied by statement \"FlatOnly\"",
        ),
        (
            "real actions are not typos",
            split_with(r#"{"Effect":"Allow","Action":["s3:BypassGovernanceRetention","s3:GetAccelerateConfiguration","s3:PutBucketNotification","s3:ReplicateObject"],"Resource":"*"}"#),
            Status::Pass,
            "allows every request",
        ),
        (
            "an unknown action is at most a warning",
            split_with(r#"{"Effect":"Allow","Action":"s3:GetAcelerateConfiguration","Resource":"*"}"#),
            Status::Warn,
            "did you mean \"s3:GetAccelerateConfiguration\"",
        ),
    ];
    let mut failures = Vec::new();
    for (case, policy, status, needle) in cases {
        let outcome = run(&policy, PolicyKind::Identity, bucket_only).await;
        let text = format!(
            "{} {}",
            outcome.summary,
            outcome.remediation.as_deref().unwrap_or_default()
        );
        if outcome.status != status || !text.contains(needle) {
            failures.push(format!(
                "{case}: expected {status:?} with {needle:?}, got {:?}: {text}",
                outcome.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn remediations_grant_the_prefix_as_the_policy_command_does() {
    let list_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"}]}"#;
    let outcome = run(list_only, PolicyKind::Identity, |t| {
        t.bucket_region = Some("eu-west-1".into());
        t.path = "exports/${unique_prefix}/${file.url_name}".into();
    })
    .await;
    assert_eq!(outcome.status, Status::Fail);
    let remediation = outcome.remediation.unwrap();
    let expected = crate::iam::minimal_policy(&PolicyRequest {
        acl_header: true,
        ..PolicyRequest::new("my-bucket", "exports/")
    })["Statement"][1]
        .to_string();
    assert!(
        remediation.contains(&expected),
        "{remediation} lacks {expected}"
    );
    assert!(remediation.contains(r#""Resource":"arn:aws:s3:::my-bucket/exports/*""#));
}

/// Transloadit's documented example (`/s3/store` docs) with `{BUCKET_NAME}` = `my-bucket`.
const TRANSLOADIT_EXAMPLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "AllowTransloaditToStoreFilesInmy-bucketBucket",
    "Effect": "Allow",
    "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject", "s3:PutObjectAcl"],
    "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]
  }]
}"#;

#[tokio::test]
async fn the_transloadit_example_is_refused_for_its_sid_and_passes_once_renamed() {
    let outcome = run(TRANSLOADIT_EXAMPLE, PolicyKind::Identity, |_| {}).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(
        outcome.summary.starts_with(r#"AWS will refuse to save this policy: statement "AllowTransloaditToStoreFilesInmy-bucketBucket" (#1): its Sid contains '-'"#),
        "{}",
        outcome.summary
    );
    let fix = outcome.remediation.unwrap();
    assert!(
        fix.contains(r#"Rename the Sid to "AllowTransloaditToStoreFilesInmyBucketBucket""#),
        "{fix}"
    );
    // Everything else about the policy is right: with the corrected Sid it passes.
    let renamed = TRANSLOADIT_EXAMPLE.replace("Inmy-bucketBucket", "InmyBucketBucket");
    let outcome = run(&renamed, PolicyKind::Identity, |_| {}).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
}

#[tokio::test]
async fn grammar_refusals_fail_even_when_every_request_is_allowed() {
    // (case, policy, kind, text the failure names)
    let cases = [
        (
            "a Principal in an identity policy",
            SPLIT.replace(
                r#""Effect":"Allow","#,
                r#""Effect":"Allow","Principal":"*","#,
            ),
            PolicyKind::Identity,
            "Policy document should not specify a principal",
        ),
        (
            "a bucket policy statement without Principal",
            SPLIT.to_owned(),
            PolicyKind::Resource,
            "Missing required field Principal",
        ),
        (
            "duplicate Sids in an identity policy",
            SPLIT.replace("WriteExportedFiles", "ListExportBucket"),
            PolicyKind::Identity,
            "must be unique",
        ),
        (
            "a Version that is a date of its own",
            SPLIT.replace("2012-10-17", "2023-01-01"),
            PolicyKind::Identity,
            "Version \"2023-01-01\" is not a policy language version",
        ),
    ];
    for (case, policy, kind, needle) in cases {
        let outcome = run(&policy, kind, |_| {}).await;
        assert_eq!(outcome.status, Status::Fail, "{case}: {outcome:#?}");
        assert!(
            outcome
                .summary
                .starts_with("AWS will refuse to save this policy: ")
                && outcome.summary.contains(needle),
            "{case}: {}",
            outcome.summary
        );
    }
}

#[tokio::test]
async fn what_aws_saves_but_treats_surprisingly_warns() {
    let literal_variable = SPLIT.replace(r#""Version":"2012-10-17","#, "").replacen(
        "]}",
        r#",{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/home/${aws:username}/*"}]}"#,
        1,
    );
    let outcome = run(&literal_variable, PolicyKind::Identity, |_| {}).await;
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .contains("${aws:username} is not a policy variable"),
        "{}",
        outcome.summary
    );
    assert_eq!(
        outcome.evidence["grammar"][0]["rule"],
        "variable-unsupported-in-version"
    );
}

/// Every JSON object in a remediation: the statements it tells the user to paste.
fn suggested_statements(remediation: &str) -> Vec<serde_json::Value> {
    let mut found = Vec::new();
    let mut rest = remediation;
    while let Some(start) = rest.find("{\"") {
        let mut values =
            serde_json::Deserializer::from_str(&rest[start..]).into_iter::<serde_json::Value>();
        match values.next() {
            Some(Ok(value)) => {
                found.push(value);
                rest = &rest[start + values.byte_offset()..];
            }
            _ => rest = &rest[start + 2..],
        }
    }
    found
}

#[tokio::test]
async fn pasting_the_suggested_statements_makes_the_check_pass() {
    let exports = |t: &mut Target| {
        t.bucket_region = Some("eu-west-1".into());
        t.path = "exports/${unique_prefix}/${file.url_name}".into();
    };
    let one_file = r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"},{"Sid":"Put","Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/exports/example.jpg"}]}"#;
    let split_but_list_on_objects = r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket/*"},{"Sid":"Put","Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#;
    let list_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"}]}"#;
    for (case, policy, splits) in [
        ("a grant on one file", one_file, false),
        (
            "already split, ListBucket on objects",
            split_but_list_on_objects,
            false,
        ),
        ("ListBucket only", list_only, false),
        ("one statement for everything", SEED, true),
    ] {
        let outcome = run(policy, PolicyKind::Identity, exports).await;
        assert_eq!(outcome.status, Status::Fail, "{case}: {outcome:#?}");
        let remediation = outcome.remediation.unwrap();
        assert_eq!(
            remediation.contains("Split"),
            splits,
            "{case}: {remediation}"
        );
        if case == "a grant on one file" {
            assert!(
                outcome
                    .summary
                    .contains("grant it on arn:aws:s3:::my-bucket/exports/*")
                    && !remediation.contains("example.jpg")
                    && remediation.contains(r#""Resource":"arn:aws:s3:::my-bucket/exports/*""#),
                "{case}: {} / {remediation}",
                outcome.summary
            );
        }
        let suggested = suggested_statements(&remediation);
        assert!(
            !suggested.is_empty(),
            "{case}: nothing to paste in {remediation}"
        );
        let mut document: serde_json::Value = serde_json::from_str(policy).unwrap();
        let statements = document["Statement"].as_array_mut().unwrap();
        statements.extend(suggested);
        // `policy` names its statements; a pasted one must not clash with the user's Sids.
        let pasted = document.to_string();
        let outcome = run(&pasted, PolicyKind::Identity, exports).await;
        assert_eq!(
            outcome.status,
            Status::Pass,
            "{case}: {pasted} -> {outcome:#?}"
        );
    }
}

#[tokio::test]
async fn statements_suggested_for_a_bucket_policy_name_the_principal() {
    const EXPORTER: &str = "arn:aws:iam::111122223333:user/exporter";
    let run_bucket_policy = |policy: String| async move {
        let mut target = Target::new("my-bucket");
        target.bucket_region = Some("eu-west-1".into());
        target.path = "exports/${file.url_name}".into();
        let settings = Settings {
            principal: Some(EXPORTER.into()),
            policy_document: Some(PolicyFile {
                name: "bucket.json".into(),
                kind: PolicyKind::Resource,
                document: parse_policy(&policy).unwrap(),
            }),
            ..Default::default()
        };
        PolicyDocumentCheck
            .run(&Context::offline(target).with_settings(settings))
            .await
    };
    let one_file = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Put","Effect":"Allow","Principal":{{"AWS":"{EXPORTER}"}},"Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/exports/example.jpg"}}]}}"#
    );
    let outcome = run_bucket_policy(one_file.clone()).await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    let suggested = suggested_statements(&outcome.remediation.unwrap());
    assert!(!suggested.is_empty());
    for statement in &suggested {
        assert_eq!(statement["Principal"]["AWS"], EXPORTER, "{statement}");
    }
    let mut document: serde_json::Value = serde_json::from_str(&one_file).unwrap();
    document["Statement"]
        .as_array_mut()
        .unwrap()
        .extend(suggested);
    let outcome = run_bucket_policy(document.to_string()).await;
    // What is left is ListBucket, which the writer's own IAM policy may grant: a warning.
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    assert_eq!(outcome.evidence["grammar"], serde_json::json!([]));
}

#[tokio::test]
async fn without_a_file_it_skips() {
    let outcome = PolicyDocumentCheck
        .run(&Context::offline(Target::new("my-bucket")))
        .await;
    assert_eq!(outcome.status, Status::Skip);
}
