//! `object-ownership`: Object Ownership accepts the upload's ACL header.

use crate::acl_rules::{predict, AclPrediction, BpaFlags, Ownership};
use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::reconcile;
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct ObjectOwnership;

static INFO: CheckInfo = CheckInfo {
    id: "object-ownership",
    title: "Object Ownership accepts the ACL",
    category: Category::Bucket,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads the bucket's Object Ownership (GetBucketOwnershipControls). `BucketOwnerEnforced` means
ACLs are disabled — the default for buckets created since April 2023 — and any upload carrying
an ACL header (`acl: public`, `public-read` or `private`) fails. No ownership controls at all
means ACLs are enabled, as on older buckets. With `acl: bucket-default` no ACL header is sent
and every setting passes.

## Why it matters
S3 answers such uploads with 400 `AccessControlListNotSupported` ("The bucket does not allow
ACLs"). `private` is affected too: it still sends `x-amz-acl: private`, which is not the same as
sending no ACL. (Whether S3 accepts `private` from a writer in the bucket owner's own account is
not confirmed; from another account it fails, so this check treats it as failing.)

## What it cannot see
Reading the setting needs `s3:GetBucketOwnershipControls`; without it the check warns naming
that permission and the dry run proves the upload. Whether S3 accepts `x-amz-acl: private` from
the bucket owner's own account is not confirmed: treated as failing, and the finding says so.

## How to fix
- Set `acl: bucket-default` in the store step; make files public, if needed, with a bucket
  policy or a CDN.
- Or, if per-file ACLs are really wanted, switch Object Ownership to `ObjectWriter` or
  `BucketOwnerPreferred` (S3 console → bucket → Permissions → Object Ownership → Edit →
  ACLs enabled).

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `AccessControlListNotSupported` (Transloadit: `S3_STORE_ACCESS_DENIED`): the upload sent an ACL to a
  bucket whose Object Ownership is bucket owner enforced — cause `acls-disabled`.

## References
- Controlling ownership of objects: https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
- Troubleshooting AccessControlListNotSupported: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html
"#,
};

#[async_trait]
impl Check for ObjectOwnership {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let acl = ctx.target.acl;
        let ownership = match ctx.ownership().await {
            Ok(ownership) => *ownership,
            Err(failure) => {
                return unreadable(
                    "Object Ownership",
                    "s3:GetBucketOwnershipControls",
                    &ctx.bucket_arn(),
                    "ReadObjectOwnership",
                    failure,
                )
            }
        };
        let setting = ownership.map_or(
            "no ownership controls, as on buckets created before April 2023",
            Ownership::as_str,
        );
        let outcome = match predict(acl, ownership, BpaFlags::default()) {
            AclPrediction::AclsDisabled => Outcome::fail(
                format!("ACLs are disabled (BucketOwnerEnforced): uploads with `acl: {acl}` get 400 AccessControlListNotSupported"),
                "Set `acl: bucket-default` (make files public with a bucket policy or a CDN if needed), or switch Object Ownership to ObjectWriter or BucketOwnerPreferred (S3 console → bucket → Permissions → Object Ownership → ACLs enabled).",
            )
            .with_detail(match acl.canned_header() {
                Some("private") => "`private` still sends the header x-amz-acl: private; only `bucket-default` sends none.",
                _ => "S3 refuses every ACL header except bucket-owner-full-control when ACLs are disabled.",
            })
            // The report reconciles this with a dry run that was accepted all the same.
            .with_evidence(reconcile::PREDICTS, reconcile::PREDICTS_REFUSED),
            _ if acl.canned_header().is_none() => Outcome::pass(format!("no ACL header is sent, so Object Ownership ({setting}) does not matter")),
            _ => Outcome::pass(format!("ACLs are enabled ({setting}): `acl: {acl}` is accepted")),
        };
        outcome.with_evidence(
            "object_ownership",
            ownership.map_or("none", Ownership::as_str),
        )
    }
}
