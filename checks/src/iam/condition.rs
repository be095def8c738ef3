//! `Condition` blocks: the common operators, the `...IfExists` suffix and the
//! `ForAnyValue:`/`ForAllValues:` prefixes, evaluated against what we know of the request.
//!
//! A key can be present (with values), known to be absent, or unknown. Only the last one makes
//! a condition `Unknown`; IAM's rules for missing keys decide the rest.

use super::arn::arn_matches;
use super::eval::Request;
use super::policy::Condition;
use super::truth::Truth;
use super::variables::policy_variables;
use ipnet::IpNet;
use std::net::IpAddr;
use wildmatch::WildMatch;

/// What one operator compares, without its negation, prefix or suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(NumericTest),
    Bool,
    IpAddress,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumericTest {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    comparison: Comparison,
    /// `StringNotEquals`, `NotIpAddress`, ...: true when no policy value matches.
    negated: bool,
    if_exists: bool,
    qualifier: Option<SetQualifier>,
}

/// Base operator names and what they mean.
const OPERATORS: &[(&str, Comparison, bool)] = &[
    ("StringEquals", Comparison::StringEquals, false),
    ("StringNotEquals", Comparison::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Comparison::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Comparison::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Comparison::StringLike, false),
    ("StringNotLike", Comparison::StringLike, true),
    (
        "NumericEquals",
        Comparison::Numeric(NumericTest::Equals),
        false,
    ),
    (
        "NumericNotEquals",
        Comparison::Numeric(NumericTest::Equals),
        true,
    ),
    (
        "NumericLessThan",
        Comparison::Numeric(NumericTest::LessThan),
        false,
    ),
    (
        "NumericLessThanEquals",
        Comparison::Numeric(NumericTest::LessThanEquals),
        false,
    ),
    (
        "NumericGreaterThan",
        Comparison::Numeric(NumericTest::GreaterThan),
        false,
    ),
    (
        "NumericGreaterThanEquals",
        Comparison::Numeric(NumericTest::GreaterThanEquals),
        false,
    ),
    ("Bool", Comparison::Bool, false),
    ("IpAddress", Comparison::IpAddress, false),
    ("NotIpAddress", Comparison::IpAddress, true),
    // IAM documents ArnEquals and ArnLike as behaving the same, wildcards included.
    ("ArnEquals", Comparison::Arn, false),
    ("ArnLike", Comparison::Arn, false),
    ("ArnNotEquals", Comparison::Arn, true),
    ("ArnNotLike", Comparison::Arn, true),
    ("Null", Comparison::Null, false),
];

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        let (qualifier, rest) = split_qualifier(name);
        let (base, if_exists) = match strip_suffix_ignore_case(rest, "IfExists") {
            Some(base) => (base, true),
            None => (rest, false),
        };
        let &(_, comparison, negated) = OPERATORS
            .iter()
            .find(|(known, _, _)| known.eq_ignore_ascii_case(base))?;
        Some(Operator {
            comparison,
            negated,
            if_exists,
            qualifier,
        })
    }
}

fn split_qualifier(name: &str) -> (Option<SetQualifier>, &str) {
    let Some((prefix, rest)) = name.split_once(':') else {
        return (None, name);
    };
    if prefix.eq_ignore_ascii_case("ForAnyValue") {
        (Some(SetQualifier::ForAnyValue), rest)
    } else if prefix.eq_ignore_ascii_case("ForAllValues") {
        (Some(SetQualifier::ForAllValues), rest)
    } else {
        (None, name)
    }
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    let (base, tail) = (text.get(..split)?, text.get(split..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(base)
}

/// What the request tells us about one condition key.
enum KeyValues<'r> {
    Present(&'r [String]),
    Absent,
    Unknown,
}

fn lookup<'r>(request: &Request<'r>, key: &str) -> KeyValues<'r> {
    // Condition key names are case-insensitive in IAM.
    let context: &'r _ = request.context;
    if let Some((_, values)) = context
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(key))
    {
        return if values.is_empty() {
            KeyValues::Absent
        } else {
            KeyValues::Present(values)
        };
    }
    if request
        .absent_keys
        .iter()
        .any(|absent| absent.eq_ignore_ascii_case(key))
    {
        KeyValues::Absent
    } else {
        KeyValues::Unknown
    }
}

