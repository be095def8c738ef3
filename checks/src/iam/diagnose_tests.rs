//! The classic upload-policy mistakes, each found and named once, and a correct policy left alone.

use super::*;
use crate::iam::eval::{evaluate, Decision, PolicyKind, Request};
use crate::iam::policy::parse_policy;

const BUCKET: &str = "my-bucket";

fn required(prefix: &str) -> Vec<RequiredAction> {
    let object = format!("arn:aws:s3:::my-bucket/{prefix}example.jpg");
    vec![
        RequiredAction {
            action: "s3:ListBucket",
            resource: "arn:aws:s3:::my-bucket".into(),
        },
        RequiredAction {
            action: "s3:GetBucketLocation",
            resource: "arn:aws:s3:::my-bucket".into(),
        },
        RequiredAction {
            action: "s3:PutObject",
            resource: object.clone(),
        },
        RequiredAction {
            action: "s3:PutObjectAcl",
            resource: object,
        },
    ]
}

fn diagnose(statements: &str, prefix: &str) -> Vec<Mistake> {
    let policy = parse_policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
    ))
    .unwrap();
    diagnose_upload_policy(&policy, BUCKET, prefix, &required(prefix))
}

fn kinds(mistakes: &[Mistake]) -> Vec<MistakeKind> {
    mistakes.iter().map(|mistake| mistake.kind).collect()
}

const SEED_MISTAKE: &str = r#"{"Sid": "Export", "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject", "s3:PutObjectAcl"],
        "Resource": "arn:aws:s3:::my-bucket/*"}"#;

const CORRECT: &str = r#"{"Sid": "ListExportBucket", "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": "arn:aws:s3:::my-bucket"},
        {"Sid": "WriteExportedFiles", "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::my-bucket/*"}"#;

fn decisions(statements: &str) -> Vec<Decision> {
    let policy = parse_policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
    ))
    .unwrap();
    required("")
        .iter()
        .map(|needed| {
            evaluate(
                &policy,
                PolicyKind::Identity,
                &Request::new(needed.action, &needed.resource),
            )
            .decision
        })
        .collect()
}

#[test]
fn bucket_actions_granted_only_on_objects() {
    use Decision::{Allowed as A, NotGranted as N};
    assert_eq!(decisions(SEED_MISTAKE), [N, N, A, A]);
    let mistakes = diagnose(SEED_MISTAKE, "");
    assert_eq!(kinds(&mistakes), [MistakeKind::BucketActionOnObjectArn; 2]);
    assert_eq!(mistakes[0].statement.as_deref(), Some("Export"));
    assert_eq!(
        mistakes[0].message,
        "s3:ListBucket is granted only on arn:aws:s3:::my-bucket/*, an object ARN, but it acts on the bucket itself: add arn:aws:s3:::my-bucket to Resource"
    );
    assert!(mistakes[1]
        .message
        .starts_with("s3:GetBucketLocation is granted only on arn:aws:s3:::my-bucket/*"));
}

#[test]
fn the_correctly_split_policy_has_no_mistakes() {
    assert_eq!(decisions(CORRECT), [Decision::Allowed; 4]);
    assert_eq!(diagnose(CORRECT, ""), []);
    assert_eq!(diagnose(CORRECT, "exports/"), []);
}

#[test]
fn object_actions_granted_only_on_the_bucket() {
    let mistakes = diagnose(
        r#"{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::my-bucket"}"#,
        "exports/",
    );
    assert_eq!(kinds(&mistakes), [MistakeKind::ObjectActionOnBucketArn; 2]);
    assert_eq!(mistakes[0].statement.as_deref(), Some("#1"));
    assert!(
        mistakes[0]
            .message
            .contains("grant it on arn:aws:s3:::my-bucket/exports/*"),
        "{}",
        mistakes[0].message
    );
}

#[test]
fn a_resource_prefix_that_misses_the_path_prefix() {
    let mistakes = diagnose(
        r#"{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": "arn:aws:s3:::my-bucket"},
               {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "arn:aws:s3:::my-bucket/uploads/*"}"#,
        "exports/",
    );
    assert_eq!(kinds(&mistakes), [MistakeKind::PrefixNotCovered; 2]);
    assert_eq!(
        mistakes[0].message,
        "s3:PutObject is granted on arn:aws:s3:::my-bucket/uploads/*, which does not cover arn:aws:s3:::my-bucket/exports/example.jpg where files are written: grant it on arn:aws:s3:::my-bucket/exports/*"
    );
}

#[test]
fn another_bucket_is_named_once() {
    let mistakes = diagnose(
        r#"{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject", "s3:PutObjectAcl"],
                "Resource": ["arn:aws:s3:::my-bucket-staging", "arn:aws:s3:::my-bucket-staging/*"]}"#,
        "",
    );
    assert_eq!(kinds(&mistakes), [MistakeKind::WrongBucket; 2]);
    assert_eq!(
        mistakes[0].message,
        r#"Resource arn:aws:s3:::my-bucket-staging names bucket "my-bucket-staging", but the export bucket is "my-bucket""#
    );
}

#[test]
fn misspelled_actions() {
    let mistakes = diagnose(
        r#"{"Effect": "Allow", "Action": ["s3:PutObjects", "s3:Putobject", "s3:GetObjectVersion", "s3:Get*", "s3:PutObject???",
                "sts:GetCallerIdentity", "ListBucket", "kms:GenerateDatakeys", "s3:Upload",
                "s3:BypassGovernanceRetention", "s3:GetAccelerateConfiguration", "s3:PutBucketNotification",
                "s3:ReplicateObject", "kms:ReplicateKey", "s3:GetAcelerateConfiguration"], "Resource": "*"}"#,
        "",
    );
    let messages: Vec<&str> = mistakes
        .iter()
        .map(|mistake| mistake.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            r#""s3:PutObjects" is not an S3 or KMS action; did you mean "s3:PutObject"?"#,
            r#""ListBucket" has no service prefix; write "s3:ListBucket""#,
            r#""kms:GenerateDatakeys" is not an S3 or KMS action; did you mean "kms:GenerateDataKey"?"#,
            r#""s3:Upload" is not in the S3 or KMS action list this tool knows; check its spelling (a newly added action may be missing from the list)"#,
            r#""s3:GetAcelerateConfiguration" is not an S3 or KMS action; did you mean "s3:GetAccelerateConfiguration"?"#,
        ]
    );
    use MistakeKind::{ActionWithoutService, UnknownAction};
    assert_eq!(
        kinds(&mistakes),
        [
            UnknownAction,
            ActionWithoutService,
            UnknownAction,
            UnknownAction,
            UnknownAction
        ]
    );
}

#[test]
fn resources_that_are_not_arns_and_missing_resources() {
    let mistakes = diagnose(
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::my-bucket"},
               {"Effect": "Allow", "Action": "s3:GetBucketLocation"},
               {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl"], "Resource": "my-bucket/*"}"#,
        "",
    );
    assert_eq!(
        kinds(&mistakes),
        [MistakeKind::MissingResource, MistakeKind::ResourceNotArn]
    );
    assert_eq!(
        mistakes[1].message,
        r#"Resource "my-bucket/*" is not an ARN; S3 resources look like arn:aws:s3:::my-bucket or arn:aws:s3:::my-bucket/*"#
    );
}
