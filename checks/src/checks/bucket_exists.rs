//! `bucket-exists`: the bucket exists and these credentials can reach it.

use crate::bucket_owner::OwnerClaim;
use crate::check::{Category, Check, CheckInfo};
use crate::denial::allow_statement;
use crate::facts::Existence;
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct BucketExists;

static INFO: CheckInfo = CheckInfo {
    id: "bucket-exists",
    title: "Bucket exists and is reachable",
    category: Category::Bucket,
    online: true,
    requires: &["credentials"],
    docs: r#"## What it checks
Sends HeadBucket for the bucket. 200: it exists and these credentials may use it. 404: no
bucket of that name exists in any account. 403: the bucket exists, but these credentials may not
use it, or another account owns the name. With `--expected-owner ACCOUNT` the request carries
`x-amz-expected-bucket-owner`, so S3 also confirms who owns the bucket; a second HeadBucket
naming another account as owner must then be refused, or the endpoint does not check the header
and the owner is reported as not verified (a warning, never a pass). A wrong-region answer is
followed to the bucket's region, never reported as a permission problem.

## Why it matters
Bucket names are global. A typo, a bucket deleted by a clean-up, or a name that belongs to
somebody else's account makes every export fail, and S3's answer to the export (`NoSuchBucket`
or a bare `AccessDenied`) rarely says which.

## What it cannot see
A 403 on HeadBucket cannot tell "exists, but these credentials may not use it" from "another
account's bucket": the report names both. Who owns the bucket is verified only where S3 answers
`x-amz-expected-bucket-owner` (`--expected-owner`); an endpoint that ignores it gets a warning,
never a pass.

## How to fix
- 404: check the spelling of `bucket`, or create the bucket (S3 console → Create bucket, or
  `aws s3 mb s3://BUCKET --region REGION`).
- 403: grant the export user `s3:ListBucket` on `arn:aws:s3:::BUCKET` (HeadBucket is authorised
  as ListBucket). If the bucket belongs to another account, its bucket policy must grant this
  principal access; pass `--expected-owner ACCOUNT` to confirm the owner.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `NoSuchBucket` / `S3_STORE_NOT_FOUND`: cause `no-such-bucket`.
- `AllAccessDisabled`: cause `access-disabled`.

## References
- HeadBucket: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
- Verifying bucket ownership: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
"#,
};