/// Evaluates one `operator → key → values` entry against the request.
/// `variables` says whether `${...}` in values is a policy variable (Version 2012-10-17).
pub(crate) fn evaluate_condition(
    condition: &Condition,
    request: &Request,
    variables: bool,
) -> Truth {
    let Some(operator) = Operator::parse(&condition.operator) else {
        return Truth::unknown(format!(
            "the {} condition on {} holds (this tool does not evaluate {})",
            condition.operator, condition.key, condition.operator
        ));
    };
    let values = lookup(request, &condition.key);
    if operator.comparison == Comparison::Null {
        return null_test(condition, &values);
    }
    match values {
        KeyValues::Unknown => Truth::unknown(describe(condition, operator)),
        KeyValues::Absent => Truth::from_bool(holds_when_absent(operator)),
        KeyValues::Present(request_values) => {
            let unresolved = unresolved_variables(condition, variables);
            if unresolved.is_empty() {
                Truth::from_bool(holds_for_values(
                    operator,
                    request_values,
                    &condition.values,
                ))
            } else {
                Truth::unknown(format!(
                    "{} (depends on {})",
                    describe(condition, operator),
                    unresolved.join(", ")
                ))
            }
        }
    }
}

/// `Null: {key: "true"}` asks "is the key absent?".
fn null_test(condition: &Condition, values: &KeyValues) -> Truth {
    let wants_absent = condition
        .values
        .iter()
        .any(|value| value.eq_ignore_ascii_case("true"));
    match values {
        KeyValues::Present(_) => Truth::from_bool(!wants_absent),
        KeyValues::Absent => Truth::from_bool(wants_absent),
        KeyValues::Unknown => Truth::unknown(if wants_absent {
            format!("{} is absent", condition.key)
        } else {
            format!("{} is present", condition.key)
        }),
    }
}

/// IAM's rules for a key the request does not carry.
fn holds_when_absent(operator: Operator) -> bool {
    if operator.if_exists {
        return true;
    }
    match operator.qualifier {
        // "Every value matches" is vacuously true of no values; "some value matches" is false.
        Some(SetQualifier::ForAllValues) => true,
        Some(SetQualifier::ForAnyValue) => false,
        None => operator.negated,
    }
}

fn holds_for_values(
    operator: Operator,
    request_values: &[String],
    policy_values: &[String],
) -> bool {
    let passes = |request_value: &String| {
        let matched = policy_values
            .iter()
            .any(|policy_value| compare(operator.comparison, request_value, policy_value));
        matched != operator.negated
    };
    match operator.qualifier {
        Some(SetQualifier::ForAllValues) => request_values.iter().all(passes),
        Some(SetQualifier::ForAnyValue) => request_values.iter().any(passes),
        // A negated operator means "matches none of the policy values", for every value sent.
        None if operator.negated => request_values.iter().all(passes),
        None => request_values.iter().any(passes),
    }
}

/// Whether one request value matches one policy value. Values that do not parse (a number, an
/// IP address) never match, as in IAM.
fn compare(comparison: Comparison, request_value: &str, policy_value: &str) -> bool {
    match comparison {
        Comparison::StringEquals => request_value == policy_value,
        Comparison::StringEqualsIgnoreCase => {
            request_value.to_lowercase() == policy_value.to_lowercase()
        }
        Comparison::StringLike => WildMatch::new(policy_value).matches(request_value),
        Comparison::Numeric(test) => compare_numbers(test, request_value, policy_value),
        Comparison::Bool => request_value.eq_ignore_ascii_case(policy_value),
        Comparison::IpAddress => ip_in_range(request_value, policy_value),
        Comparison::Arn => arn_matches(policy_value, request_value),
        Comparison::Null => false,
    }
}

