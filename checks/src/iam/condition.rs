//! `Condition` blocks: the common operators, the `...IfExists` suffix and the
//! `ForAnyValue:`/`ForAllValues:` prefixes, evaluated against what we know of the request.
//!
//! A key can be present (with values), known to be absent, or unknown. Only the last one makes
//! a condition `Unknown`; IAM's rules for missing keys decide the rest. Date operators compare
//! against `aws:CurrentTime`/`aws:EpochTime` like any other key: the request model puts the
//! current time in the context.

use super::arn::arn_matches;
use super::eval::Request;
use super::policy::Condition;
use super::truth::Truth;
use super::variables::{
    for_wildcard_match, has_literal_escapes, policy_variables, resolve_literal_escapes,
};
use aws_smithy_types::date_time::{DateTime, Format};
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
    Date(NumericTest),
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
    ("DateEquals", Comparison::Date(NumericTest::Equals), false),
    ("DateNotEquals", Comparison::Date(NumericTest::Equals), true),
    (
        "DateLessThan",
        Comparison::Date(NumericTest::LessThan),
        false,
    ),
    (
        "DateLessThanEquals",
        Comparison::Date(NumericTest::LessThanEquals),
        false,
    ),
    (
        "DateGreaterThan",
        Comparison::Date(NumericTest::GreaterThan),
        false,
    ),
    (
        "DateGreaterThanEquals",
        Comparison::Date(NumericTest::GreaterThanEquals),
        false,
    ),
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
    // Both lists may hold patterns (`s3:*`, `s3:ExistingObjectTag/*`); an unknown key listed
    // in both stays unknown, so a broad "everything else is absent" cannot hide it.
    let listed = |patterns: &[&str]| {
        patterns
            .iter()
            .any(|pattern| WildMatch::new_case_insensitive(pattern).matches(key))
    };
    if listed(request.unknown_keys) {
        KeyValues::Unknown
    } else if listed(request.absent_keys) {
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
                let policy_values: Vec<String> = if variables {
                    condition
                        .values
                        .iter()
                        .map(|v| escaped(operator, v))
                        .collect()
                } else {
                    condition.values.clone()
                };
                Truth::from_bool(holds_for_values(operator, request_values, &policy_values))
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

/// A policy value with IAM's literal escapes (`${*}`, `${?}`, `${$}`) resolved for exact
/// comparisons. Wildcard comparisons keep them: `StringLike`/`ArnLike` handle them in
/// `compare_like`.
fn escaped(operator: Operator, value: &str) -> String {
    match operator.comparison {
        Comparison::StringLike | Comparison::Arn => value.to_owned(),
        _ => resolve_literal_escapes(value),
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
        Comparison::StringLike => compare_like(policy_value, request_value, |p, v| {
            WildMatch::new(p).matches(v)
        }),
        Comparison::Numeric(test) => compare_numbers(test, request_value, policy_value),
        Comparison::Date(test) => match (parse_date(request_value), parse_date(policy_value)) {
            (Some(actual), Some(limit)) => compare_ordered(test, actual, limit),
            _ => false,
        },
        Comparison::Bool => request_value.eq_ignore_ascii_case(policy_value),
        Comparison::IpAddress => ip_in_range(request_value, policy_value),
        Comparison::Arn => compare_like(policy_value, request_value, arn_matches),
        Comparison::Null => false,
    }
}

/// A wildcard comparison in which `${*}` and `${?}` stand for literal characters.
fn compare_like(pattern: &str, value: &str, matches: impl Fn(&str, &str) -> bool) -> bool {
    if has_literal_escapes(pattern) {
        let (pattern, value) = for_wildcard_match(pattern, value);
        matches(&pattern, &value)
    } else {
        matches(pattern, value)
    }
}

fn compare_numbers(test: NumericTest, request_value: &str, policy_value: &str) -> bool {
    let (Ok(actual), Ok(limit)) = (
        request_value.trim().parse::<f64>(),
        policy_value.trim().parse::<f64>(),
    ) else {
        return false;
    };
    compare_ordered(test, actual, limit)
}

fn compare_ordered(test: NumericTest, actual: f64, limit: f64) -> bool {
    match test {
        NumericTest::Equals => actual == limit,
        NumericTest::LessThan => actual < limit,
        NumericTest::LessThanEquals => actual <= limit,
        NumericTest::GreaterThan => actual > limit,
        NumericTest::GreaterThanEquals => actual >= limit,
    }
}

/// A date as IAM's date operators accept it, in seconds since the epoch: epoch seconds
/// (`aws:EpochTime`), an ISO 8601 date-time (`2026-06-30T00:00:00Z`, with an offset or
/// fractional seconds) or a plain date (`2026-06-30`, midnight UTC).
fn parse_date(text: &str) -> Option<f64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        return text.parse().ok();
    }
    if text.len() == 10 {
        return parse_date(&format!("{text}T00:00:00Z"));
    }
    // The SDK's parser takes only `Z`; a `+02:00` offset is applied here.
    let (utc, offset_seconds) = match split_utc_offset(text) {
        Some((base, offset)) => (format!("{base}Z"), offset),
        None => (text.to_owned(), 0.0),
    };
    DateTime::from_str(&utc, Format::DateTime)
        .ok()
        .map(|time| time.as_secs_f64() - offset_seconds)
}

/// `2026-06-30T12:00:00+02:00` → (`2026-06-30T12:00:00`, 7200 seconds).
fn split_utc_offset(text: &str) -> Option<(&str, f64)> {
    let split = text.len().checked_sub(6)?;
    let (base, offset) = (text.get(..split)?, text.get(split..)?);
    let sign = match offset.as_bytes().first()? {
        b'+' => 1.0,
        b'-' => -1.0,
        _ => return None,
    };
    let (hours, minutes) = offset[1..].split_once(':')?;
    let (hours, minutes): (f64, f64) = (hours.parse().ok()?, minutes.parse().ok()?);
    base.contains('T')
        .then_some((base, sign * (hours * 3600.0 + minutes * 60.0)))
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
        Comparison::Date(NumericTest::Equals) => ["is", "is one of", "is not", "is none of"],
        Comparison::Date(NumericTest::LessThan) => ["is before"; 4],
        Comparison::Date(NumericTest::LessThanEquals) => ["is at or before"; 4],
        Comparison::Date(NumericTest::GreaterThan) => ["is after"; 4],
        Comparison::Date(NumericTest::GreaterThanEquals) => ["is at or after"; 4],
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
#[path = "condition_tests.rs"]
mod tests;
