//! `bucket-policy`: no Deny statement in the bucket policy matches the export's requests.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::{bucket_arn, unreadable};
use crate::iam::bucket_policy::{
    conditions_on_conditional_writes, decision_name, decisions_by_action, demanded_sse,
    evaluate_bucket_policy, grants_only_with_conditional_header, matched_evidence,
    network_conditioned_grants, public_read, sse_candidates, statement_denial, SampledEvaluations,
    ACL_KEY, KMS_KEY_ID_KEY, SSE_VALUES,
};
use crate::iam::policy::{Condition, Statement};
use crate::iam::{parse_policy, Decision, Effect, ExportShape, PolicyDocument};
use crate::{Acl, Context, Findings, Outcome};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::time::SystemTime;

pub use crate::iam::bucket_policy::denies_without_conditional_header;

pub struct BucketPolicy;

static INFO: CheckInfo = CheckInfo {
    id: "bucket-policy",
    title: "Bucket policy does not deny the upload",
    category: Category::Permissions,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads the bucket policy (GetBucketPolicy) and evaluates it, with IAM's rules, against the
requests one export makes: `s3:PutObject` (and `s3:PutObjectAcl` when an ACL header is sent) on
keys shaped like the real ones (the `path` template expanded for several sample files, e.g.
`PREFIX/f2/d3eeeb…/Summer-holiday-_1_.jpg`, `…/clip.mp4`, `…/README`), `s3:ListBucket` on the
bucket, and `s3:GetBucketLocation` when `bucket_region` is not set. The requests are those of
`--principal` when given (run as an administrator for the export user), else of the calling
identity; the summary says whose. Each request carries its own condition keys, as the service
authorization reference lists them for that action: `s3:x-amz-acl` only on the object requests
(none for `bucket-default`), no `x-amz-server-side-encryption` header, no `If-None-Match`
(Transloadit's upload sends none, unlike the dry run), `aws:SecureTransport` true on AWS's
endpoints and false on an `http://` endpoint, `aws:CurrentTime`/`aws:EpochTime` now, and
`aws:PrincipalArn`/`aws:PrincipalAccount` when the caller is known.
Every Deny statement that matches is reported by its Sid (or `#position`), with what to change.
Deny conditions commonly seen, and how they meet the export:
- `"Null": {"s3:x-amz-server-side-encryption": "true"}` or
  `"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}`: the upload must send that
  header; fails until the store step does (likewise a required
  `s3:x-amz-server-side-encryption-aws-kms-key-id`);
- `"StringEquals": {"s3:x-amz-acl": "public-read"}`, or a required `bucket-owner-full-control`:
  fails, naming the `acl` value that satisfies the policy;
- `"Null": {"s3:if-none-match": "true"}` (AWS's "enforce conditional writes" policy): fails —
  the export sends no conditional-write header, so the dry run's success (it sends
  `If-None-Match: *`) cannot stand for the export;
- `"Bool": {"aws:SecureTransport": "false"}`: does not apply over HTTPS; fails for an export to
  a plain-HTTP endpoint;
- `"NotIpAddress": {"aws:SourceIp" / "aws:VpcSourceIp": ...}`, `"StringNotEquals":
  {"aws:sourceVpce" / "aws:SourceVpc": ...}`: depend on where the request comes from, which
  cannot be known here: warns. An Allow that grants the export only from some network warns too.
- A Deny (or grant) that matches some file names or extensions and not others warns that the
  verdict depends on the file name.
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
- Conditional writes required (`s3:if-none-match`): Transloadit's upload cannot send the header;
  exempt the export user from the statement.
- Plain HTTP denied: give the store step an `https://` host.
- Objects publicly readable although they should not be: remove `s3:GetObject` for
  `"Principal": "*"` from the policy.

## References
- Examples of Amazon S3 bucket policies: https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html
- Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- Condition keys for Amazon S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
- Enforce conditional writes on Amazon S3 buckets: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
"#,
};

/// The SSE header the dry run must send for the bucket policy to let it through, when the
/// policy can be read and demands one.
pub async fn probe_sse(ctx: &Context) -> Option<String> {
    let Ok(Some(text)) = ctx.policy().await else {
        return None;
    };
    demanded_sse(&parse_policy(text).ok()?)
}

/// The caller whose requests are evaluated: `--principal` when given (an administrator
/// checking for the export user), else the identity of the credentials in use.
#[derive(Debug, Default)]
struct Caller {
    arn: Option<String>,
    account: Option<String>,
    /// From `--principal`, not from the credentials.
    given: bool,
}

impl Caller {
    async fn of(ctx: &Context) -> Caller {
        if let Some(principal) = &ctx.settings.principal {
            return Caller {
                arn: Some(principal.clone()),
                account: None,
                given: true,
            };
        }
        match ctx.session() {
            Some(session) => match session.identity().await {
                Ok(identity) => Caller {
                    arn: Some(identity.arn).filter(|arn| !arn.is_empty()),
                    account: Some(identity.account).filter(|account| !account.is_empty()),
                    given: false,
                },
                Err(_) => Caller::default(),
            },
            None => Caller::default(),
        }
    }

    /// How remediations name the caller in an `aws:PrincipalArn` condition.
    fn exemption(&self, shape: &ExportShape) -> String {
        let arn = shape.principal_arn().unwrap_or("EXPORT-USER-ARN");
        format!(r#""ArnNotEquals": {{"aws:PrincipalArn": "{arn}"}}"#)
    }
}

/// One export's requests against one bucket policy.
struct Export<'a> {
    policy: &'a PolicyDocument,
    /// The export as configured (its `acl`, no encryption header, no `If-None-Match`).
    shape: ExportShape<'a>,
    caller: &'a Caller,
}

impl Export<'_> {
    /// Each request of an export that sends `acl` and `sse` headers, with IAM's verdict.
    fn evaluate(&self, acl: Option<&str>, sse: Option<&str>) -> SampledEvaluations {
        let shape = ExportShape {
            acl_header: acl,
            sse,
            ..self.shape.clone()
        };
        evaluate_bucket_policy(self.policy, &shape)
    }

    fn exemption(&self) -> String {
        self.caller.exemption(&self.shape)
    }
}

