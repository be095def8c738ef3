//! Condition operators against present, absent and unknown keys.
use super::*;
use std::collections::BTreeMap;

fn condition(operator: &str, key: &str, values: &[&str]) -> Condition {
    Condition {
        operator: operator.into(),
        key: key.into(),
        values: values.iter().map(|value| value.to_string()).collect(),
    }
}

fn context(entries: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    entries
        .iter()
        .map(|(key, values)| {
            (
                key.to_string(),
                values.iter().map(|v| v.to_string()).collect(),
            )
        })
        .collect()
}

/// Evaluates with `s3:x-amz-acl = public-read`, `aws:SourceIp = 203.0.113.7`,
/// `aws:TagKeys = [a, b]` present, `s3:x-amz-server-side-encryption` known absent, and
/// everything else unknown.
fn eval(operator: &str, key: &str, values: &[&str]) -> Truth {
    let context = context(&[
        ("s3:x-amz-acl", &["public-read"]),
        ("aws:SourceIp", &["203.0.113.7"]),
        ("aws:TagKeys", &["a", "b"]),
        ("s3:max-keys", &["10"]),
        ("aws:SecureTransport", &["true"]),
        ("aws:SourceArn", &["arn:aws:s3:::b"]),
        ("aws:CurrentTime", &["2026-11-29T12:00:00Z"]),
        ("aws:EpochTime", &["1795953600"]),
    ]);
    let request = Request {
        context: &context,
        absent_keys: &["s3:x-amz-server-side-encryption"],
        ..Request::new("s3:PutObject", "arn:aws:s3:::b/k")
    };
    evaluate_condition(&condition(operator, key, values), &request, true)
}

#[test]
fn string_operators_on_present_keys() {
    assert_eq!(
        eval("StringEquals", "s3:x-amz-acl", &["private", "public-read"]),
        Truth::True
    );
    assert_eq!(
        eval("StringEquals", "S3:X-AMZ-ACL", &["Public-Read"]),
        Truth::False
    );
    assert_eq!(
        eval("StringEqualsIgnoreCase", "s3:x-amz-acl", &["Public-Read"]),
        Truth::True
    );
    assert_eq!(
        eval("StringNotEquals", "s3:x-amz-acl", &["private"]),
        Truth::True
    );
    assert_eq!(
        eval(
            "StringNotEqualsIgnoreCase",
            "s3:x-amz-acl",
            &["PUBLIC-READ"]
        ),
        Truth::False
    );
    assert_eq!(
        eval("StringLike", "s3:x-amz-acl", &["public-*"]),
        Truth::True
    );
    assert_eq!(
        eval("StringNotLike", "s3:x-amz-acl", &["public-?ead"]),
        Truth::False
    );
}

