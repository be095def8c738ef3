//! The policy parser: every element read, statements named by Sid or position, and errors that
//! point at the line, column, statement and element to fix.

use super::*;

fn invalid_field(json: &str) -> (String, Option<String>, String) {
    match parse_policy(json) {
        Err(PolicyError::Invalid {
            field,
            statement,
            message,
        }) => (field, statement, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn parses_a_single_statement_object_with_every_element() {
    let policy = parse_policy(
        r#"{
              "Version": "2012-10-17",
              "Id": "ExportPolicy",
              "Statement": {
                "Sid": "AllowPut",
                "Effect": "Allow",
                "Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:role/Exporter"],
                              "Service": "s3.amazonaws.com"},
                "NotAction": "s3:DeleteObject",
                "Resource": "arn:aws:s3:::my-bucket/*",
                "Condition": {"Bool": {"aws:SecureTransport": true},
                              "NumericLessThan": {"s3:max-keys": [10, "20"]}}
              }
            }"#,
    )
    .unwrap();
    assert_eq!(policy.id.as_deref(), Some("ExportPolicy"));
    assert!(policy.has_policy_variables());
    let statement = &policy.statements[0];
    assert_eq!(statement.name(), "AllowPut");
    assert_eq!(statement.effect, Effect::Allow);
    assert_eq!(
        statement.action,
        PatternList {
            negated: true,
            patterns: vec!["s3:DeleteObject".into()]
        }
    );
    let Some(PrincipalBlock {
        negated: false,
        principal: Principal::Listed(list),
    }) = &statement.principal
    else {
        panic!("principal not parsed: {:?}", statement.principal);
    };
    assert_eq!(list.aws.len(), 2);
    assert_eq!(list.service, vec!["s3.amazonaws.com".to_owned()]);
    assert_eq!(statement.conditions.len(), 2);
    assert!(statement.conditions.contains(&Condition {
        operator: "Bool".into(),
        key: "aws:SecureTransport".into(),
        values: vec!["true".into()],
    }));
    assert!(statement.conditions.contains(&Condition {
        operator: "NumericLessThan".into(),
        key: "s3:max-keys".into(),
        values: vec!["10".into(), "20".into()],
    }));
}

#[test]
fn statements_without_sid_are_named_by_position() {
    let policy = parse_policy(
        r#"{"Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
                {"Effect": "Deny", "Principal": "*", "Action": ["s3:*"], "NotResource": ["arn:aws:s3:::b"]}
            ]}"#,
    )
    .unwrap();
    assert_eq!(policy.statements[1].name(), "#2");
    assert_eq!(policy.statements[1].label(), "statement #2");
    assert_eq!(
        policy.statements[1].principal,
        Some(PrincipalBlock {
            negated: false,
            principal: Principal::Anyone
        })
    );
    assert!(policy.statements[1].resource.as_ref().unwrap().negated);
    assert!(!policy.has_policy_variables());
}

#[test]
fn malformed_json_reports_line_and_column() {
    let error =
        parse_policy("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [,]\n}").unwrap_err();
    let PolicyError::Json { line, column, .. } = &error else {
        panic!("expected Json, got {error:?}");
    };
    assert_eq!((*line, *column), (3, 17));
    assert_eq!(
        error.to_string(),
        "is not valid JSON at line 3, column 17: expected value"
    );
}

#[test]
fn effect_must_match_exactly() {
    let json = r#"{"Statement": [{"Sid": "AllowPut", "Effect": "allow ", "Action": "s3:PutObject", "Resource": "*"}]}"#;
    let error = parse_policy(json).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"statement "AllowPut" (#1): Effect must be "Allow" or "Deny", found "allow ""#
    );
    let (field, statement, _) = invalid_field(json);
    assert_eq!(field, "Effect");
    assert_eq!(statement.as_deref(), Some(r#""AllowPut" (#1)"#));
    let (field, _, message) = invalid_field(
        r#"{"Statement": [{"Effect": "allow", "Action": "s3:PutObject", "Resource": "*"}]}"#,
    );
    assert_eq!(field, "Effect");
    assert!(message.contains(r#"found "allow""#), "{message}");
}

#[test]
fn a_statement_needs_exactly_one_of_action_and_not_action() {
    let (field, statement, message) = invalid_field(
        r#"{"Statement": [{"Effect": "Allow", "Resource": "*"},
                              {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
    );
    assert_eq!(field, "Action");
    assert_eq!(statement.as_deref(), Some("#1"));
    assert!(message.contains("missing"), "{message}");

    let (field, _, message) = invalid_field(
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*"}}"#,
    );
    assert_eq!(field, "Action");
    assert!(message.contains("NotAction"), "{message}");
}

#[test]
fn structural_errors_name_the_element() {
    let cases = [
        (r#"[]"#, "policy"),
        (r#"{"Version": "2012-10-17"}"#, "Statement"),
        (r#"{"Statement": "Allow"}"#, "Statement"),
        (r#"{"Statement": []}"#, "Statement"),
        (r#"{"Statement": [42]}"#, "Statement"),
        (r#"{"Statement": {"Action": "s3:*"}}"#, "Effect"),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": 5}}"#,
            "Action",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": []}}"#,
            "Action",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resources": "*"}}"#,
            "Resources",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "*"}}"#,
            "Resource",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Principal": "me", "Action": "s3:*"}}"#,
            "Principal",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Principal": {"User": "x"}, "Action": "s3:*"}}"#,
            "Principal",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Condition": {"Bool": true}}}"#,
            "Condition",
        ),
        (
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Condition": {"Null": {"k": null}}}}"#,
            "Condition",
        ),
        (
            r#"{"Statement": {"Sid": 1, "Effect": "Allow", "Action": "s3:*"}}"#,
            "Sid",
        ),
    ];
    for (json, expected_field) in cases {
        let (field, _, _) = invalid_field(json);
        assert_eq!(field, expected_field, "{json}");
    }
}
