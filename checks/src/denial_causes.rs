//! The causes of a 403 AccessDenied on the probe upload, ranked by evidence. S3 names no cause
//! for cross-account requests (a bare "Access Denied"), so the cause is inferred from what the
//! other checks read: a bucket policy Deny that matches the request as the probe sent it, Block
//! Public Access refusing its ACL, SSE-KMS, requester pays — and a missing IAM grant only when
//! nothing else explains it, or as one possibility among others.

use crate::denial::allow_statement;
use crate::iam::policy::Statement;
use crate::iam::{evaluate, parse_policy, Decision, Effect, PolicyDocument, PolicyKind, Request};
use crate::probe::Precondition;
use crate::Context;
use std::collections::BTreeMap;

/// One explanation of the denial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Whether what was read proves this cause applies (a Deny that certainly matches, a
    /// setting that refuses the request), rather than only allowing it.
    pub proven: bool,
    pub text: String,
}

impl Cause {
    fn proven(text: String) -> Self {
        Cause { proven: true, text }
    }

    fn possible(text: String) -> Self {
        Cause {
            proven: false,
            text,
        }
    }
}

/// What the bucket policy says about the probe upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyEvidence {
    /// The bucket has no policy.
    Absent,
    /// It could not be read or parsed, with why.
    Unknown(String),
    Read {
        /// Deny statements that certainly match, as sentences.
        denies: Vec<String>,
        /// Deny statements that match under conditions unknown here, as sentences.
        possible_denies: Vec<String>,
        /// Whether any Allow statement may grant the caller s3:PutObject.
        grants_caller: bool,
    },
}

/// The condition keys the probe upload carries: HTTPS, the acl's `x-amz-acl`, the SSE header
/// it sent (if any) and `If-None-Match: *`, so that a Deny is judged by what was really sent.
fn probe_context(
    ctx: &Context,
    sse: Option<&str>,
    precondition: Option<&Precondition>,
    caller_account: Option<&str>,
    principal_arn: Option<&str>,
) -> (BTreeMap<String, Vec<String>>, Vec<&'static str>) {
    let mut context = BTreeMap::new();
    let mut absent = vec!["s3:x-amz-server-side-encryption-aws-kms-key-id"];
    let mut put = |key: &str, value: &str| {
        context.insert(key.to_owned(), vec![value.to_owned()]);
    };
    // The SDK talks HTTPS to AWS; an --endpoint-url may be plain http.
    let secure = ctx
        .target
        .endpoint
        .as_deref()
        .is_none_or(|e| e.starts_with("https://"));
    put("aws:SecureTransport", if secure { "true" } else { "false" });
    // The conditional header the probe's write carried, if any.
    match precondition {
        Some(Precondition::IfNoneMatch) => {
            put("s3:if-none-match", "*");
            absent.push("s3:if-match");
        }
        Some(Precondition::IfMatch(etag)) => {
            put("s3:if-match", etag);
            absent.push("s3:if-none-match");
        }
        Some(Precondition::Unconditional) | None => {
            absent.extend(["s3:if-none-match", "s3:if-match"]);
        }
    }
    if let Some(account) = caller_account {
        put("aws:PrincipalAccount", account);
    }
    if let Some(arn) = principal_arn {
        put("aws:PrincipalArn", arn);
    }
    match ctx.target.acl.canned_header() {
        Some(acl) => put("s3:x-amz-acl", acl),
        None => absent.push("s3:x-amz-acl"),
    }
    match sse {
        Some(sse) => put("s3:x-amz-server-side-encryption", sse),
        None => absent.push("s3:x-amz-server-side-encryption"),
    }
    (context, absent)
}

/// The statement's conditions as written: `Null s3:if-none-match = true`.
fn conditions_as_written(statement: Option<&Statement>) -> String {
    let Some(statement) = statement.filter(|s| !s.conditions.is_empty()) else {
        return String::new();
    };
    let conditions: Vec<String> = statement
        .conditions
        .iter()
        .map(|c| format!("{} {} = {}", c.operator, c.key, c.values.join(", ")))
        .collect();
    format!(" ({})", conditions.join("; "))
}

