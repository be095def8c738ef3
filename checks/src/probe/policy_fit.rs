//! Whether the probe's success stands for the export, as far as readable policies tell.
//!
//! Two ways a successful probe can mislead:
//! - Its request differs from the export's: the probe sends `If-None-Match: *` (or `If-Match`
//!   when it replaces an earlier probe), Transloadit sends neither. A Deny conditioned on those
//!   headers (`"Null": {"s3:if-none-match": "true"}`) lets the probe through and refuses the
//!   export. [`conditional_header_gap`] evaluates both requests against such statements.
//! - Its key differs from real keys: grants like `BUCKET/exports/*/*` or `BUCKET/*.mp4` match
//!   keys by their shape, so a probe at `PREFIX/bucket-preflight-probe-….txt` may be treated
//!   differently from the real files. [`shape_sensitive_patterns`] names such patterns.

use crate::iam::policy::{Condition, PatternList, Statement};
use crate::iam::{evaluate, parse_policy, Decision, PolicyDocument, PolicyKind, Request};
use crate::Context;
use std::collections::BTreeMap;
use wildmatch::WildMatch;

const IF_NONE_MATCH: &str = "s3:if-none-match";
const IF_MATCH: &str = "s3:if-match";

/// The conditional header the probe's write carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// No conditional header, exactly as the export's upload: a key of the run's own that the
    /// listing showed free.
    Unconditional,
    /// `If-None-Match: *`, for a key of its own the listing could not show free.
    IfNoneMatch,
    /// `If-Match: ETAG`, replacing an earlier probe.
    IfMatch(String),
}

impl Precondition {
    pub fn header(&self) -> String {
        match self {
            Precondition::Unconditional => "no conditional header (as the export)".to_owned(),
            Precondition::IfNoneMatch => "If-None-Match: *".to_owned(),
            Precondition::IfMatch(etag) => format!("If-Match: {etag}"),
        }
    }
}

/// A bucket policy that refuses the export's PutObject for lack of a conditional header which
/// the probe sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderGap {
    /// Certain (`true`) or dependent on something unknown offline, such as the caller.
    pub certain: bool,
    /// The statements, as `"Sid"` or `#index`.
    pub statements: Vec<String>,
}

fn mentions_precondition(condition: &Condition) -> bool {
    [IF_NONE_MATCH, IF_MATCH]
        .iter()
        .any(|key| condition.key.eq_ignore_ascii_case(key))
}

/// Evaluates the bucket policy's Deny statements about conditional headers (their other
/// conditions left out, so unknowns elsewhere do not blur the answer) for the export's
/// PutObject, without the headers, and the probe's, with them.
pub fn conditional_header_gap(
    policy: &PolicyDocument,
    object_arn: &str,
    caller_arn: Option<&str>,
    probe: &Precondition,
) -> Option<HeaderGap> {
    let statements: Vec<Statement> = policy
        .statements
        .iter()
        .filter(|s| s.effect == crate::iam::Effect::Deny)
        .filter(|s| s.conditions.iter().any(mentions_precondition))
        .map(|s| Statement {
            conditions: s
                .conditions
                .iter()
                .filter(|c| mentions_precondition(c))
                .cloned()
                .collect(),
            ..s.clone()
        })
        .collect();
    if statements.is_empty() {
        return None;
    }
    let only_preconditions = PolicyDocument {
        version: policy.version.clone(),
        id: None,
        statements,
    };
    let no_context = BTreeMap::new();
    let export = Request {
        principal_arn: caller_arn,
        context: &no_context,
        absent_keys: &[IF_NONE_MATCH, IF_MATCH],
        ..Request::new("s3:PutObject", object_arn)
    };
    let (key, value, absent) = match probe {
        // The probe sent what the export sends: no gap to find.
        Precondition::Unconditional => return None,
        Precondition::IfNoneMatch => (IF_NONE_MATCH, "*".to_owned(), IF_MATCH),
        Precondition::IfMatch(etag) => (IF_MATCH, etag.clone(), IF_NONE_MATCH),
    };
    let probe_context = BTreeMap::from([(key.to_owned(), vec![value])]);
    let absent_for_probe = [absent];
    let probe_request = Request {
        context: &probe_context,
        absent_keys: &absent_for_probe,
        ..export
    };
    let for_export = evaluate(&only_preconditions, PolicyKind::Resource, &export);
    let for_probe = evaluate(&only_preconditions, PolicyKind::Resource, &probe_request);
    if for_probe.decision == Decision::ExplicitDeny {
        return None;
    }
    let certain = match for_export.decision {
        Decision::ExplicitDeny => true,
        Decision::Conditional => false,
        _ => return None,
    };
    Some(HeaderGap {
        certain,
        statements: for_export
            .matched
            .iter()
            .map(|m| m.statement.clone())
            .collect(),
    })
}

/// A resource pattern that matches keys under the export prefix by their shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeSensitive {
    /// Where it is: e.g. `bucket policy statement "AllowMp4"`.
    pub place: String,
    pub pattern: String,
}

fn covers_put_object(actions: &PatternList) -> bool {
    let matches = actions
        .patterns
        .iter()
        .any(|p| WildMatch::new(&p.to_ascii_lowercase()).matches("s3:putobject"));
    matches != actions.negated
}

