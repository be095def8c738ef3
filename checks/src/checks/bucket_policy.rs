//! `bucket-policy`: no Deny statement in the bucket policy matches the export's requests.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::{bucket_arn, unreadable};
use crate::iam::policy::{Condition, PatternList, Principal, PrincipalBlock, Statement};
use crate::iam::{
    evaluate, parse_policy, Decision, Effect, Evaluation, PolicyDocument, PolicyKind, Request,
};
use crate::{Acl, Context, Findings, Outcome};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub struct BucketPolicy;

static INFO: CheckInfo = CheckInfo {
    id: "bucket-policy",
    title: "Bucket policy does not deny the upload",
    category: Category::Permissions,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads the bucket policy (GetBucketPolicy) and evaluates it, with IAM's rules, against the
requests one export makes as the calling identity: `s3:PutObject` on the probe key (and
`s3:PutObjectAcl` when an ACL header is sent) and `s3:ListBucket` on the bucket. The requests
carry what the real upload carries: HTTPS (`aws:SecureTransport` true), the `x-amz-acl` value of
the `acl` setting (none for `bucket-default`) and no `x-amz-server-side-encryption` header.
Every Deny statement that matches is reported by its Sid (or `#position`), with what to change.
Deny conditions commonly seen, and how they meet the export:
- `"Null": {"s3:x-amz-server-side-encryption": "true"}` or
  `"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}`: the upload must send that
  header; fails until the store step does (likewise a required
  `s3:x-amz-server-side-encryption-aws-kms-key-id`);
- `"StringEquals": {"s3:x-amz-acl": "public-read"}`, or a required `bucket-owner-full-control`:
  fails, naming the `acl` value that satisfies the policy;
- `"Bool": {"aws:SecureTransport": "false"}`: the export uses HTTPS, so it does not apply;
- `"NotIpAddress": {"aws:SourceIp": ...}` and `"StringNotEquals": {"aws:sourceVpce": ...}`:
  depend on where the request comes from, which cannot be known here: warns.
It also reports whether the policy makes objects publicly readable (an Allow of `s3:GetObject`
to `"Principal": "*"`), which warns when `acl` is `private` or `bucket-default`.

When the policy demands an encryption header, the dry run (`dry-run-put`) sends it, so that it
tests everything else.

## Why it matters
An explicit Deny overrides every Allow, including the export user's own IAM policy: the upload
fails with 403 AccessDenied however the user is set up. For requests from another account S3
does not say which statement denied them.

## How to fix
- Encryption required: add `"headers": {"x-amz-server-side-encryption": "AES256"}` (or
  `"aws:kms"`, as the policy demands) to the store step.
- ACL forbidden or required: set the `acl` value this check names (`bucket-default` sends no ACL
  header, `private` sends `x-amz-acl: private`).
- Source IP or VPC endpoint restrictions: an external export service does not come from your
  network or through your VPC endpoint; add its addresses, or exempt the export user by adding
  `"ArnNotEquals": {"aws:PrincipalArn": "EXPORT-USER-ARN"}` to the Deny statement's Condition.
- Objects publicly readable although they should not be: remove `s3:GetObject` for
  `"Principal": "*"` from the policy.

## References
- Examples of Amazon S3 bucket policies: https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html
- Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- Condition keys for Amazon S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
"#,
};

const SSE_KEY: &str = "s3:x-amz-server-side-encryption";
const KMS_KEY_ID_KEY: &str = "s3:x-amz-server-side-encryption-aws-kms-key-id";
const ACL_KEY: &str = "s3:x-amz-acl";

/// The values `x-amz-server-side-encryption` can take, in the order they are suggested.
const SSE_VALUES: [&str; 3] = ["AES256", "aws:kms", "aws:kms:dsse"];

