//! The export request model: sample keys, each action's own condition keys, the caller.
use super::*;
use crate::iam::policy::parse_policy;
use std::time::{Duration, UNIX_EPOCH};

#[test]
fn sample_keys_look_like_real_keys() {
    assert_eq!(
        sample_keys("exports/${unique_prefix}/${file.url_name}"),
        vec![
            "exports/f2/d3eeeb67479f11f8b091b04f6181ad/Summer-holiday-_1_.jpg",
            "exports/0a/9c1e2b7f4d3a4e0b8c6d5f4a3b2c1d0e/clip.mp4",
            "exports/f2/d3eeeb67479f11f8b091b04f6181ad/README",
        ]
    );
    assert_eq!(sample_keys("fixed/name.txt"), vec!["fixed/name.txt"]);
    assert_eq!(
        sample_keys("x/${file.basename}.${file.ext}"),
        vec!["x/Summer holiday (1).jpg", "x/clip.mp4", "x/README."]
    );
}

fn context_of(shape: &ExportShape, action: &str) -> BTreeMap<String, Vec<String>> {
    shape
        .requests()
        .into_iter()
        .find(|request| request.action == action)
        .unwrap()
        .context
}

#[test]
fn each_action_carries_only_its_own_keys() {
    let shape = ExportShape {
        acl_header: Some("public-read"),
        needs_location: true,
        caller_arn: Some("arn:aws:iam::111122223333:user/exporter"),
        now: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        ..ExportShape::new("b", "${unique_prefix}/${file.url_name}")
    };
    let put = context_of(&shape, "s3:PutObject");
    assert_eq!(put["s3:x-amz-acl"], ["public-read"]);
    assert!(!put.contains_key("s3:if-none-match"));
    assert_eq!(put["aws:CurrentTime"], ["2027-01-15T08:00:00Z"]);
    assert_eq!(put["aws:EpochTime"], ["1800000000"]);
    assert_eq!(put["aws:PrincipalAccount"], ["111122223333"]);
    for action in ["s3:ListBucket", "s3:GetBucketLocation"] {
        let context = context_of(&shape, action);
        assert!(!context.contains_key("s3:x-amz-acl"), "{action}");
        assert_eq!(context["aws:SecureTransport"], ["true"]);
    }
    let probe = ExportShape {
        if_none_match: true,
        secure_transport: false,
        ..shape.clone()
    };
    assert_eq!(
        context_of(&probe, "s3:PutObject")["s3:if-none-match"],
        ["*"]
    );
    assert_eq!(
        context_of(&probe, "s3:ListBucket")["aws:SecureTransport"],
        ["false"]
    );
    assert_eq!(shape.requests().len(), 3 * 2 + 2);
}

#[test]
fn the_principal_arn_is_the_role_for_roles_and_unknown_for_sessions() {
    let role = "arn:aws:iam::111122223333:role/path/Exporter";
    let given = ExportShape {
        caller_arn: Some(role),
        ..ExportShape::new("b", "x")
    };
    assert_eq!(
        context_of(&given, "s3:ListBucket")["aws:PrincipalArn"],
        [role]
    );
    assert_eq!(
        context_of(&given, "s3:ListBucket")["aws:PrincipalAccount"],
        ["111122223333"]
    );
    let session = ExportShape {
        caller_arn: Some("arn:aws:sts::111122223333:assumed-role/Exporter/worker"),
        ..ExportShape::new("b", "x")
    };
    let context = context_of(&session, "s3:ListBucket");
    assert!(!context.contains_key("aws:PrincipalArn"));
    assert_eq!(context["aws:PrincipalAccount"], ["111122223333"]);
}

