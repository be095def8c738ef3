//! `policy-document`: a policy file, read offline, allows every request of one export.

use crate::check::{Category, Check, CheckInfo};
use crate::iam::{
    diagnose_upload_policy, evaluate_export, statement_granting, validate_policy, Decision,
    ExportShape, GrammarFinding, MistakeKind, PolicyKind, PolicyRequest, PolicyTarget,
    RequiredAction, Severity,
};
use crate::{Context, Findings, Outcome};
use async_trait::async_trait;

pub struct PolicyDocumentCheck;

static INFO: CheckInfo = CheckInfo {
    id: "policy-document",
    title: "Policy file allows the upload",
    category: Category::Permissions,
    online: false,
    requires: &[],
    docs: r#"## What it checks
With `--policy-file FILE` (an identity policy, or a bucket policy with `--policy-kind bucket`),
it first checks the grammar AWS enforces when the policy is saved — the rules IAM Access
Analyzer's policy validation checks, each labelled by what AWS really does. The check fails with "AWS will refuse
to save this policy: …", naming the statement (Sid and position) and the rule, when IAM
(`MalformedPolicyDocument`) or S3 (`MalformedPolicy`) would refuse it:
- an action without its service prefix (`ListBucket`) or with two colons;
- an identity policy's `Sid` with anything but ASCII letters and digits (Transloadit's example
  `AllowTransloaditToStoreFilesIn{BUCKET_NAME}Bucket` with `my-bucket`: the hyphen); bucket
  policies accept free text;
- duplicate `Sid`s in an identity policy (in a bucket policy: a warning);
- `Principal`/`NotPrincipal` in an identity policy; a bucket policy statement without one;
  an AWS principal that is neither `*`, an account id nor an ARN;
- a statement without `Resource`; a resource that is not an ARN (`my-bucket/*`), has too few
  parts or an unknown partition;
- in a bucket policy: a resource of another service (`arn:aws:sqs:…`) or another bucket, an S3
  ARN with a region or account, an action that acts on none of the statement's resources
  (`s3:ListBucket` with only `BUCKET/*`);
- a `Version` other than `2012-10-17` and `2008-10-17`.
It warns about what AWS saves but does not do what it seems to: policy variables
(`${aws:username}`) under `"Version": "2008-10-17"` or without `Version` (matched literally),
`NotPrincipal` with `Allow` (everyone else, anonymous callers included), a resource of another
service in an identity policy statement of S3 actions only (grants nothing). The verdict never
passes a document AWS would refuse, but the evaluation below still runs for what it can.

Then it evaluates offline, with IAM's evaluation rules, whether each request one export makes is allowed
on the exact resource it acts on: `s3:ListBucket` (and `s3:GetBucketLocation` when
`bucket_region` is not set) on `arn:aws:s3:::BUCKET`; `s3:PutObject` (and `s3:PutObjectAcl`
unless `acl: bucket-default`, `s3:PutObjectTagging` with `tags`, `s3:GetObject` with
`sign_urls_for`) on keys shaped like the real ones — the `path` template expanded
for several sample files (`${unique_prefix}` holds a `/`; names with and without extensions).
When the verdict differs between them, it says that it depends on the file name. Explicit Deny
wins over Allow; `Action`/`NotAction`, `Resource`/`NotResource`, wildcards, conditions (dates
against the current time included) and policy variables are honoured. Each request carries only
the condition keys AWS sets for that action (`s3:x-amz-acl` on the object requests, never on
ListBucket; the step's encryption and other condition-key headers and its `tags` as
`s3:RequestObjectTag/*`; no `If-None-Match`), `aws:SecureTransport` for the endpoint's
scheme, and the caller (`--principal`, else the credentials' identity). What cannot be decided
offline — a condition on the source IP, a policy variable — is reported as "allowed only if …",
never assumed.

It also names the classic mistakes: `s3:ListBucket` granted only on `BUCKET/*`, `s3:PutObject`
granted only on the bucket ARN, a prefix that does not cover `path`, another bucket's name, and
(as a warning only) an action missing from the S3/KMS action list of the service authorization
reference, with the closest real action. Without `--policy-file` the check is skipped.

## Why it matters
"Access Denied" says nothing about which statement is wrong. Reading the policy against the
exact requests finds the mistake before the first failed export, without credentials.

## What it cannot see
It sees only the policy file it is given: the service control and resource control policies of
an AWS Organization, permission boundaries, session policies, the bucket policy and KMS key
policies are not in it. Conditions on where a request comes from (`aws:SourceIp`,
`aws:SourceVpc`, `aws:SourceVpce`, `aws:VpcSourceIp`) cannot be decided offline: such statements
are reported as `warn` naming the condition, never as a pass. Whether a principal exists (S3
refuses an unknown one: "Invalid principal in policy") and whether a policy fits IAM's size
quotas need AWS; they are not checked offline.

## How to fix
Use two statements, because the resources differ (`bucket-preflight policy BUCKET` writes them):
- `s3:ListBucket` (+ `s3:GetBucketLocation`) on `arn:aws:s3:::BUCKET`;
- `s3:PutObject` (+ `s3:PutObjectAcl`, `s3:PutObjectTagging` with `tags`, `s3:GetObject`
  with `sign_urls_for`) on `arn:aws:s3:::BUCKET/PREFIX*`.

For a policy AWS refuses, apply the fix named with each rule: rename the Sid to the one given
(letters and digits only, e.g. `AllowTransloaditToStoreFilesInmyBucketBucket`), remove
`Principal` from an identity policy (or pass `--policy-kind bucket` if it is a bucket policy),
add `"Principal"` to each bucket policy statement, write resources as full ARNs of this bucket,
and set `"Version": "2012-10-17"`. Statements suggested for a bucket policy name `--principal`
(or a placeholder `ACCOUNT_ID`/`EXPORTER` to replace).

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `AccessDenied` / `S3_STORE_ACCESS_DENIED` `because no identity-based policy allows` the action,
  when the policy file is the writer's: cause `identity-policy-no-allow`.

## References
- IAM policy validation check reference (Access Analyzer): https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
- IAM JSON policy elements, Sid: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
- Policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- IAM JSON policy elements: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
- Actions, resources and condition keys for S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
"#,
};