#[test]
fn other_operators_on_present_keys() {
    assert_eq!(eval("Bool", "aws:SecureTransport", &["TRUE"]), Truth::True);
    assert_eq!(eval("NumericLessThan", "s3:max-keys", &["11"]), Truth::True);
    assert_eq!(
        eval("NumericGreaterThanEquals", "s3:max-keys", &["11"]),
        Truth::False
    );
    assert_eq!(
        eval("NumericNotEquals", "s3:max-keys", &["10"]),
        Truth::False
    );
    assert_eq!(eval("NumericEquals", "s3:max-keys", &["ten"]), Truth::False);
    assert_eq!(
        eval("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
        Truth::True
    );
    assert_eq!(
        eval("IpAddress", "aws:SourceIp", &["203.0.113.7"]),
        Truth::True
    );
    assert_eq!(
        eval("NotIpAddress", "aws:SourceIp", &["198.51.100.0/24"]),
        Truth::True
    );
    assert_eq!(
        eval("ArnLike", "aws:SourceArn", &["arn:aws:s3:::*"]),
        Truth::True
    );
    assert_eq!(
        eval("ArnNotEquals", "aws:SourceArn", &["arn:aws:s3:::b"]),
        Truth::False
    );
}

#[test]
fn date_operators_compare_with_the_current_time() {
    let now = "aws:CurrentTime";
    // An expired grant: "allowed until 2020" no longer holds.
    assert_eq!(
        eval("DateLessThan", now, &["2020-01-01T00:00:00Z"]),
        Truth::False
    );
    assert_eq!(
        eval("DateLessThan", now, &["2027-01-01T00:00:00Z"]),
        Truth::True
    );
    assert_eq!(eval("DateGreaterThan", now, &["2026-11-29"]), Truth::True);
    assert_eq!(
        eval("DateGreaterThanEquals", now, &["2026-11-29T13:00:00+02:00"]),
        Truth::True
    );
    assert_eq!(
        eval("DateLessThanEquals", now, &["2026-11-29T12:00:00.000Z"]),
        Truth::True
    );
    assert_eq!(eval("DateEquals", now, &["1795953600"]), Truth::True);
    assert_eq!(eval("DateNotEquals", now, &["1795953600"]), Truth::False);
    assert_eq!(eval("DateLessThan", now, &["not a date"]), Truth::False);
    assert_eq!(
        eval("DateGreaterThan", "aws:EpochTime", &["1795953599"]),
        Truth::True
    );
}

#[test]
fn literal_escapes_in_condition_values() {
    // `${*}` is a literal `*`, not an unresolved variable.
    assert_eq!(eval("StringLike", "s3:x-amz-acl", &["${*}"]), Truth::False);
    assert_eq!(
        eval("StringNotEquals", "s3:x-amz-acl", &["${$}"]),
        Truth::True
    );
}

#[test]
fn set_qualifiers() {
    assert_eq!(
        eval("ForAllValues:StringEquals", "aws:TagKeys", &["a", "b", "c"]),
        Truth::True
    );
    assert_eq!(
        eval("ForAllValues:StringEquals", "aws:TagKeys", &["a"]),
        Truth::False
    );
    assert_eq!(
        eval("ForAnyValue:StringEquals", "aws:TagKeys", &["b"]),
        Truth::True
    );
    assert_eq!(
        eval("ForAnyValue:StringNotEquals", "aws:TagKeys", &["a"]),
        Truth::True
    );
}

#[test]
fn absent_keys_follow_iam_rules() {
    let key = "s3:x-amz-server-side-encryption";
    assert_eq!(eval("StringEquals", key, &["AES256"]), Truth::False);
    assert_eq!(eval("StringNotEquals", key, &["AES256"]), Truth::True);
    assert_eq!(eval("StringNotLike", key, &["aws:*"]), Truth::True);
    assert_eq!(eval("NotIpAddress", key, &["10.0.0.0/8"]), Truth::True);
    assert_eq!(eval("StringEqualsIfExists", key, &["AES256"]), Truth::True);
    assert_eq!(eval("Null", key, &["true"]), Truth::True);
    assert_eq!(eval("Null", key, &["false"]), Truth::False);
    assert_eq!(eval("Null", "s3:x-amz-acl", &["true"]), Truth::False);
    assert_eq!(eval("ForAllValues:StringEquals", key, &["x"]), Truth::True);
    assert_eq!(
        eval("ForAnyValue:StringNotEquals", key, &["x"]),
        Truth::False
    );
}

#[test]
fn unknown_keys_stay_open_with_a_readable_phrase() {
    let open = |operator, values: &[&str]| match eval(operator, "aws:PrincipalOrgID", values) {
        Truth::Unknown(phrases) => phrases.join("; "),
        other => panic!("{operator} should be unknown, got {other:?}"),
    };
    assert_eq!(open("StringEquals", &["o-1"]), "aws:PrincipalOrgID is o-1");
    assert_eq!(
        open("StringNotEquals", &["o-1", "o-2"]),
        "aws:PrincipalOrgID is none of o-1, o-2"
    );
    assert_eq!(
        open("StringEqualsIfExists", &["o-1"]),
        "aws:PrincipalOrgID is o-1 (or aws:PrincipalOrgID is absent)"
    );
    assert_eq!(open("Null", &["true"]), "aws:PrincipalOrgID is absent");
    assert_eq!(
        open("ForAllValues:StringLike", &["o-*"]),
        "every value of aws:PrincipalOrgID matches o-*"
    );
    assert_eq!(
        open("DateGreaterThan", &["2020-01-01T00:00:00Z"]),
        "aws:PrincipalOrgID is after 2020-01-01T00:00:00Z"
    );
}

#[test]
fn variables_in_values_leave_the_condition_open() {
    let Truth::Unknown(phrases) = eval("StringLike", "s3:x-amz-acl", &["${aws:username}-*"]) else {
        panic!("expected unknown");
    };
    assert_eq!(
        phrases,
        vec!["s3:x-amz-acl matches ${aws:username}-* (depends on ${aws:username})"]
    );
}