#[test]
fn the_target_decides_transport_acl_and_location() {
    let mut target = Target::new("b");
    let shape = ExportShape::of_target(&target);
    assert!(shape.secure_transport && shape.needs_location);
    assert_eq!(shape.acl_header, Some("public-read"));
    target.endpoint = Some("HTTP://127.0.0.1:9000".into());
    target.bucket_region = Some("eu-west-1".into());
    target.acl = crate::Acl::BucketDefault;
    let shape = ExportShape::of_target(&target);
    assert!(!shape.secure_transport && !shape.needs_location);
    assert_eq!(shape.acl_header, None);
}

fn verdicts(statements: &str, shape: &ExportShape) -> Vec<(&'static str, Decision)> {
    let policy = parse_policy(&format!(
        r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
    ))
    .unwrap();
    evaluate_export(&policy, PolicyKind::Identity, shape)
        .into_iter()
        .map(|verdict| (verdict.action, verdict.evaluation.decision))
        .collect()
}

#[test]
fn a_grant_on_one_extension_depends_on_the_file_name() {
    let shape = ExportShape::new("b", "exports/${unique_prefix}/${file.url_name}");
    let decisions = verdicts(
        r#"{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/exports/*.jpg"]}"#,
        &shape,
    );
    assert_eq!(
        decisions,
        [
            ("s3:PutObject", Decision::Conditional),
            ("s3:ListBucket", Decision::Allowed)
        ]
    );
    let policy = parse_policy(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/exports/*.jpg"}]}"#,
    )
    .unwrap();
    let put = &evaluate_export(&policy, PolicyKind::Identity, &shape)[0];
    assert!(put.depends_on_file_name);
    assert!(
        put.evaluation
            .explanation
            .starts_with("s3:PutObject depends on the file name"),
        "{}",
        put.evaluation.explanation
    );
}

#[test]
fn tags_and_signed_urls_add_their_requests_and_condition_keys() {
    let mut target = Target::new("b");
    target.tags = vec![
        ("project".into(), "acme".into()),
        ("file".into(), "${file.url_name}".into()),
    ];
    target.sign_urls_for = Some(3600);
    target.headers = vec![
        ("x-amz-server-side-encryption".into(), "aws:kms".into()),
        (
            "x-amz-server-side-encryption-aws-kms-key-id".into(),
            "arn:aws:kms:eu-west-1:111122223333:key/k".into(),
        ),
        ("x-amz-storage-class".into(), "STANDARD_IA".into()),
    ];
    let shape = ExportShape::of_target(&target);
    let actions: Vec<&str> = shape.requests().iter().map(|r| r.action).collect();
    assert!(actions.contains(&"s3:PutObjectTagging"), "{actions:?}");
    assert!(actions.contains(&"s3:GetObject"), "{actions:?}");
    let put = context_of(&shape, "s3:PutObject");
    assert_eq!(put["s3:x-amz-server-side-encryption"], ["aws:kms"]);
    assert_eq!(
        put["s3:x-amz-server-side-encryption-aws-kms-key-id"],
        ["arn:aws:kms:eu-west-1:111122223333:key/k"]
    );
    assert_eq!(put["s3:x-amz-storage-class"], ["STANDARD_IA"]);
    assert_eq!(put["s3:RequestObjectTagKeys"], ["project", "file"]);
    assert_eq!(put["s3:RequestObjectTag/project"], ["acme"]);
    // A value that differs per file is unknown, not absent.
    assert!(!put.contains_key("s3:RequestObjectTag/file"));
    let get = context_of(&shape, "s3:GetObject");
    assert!(!get.contains_key("s3:x-amz-server-side-encryption"));
    // An identity policy granting only PutObject misses the tagging and the signed reads.
    let policy = parse_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::b"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    )
    .unwrap();
    let verdicts = evaluate_export(&policy, PolicyKind::Identity, &shape);
    let refused: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.evaluation.decision != Decision::Allowed)
        .map(|v| v.action)
        .collect();
    assert_eq!(
        refused,
        ["s3:PutObjectAcl", "s3:PutObjectTagging", "s3:GetObject"]
    );
}