/// Whether `object_pattern` (the part after `BUCKET/`) treats every key under `prefix` alike:
/// all match (`exports/*`, `*`) or none do (`other/*`).
fn uniform_under(object_pattern: &str, prefix: &str) -> bool {
    let literal_end = object_pattern
        .find(['*', '?'])
        .unwrap_or(object_pattern.len());
    let head = &object_pattern[..literal_end];
    if !head.starts_with(prefix) && !prefix.starts_with(head) {
        return true; // diverges from the prefix: no key under it matches
    }
    // Exactly `HEAD*` with HEAD a prefix of the export prefix: every key under it matches.
    object_pattern.len() == literal_end + 1
        && object_pattern.ends_with('*')
        && prefix.starts_with(head)
}

/// Resource patterns of statements about s3:PutObject that match keys under `prefix` by
/// their shape. `sources` pairs a description ("bucket policy") with each readable policy.
/// With `real_key` (from `--probe-key`), only patterns that treat the probe key and the real
/// key differently are named.
pub fn shape_sensitive_patterns(
    sources: &[(&str, &PolicyDocument)],
    bucket: &str,
    prefix: &str,
    probe_key: &str,
    real_key: Option<&str>,
) -> Vec<ShapeSensitive> {
    let mut found = Vec::new();
    for (source, policy) in sources {
        for statement in &policy.statements {
            let Some(resources) = statement.resource.as_ref().filter(|r| !r.negated) else {
                continue;
            };
            if !covers_put_object(&statement.action) {
                continue;
            }
            for pattern in &resources.patterns {
                let Some(object) = object_part(pattern, bucket) else {
                    continue;
                };
                let sensitive = match real_key {
                    None => !uniform_under(object, prefix),
                    Some(real) => {
                        let matcher = WildMatch::new(object);
                        matcher.matches(real) != matcher.matches(probe_key)
                    }
                };
                if sensitive {
                    found.push(ShapeSensitive {
                        place: format!("{source} {}", statement.label()),
                        pattern: pattern.clone(),
                    });
                }
            }
        }
    }
    found
}

/// The object part of an S3 object ARN pattern whose bucket part matches `bucket`; `*` alone
/// stands for every object.
fn object_part<'a>(pattern: &'a str, bucket: &str) -> Option<&'a str> {
    if pattern == "*" {
        return Some("*");
    }
    let resource = pattern.strip_prefix("arn:")?.splitn(5, ':').nth(4)?;
    let (bucket_pattern, object) = resource.split_once('/')?;
    WildMatch::new(bucket_pattern)
        .matches(bucket)
        .then_some(object)
}

/// The policies this run can read, parsed: the bucket policy and `--policy-file`.
pub async fn readable_policies(ctx: &Context) -> Vec<(&'static str, PolicyDocument)> {
    let mut policies = Vec::new();
    if let Ok(Some(text)) = ctx.policy().await {
        if let Ok(policy) = parse_policy(text) {
            policies.push(("bucket policy", policy));
        }
    }
    if let Some(file) = &ctx.settings.policy_document {
        policies.push(("--policy-file", file.document.clone()));
    }
    policies
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(statements: &str) -> PolicyDocument {
        parse_policy(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_deny_without_if_none_match_refuses_the_export_but_not_the_probe() {
        let deny = policy(
            r#"{"Sid": "RequireIfNoneMatch", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Null": {"s3:if-none-match": "true"}}}"#,
        );
        let gap =
            conditional_header_gap(&deny, "arn:aws:s3:::b/x", None, &Precondition::IfNoneMatch)
                .expect("the export lacks the header");
        assert!(gap.certain);
        assert_eq!(gap.statements, ["RequireIfNoneMatch"]);
        // Replacing an earlier probe sends If-Match, not If-None-Match: refused like the export.
        assert_eq!(
            conditional_header_gap(
                &deny,
                "arn:aws:s3:::b/x",
                None,
                &Precondition::IfMatch("\"e\"".into())
            ),
            None
        );
        let unrelated = policy(
            r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#,
        );
        assert_eq!(
            conditional_header_gap(
                &unrelated,
                "arn:aws:s3:::b/x",
                None,
                &Precondition::IfNoneMatch
            ),
            None
        );
    }

    #[test]
    fn patterns_that_match_by_shape_are_named() {
        let grants = policy(
            r#"{"Sid": "Prefix", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/exports/*"},
               {"Sid": "Deep", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/exports/*/*"},
               {"Sid": "Mp4", "Effect": "Allow", "Action": "s3:Put*", "Resource": "arn:aws:s3:::b/*.mp4"},
               {"Sid": "Other", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/other/*"},
               {"Sid": "Reads", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*.jpg"},
               {"Sid": "OtherBucket", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::c/*.jpg"}"#,
        );
        let probe = "exports/bucket-preflight-probe-0123456789abcdef0123456789abcdef.txt";
        let named: Vec<String> =
            shape_sensitive_patterns(&[("bucket policy", &grants)], "b", "exports/", probe, None)
                .into_iter()
                .map(|s| s.place)
                .collect();
        assert_eq!(
            named,
            [
                r#"bucket policy statement "Deep""#,
                r#"bucket policy statement "Mp4""#
            ]
        );
        // A path starting with a variable has no fixed prefix: any narrower grant is by shape.
        assert_eq!(
            shape_sensitive_patterns(&[("policy", &grants)], "b", "", probe, None).len(),
            4
        );
        // With a real key's shape, only patterns that tell the two apart are named.
        let like_real =
            "exports/2024/clip.bucket-preflight-probe-0123456789abcdef0123456789abcdef.mp4";
        assert!(shape_sensitive_patterns(
            &[("p", &grants)],
            "b",
            "exports/",
            like_real,
            Some("exports/2024/clip.mp4")
        )
        .is_empty());
    }
}