#[async_trait]
impl Check for BucketExists {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let bucket = &ctx.target.bucket;
        let head = match ctx.head().await {
            Ok(head) => head,
            Err(failure) if failure.is_not_implemented() => {
                return Outcome::skip(format!(
                    "HeadBucket is not supported by this endpoint ({failure})"
                ))
            }
            Err(failure) => return Outcome::error(
                format!("could not reach bucket `{bucket}`: {failure}"),
                failure.fix_or(
                    "Check the network path to S3 (proxy, firewall, --endpoint-url) and run again.",
                ),
            ),
        };
        let principal = match ctx.session() {
            Some(session) => session.identity().await.ok().map(|i| i.arn),
            None => None,
        };
        let with_region = |outcome: Outcome| match (&head.region, &head.redirected_from) {
            (Some(region), Some(from)) => outcome
                .with_evidence("region", region.as_str())
                .with_evidence("redirected_from", from.as_str()),
            (Some(region), None) => outcome.with_evidence("region", region.as_str()),
            _ => outcome,
        };
        let outcome = match head.existence {
            Existence::Reachable => match (ctx.settings.expected_owner.as_deref(), ctx.expected_owner_claim().await) {
                (Some(account), Some(OwnerClaim::Confirmed)) => Outcome::pass(format!("bucket `{bucket}` exists, owned by account {account} (S3 confirmed x-amz-expected-bucket-owner), and these credentials can reach it")),
                (Some(account), Some(OwnerClaim::HeaderIgnored { control_account })) => Outcome::warn(
                    format!("bucket `{bucket}` exists and these credentials can reach it, but its owner is not verified: the endpoint also answered 200 when account {control_account} was named as owner, so it does not check x-amz-expected-bucket-owner and its 200 says nothing about account {account}{}", caller_differs(principal.as_deref(), account)),
                    format!("Confirm the owner another way (on AWS: `aws s3api head-bucket --bucket {bucket} --expected-bucket-owner {account}` answers 403 for a wrong owner); the export itself does not send the header."),
                ),
                (Some(account), Some(OwnerClaim::Unchecked(why))) => Outcome::warn(
                    format!("bucket `{bucket}` exists and these credentials can reach it, but whether account {account} owns it could not be confirmed ({why})"),
                    "Run again; if it persists, check the network path to S3 (proxy, firewall, --endpoint-url).",
                ),
                _ => Outcome::pass(format!("bucket `{bucket}` exists and these credentials can reach it")),
            },
            Existence::Missing => {
                // The command must work when pasted: a valid name, a real region code.
                let corrected = ctx.target.corrected();
                let region = corrected.bucket_region.as_deref().unwrap_or("REGION");
                let create = if corrected.bucket == *bucket {
                    format!("or create it: `aws s3 mb s3://{bucket} --region {region}`")
                } else {
                    let name = &corrected.bucket;
                    format!("or create one under a valid name and set `bucket: {name}`: `aws s3 mb s3://{name} --region {region}`")
                };
                Outcome::fail(
                    format!("no bucket named `{bucket}` exists"),
                    format!("Check the spelling of `bucket` (names are global and exact), {create}."),
                )
            }
            Existence::Forbidden => {
                let who = principal.as_deref().unwrap_or("these credentials");
                let grant = allow_statement("ListExportBucket", &["s3:ListBucket"], &ctx.bucket_arn());
                match &ctx.settings.expected_owner {
                    Some(account) => Outcome::fail(
                        format!("bucket `{bucket}` answered 403: either account {account} does not own it, or {who} may not use it"),
                        format!("Check that account {account} owns `{bucket}`; if it does, add to the export user's IAM policy: {grant}"),
                    ),
                    None => Outcome::fail(
                        format!("bucket `{bucket}` exists, but {who} may not use it (HeadBucket answered 403)"),
                        format!("Add to the export user's IAM policy: {grant}. If the bucket belongs to another account, its bucket policy must also grant {who} access; pass --expected-owner ACCOUNT to confirm who owns it."),
                    ),
                }
            }
        };
        with_region(outcome)
    }
}

/// ", and these credentials belong to account X" when the caller's account (from its ARN) is
/// not the claimed owner: worth knowing when the claim could not be verified.
fn caller_differs(caller_arn: Option<&str>, claimed: &str) -> String {
    match caller_arn.and_then(|arn| arn.split(':').nth(4)) {
        Some(account) if !account.is_empty() && account != claimed => {
            format!(" (these credentials belong to account {account})")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::{s3_error, Replay};

    #[tokio::test]
    async fn the_create_command_uses_the_corrected_name_and_region() {
        let (session, _) = Replay::new()
            .identity()
            .on(
                "HEAD",
                "amazonaws.com",
                404,
                &[],
                &s3_error("NoSuchBucket", "The specified bucket does not exist"),
            )
            .session(Default::default())
            .await;
        let mut target = crate::Target::new("ACME-EXPORTS");
        target.bucket_region = Some("EU".into());
        let outcome = BucketExists
            .run(&Context::online(target, std::sync::Arc::new(session)))
            .await;
        assert_eq!(outcome.status, crate::Status::Fail, "{outcome:?}");
        let fix = outcome.remediation.unwrap();
        assert!(
            fix.contains(
                "set `bucket: acme-exports`: `aws s3 mb s3://acme-exports --region eu-west-1`"
            ),
            "{fix}"
        );
        assert!(
            !fix.contains("ACME-EXPORTS") && !fix.contains("--region EU"),
            "{fix}"
        );
    }
}
