//! `bucket-policy`: no Deny statement in the bucket policy matches the export's requests.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::iam::bucket_policy::{
    decision_name, decisions_by_action, evaluate_bucket_policy,
    grants_only_with_conditional_header, matched_evidence, public_read, statement_denial,
    SampledEvaluations,
};
use crate::iam::{parse_policy, Decision, Effect, ExportShape, PolicyDocument};
use crate::{Context, Findings, Outcome};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::time::SystemTime;

use crate::iam::bucket_policy::demanded_sse;

mod findings;

use findings::{
    certain_denial, describe_conditions, file_name_denial, keys_conditions, label_of,
    network_conditioned_allows, possible_denial,
};

pub struct BucketPolicy;

static INFO: CheckInfo = CheckInfo {
    id: "bucket-policy",
    title: "Bucket policy does not deny the upload",
    category: Category::Permissions,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads the bucket policy (GetBucketPolicy) and evaluates it, with IAM's rules, against the
requests one export makes: `s3:PutObject` (and `s3:PutObjectAcl` when an ACL header is sent,
`s3:PutObjectTagging` when the step sets `tags`, `s3:GetObject` when `sign_urls_for` makes
result URLs signed GETs) on keys shaped like the real ones (the `path` template expanded for several sample files, e.g.
`PREFIX/f2/d3eeeb…/Summer-holiday-_1_.jpg`, `…/clip.mp4`, `…/README`), `s3:ListBucket` on the
bucket, and `s3:GetBucketLocation` when `bucket_region` is not set. The requests are those of
`--principal` when given (run as an administrator for the export user), else of the calling
identity; the summary says whose. Each request carries its own condition keys, as the service
authorization reference lists them for that action: `s3:x-amz-acl` only on the object requests
(none for `bucket-default`), the headers of the step's `headers` that S3 has condition keys
for (`s3:x-amz-server-side-encryption`, `s3:x-amz-server-side-encryption-aws-kms-key-id`,
`s3:x-amz-storage-class`, `s3:x-amz-grant-*`, `s3:object-lock-*`; absent when the step does not
send them), the step's `tags` as `s3:RequestObjectTagKeys` and `s3:RequestObjectTag/KEY` (a
value with Assembly variables is unknown), no `If-None-Match`
(Transloadit's upload sends none, unlike the dry run), `aws:SecureTransport` true on AWS's
endpoints and false on an `http://` endpoint, `aws:CurrentTime`/`aws:EpochTime` now, and
`aws:PrincipalArn`/`aws:PrincipalAccount` when the caller is known.
Every Deny statement that matches is reported by its Sid (or `#position`), with what to change.
Deny conditions commonly seen, and how they meet the export:
- `"Null": {"s3:x-amz-server-side-encryption": "true"}` or
  `"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}`: the upload must send that
  header; passes when the step's `headers` send it (`--header`), fails naming the value when
  they send another or none (likewise a required `s3:x-amz-server-side-encryption-aws-kms-key-id`:
  the step's key must be the one named);
- `"StringNotEquals": {"s3:RequestObjectTag/KEY": ...}` / `s3:RequestObjectTagKeys`: judged
  against the step's `tags` (`--tag`);
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

## What it cannot see
It evaluates the bucket policy only: organisation SCPs and RCPs, permission boundaries, VPC
endpoint policies and KMS key policies are not in it. Conditions on where a request comes from
(`aws:SourceIp`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:VpcSourceIp`) cannot be known here and
are reported as `warn` naming the condition. Without `s3:GetBucketPolicy` it warns naming that
permission.

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

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `AccessDenied` / `S3_STORE_ACCESS_DENIED` from a Deny statement (`with an explicit deny in a
  resource-based policy`): cause `bucket-policy-deny`; from a bucket of another account that
  grants the writer nothing (`because no resource-based policy allows`): cause
  `bucket-policy-no-allow`.
- `PreconditionFailed` where a statement demands conditional writes: cause `precondition-failed`.

## References
- Examples of Amazon S3 bucket policies: https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html
- Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- Condition keys for Amazon S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
- Enforce conditional writes on Amazon S3 buckets: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
"#,
};

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
    /// The export as configured (its `acl`, the step's `headers` and `tags`, no
    /// `If-None-Match`).
    shape: ExportShape<'a>,
    caller: &'a Caller,
}

impl Export<'_> {
    /// Each request of an export that sends `acl` and `sse` headers, with IAM's verdict. With
    /// `sse` `None`, the store step's own encryption header (if any) is sent.
    fn evaluate(&self, acl: Option<&str>, sse: Option<&str>) -> SampledEvaluations {
        let shape = ExportShape {
            acl_header: acl,
            sse: sse.or(self.shape.sse),
            ..self.shape.clone()
        };
        evaluate_bucket_policy(self.policy, &shape)
    }

    fn exemption(&self) -> String {
        self.caller.exemption(&self.shape)
    }
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
        let text = match ctx.policy().await {
            Ok(Some(text)) => text,
            Ok(None) => {
                return Outcome::pass("no bucket policy: nothing in it can deny the upload")
                    .with_evidence("policy_statements", 0)
            }
            // On AWS, 405 is S3's answer to anyone outside the owner's account: the policy
            // exists or not, but only the owner may read it. Not "unsupported by the endpoint".
            Err(failure)
                if ctx.target.endpoint.is_none()
                    && (failure.status == Some(405) || failure.code_is("MethodNotAllowed")) =>
            {
                return Outcome::warn(
                    "the bucket policy could not be read: S3 answers GetBucketPolicy with 405 MethodNotAllowed to identities outside the bucket owner's account, so another account owns this bucket and its policy was not evaluated",
                    "Run the check once more with credentials of the bucket owner's account (and --principal naming the export user), or ask the owner whether a Deny statement matches s3:PutObject on the export path.",
                )
                .with_evidence("policy_readable", false)
            }
            Err(failure) => {
                return unreadable(
                    "the bucket policy",
                    "s3:GetBucketPolicy",
                    &ctx.bucket_arn(),
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
                || format!("{}/{}", ctx.bucket_arn(), ctx.probe_key()),
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
        if let Some(sse) = export.shape.sse {
            outcome = outcome.with_evidence("step_sse", sse);
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
        partition: ctx.partition(),
        ..ExportShape::of_target(&ctx.target)
    }
}

#[cfg(test)]
mod tests;