/// Evaluates the bucket policy for the probe upload of `key`, which sent `sse`.
pub async fn bucket_policy_evidence(
    ctx: &Context,
    key: &str,
    sse: Option<&str>,
    precondition: Option<&Precondition>,
) -> PolicyEvidence {
    let text = match ctx.policy().await {
        Ok(None) => return PolicyEvidence::Absent,
        Ok(Some(text)) => text,
        Err(failure) => return PolicyEvidence::Unknown(format!("reading it failed: {failure}")),
    };
    let policy = match parse_policy(text) {
        Ok(policy) => policy,
        Err(error) => return PolicyEvidence::Unknown(format!("it could not be parsed: {error}")),
    };
    let identity = match ctx.session() {
        Some(session) => session.identity().await.ok(),
        None => None,
    };
    let caller_arn = identity
        .as_ref()
        .map(|i| i.arn.as_str())
        .filter(|a| !a.is_empty());
    let caller_account = identity
        .as_ref()
        .map(|i| i.account.as_str())
        .filter(|a| !a.is_empty());
    // aws:PrincipalArn is the caller's ARN for IAM users and root; a role session's is the role
    // ARN, whose path the session ARN does not tell.
    let principal_arn = caller_arn.filter(|arn| arn.contains(":iam::"));
    let (context, absent) = probe_context(ctx, sse, precondition, caller_account, principal_arn);
    let object = crate::partition::object_arn(ctx.partition(), &ctx.target.bucket, key);
    let mut actions = vec!["s3:PutObject"];
    if ctx.target.acl.canned_header().is_some() {
        actions.push("s3:PutObjectAcl");
    }
    evidence_from(&policy, &actions, &object, |action| Request {
        principal_arn: caller_arn,
        principal_account: caller_account,
        context: &context,
        absent_keys: &absent,
        ..Request::new(action, &object)
    })
}

fn evidence_from<'a>(
    policy: &PolicyDocument,
    actions: &[&'a str],
    object: &str,
    request: impl Fn(&'a str) -> Request<'a>,
) -> PolicyEvidence {
    // Statement name → (certain, actions it denies, what it hinges on).
    let mut denying: Vec<(String, bool, Vec<&str>, Vec<String>)> = Vec::new();
    let mut grants_caller = false;
    for &action in actions {
        let evaluation = evaluate(policy, PolicyKind::Resource, &request(action));
        if action == "s3:PutObject" {
            grants_caller = evaluation.matched.iter().any(|m| m.effect == Effect::Allow)
                && evaluation.decision != Decision::ExplicitDeny;
        }
        for matched in evaluation
            .matched
            .iter()
            .filter(|m| m.effect == Effect::Deny)
        {
            match denying
                .iter_mut()
                .find(|(name, ..)| *name == matched.statement)
            {
                Some((_, certain, denied, _)) => {
                    *certain &= matched.is_certain();
                    denied.push(action);
                }
                None => denying.push((
                    matched.statement.clone(),
                    matched.is_certain(),
                    vec![action],
                    matched.hinges_on.clone(),
                )),
            }
        }
    }
    let mut denies = Vec::new();
    let mut possible_denies = Vec::new();
    for (name, certain, denied, hinges_on) in denying {
        let statement = policy.statements.iter().find(|s| s.name() == name);
        let label = statement.map_or_else(|| format!("statement {name}"), Statement::label);
        let actions = denied.join(" and ");
        if certain {
            denies.push(format!(
                "the bucket policy's {label} denies {actions} on {object} as the probe sent it{}: remove or narrow it (an explicit Deny overrides every Allow)",
                conditions_as_written(statement)
            ));
        } else {
            possible_denies.push(format!(
                "the bucket policy's {label} denies {actions} if {}",
                hinges_on.join(" and ")
            ));
        }
    }
    PolicyEvidence::Read {
        denies,
        possible_denies,
        grants_caller,
    }
}

/// Whether the probe went to the bucket over plain HTTP: an `http://` endpoint (and with it a
/// Transloadit `host` without `https://`). AWS's own endpoints are HTTPS.
pub fn probe_over_plain_http(ctx: &Context) -> bool {
    ctx.target
        .endpoint
        .as_deref()
        .is_some_and(|e| e.to_ascii_lowercase().starts_with("http://"))
}

/// What the bucket policy says about a probe refused over plain HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportDenial {
    /// These Deny statements (labels, with their conditions as written) refuse the probe as it
    /// was sent over HTTP, and would let the same upload through over HTTPS.
    Proven(Vec<String>),
    /// The policy could not be read: an `aws:SecureTransport` Deny is a likely cause.
    Possible,
    /// The policy was read, and no statement refuses the upload for its transport.
    NotTheCause,
}

