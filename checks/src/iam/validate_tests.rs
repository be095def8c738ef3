//! One test per grammar rule: each fails without its rule.

use super::*;
use crate::iam::policy::parse_policy;

const IDENTITY: PolicyTarget = PolicyTarget {
    kind: PolicyKind::Identity,
    bucket: "my-bucket",
    partition: "aws",
};
const BUCKET: PolicyTarget = PolicyTarget {
    kind: PolicyKind::Resource,
    bucket: "my-bucket",
    partition: "aws",
};

/// Transloadit's documented example policy (`/s3/store` docs), `{BUCKET_NAME}` = `my-bucket`.
pub(crate) const TRANSLOADIT_EXAMPLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowTransloaditToStoreFilesInmy-bucketBucket",
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject", "s3:PutObjectAcl"],
      "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]
    }
  ]
}"#;

fn findings(json: &str, target: &PolicyTarget) -> Vec<GrammarFinding> {
    validate_policy(&parse_policy(json).unwrap(), target)
}

/// The (severity, rule) pairs found.
fn rules(json: &str, target: &PolicyTarget) -> Vec<(Severity, &'static str)> {
    findings(json, target)
        .into_iter()
        .map(|f| (f.severity, f.rule))
        .collect()
}

/// A statement that is fine in an identity policy, with `extra` elements.
fn identity_with(extra: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"{extra}}}]}}"#
    )
}

/// A statement that is fine in a bucket policy, with `extra` elements.
fn bucket_with(extra: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"{extra}}}]}}"#
    )
}

const EXPORTER: &str = r#","Principal":{"AWS":"arn:aws:iam::111122223333:user/exporter"}"#;

