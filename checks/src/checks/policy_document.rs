//! `policy-document`: a policy file, read offline, allows every request of one export.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::allow_statement;
use crate::iam::{
    diagnose_upload_policy, evaluate, required_actions, Decision, PolicyKind, PolicyRequest,
    Request,
};
use crate::{Context, Findings, Outcome};
use async_trait::async_trait;
use std::collections::BTreeMap;

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
unless `acl: bucket-default`) on the objects under the path's prefix. Explicit Deny wins over
Allow; `Action`/`NotAction`, `Resource`/`NotResource`, wildcards, conditions and policy variables
are honoured. What cannot be decided offline — a condition on the source IP, a policy variable —
is reported as "allowed only if …", never assumed.

It also names the classic mistakes: `s3:ListBucket` granted only on `BUCKET/*`, `s3:PutObject`
granted only on the bucket ARN, a prefix that does not cover `path`, a misspelled action, another
bucket's name. Without `--policy-file` the check is skipped.

## Why it matters
"Access Denied" says nothing about which statement is wrong. Reading the policy against the
exact requests finds the mistake before the first failed export, without credentials.

## How to fix
Use two statements, because the resources differ (`bucket-preflight policy BUCKET` writes them):
- `s3:ListBucket` (+ `s3:GetBucketLocation`) on `arn:aws:s3:::BUCKET`;
- `s3:PutObject` (+ `s3:PutObjectAcl`) on `arn:aws:s3:::BUCKET/PREFIX*`.

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
        let acl_header = target.acl.canned_header();
        let request = PolicyRequest {
            needs_location: target.bucket_region.is_none(),
            acl_header: acl_header.is_some(),
            ..PolicyRequest::new(&target.bucket, target.key_prefix())
        };
        let required = required_actions(&request);
        let mut context = BTreeMap::new();
        context.insert("aws:SecureTransport".to_owned(), vec!["true".to_owned()]);
        let mut absent = vec!["s3:x-amz-server-side-encryption"];
        match acl_header {
            Some(acl) => {
                context.insert("s3:x-amz-acl".to_owned(), vec![acl.to_owned()]);
            }
            None => absent.push("s3:x-amz-acl"),
        }
        let caller = match ctx.session() {
            Some(session) => session.identity().await.ok().map(|i| i.arn),
            None => None,
        };
        let principal = ctx.settings.principal.clone().or(caller);
        let is_bucket_policy = file.kind == PolicyKind::Resource;

        let mut found = Findings::default();
        let mut verdicts = serde_json::Map::new();
        // Named mistakes first: they say why the verdicts below come out as they do.
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
            found.fail(format!("{}{statement}", mistake.message), "Split bucket-level and object-level actions into two statements: `bucket-preflight policy BUCKET` prints a correct policy.");
        }
        let mut allowed = Vec::new();
        for need in &required {
            let evaluation = evaluate(
                &file.document,
                file.kind,
                &Request {
                    principal_arn: principal.as_deref(),
                    context: &context,
                    absent_keys: &absent,
                    ..Request::new(need.action, &need.resource)
                },
            );
            let what = format!("{} on {}", need.action, need.resource);
            verdicts.insert(what.clone(), serde_json::json!({"decision": evaluation.decision, "explanation": evaluation.explanation}));
            match evaluation.decision {
                Decision::Allowed => allowed.push(need.action),
                Decision::ExplicitDeny => found.fail(
                    format!("{what} is explicitly denied ({})", evaluation.explanation),
                    "Remove or narrow the Deny statement named above: an explicit deny overrides every Allow.",
                ),
                Decision::NotGranted if is_bucket_policy => found.warn(
                    format!("{what} is not granted by this bucket policy"),
                    "Nothing to change for a writer in the bucket's own account whose IAM policy allows it; a writer from another account needs an Allow for its principal here.",
                ),
                Decision::NotGranted => found.fail(
                    format!("{what} is not granted"),
                    format!("Add: {}", allow_statement(&sid_for(need.action), &[need.action], &need.resource)),
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
            .with_evidence("requests", serde_json::Value::Object(verdicts))
    }
}

/// A readable Sid for a statement granting `action`.
fn sid_for(action: &str) -> String {
    let name: String = action
        .split(':')
        .nth(1)
        .unwrap_or(action)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("Allow{name}")
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
        assert!(
            outcome
                .summary
                .contains("s3:ListBucket on arn:aws:s3:::my-bucket is not granted"),
            "{}",
            outcome.summary
        );
        assert!(
            outcome
                .summary
                .contains("s3:GetBucketLocation on arn:aws:s3:::my-bucket is not granted"),
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

    #[tokio::test]
    async fn without_a_file_it_skips() {
        let outcome = PolicyDocumentCheck
            .run(&Context::offline(Target::new("my-bucket")))
            .await;
        assert_eq!(outcome.status, Status::Skip);
    }
}
