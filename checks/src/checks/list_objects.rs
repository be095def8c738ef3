//! `list-objects`: the export user may list the bucket.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::{grant_remediation, Denial};
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct ListObjects;

static INFO: CheckInfo = CheckInfo {
    id: "list-objects",
    title: "Listing the bucket is allowed",
    category: Category::Permissions,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Sends ListObjectsV2 for at most one key under the path's fixed prefix, as the export service
does after each upload to confirm the file arrived.

## Why it matters
ListObjectsV2 is authorised as `s3:ListBucket` on the **bucket** ARN (`arn:aws:s3:::BUCKET`),
not on the objects. The most common broken policy grants every action on `arn:aws:s3:::BUCKET/*`
only: uploads are allowed, and the listing that follows is denied.

## What it cannot see
It proves the caller's own `s3:ListBucket`, from this machine. Conditions on where the request
comes from (`aws:SourceIp`, VPC endpoints) can treat the export service's listing differently:
`bucket-policy` warns about such conditions. With `--principal`, this is still the caller's
listing; `iam-simulation` covers the principal.

## How to fix
Add a statement on the bucket ARN, without `/*`:
`{"Sid":"ListExportBucket","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::BUCKET"}`

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `AccessDenied` on the listing the export makes first (`s3:ListBucket` missing).

## References
- ListObjectsV2: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
- Actions, resources and condition keys for S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
"#,
};

#[async_trait]
impl Check for ListObjects {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let prefix = ctx.target.key_prefix();
        // Sent by the first wave with the other reads (see `facts/first_wave.rs`).
        let answer = ctx.export_listing().await.clone();
        let shown_prefix = if prefix.is_empty() {
            "the whole bucket".to_owned()
        } else {
            format!("prefix `{prefix}`")
        };
        match answer {
            Ok(key_count) => {
                let caller = match ctx.session() {
                    Some(session) => session.identity().await.ok().map(|i| i.arn),
                    None => None,
                };
                // With --principal, this listing is the caller's, not the export's: a pass would
                // be a pass for the wrong identity.
                let outcome = match ctx.settings.principal.as_deref() {
                    Some(principal) if caller.as_deref() != Some(principal) => Outcome::warn(
                        format!(
                            "listing {shown_prefix} is allowed for {}, which proves nothing for --principal {principal}",
                            caller.as_deref().unwrap_or("the caller")
                        ),
                        "iam-simulation and bucket-policy judge the principal's s3:ListBucket; to prove it, run once more with the principal's own credentials.",
                    ),
                    _ => Outcome::pass(format!("listing {shown_prefix} is allowed")),
                };
                outcome.with_evidence("key_count", key_count)
            }
            Err(failure) if failure.is_not_implemented() => Outcome::skip(format!(
                "ListObjectsV2 is not supported by this endpoint ({failure})"
            )),
            Err(failure) if failure.is_access_denied() => {
                let outcome = Outcome::fail(
                    "s3:ListBucket is denied: the export service lists the bucket to confirm each upload",
                    grant_remediation("s3:ListBucket", &ctx.bucket_arn(), "ListExportBucket", &failure),
                )
                .with_evidence("denied_permission", "s3:ListBucket")
                .with_evidence("resource", ctx.bucket_arn());
                match Denial::from_failure(&failure) {
                    Some(denial) => outcome.with_detail(denial.describe()),
                    None => outcome.with_detail(format!("S3 gave no reason (it does not for cross-account requests). Likely causes, in order: the IAM policy grants s3:ListBucket only on {0}/* instead of the bucket ARN {0}; a Deny in the bucket policy; a service control policy.", ctx.bucket_arn())),
                }
            }
            Err(failure) => Outcome::error(
                format!("could not list the bucket: {failure}"),
                failure.fix_or("Run again; if it persists, check the network path to S3."),
            ),
        }
    }
}