#[test]
fn well_formed_policies_break_no_rule() {
    assert_eq!(
        rules(&identity_with(r#","Sid":"WriteExports1""#), &IDENTITY),
        []
    );
    assert_eq!(rules(&bucket_with(EXPORTER), &BUCKET), []);
}

#[test]
fn the_transloadit_example_with_a_hyphenated_bucket_is_refused_naming_the_sid() {
    let found = findings(TRANSLOADIT_EXAMPLE, &IDENTITY);
    assert_eq!(found.len(), 1, "{found:#?}");
    let finding = &found[0];
    assert_eq!(finding.severity, Severity::Refused);
    assert_eq!(finding.rule, "sid-characters");
    assert_eq!(
        finding.statement.as_deref(),
        Some(r#"statement "AllowTransloaditToStoreFilesInmy-bucketBucket" (#1)"#)
    );
    assert!(
        finding
            .fix
            .contains(r#""AllowTransloaditToStoreFilesInmyBucketBucket""#),
        "{}",
        finding.fix
    );
}

#[test]
fn bucket_policies_accept_free_text_sids() {
    // AWS's own S3 example: "Allow get requests originating from www.example.com and example.com."
    let policy = bucket_with(&format!(
        r#"{EXPORTER},"Sid":"Allow get requests originating from www.example.com.""#
    ));
    assert_eq!(rules(&policy, &BUCKET), []);
}

#[test]
fn corrected_sids_keep_only_letters_and_digits() {
    assert_eq!(
        alphanumeric_sid("Allow-put on my.bucket"),
        "AllowPutOnMyBucket"
    );
    assert_eq!(alphanumeric_sid("-_-"), "");
    assert_eq!(alphanumeric_sid("Stmt1"), "Stmt1");
    let found = findings(&identity_with(r#","Sid":"-""#), &IDENTITY);
    assert!(
        found[0].fix.starts_with("Remove the Sid"),
        "{}",
        found[0].fix
    );
}

#[test]
fn a_principal_in_an_identity_policy_is_refused() {
    assert_eq!(
        rules(&identity_with(EXPORTER), &IDENTITY),
        [(Severity::Refused, "principal-in-identity-policy")]
    );
    let not_principal = identity_with(r#","NotPrincipal":{"AWS":"111122223333"}"#);
    let found = findings(&not_principal, &IDENTITY);
    assert!(
        found[0].message.starts_with("has NotPrincipal"),
        "{found:?}"
    );
}

#[test]
fn a_bucket_policy_statement_needs_a_principal() {
    let found = findings(&bucket_with(""), &BUCKET);
    assert_eq!(found[0].rule, "missing-principal");
    assert_eq!(found[0].severity, Severity::Refused);
    assert!(
        found[0]
            .message
            .contains("Missing required field Principal"),
        "{}",
        found[0].message
    );
}

#[test]
fn variables_in_old_or_missing_versions_are_saved_but_literal() {
    let with_variable = r#"{VERSION"Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/${aws:username}/*"}]}"#;
    for version in [r#""Version":"2008-10-17","#, ""] {
        let json = with_variable.replace("{VERSION", &format!("{{{version}"));
        let found = findings(&json, &IDENTITY);
        assert_eq!(found.len(), 1, "{json}: {found:?}");
        assert_eq!(found[0].severity, Severity::Surprising);
        assert_eq!(found[0].rule, "variable-unsupported-in-version");
        assert!(
            found[0].message.contains("${aws:username}"),
            "{}",
            found[0].message
        );
    }
    let current = with_variable.replace("{VERSION", r#"{"Version":"2012-10-17","#);
    assert_eq!(rules(&current, &IDENTITY), []);
    // Literal escapes are not variables.
    let escape = with_variable
        .replace("{VERSION", "{")
        .replace("${aws:username}", "${*}");
    assert_eq!(rules(&escape, &IDENTITY), []);
}

#[test]
fn allow_with_not_principal_is_a_warning() {
    let policy =
        bucket_with(r#","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/exporter"}"#);
    assert_eq!(
        rules(&policy, &BUCKET),
        [(Severity::Surprising, "allow-with-not-principal")]
    );
    let deny = policy.replace("\"Allow\"", "\"Deny\"");
    assert_eq!(rules(&deny, &BUCKET), []);
}

#[test]
fn resources_of_other_services() {
    for resource in [
        "arn:aws:iam::111122223333:user/exporter",
        "arn:aws:sqs:eu-west-1:111122223333:queue",
    ] {
        let identity = identity_with("").replace("arn:aws:s3:::my-bucket/*", resource);
        assert_eq!(
            rules(&identity, &IDENTITY),
            [(Severity::Surprising, "resource-of-another-service")],
            "{resource}"
        );
        let bucket = bucket_with(EXPORTER).replace("arn:aws:s3:::my-bucket/*", resource);
        assert!(
            rules(&bucket, &BUCKET).contains(&(Severity::Refused, "resource-of-another-service")),
            "{resource}"
        );
    }
    // A statement that also names SQS actions may name an SQS queue.
    let mixed = identity_with("")
        .replace("\"s3:PutObject\"", r#"["s3:PutObject","sqs:SendMessage"]"#)
        .replace(
            "\"arn:aws:s3:::my-bucket/*\"",
            r#"["arn:aws:s3:::my-bucket/*","arn:aws:sqs:eu-west-1:111122223333:q"]"#,
        );
    assert_eq!(rules(&mixed, &IDENTITY), []);
}

#[test]
fn malformed_arns_are_refused() {
    for (resource, rule) in [
        ("my-bucket/*", "resource-not-arn"),
        ("arn:aws:s3", "resource-not-arn"),
        ("arn:amazon:s3:::my-bucket/*", "invalid-partition"),
    ] {
        for (json, target) in [
            (identity_with(""), &IDENTITY),
            (bucket_with(EXPORTER), &BUCKET),
        ] {
            let json = json.replace("arn:aws:s3:::my-bucket/*", resource);
            assert_eq!(
                rules(&json, target),
                [(Severity::Refused, rule)],
                "{resource}"
            );
        }
    }
    let found = findings(
        &identity_with("").replace("arn:aws:s3:::my-bucket/*", "my-bucket/*"),
        &IDENTITY,
    );
    assert!(
        found[0].fix.contains("\"arn:aws:s3:::my-bucket/*\""),
        "{}",
        found[0].fix
    );
    // Wildcards and the other partitions are fine.
    for resource in ["arn:aws-cn:s3:::my-bucket/*", "arn:*:s3:::my-bucket/*", "*"] {
        let json = identity_with("").replace("arn:aws:s3:::my-bucket/*", resource);
        assert_eq!(rules(&json, &IDENTITY), [], "{resource}");
    }
}

#[test]
fn a_bucket_policy_names_only_its_own_bucket() {
    let other = bucket_with(EXPORTER).replace("my-bucket/*", "my-bucket-staging/*");
    assert_eq!(
        rules(&other, &BUCKET),
        [(Severity::Refused, "resource-of-another-bucket")]
    );
    let with_account = bucket_with(EXPORTER).replace("arn:aws:s3:::", "arn:aws:s3::111122223333:");
    assert_eq!(
        rules(&with_account, &BUCKET),
        [(Severity::Refused, "s3-arn-with-region-or-account")]
    );
    let wildcard = bucket_with(EXPORTER).replace("my-bucket/*", "my-*/*");
    assert_eq!(rules(&wildcard, &BUCKET), []);
}

#[test]
fn duplicate_sids_are_refused_by_iam_and_warned_about_in_bucket_policies() {
    let twice = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Export","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"PRINCIPAL},
        {"Sid":"Export","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"PRINCIPAL}]}"#;
    let identity = twice.replace("PRINCIPAL", "");
    let found = findings(&identity, &IDENTITY);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].severity, found[0].rule),
        (Severity::Refused, "duplicate-sid")
    );
    assert_eq!(
        found[0].statement.as_deref(),
        Some(r#"statement "Export" (#2)"#)
    );
    assert!(found[0].fix.contains(r#""Export2""#), "{}", found[0].fix);
    let bucket = twice.replace("PRINCIPAL", EXPORTER);
    assert_eq!(
        rules(&bucket, &BUCKET),
        [(Severity::Surprising, "duplicate-sid")]
    );
}

#[test]
fn missing_resources_are_refused() {
    let json = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject"PRINCIPAL}]}"#;
    assert_eq!(
        rules(&json.replace("PRINCIPAL", ""), &IDENTITY),
        [(Severity::Refused, "missing-resource")]
    );
    assert_eq!(
        rules(&json.replace("PRINCIPAL", EXPORTER), &BUCKET),
        [(Severity::Refused, "missing-resource")]
    );
}

#[test]
fn versions_other_than_the_two_languages_are_refused() {
    let json = identity_with("").replace("2012-10-17", "2024-01-01");
    let found = findings(&json, &IDENTITY);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].severity, found[0].rule),
        (Severity::Refused, "invalid-version")
    );
    assert_eq!(found[0].statement, None);
    let old = identity_with("").replace("2012-10-17", "2008-10-17");
    assert_eq!(rules(&old, &IDENTITY), []);
}

#[test]
fn bucket_policy_actions_need_a_resource_they_act_on() {
    let list_on_objects =
        bucket_with(EXPORTER).replace("\"s3:PutObject\"", r#"["s3:ListBucket","s3:PutObject"]"#);
    let found = findings(&list_on_objects, &BUCKET);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, "action-without-resource");
    assert!(
        found[0]
            .message
            .starts_with("s3:ListBucket acts on the bucket"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].fix.contains("arn:aws:s3:::my-bucket to"),
        "{}",
        found[0].fix
    );
    let lower_case = list_on_objects.replace("s3:ListBucket", "s3:listbucket");
    assert_eq!(
        findings(&lower_case, &BUCKET).len(),
        1,
        "action names ignore case"
    );
    let put_on_bucket = bucket_with(EXPORTER).replace("my-bucket/*", "my-bucket");
    assert_eq!(
        rules(&put_on_bucket, &BUCKET),
        [(Severity::Refused, "action-without-resource")]
    );
    // Identity policies are saved with such statements (they only grant nothing).
    assert_eq!(
        rules(
            &identity_with("").replace("my-bucket/*", "my-bucket"),
            &IDENTITY
        ),
        []
    );
}

#[test]
fn malformed_principals_are_refused() {
    let policy = bucket_with(r#","Principal":{"AWS":["exporter","111122223333","*"]}"#);
    let found = findings(&policy, &BUCKET);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, "invalid-principal");
    assert!(
        found[0].message.contains("\"exporter\""),
        "{}",
        found[0].message
    );
}

#[test]
fn refusals_come_before_warnings() {
    let policy = r#"{"Statement":[
        {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/${aws:username}/*"},
        {"Sid":"a-b","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#;
    assert_eq!(
        rules(policy, &IDENTITY),
        [
            (Severity::Refused, "sid-characters"),
            (Severity::Surprising, "variable-unsupported-in-version")
        ]
    );
}

#[test]
fn actions_need_one_service_prefix() {
    let bare = identity_with("").replace(
        "\"s3:PutObject\"",
        r#"["ListBucket","s3:Put:Object","s3:PutObject","*"]"#,
    );
    let found = findings(&bare, &IDENTITY);
    let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["action-format", "action-format"], "{found:?}");
    assert!(
        found[0].fix.contains("\"s3:ListBucket\""),
        "{}",
        found[0].fix
    );
    assert!(
        found[1].message.contains("\"s3:Put:Object\""),
        "{}",
        found[1].message
    );
    let bucket =
        bucket_with(EXPORTER).replace("\"s3:PutObject\"", r#"["s3:PutObject","PutObject"]"#);
    let found = findings(&bucket, &BUCKET);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("Policy has invalid action"),
        "{}",
        found[0].message
    );
}