/// The `x-amz-server-side-encryption` value an upload must send so that no Deny statement's
/// condition on that header matches: the value a statement names, or `AES256` when any value
/// will do. `None` when the policy does not deny uploads without the header.
///
/// Only the statements' conditions on the header are considered (whoever they apply to, on
/// whichever resource), so the answer errs towards sending the header, which is harmless.
pub fn demanded_sse(policy: &PolicyDocument) -> Option<String> {
    let statements: Vec<Statement> = policy
        .statements
        .iter()
        .filter(|statement| statement.effect == Effect::Deny)
        .filter_map(|statement| {
            let conditions: Vec<Condition> = statement
                .conditions
                .iter()
                .filter(|condition| condition.key.eq_ignore_ascii_case(SSE_KEY))
                .cloned()
                .collect();
            (!conditions.is_empty()).then(|| Statement {
                principal: Some(PrincipalBlock {
                    negated: false,
                    principal: Principal::Anyone,
                }),
                resource: Some(PatternList {
                    negated: false,
                    patterns: vec!["*".into()],
                }),
                conditions,
                ..statement.clone()
            })
        })
        .collect();
    if statements.is_empty() {
        return None;
    }
    let only_sse = PolicyDocument {
        version: policy.version.clone(),
        id: None,
        statements,
    };
    let denied = |sse: Option<&str>| {
        let context: BTreeMap<String, Vec<String>> = sse
            .map(|value| (SSE_KEY.to_owned(), vec![value.to_owned()]))
            .into_iter()
            .collect();
        let request = Request {
            context: &context,
            absent_keys: &[SSE_KEY],
            ..Request::new("s3:PutObject", "arn:aws:s3:::bucket/key")
        };
        evaluate(&only_sse, PolicyKind::Resource, &request).decision == Decision::ExplicitDeny
    };
    if !denied(None) {
        return None;
    }
    sse_candidates(policy)
        .into_iter()
        .find(|value| !denied(Some(value)))
        .map(str::to_owned)
}

/// SSE values to try: those the policy's conditions name first, then the usual order.
fn sse_candidates(policy: &PolicyDocument) -> Vec<&'static str> {
    let named = policy
        .statements
        .iter()
        .flat_map(|statement| &statement.conditions)
        .filter(|condition| condition.key.eq_ignore_ascii_case(SSE_KEY))
        .flat_map(|condition| &condition.values)
        .filter_map(|value| {
            SSE_VALUES
                .iter()
                .copied()
                .find(|known| known.eq_ignore_ascii_case(value))
        });
    let mut candidates: Vec<&'static str> = Vec::new();
    for value in named.chain(SSE_VALUES) {
        if !candidates.contains(&value) {
            candidates.push(value);
        }
    }
    candidates
}

/// The SSE header the dry run must send for the bucket policy to let it through, when the
/// policy can be read and demands one.
pub async fn probe_sse(ctx: &Context) -> Option<String> {
    let Ok(Some(text)) = ctx.policy().await else {
        return None;
    };
    demanded_sse(&parse_policy(text).ok()?)
}

/// The caller as the bucket policy sees it; unknown parts stay `None`.
#[derive(Debug, Default)]
struct Caller {
    arn: Option<String>,
    account: Option<String>,
}

impl Caller {
    async fn of(ctx: &Context) -> Caller {
        match ctx.session() {
            Some(session) => match session.identity().await {
                Ok(identity) => Caller {
                    arn: Some(identity.arn).filter(|arn| !arn.is_empty()),
                    account: Some(identity.account).filter(|account| !account.is_empty()),
                },
                Err(_) => Caller::default(),
            },
            None => Caller::default(),
        }
    }

    /// `aws:PrincipalArn`, where the caller's ARN is it: IAM users and the root user. A role
    /// session's is the role ARN, whose path the session ARN does not tell.
    fn principal_arn_key(&self) -> Option<&str> {
        self.arn
            .as_deref()
            .filter(|arn| arn.starts_with("arn:aws") && arn.contains(":iam::"))
    }

    /// How remediations name the caller in an `aws:PrincipalArn` condition.
    fn exemption(&self) -> String {
        let arn = self.principal_arn_key().unwrap_or("EXPORT-USER-ARN");
        format!(r#""ArnNotEquals": {{"aws:PrincipalArn": "{arn}"}}"#)
    }
}

/// One export's requests against one bucket policy.
struct Export<'a> {
    policy: &'a PolicyDocument,
    object: String,
    bucket: String,
    caller: Caller,
}

