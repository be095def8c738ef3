//! `policy-document`: a policy file, read offline, allows every request of one export.

use crate::check::{Category, Check, CheckInfo};
use crate::iam::{
    diagnose_upload_policy, evaluate_export, statement_granting, Decision, ExportShape,
    MistakeKind, PolicyKind, PolicyRequest, RequiredAction,
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
evaluates offline, with IAM's evaluation rules, whether each request one export makes is allowed
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
are reported as `warn` naming the condition, never as a pass.

## How to fix
Use two statements, because the resources differ (`bucket-preflight policy BUCKET` writes them):
- `s3:ListBucket` (+ `s3:GetBucketLocation`) on `arn:aws:s3:::BUCKET`;
- `s3:PutObject` (+ `s3:PutObjectAcl`, `s3:PutObjectTagging` with `tags`, `s3:GetObject`
  with `sign_urls_for`) on `arn:aws:s3:::BUCKET/PREFIX*`.

## References
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
        let request = PolicyRequest {
            partition: ctx.partition(),
            ..PolicyRequest::of_target(target)
        };
        let caller = match ctx.session() {
            Some(session) => session.identity().await.ok().map(|i| i.arn),
            None => None,
        };
        let principal = ctx.settings.principal.clone().or(caller);
        let is_bucket_policy = file.kind == PolicyKind::Resource;
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
                .map(|s| format!(" (statement {s})"))
                .unwrap_or_default();
            let message = format!("{}{statement}", mistake.message);
            let grant = mistake.action.and_then(grant_for);
            explained.extend(mistake.action);
            let fix = match (mistake.kind, grant) {
                // AWS adds actions: an action missing from our list is never a failure.
                (MistakeKind::UnknownAction, _) => {
                    found.warn(message, "Check the action's spelling against the service authorization reference: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html");
                    continue;
                }
                (MistakeKind::BucketActionOnObjectArn, Some(grant)) => format!("Split bucket-level and object-level actions into two statements; the bucket-level one, as `bucket-preflight policy` writes it: {grant}"),
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
            .with_evidence("requests", serde_json::Value::Object(verdicts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::parse_policy;
    use crate::{Acl, PolicyFile, Settings, Status, Target};

    async fn run(policy: &str, kind: PolicyKind, configure: impl FnOnce(&mut Target)) -> Outcome {
        let mut target = Target::new("my-bucket");
        configure(&mut target);
        let file = PolicyFile {
            name: "p.json".into(),
            kind,
            document: parse_policy(policy).unwrap(),
        };
        let settings = Settings {
            policy_document: Some(file),
            ..Default::default()
        };
        PolicyDocumentCheck
            .run(&Context::offline(target).with_settings(settings))
            .await
    }

    const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation","s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#;
    const SPLIT: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"ListExportBucket","Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::my-bucket"},
        {"Sid":"WriteExportedFiles","Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#;

    #[tokio::test]
    async fn the_seed_policy_mistake_is_pinpointed() {
        let outcome = run(SEED, PolicyKind::Identity, |_| {}).await;
        assert_eq!(outcome.status, Status::Fail);
        // Each action's problem is said once: by the named mistake, not again as "not granted".
        assert!(
            !outcome.summary.contains("is not granted"),
            "{}",
            outcome.summary
        );
        assert!(
            outcome.summary.contains(
                "s3:GetBucketLocation is granted only on arn:aws:s3:::my-bucket/*, an object ARN"
            ),
            "{}",
            outcome.summary
        );
        assert!(
            outcome.summary.starts_with(
                "s3:ListBucket is granted only on arn:aws:s3:::my-bucket/*, an object ARN"
            ),
            "names the ListBucket-on-/* mistake first: {}",
            outcome.summary
        );
        assert!(outcome
            .remediation
            .unwrap()
            .contains(r#""Resource":"arn:aws:s3:::my-bucket""#));
    }

    #[tokio::test]
    async fn the_split_policy_passes() {
        let outcome = run(SPLIT, PolicyKind::Identity, |_| {}).await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    }

    #[tokio::test]
    async fn what_the_upload_needs_follows_the_parameters() {
        let only_put = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"},
            {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/exports/*"}]}"#;
        let outcome = run(only_put, PolicyKind::Identity, |t| {
            t.acl = Acl::BucketDefault;
            t.bucket_region = Some("eu-west-1".into());
            t.path = "exports/${file.url_name}".into();
        })
        .await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
        let outcome = run(only_put, PolicyKind::Identity, |t| {
            t.bucket_region = Some("eu-west-1".into())
        })
        .await;
        assert_eq!(
            outcome.status,
            Status::Fail,
            "acl public needs PutObjectAcl, the default path is outside exports/"
        );
    }

    #[tokio::test]
    async fn bucket_policies_fail_only_on_explicit_denies() {
        let deny_acl = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoPublicAcl","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*","Condition":{"StringEquals":{"s3:x-amz-acl":"public-read"}}}]}"#;
        let outcome = run(deny_acl, PolicyKind::Resource, |_| {}).await;
        assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
        assert!(
            outcome.summary.contains("explicitly denied"),
            "{}",
            outcome.summary
        );
        let outcome = run(deny_acl, PolicyKind::Resource, |t| {
            t.acl = Acl::BucketDefault
        })
        .await;
        assert_eq!(
            outcome.status,
            Status::Warn,
            "not granted by a bucket policy is only a warning: {outcome:#?}"
        );
    }

    /// The split policy plus `extra` statements.
    fn split_with(extra: &str) -> String {
        SPLIT.replacen("]}", &format!(",{extra}]}}"), 1)
    }

    #[tokio::test]
    async fn identity_policies_meet_the_export_request_by_request() {
        let bucket_only = |t: &mut Target| {
            t.bucket_region = Some("eu-west-1".into());
            t.path = "exports/${unique_prefix}/${file.url_name}".into();
        };
        // (case, policy, expected status, text the outcome must contain)
        let cases: Vec<(&str, String, Status, &str)> = vec![
            (
                "an Allow conditioned on x-amz-acl does not grant ListBucket",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:x-amz-acl":"public-read"}}}]}"#.into(),
                Status::Fail,
                "s3:ListBucket on arn:aws:s3:::my-bucket is not granted",
            ),
            (
                "a StringNotEquals Deny on x-amz-acl hits ListBucket",
                split_with(r#"{"Sid":"PublicOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}}"#),
                Status::Fail,
                "s3:ListBucket on arn:aws:s3:::my-bucket is explicitly denied",
            ),
            (
                "an expired grant grants nothing",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}"#.into(),
                Status::Fail,
                "is not granted",
            ),
            (
                "a grant on one sample file does not cover real keys",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"},{"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/exports/example.jpg"}]}"#.into(),
                Status::Fail,
                "which does not cover arn:aws:s3:::my-bucket/exports/f2/d3eeeb67479f11f8b091b04f6181ad/Summer-holiday-_1_.jpg where files are written: grant it on arn:aws:s3:::my-bucket/exports/*",
            ),
            (
                "a grant on one extension depends on the file name",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"},{"Effect":"Allow","Action":["s3:PutObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::my-bucket/exports/*.jpg"}]}"#.into(),
                Status::Warn,
                "s3:PutObject depends on the file name",
            ),
            (
                "a Deny on nested keys hits the unique prefix's slash",
                split_with(r#"{"Sid":"FlatOnly","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/exports/*/*"}"#),
                Status::Fail,
                "explicitly denied by statement \"FlatOnly\"",
            ),
            (
                "real actions are not typos",
                split_with(r#"{"Effect":"Allow","Action":["s3:BypassGovernanceRetention","s3:GetAccelerateConfiguration","s3:PutBucketNotification","s3:ReplicateObject"],"Resource":"*"}"#),
                Status::Pass,
                "allows every request",
            ),
            (
                "an unknown action is at most a warning",
                split_with(r#"{"Effect":"Allow","Action":"s3:GetAcelerateConfiguration","Resource":"*"}"#),
                Status::Warn,
                "did you mean \"s3:GetAccelerateConfiguration\"",
            ),
        ];
        let mut failures = Vec::new();
        for (case, policy, status, needle) in cases {
            let outcome = run(&policy, PolicyKind::Identity, bucket_only).await;
            let text = format!(
                "{} {}",
                outcome.summary,
                outcome.remediation.as_deref().unwrap_or_default()
            );
            if outcome.status != status || !text.contains(needle) {
                failures.push(format!(
                    "{case}: expected {status:?} with {needle:?}, got {:?}: {text}",
                    outcome.status
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[tokio::test]
    async fn remediations_grant_the_prefix_as_the_policy_command_does() {
        let list_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::my-bucket"}]}"#;
        let outcome = run(list_only, PolicyKind::Identity, |t| {
            t.bucket_region = Some("eu-west-1".into());
            t.path = "exports/${unique_prefix}/${file.url_name}".into();
        })
        .await;
        assert_eq!(outcome.status, Status::Fail);
        let remediation = outcome.remediation.unwrap();
        let expected = crate::iam::minimal_policy(&PolicyRequest {
            acl_header: true,
            ..PolicyRequest::new("my-bucket", "exports/")
        })["Statement"][1]
            .to_string();
        assert!(
            remediation.contains(&expected),
            "{remediation} lacks {expected}"
        );
        assert!(remediation.contains(r#""Resource":"arn:aws:s3:::my-bucket/exports/*""#));
    }

    #[tokio::test]
    async fn without_a_file_it_skips() {
        let outcome = PolicyDocumentCheck
            .run(&Context::offline(Target::new("my-bucket")))
            .await;
        assert_eq!(outcome.status, Status::Skip);
    }
}