/// Why the probe upload, sent over plain HTTP, may have been refused for its transport: a
/// Deny on `aws:SecureTransport` false, as `bucket-policy` judges the same scheme. `None` when
/// the probe went over HTTPS.
pub async fn transport_denial(
    ctx: &Context,
    key: &str,
    sse: Option<&str>,
    precondition: Option<&Precondition>,
) -> Option<TransportDenial> {
    if !probe_over_plain_http(ctx) {
        return None;
    }
    let text = match ctx.policy().await {
        Ok(None) => return Some(TransportDenial::NotTheCause),
        Ok(Some(text)) => text,
        Err(_) => return Some(TransportDenial::Possible),
    };
    let Ok(policy) = parse_policy(text) else {
        return Some(TransportDenial::Possible);
    };
    let identity = match ctx.session() {
        Some(session) => session.identity().await.ok(),
        None => None,
    };
    let caller_arn = identity
        .as_ref()
        .map(|i| i.arn.as_str())
        .filter(|a| !a.is_empty());
    let caller_account = identity
        .as_ref()
        .map(|i| i.account.as_str())
        .filter(|a| !a.is_empty());
    let principal_arn = caller_arn.filter(|arn| arn.contains(":iam::"));
    let (over_http, absent) = probe_context(ctx, sse, precondition, caller_account, principal_arn);
    let mut over_https = over_http.clone();
    over_https.insert("aws:SecureTransport".to_owned(), vec!["true".to_owned()]);
    let object = crate::partition::object_arn(ctx.partition(), &ctx.target.bucket, key);
    let certain_denies = |context: &BTreeMap<String, Vec<String>>| -> Vec<String> {
        let evaluation = evaluate(
            &policy,
            PolicyKind::Resource,
            &Request {
                principal_arn: caller_arn,
                principal_account: caller_account,
                context,
                absent_keys: &absent,
                ..Request::new("s3:PutObject", &object)
            },
        );
        evaluation
            .matched
            .iter()
            .filter(|m| m.effect == Effect::Deny && m.is_certain())
            .map(|m| m.statement.clone())
            .collect()
    };
    let over_https = certain_denies(&over_https);
    let because_of_http: Vec<String> = certain_denies(&over_http)
        .into_iter()
        .filter(|name| !over_https.contains(name))
        .filter_map(|name| policy.statements.iter().find(|s| s.name() == name))
        .map(|statement| {
            format!(
                "{}{}",
                statement.label(),
                conditions_as_written(Some(statement))
            )
        })
        .collect();
    Some(if because_of_http.is_empty() {
        TransportDenial::NotTheCause
    } else {
        TransportDenial::Proven(because_of_http)
    })
}