type Evaluations = Vec<(&'static str, Evaluation)>;

impl Export<'_> {
    /// Each request of an export that sends `acl` and `sse` headers, with IAM's verdict.
    fn evaluate(&self, acl: Option<&str>, sse: Option<&str>) -> Evaluations {
        let mut requests = vec![("s3:PutObject", self.object.as_str(), true)];
        if acl.is_some() {
            requests.push(("s3:PutObjectAcl", self.object.as_str(), true));
        }
        requests.push(("s3:ListBucket", self.bucket.as_str(), false));
        requests
            .into_iter()
            .map(|(action, resource, upload)| {
                let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
                let mut absent = vec![KMS_KEY_ID_KEY];
                context.insert("aws:SecureTransport".into(), vec!["true".into()]);
                if let Some(account) = &self.caller.account {
                    context.insert("aws:PrincipalAccount".into(), vec![account.clone()]);
                }
                if let Some(arn) = self.caller.principal_arn_key() {
                    context.insert("aws:PrincipalArn".into(), vec![arn.to_owned()]);
                }
                for (key, value) in [(ACL_KEY, acl), (SSE_KEY, sse)] {
                    match value.filter(|_| upload) {
                        Some(value) => {
                            context.insert(key.into(), vec![value.to_owned()]);
                        }
                        None => absent.push(key),
                    }
                }
                let request = Request {
                    principal_arn: self.caller.arn.as_deref(),
                    principal_account: self.caller.account.as_deref(),
                    context: &context,
                    absent_keys: &absent,
                    ..Request::new(action, resource)
                };
                (
                    action,
                    evaluate(self.policy, PolicyKind::Resource, &request),
                )
            })
            .collect()
    }
}

/// The actions `statement` denies in `evaluations`: certainly, or only possibly.
fn denied_by(evaluations: &Evaluations, statement: &str, certain: bool) -> Vec<&'static str> {
    evaluations
        .iter()
        .filter(|(_, evaluation)| {
            evaluation.matched.iter().any(|m| {
                m.statement == statement && m.effect == Effect::Deny && m.is_certain() == certain
            })
        })
        .map(|(action, _)| *action)
        .collect()
}

fn keys_conditions<'s>(statement: &'s Statement, key: &str) -> Vec<&'s Condition> {
    statement
        .conditions
        .iter()
        .filter(|condition| condition.key.eq_ignore_ascii_case(key))
        .collect()
}