#[async_trait]
impl Check for PolicyDocumentCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let Some(file) = &ctx.settings.policy_document else {
            return Outcome::skip("no --policy-file given");
        };
        let target = &ctx.target;
        let caller = match ctx.session() {
            Some(session) => session.identity().await.ok().map(|i| i.arn),
            None => None,
        };
        let principal = ctx.settings.principal.clone().or(caller);
        let is_bucket_policy = file.kind == PolicyKind::Resource;
        // S3 refuses a bucket policy statement without Principal, so statements suggested for
        // one name the export's principal — or a placeholder to replace when it is unknown.
        let suggested_principal = is_bucket_policy.then(|| {
            principal
                .clone()
                .unwrap_or_else(|| format!("arn:{}:iam::ACCOUNT_ID:user/EXPORTER", ctx.partition()))
        });
        let request = PolicyRequest {
            partition: ctx.partition(),
            principal: suggested_principal.as_deref(),
            ..PolicyRequest::of_target(target)
        };
        let shape = ExportShape {
            caller_arn: principal.as_deref(),
            partition: ctx.partition(),
            ..ExportShape::of_target(target)
        };
        // Every request on keys shaped like the real ones, not one sample file.
        let required: Vec<RequiredAction> = shape
            .requests()
            .into_iter()
            .map(|request| RequiredAction {
                action: request.action,
                resource: request.resource,
            })
            .collect();

        let mut found = Findings::default();
        let mut verdicts = serde_json::Map::new();
        // Grammar first: a document AWS refuses to save never takes effect, however well it
        // would evaluate. Evaluation still runs below for what can be evaluated.
        let grammar = validate_policy(
            &file.document,
            &PolicyTarget {
                kind: file.kind,
                bucket: &target.bucket,
                partition: ctx.partition(),
            },
        );
        report_grammar(&grammar, &mut found);
        // The statement the `policy` command writes for an action: every fix names it, so that
        // what is pasted is what `policy` would generate.
        let grant_for = |action: &str| {
            statement_granting(&request, action).map(|statement| statement.to_string())
        };
        // Named mistakes first: they say why the verdicts below come out as they do. An action
        // a mistake explains is not reported again as "not granted".
        let mut explained: Vec<&str> = Vec::new();
        for mistake in diagnose_upload_policy(
            &file.document,
            &target.bucket,
            target.key_prefix(),
            &required,
        ) {
            let statement = mistake
                .statement
                .as_ref()
                .map(|s| format!(" (statement {s})"))
                .unwrap_or_default();
            let message = format!("{}{statement}", mistake.message);
            let grant = mistake.action.and_then(grant_for);
            explained.extend(mistake.action);
            // "Split" only when the statement really mixes bucket and object actions.
            let mixes_object_actions = mistake
                .statement
                .as_deref()
                .and_then(|name| file.document.statements.iter().find(|s| s.name() == name))
                .is_some_and(|statement| statement.names_action("s3:PutObject"));
            let fix = match (mistake.kind, grant) {
                // AWS adds actions: an action missing from our list is never a failure.
                (MistakeKind::UnknownAction, _) => {
                    found.warn(message, "Check the action's spelling against the service authorization reference: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html");
                    continue;
                }
                // The grammar findings above already say these, as refusals.
                (
                    MistakeKind::ResourceNotArn
                    | MistakeKind::MissingResource
                    | MistakeKind::ActionWithoutService,
                    _,
                ) => continue,
                (MistakeKind::WrongBucket, _) if is_bucket_policy => continue,
                (MistakeKind::BucketActionOnObjectArn, Some(grant)) if mixes_object_actions => format!("Split bucket-level and object-level actions into two statements; the bucket-level one, as `bucket-preflight policy` writes it: {grant}"),
                (_, Some(grant)) => format!("Add: {grant}"),
                (_, None) => "Name the export's resources by ARN: `bucket-preflight policy BUCKET` prints a correct policy.".to_owned(),
            };
            found.fail(message, fix);
        }
        let mut allowed = Vec::new();
        for verdict in evaluate_export(&file.document, file.kind, &shape) {
            let evaluation = &verdict.evaluation;
            let what = format!("{} on {}", verdict.action, verdict.resource);
            verdicts.insert(what.clone(), serde_json::json!({"decision": evaluation.decision, "explanation": evaluation.explanation, "depends_on_file_name": verdict.depends_on_file_name}));
            let grant = statement_granting(&request, verdict.action)
                .map(|statement| statement.to_string())
                .unwrap_or_else(|| {
                    format!("an Allow of {} on {}", verdict.action, verdict.resource)
                });
            match evaluation.decision {
                Decision::Allowed => allowed.push(verdict.action),
                Decision::ExplicitDeny => found.fail(
                    format!("{what} is explicitly denied ({})", evaluation.explanation),
                    "Remove or narrow the Deny statement named above: an explicit deny overrides every Allow.",
                ),
                Decision::NotGranted if is_bucket_policy => found.warn(
                    format!("{what} is not granted by this bucket policy"),
                    "Nothing to change for a writer in the bucket's own account whose IAM policy allows it; a writer from another account needs an Allow for its principal here.",
                ),
                // Already explained by a named mistake, with its fix.
                Decision::NotGranted if explained.contains(&verdict.action) => {}
                Decision::NotGranted => found.fail(
                    if evaluation.explanation.starts_with(&what) {
                        evaluation.explanation.clone()
                    } else {
                        format!("{what} is not granted ({})", evaluation.explanation)
                    },
                    format!("Add: {grant}"),
                ),
                Decision::Conditional if verdict.depends_on_file_name => found.warn(
                    evaluation.explanation.clone(),
                    format!("Grant (and deny) by prefix, not by file name or extension: the export writes any file name under the path. The statement the `policy` command writes: {grant}"),
                ),
                Decision::Conditional => found.warn(evaluation.explanation.clone(), "Make sure the condition holds for the export service's requests, or grant the action without it."),
            }
        }
        found
            .into_outcome(format!(
                "{} allows every request of the upload ({})",
                file.name,
                allowed.join(", ")
            ))
            .with_evidence("policy_file", file.name.as_str())
            .with_evidence(
                "policy_kind",
                if is_bucket_policy {
                    "bucket"
                } else {
                    "identity"
                },
            )
            .with_evidence("sample_keys", serde_json::json!(shape.sample_keys()))
            .with_evidence("grammar", serde_json::json!(grammar))
            .with_evidence("requests", serde_json::Value::Object(verdicts))
    }
}

/// Refusals make one failure ("AWS will refuse to save this policy: ..."), each naming its
/// statement and rule; what AWS saves but treats surprisingly warns.
fn report_grammar(grammar: &[GrammarFinding], found: &mut Findings) {
    let fix_of = |finding: &GrammarFinding| match &finding.statement {
        Some(statement) => format!("In {statement}: {}", finding.fix),
        None => finding.fix.clone(),
    };
    let (refused, surprising): (Vec<&GrammarFinding>, Vec<&GrammarFinding>) = grammar
        .iter()
        .partition(|finding| finding.severity == Severity::Refused);
    if !refused.is_empty() {
        let reasons: Vec<String> = refused.iter().map(|f| f.sentence()).collect();
        let mut fixes: Vec<String> = Vec::new();
        for fix in refused.iter().map(|f| fix_of(f)) {
            if !fixes.contains(&fix) {
                fixes.push(fix);
            }
        }
        found.fail(
            format!(
                "AWS will refuse to save this policy: {}",
                reasons.join("; ")
            ),
            fixes.join(" "),
        );
    }
    for finding in surprising {
        found.warn(finding.sentence(), fix_of(finding));
    }
}

#[cfg(test)]
mod tests;