/// Every likely cause of a bare 403 on the probe upload of `key` (which sent `sse`), proven
/// ones first, then by how often each is the culprit.
pub async fn bare_denial_causes(
    ctx: &Context,
    key: &str,
    sse: Option<&str>,
    precondition: Option<&Precondition>,
) -> Vec<Cause> {
    let acl = ctx.target.acl;
    let objects = ctx.objects_arn();
    let mut causes = Vec::new();
    let policy = bucket_policy_evidence(ctx, key, sse, precondition).await;
    if let PolicyEvidence::Read { denies, .. } = &policy {
        causes.extend(denies.iter().cloned().map(Cause::proven));
    }
    let bucket_bpa = ctx
        .public_access_block()
        .await
        .as_ref()
        .ok()
        .copied()
        .flatten();
    // Account-level settings exist on AWS only, and the ones that count are the bucket
    // owner's: the caller's own account setting says nothing about another account's bucket.
    let account_bpa = if ctx.target.endpoint.is_some() || !ctx.bucket_owner().await.is_caller() {
        None
    } else {
        ctx.account_public_access_block()
            .await
            .as_ref()
            .ok()
            .copied()
            .flatten()
    };
    let bpa = bucket_bpa
        .unwrap_or_default()
        .combine(account_bpa.unwrap_or_default());
    if acl.is_public() && bpa.block_public_acls {
        causes.push(Cause::proven(format!("Block Public Access (BlockPublicAcls) refuses `acl: {acl}`: set `acl: bucket-default`, or turn BlockPublicAcls off")));
    }
    let kms_key = match ctx.encryption().await {
        Ok(Some(encryption)) if encryption.algorithm.starts_with("aws:kms") => Some(
            encryption
                .kms_key
                .clone()
                .unwrap_or_else(|| "the AWS managed key aws/s3".into()),
        ),
        _ => sse
            .filter(|s| s.starts_with("aws:kms"))
            .map(|_| "the bucket's KMS key".to_owned()),
    };
    if let Some(key) = kms_key {
        causes.push(Cause::possible(format!("the writer may not use the bucket's KMS key {key} (kms:GenerateDataKey), in its IAM policy or the key policy")));
    }
    if let Ok(true) = ctx.requester_pays().await {
        causes.push(Cause::possible(
            "requester pays is on, and the upload carries no x-amz-request-payer".to_owned(),
        ));
    }
    let actions: &[&str] = if acl.canned_header().is_some() {
        &["s3:PutObject", "s3:PutObjectAcl"]
    } else {
        &["s3:PutObject"]
    };
    match &policy {
        PolicyEvidence::Read {
            possible_denies,
            grants_caller,
            ..
        } => {
            causes.extend(possible_denies.iter().cloned().map(Cause::possible));
            if !grants_caller {
                causes.push(Cause::possible(format!("if the bucket belongs to another account, its policy must also grant {} to the writer, and no statement does", actions.join(" and "))));
            }
        }
        PolicyEvidence::Absent => causes.push(Cause::possible(format!(
            "if the bucket belongs to another account, a bucket policy must grant {} to the writer, and the bucket has none",
            actions.join(" and ")
        ))),
        PolicyEvidence::Unknown(why) => causes.push(Cause::possible(format!(
            "a Deny statement in the bucket policy, which could not be checked ({why})"
        ))),
    }
    causes.push(Cause::possible(format!(
        "the IAM policy lacks {} on {objects}: add {}",
        actions.join(" and "),
        allow_statement("WriteExportedFiles", actions, &objects)
    )));
    // Proven causes first; otherwise the order above.
    causes.sort_by_key(|cause| !cause.proven);
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &str = "arn:aws:s3:::my-bucket/bucket-preflight-probe.txt";

    fn evidence(statements: &str, context: &[(&str, &str)], absent: &[&str]) -> PolicyEvidence {
        let policy = parse_policy(&format!(
            r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#
        ))
        .unwrap();
        let context: BTreeMap<String, Vec<String>> = context
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect();
        evidence_from(&policy, &["s3:PutObject"], OBJECT, |action| Request {
            principal_arn: Some("arn:aws:iam::111122223333:user/exporter"),
            context: &context,
            absent_keys: absent,
            ..Request::new(action, OBJECT)
        })
    }

    #[test]
    fn a_deny_is_judged_by_what_the_probe_sent() {
        let require_conditional = r#"{"Sid": "RequireIfNoneMatch", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::my-bucket/*", "Condition": {"Null": {"s3:if-none-match": "true"}}}"#;
        // The probe sent If-None-Match: the statement does not apply to it.
        let PolicyEvidence::Read {
            denies,
            possible_denies,
            ..
        } = evidence(require_conditional, &[("s3:if-none-match", "*")], &[])
        else {
            panic!()
        };
        assert!(
            denies.is_empty() && possible_denies.is_empty(),
            "{denies:?} {possible_denies:?}"
        );
        // Without the header it certainly does, and is named with its condition.
        let PolicyEvidence::Read { denies, .. } =
            evidence(require_conditional, &[], &["s3:if-none-match"])
        else {
            panic!()
        };
        assert_eq!(denies.len(), 1);
        assert!(
            denies[0].contains("statement \"RequireIfNoneMatch\" denies s3:PutObject"),
            "{}",
            denies[0]
        );
        assert!(
            denies[0].contains("(Null s3:if-none-match = true)"),
            "{}",
            denies[0]
        );
        // Unknown keys leave it open: a possibility, not a finding.
        let PolicyEvidence::Read {
            denies,
            possible_denies,
            grants_caller,
        } = evidence(
            r#"{"Sid": "Office", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}"#,
            &[],
            &[],
        )
        else {
            panic!()
        };
        assert!(denies.is_empty());
        assert!(
            possible_denies[0].contains(
                "statement \"Office\" denies s3:PutObject if aws:SourceIp is not in 203.0.113.0/24"
            ),
            "{possible_denies:?}"
        );
        assert!(!grants_caller);
    }
}