/// Whether the statement lets the export's requests through once PutObject carries
/// `If-None-Match: *` (as the dry-run probe's does).
fn resolves_with_if_none_match(export: &Export, statement: &str) -> bool {
    let shape = ExportShape {
        if_none_match: true,
        ..export.shape.clone()
    };
    !certainly_denies(&evaluate_bucket_policy(export.policy, &shape), statement)
}

/// Whether `statement` certainly denies some request of these evaluations.
fn certainly_denies(evaluations: &SampledEvaluations, statement: &str) -> bool {
    let denial = statement_denial(evaluations, statement);
    !denial.always.is_empty() || !denial.for_some_files.is_empty()
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
    let resolves =
        |acl: Option<&str>, sse: Option<&str>| !certainly_denies(&export.evaluate(acl, sse), &name);
    // A conditional-write requirement: the export sends no If-None-Match (the probe does).
    if conditions_on_conditional_writes(statement) && resolves_with_if_none_match(export, &name) {
        findings.fail(
            format!("{label} denies {actions} unless the upload sends a conditional-write header (If-None-Match), and Transloadit's upload sends none; the dry run sends If-None-Match: *, so its success cannot stand for the export"),
            format!("Remove {label} from the bucket policy, or exempt the export user by adding {} to its Condition: the export service cannot send conditional-write headers.", export.exemption()),
        );
        return;
    }
    // Plain HTTP to a custom endpoint, where the policy demands TLS.
    if !export.shape.secure_transport
        && !keys_conditions(statement, "aws:SecureTransport").is_empty()
    {
        findings.fail(
            format!("{label} denies {actions} over plain HTTP ({}), and the export reaches the bucket through an http:// endpoint", describe_conditions(statement)),
            "Give the store step an https:// `host` (Transloadit uses plain HTTP unless `host` starts with https://), so that its requests arrive over TLS.",
        );
        return;
    }
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
    let exemption = export.exemption();
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
    let exemption = export.exemption();
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
    } else if let Some(addresses) = first("aws:VpcSourceIp", &["notipaddress"]) {
        findings.warn(
            format!("uploads are denied unless they come from {addresses} inside a VPC ({label}): an external export service does not reach S3 through your VPC"),
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

/// How sentences name a statement given by its evaluation name (Sid or `#index`).
fn label_of(name: &str) -> String {
    if name.starts_with('#') {
        format!("statement {name}")
    } else {
        format!("statement {name:?}")
    }
}

/// Allow statements that grant the export's requests only from some network: if the export
/// user relies on them (another account, or an IAM policy that does not grant the action), the
/// upload from the export service's network is refused while a probe from here may succeed.
fn network_conditioned_allows(
    policy: &PolicyDocument,
    evaluations: &SampledEvaluations,
    findings: &mut Findings,
) {
    for grant in network_conditioned_grants(policy, evaluations) {
        findings.warn(
            format!(
                "{} grants {} only if {}: the export service's requests come from its own network, so this grant may not apply to them",
                grant.label,
                grant.actions.join(", "),
                grant.hinges_on.join(" and ")
            ),
            "If the export user relies on this grant (a user from another account, or an IAM policy that does not grant these actions), add the export service's addresses to the condition, or grant the export user without it.",
        );
    }
}

/// A Deny statement that certainly denies some files' uploads and not others'.
fn file_name_denial(
    export: &Export,
    statement: &Statement,
    actions: &[&str],
    keys: Option<&(String, String)>,
    findings: &mut Findings,
) {
    let label = statement.label();
    let example = keys
        .map(|(denied, spared)| format!(" (denied: {denied}; not denied: {spared})"))
        .unwrap_or_default();
    findings.warn(
        format!(
            "{label} denies {} for some files, depending on the file name or extension{example}",
            actions.join(", ")
        ),
        format!("Make sure the files this export writes never match {label}, or narrow it (or exempt the export user by adding {} to its Condition).", export.exemption()),
    );
}

/// Whose requests were evaluated, for the summary.
fn whose(caller: &Caller) -> String {
    match (&caller.arn, caller.given) {
        (Some(arn), true) => format!("requests of {arn} (--principal)"),
        (Some(arn), false) => format!("requests of {arn}"),
        (None, _) => "requests of an unknown caller".to_owned(),
    }
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
        let caller = Caller::of(ctx).await;
        let shape = export_shape(ctx, &caller);
        let secure = shape.secure_transport;
        let export = Export {
            policy: &policy,
            shape,
            caller: &caller,
        };
        let base = export.evaluate(acl.canned_header(), None);
        let mut findings = Findings::default();
        let mut notes = Vec::new();
        for statement in policy
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Deny)
        {
            let denial = statement_denial(&base, &statement.name());
            if !denial.always.is_empty() {
                certain_denial(&export, statement, &denial.always, acl, &mut findings);
            } else if !denial.for_some_files.is_empty() {
                let keys = denial.example_keys.as_ref();
                file_name_denial(
                    &export,
                    statement,
                    &denial.for_some_files,
                    keys,
                    &mut findings,
                );
            } else if !denial.possibly.is_empty() {
                possible_denial(
                    &export,
                    statement,
                    &denial.possibly,
                    &denial.hinges_on,
                    &mut findings,
                );
            } else if secure && !keys_conditions(statement, "aws:SecureTransport").is_empty() {
                notes.push(format!(
                    "{} denies requests without HTTPS ({}); the export uses HTTPS, so it does not apply",
                    statement.label(),
                    describe_conditions(statement)
                ));
            }
        }
        network_conditioned_allows(&policy, &base, &mut findings);
        for label in grants_only_with_conditional_header(&policy, &export.shape) {
            findings.warn(
                format!("{label} grants s3:PutObject only to uploads that send If-None-Match, which Transloadit's upload does not; the dry run sends it, so its success cannot stand for the export"),
                "If the export user relies on this grant (a user from another account), exports are refused: grant it s3:PutObject without the conditional-write condition.",
            );
        }
        let sample_object = base
            .iter()
            .find(|(request, _)| request.key.is_some())
            .map_or_else(
                || format!("{}/{}", bucket_arn(bucket), ctx.probe_key()),
                |(request, _)| request.resource.clone(),
            );
        let public = public_read(&policy, &sample_object);
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
        let requests: serde_json::Map<String, Value> = decisions_by_action(&base)
            .into_iter()
            .map(|(action, decision)| (action.to_string(), decision_name(decision)))
            .collect();
        let mut outcome = findings
            .into_outcome(format!(
                "no statement of the bucket policy denies the export's requests ({})",
                whose(&caller)
            ))
            .with_evidence("policy_statements", policy.statements.len())
            .with_evidence("statements", matched_evidence(&base))
            .with_evidence("requests", Value::Object(requests))
            .with_evidence("sample_keys", json!(export.shape.sample_keys()))
            .with_evidence("public_read", public.is_some())
            .with_evidence("principal", json!(caller.arn));
        if let Some(sse) = demanded_sse(&policy) {
            outcome = outcome.with_evidence("demanded_sse", sse);
        }
        if !notes.is_empty() {
            outcome = outcome.with_detail(notes.join("; "));
        }
        outcome
    }
}

/// The export as this run's target and caller describe it.
fn export_shape<'a>(ctx: &'a Context, caller: &'a Caller) -> ExportShape<'a> {
    ExportShape {
        caller_arn: caller.arn.as_deref(),
        caller_account: caller.account.as_deref(),
        now: SystemTime::now(),
        ..ExportShape::of_target(&ctx.target)
    }
}

#[cfg(test)]
mod tests;