/// The statement's conditions as written, for sentences: `Null s3:x-amz-... = true`.
fn describe_conditions(statement: &Statement) -> String {
    statement
        .conditions
        .iter()
        .map(|c| format!("{} {} = {}", c.operator, c.key, c.values.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

fn acl_phrase(acl: Option<&str>) -> String {
    match acl {
        Some(header) => format!("x-amz-acl: {header}"),
        None => "no x-amz-acl header".to_owned(),
    }
}

/// What the check found about one Deny statement that certainly matches.
fn certain_denial(
    export: &Export,
    statement: &Statement,
    actions: &[&str],
    acl: Acl,
    findings: &mut Findings,
) {
    let label = statement.label();
    let name = statement.name();
    let header = acl.canned_header();
    let actions = actions.join(", ");
    let resolves = |acl: Option<&str>, sse: Option<&str>| {
        denied_by(&export.evaluate(acl, sse), &name, true).is_empty()
    };
    // An encryption header the store step could send.
    let sse_values: Vec<&str> = sse_candidates(export.policy)
        .into_iter()
        .filter(|value| resolves(header, Some(value)))
        .collect();
    if let Some(value) = sse_values.first() {
        let others = match sse_values.len() {
            1 => String::new(),
            n if n == SSE_VALUES.len() => " (or any other value)".to_owned(),
            _ => format!(" (or {})", sse_values[1..].join(", ")),
        };
        let kms = if value.starts_with("aws:kms") {
            " With SSE-KMS the export user also needs kms:GenerateDataKey on the key (see the encryption check)."
        } else {
            ""
        };
        findings.fail(
            format!("{label} denies {actions}: the policy requires uploads to send x-amz-server-side-encryption: {value}{others}, and the store step sends no such header"),
            format!(r#"Add "headers": {{"x-amz-server-side-encryption": "{value}"}} to the store step (keeping any headers it already sets); the dry run sends this header too.{kms}"#),
        );
        return;
    }
    // A KMS key the upload must name.
    let key_conditions = keys_conditions(statement, KMS_KEY_ID_KEY);
    if !key_conditions.is_empty() {
        let key = key_conditions
            .iter()
            .flat_map(|c| &c.values)
            .find(|value| value.starts_with("arn:"))
            .map_or("KEY-ARN", String::as_str);
        findings.fail(
            format!("{label} denies {actions}: the policy requires uploads to name their KMS key in x-amz-server-side-encryption-aws-kms-key-id, and the store step sends no such header"),
            format!(r#"Add "headers": {{"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "{key}"}} to the store step (keeping any headers it already sets); the export user also needs kms:GenerateDataKey on that key."#),
        );
        return;
    }
    // Another `acl` setting the policy accepts.
    let demanded = demanded_sse(export.policy);
    let alternative = [Acl::BucketDefault, Acl::Private, Acl::Public]
        .into_iter()
        .filter(|other| other.canned_header() != header)
        .find(|other| resolves(other.canned_header(), demanded.as_deref()));
    if let Some(other) = alternative {
        findings.fail(
            format!(
                "{label} denies {actions} with {} (sent for `acl: {acl}`)",
                acl_phrase(header)
            ),
            format!(
                "Set `acl: {other}` in the store step: the policy accepts uploads with {}.",
                acl_phrase(other.canned_header())
            ),
        );
        return;
    }
    let exemption = export.caller.exemption();
    let acl_conditions = keys_conditions(statement, ACL_KEY);
    if !acl_conditions.is_empty() {
        let values: Vec<&str> = acl_conditions
            .iter()
            .flat_map(|c| c.values.iter().map(String::as_str))
            .collect();
        findings.fail(
            format!(
                "{label} denies {actions} unless x-amz-acl meets its condition ({}), which no `acl` setting of the store step satisfies (it sends public-read, private or no header)",
                values.join(", ")
            ),
            format!("Remove {label} from the bucket policy, or exempt the export user by adding {exemption} to its Condition. (A required bucket-owner-full-control is not needed once Object Ownership is BucketOwnerEnforced: the bucket owner then owns every object.)"),
        );
        return;
    }
    let conditions = if statement.conditions.is_empty() {
        String::new()
    } else {
        format!(" (Condition: {})", describe_conditions(statement))
    };
    let caller = export
        .caller
        .arn
        .as_deref()
        .unwrap_or("the export's credentials");
    findings.fail(
        format!("{label} explicitly denies {actions} to {caller}{conditions}"),
        format!("Remove or narrow {label} so that it does not match the export's requests, or exempt the export user by adding {exemption} to its Condition: an explicit Deny overrides every Allow."),
    );
}

/// What the check found about one Deny statement that matches depending on something unknown.
fn possible_denial(
    export: &Export,
    statement: &Statement,
    actions: &[&str],
    hinges: &[String],
    findings: &mut Findings,
) {
    let label = statement.label();
    let exemption = export.caller.exemption();
    let operator_is = |condition: &Condition, prefixes: &[&str]| {
        let operator = condition.operator.to_ascii_lowercase();
        prefixes.iter().any(|prefix| operator.starts_with(prefix))
    };
    let first = |key: &str, prefixes: &[&str]| {
        keys_conditions(statement, key)
            .into_iter()
            .find(|condition| operator_is(condition, prefixes))
            .map(|condition| condition.values.join(", "))
    };
    if let Some(addresses) = first("aws:SourceIp", &["notipaddress"]) {
        findings.warn(
            format!("uploads are denied unless they come from {addresses} ({label}): the export service's addresses must be in that list"),
            format!("Add the export service's outgoing IP addresses to the aws:SourceIp list of {label}, or exempt the export user by adding {exemption} to its Condition."),
        );
    } else if let Some(endpoints) = first("aws:sourceVpce", &["stringnot"]) {
        findings.warn(
            format!("uploads are denied unless they come through VPC endpoint {endpoints} ({label}): an external export service cannot use your VPC endpoint"),
            format!("Exempt the export user from {label} by adding {exemption} to its Condition."),
        );
    } else if let Some(vpcs) = first("aws:SourceVpc", &["stringnot"]) {
        findings.warn(
            format!("uploads are denied unless they come from VPC {vpcs} ({label}): an external export service is not in your VPC"),
            format!("Exempt the export user from {label} by adding {exemption} to its Condition."),
        );
    } else {
        findings.warn(
            format!(
                "{} may be denied: {label} denies it if {}",
                actions.join(", "),
                hinges.join(" and ")
            ),
            format!("Make sure the export's requests never meet that condition, or exempt the export user from {label} by adding {exemption} to its Condition."),
        );
    }
}

/// Whether the policy lets anyone read the object: its evaluation when it does, or may.
fn public_read(policy: &PolicyDocument, object: &str) -> Option<Evaluation> {
    // An account no policy can name: the statement must cover everyone to apply.
    let request = Request {
        principal_account: Some("anonymous"),
        ..Request::new("s3:GetObject", object)
    };
    let evaluation = evaluate(policy, PolicyKind::Resource, &request);
    let allows = evaluation.matched.iter().any(|m| m.effect == Effect::Allow);
    match evaluation.decision {
        Decision::Allowed => Some(evaluation),
        Decision::Conditional if allows => Some(evaluation),
        _ => None,
    }
}

/// How sentences name a statement given by its evaluation name (Sid or `#index`).
fn label_of(name: &str) -> String {
    if name.starts_with('#') {
        format!("statement {name}")
    } else {
        format!("statement {name:?}")
    }
}

/// A decision for evidence. A bucket policy that neither allows nor denies leaves the request
/// to the caller's IAM policy, which is not a denial.
fn decision_name(decision: Decision) -> Value {
    match decision {
        Decision::NotGranted => json!("no_matching_statement"),
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

/// The statements that matched, one entry per statement.
fn matched_evidence(evaluations: &Evaluations) -> Value {
    let mut entries: Vec<(String, Value)> = Vec::new();
    for (action, evaluation) in evaluations {
        for m in &evaluation.matched {
            let decision = match (m.effect, m.is_certain()) {
                (_, false) => Decision::Conditional,
                (Effect::Deny, true) => Decision::ExplicitDeny,
                (Effect::Allow, true) => Decision::Allowed,
            };
            match entries.iter_mut().find(|(name, _)| *name == m.statement) {
                Some((_, entry)) => {
                    if let Some(actions) = entry["actions"].as_array_mut() {
                        actions.push(json!(action));
                    }
                }
                None => entries.push((
                    m.statement.clone(),
                    json!({"statement": m.statement, "effect": m.effect, "decision": decision_name(decision), "actions": [action]}),
                )),
            }
        }
    }
    Value::Array(entries.into_iter().map(|(_, entry)| entry).collect())
}

#[async_trait]
impl Check for BucketPolicy {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let bucket = &ctx.target.bucket;
        let text = match ctx.policy().await {
            Ok(Some(text)) => text,
            Ok(None) => {
                return Outcome::pass("no bucket policy: nothing in it can deny the upload")
                    .with_evidence("policy_statements", 0)
            }
            Err(failure) => {
                return unreadable(
                    "the bucket policy",
                    "s3:GetBucketPolicy",
                    &bucket_arn(bucket),
                    "ReadBucketPolicy",
                    failure,
                )
            }
        };
        let policy = match parse_policy(text) {
            Ok(policy) => policy,
            Err(error) => {
                return Outcome::warn(
                    format!("the bucket policy could not be evaluated: it {error}"),
                    "Review the bucket policy by hand (S3 console → bucket → Permissions → Bucket policy) for Deny statements that match s3:PutObject on the export path.",
                )
            }
        };
        let acl = ctx.target.acl;
        let export = Export {
            policy: &policy,
            object: format!("{}/{}", bucket_arn(bucket), ctx.probe_key()),
            bucket: bucket_arn(bucket),
            caller: Caller::of(ctx).await,
        };
        let base = export.evaluate(acl.canned_header(), None);
        let mut findings = Findings::default();
        let mut notes = Vec::new();
        for statement in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny)
        {
            let name = statement.name();
            let certain = denied_by(&base, &name, true);
            if !certain.is_empty() {
                certain_denial(&export, statement, &certain, acl, &mut findings);
                continue;
            }
            let possible = denied_by(&base, &name, false);
            if let Some(hinges) = base
                .iter()
                .flat_map(|(_, evaluation)| &evaluation.matched)
                .find(|m| m.statement == name && m.effect == Effect::Deny)
                .map(|m| m.hinges_on.clone())
            {
                possible_denial(&export, statement, &possible, &hinges, &mut findings);
                continue;
            }
            if !keys_conditions(statement, "aws:SecureTransport").is_empty() {
                notes.push(format!(
                    "{} denies requests without HTTPS ({}); the export uses HTTPS, so it does not apply",
                    statement.label(),
                    describe_conditions(statement)
                ));
            }
        }
        let public = public_read(&policy, &export.object);
        if let Some(evaluation) = &public {
            let how = match evaluation.decision {
                Decision::Allowed => {
                    let statements: Vec<String> = evaluation
                        .matched
                        .iter()
                        .filter(|m| m.effect == Effect::Allow && m.is_certain())
                        .map(|m| label_of(&m.statement))
                        .collect();
                    format!(
                        "the bucket policy lets anyone read exported files ({})",
                        statements.join(", ")
                    )
                }
                _ => format!(
                    "the bucket policy may let anyone read exported files: {}",
                    evaluation.explanation
                ),
            };
            if acl.is_public() {
                notes.push(how);
            } else {
                findings.warn(
                    format!("{how}, although `acl: {acl}` does not make them public"),
                    "If exported files must stay private, remove s3:GetObject for \"Principal\": \"*\" from that statement; if public files are intended, nothing needs to change.",
                );
            }
        }
        for (_, evaluation) in &base {
            for note in &evaluation.notes {
                if !notes.contains(note) {
                    notes.push(note.clone());
                }
            }
        }
        let requests: serde_json::Map<String, Value> = base
            .iter()
            .map(|(action, evaluation)| (action.to_string(), decision_name(evaluation.decision)))
            .collect();
        let mut outcome = findings
            .into_outcome("no statement of the bucket policy denies the export's requests")
            .with_evidence("policy_statements", policy.statements.len())
            .with_evidence("statements", matched_evidence(&base))
            .with_evidence("requests", Value::Object(requests))
            .with_evidence("public_read", public.is_some())
            .with_evidence("principal", json!(export.caller.arn));
        if let Some(sse) = demanded_sse(&policy) {
            outcome = outcome.with_evidence("demanded_sse", sse);
        }
        if !notes.is_empty() {
            outcome = outcome.with_detail(notes.join("; "));
        }
        outcome
    }
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
    fn demanded_sse_follows_the_deny_conditions() {
        let null = r#"{"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}}"#;
        let kms = r#"{"Sid": "DenyNotKms", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}"#;
        let forbid_sse_s3 = r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}"#;
        let tls = r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#;
        assert_eq!(demanded_sse(&policy(null)).as_deref(), Some("AES256"));
        assert_eq!(demanded_sse(&policy(kms)).as_deref(), Some("aws:kms"));
        assert_eq!(
            demanded_sse(&policy(&format!("{null}, {kms}"))).as_deref(),
            Some("aws:kms")
        );
        assert_eq!(demanded_sse(&policy(forbid_sse_s3)), None);
        assert_eq!(demanded_sse(&policy(tls)), None);
    }

    fn export(policy: &PolicyDocument) -> Export<'_> {
        Export {
            policy,
            object: "arn:aws:s3:::b/exports/bucket-preflight-probe.txt".into(),
            bucket: "arn:aws:s3:::b".into(),
            caller: Caller {
                arn: Some("arn:aws:iam::111122223333:user/exporter".into()),
                account: Some("111122223333".into()),
            },
        }
    }

    #[test]
    fn exempting_the_export_user_lifts_the_deny() {
        let document = policy(
            r#"{"Sid": "OfficeOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}"#,
        );
        let evaluations = export(&document).evaluate(Some("public-read"), None);
        assert_eq!(denied_by(&evaluations, "OfficeOnly", false).len(), 3);
        let exempted = policy(
            r#"{"Sid": "OfficeOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                              "ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/exporter"}}}"#,
        );
        let evaluations = export(&exempted).evaluate(Some("public-read"), None);
        assert!(evaluations.iter().all(|(_, e)| e.matched.is_empty()));
    }

    #[test]
    fn public_read_needs_an_allow_for_everyone() {
        let object = "arn:aws:s3:::b/k";
        let anyone = policy(
            r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
        );
        assert!(public_read(&anyone, object).is_some());
        let account = policy(
            r#"{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
        );
        assert!(public_read(&account, object).is_none());
        let deny_only = policy(
            r#"{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#,
        );
        assert!(public_read(&deny_only, object).is_none());
    }
}