fn compare_numbers(test: NumericTest, request_value: &str, policy_value: &str) -> bool {
    let (Ok(actual), Ok(limit)) = (
        request_value.trim().parse::<f64>(),
        policy_value.trim().parse::<f64>(),
    ) else {
        return false;
    };
    match test {
        NumericTest::Equals => actual == limit,
        NumericTest::LessThan => actual < limit,
        NumericTest::LessThanEquals => actual <= limit,
        NumericTest::GreaterThan => actual > limit,
        NumericTest::GreaterThanEquals => actual >= limit,
    }
}

/// A policy value is a CIDR block, or a single address meaning just that address.
fn ip_in_range(request_value: &str, policy_value: &str) -> bool {
    let Ok(address) = request_value.trim().parse::<IpAddr>() else {
        return false;
    };
    let policy_value = policy_value.trim();
    match policy_value.parse::<IpNet>() {
        Ok(network) => network.contains(&address),
        Err(_) => policy_value.parse::<IpAddr>() == Ok(address),
    }
}

fn unresolved_variables(condition: &Condition, variables: bool) -> Vec<&str> {
    if !variables {
        return Vec::new();
    }
    condition
        .values
        .iter()
        .flat_map(|value| policy_variables(value))
        .collect()
}

/// The condition as a phrase that reads as "what must be true": `aws:SourceIp is in
/// 203.0.113.0/24`, `every value of aws:TagKeys is one of a, b`.
fn describe(condition: &Condition, operator: Operator) -> String {
    let subject = match operator.qualifier {
        Some(SetQualifier::ForAllValues) => format!("every value of {}", condition.key),
        Some(SetQualifier::ForAnyValue) => format!("some value of {}", condition.key),
        None => condition.key.clone(),
    };
    let several = condition.values.len() > 1;
    let relation = relation(operator.comparison, operator.negated, several);
    let values = condition.values.join(", ");
    let mut phrase = format!("{subject} {relation} {values}");
    if operator.comparison == Comparison::StringEqualsIgnoreCase {
        phrase.push_str(" (ignoring case)");
    }
    if operator.if_exists {
        phrase.push_str(&format!(" (or {} is absent)", condition.key));
    }
    phrase
}

fn relation(comparison: Comparison, negated: bool, several: bool) -> &'static str {
    // For each comparison: one value, several values, negated one, negated several.
    let [one, any_of, not_one, none_of] = match comparison {
        Comparison::StringEquals | Comparison::StringEqualsIgnoreCase | Comparison::Bool => {
            ["is", "is one of", "is not", "is none of"]
        }
        Comparison::StringLike | Comparison::Arn => [
            "matches",
            "matches one of",
            "does not match",
            "matches none of",
        ],
        Comparison::IpAddress => ["is in", "is in one of", "is not in", "is in none of"],
        Comparison::Numeric(NumericTest::Equals) => [
            "equals",
            "equals one of",
            "does not equal",
            "equals none of",
        ],
        Comparison::Numeric(NumericTest::LessThan) => ["is less than"; 4],
        Comparison::Numeric(NumericTest::LessThanEquals) => ["is at most"; 4],
        Comparison::Numeric(NumericTest::GreaterThan) => ["is greater than"; 4],
        Comparison::Numeric(NumericTest::GreaterThanEquals) => ["is at least"; 4],
        // `null_test` phrases Null conditions itself.
        Comparison::Null => ["is null"; 4],
    };
    match (negated, several) {
        (false, false) => one,
        (false, true) => any_of,
        (true, false) => not_one,
        (true, true) => none_of,
    }
}

#[cfg(test)]
mod tests {
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
        assert!(open("DateGreaterThan", &["2020-01-01T00:00:00Z"])
            .contains("does not evaluate DateGreaterThan"));
    }

    #[test]
    fn variables_in_values_leave_the_condition_open() {
        let Truth::Unknown(phrases) = eval("StringLike", "s3:x-amz-acl", &["${aws:username}-*"])
        else {
            panic!("expected unknown");
        };
        assert_eq!(
            phrases,
            vec!["s3:x-amz-acl matches ${aws:username}-* (depends on ${aws:username})"]
        );
    }
}
