//! `block-public-access`: Block Public Access lets the chosen ACL through.

use crate::acl_rules::BpaFlags;
use crate::api_error::ApiFailure;
use crate::check::{Category, Check, CheckInfo};
use crate::denial::{bucket_arn, unreadable};
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct BlockPublicAccess;

static INFO: CheckInfo = CheckInfo {
    id: "block-public-access",
    title: "Block Public Access allows the ACL",
    category: Category::Bucket,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads Block Public Access at the bucket (GetPublicAccessBlock) and at the account (S3 Control
GetPublicAccessBlock for the caller's account) and combines them: a switch that is on at either
level is on. With `acl: public` (or `public-read`):
- `BlockPublicAcls` on → failure: S3 refuses the upload with 403 AccessDenied;
- `IgnorePublicAcls` on → failure: the upload succeeds, but the file is not public.
With `private` or `bucket-default` the settings are shown and pass. Settings that cannot be
read give a warning naming the permission, never a pass. Organisation-level policies are not
visible to this check.

## Why it matters
Since April 2023 new buckets have all four switches on, so the default `acl: public` of the
store step fails on every new bucket with a bare AccessDenied.

## How to fix
Choose one:
- Keep files private to S3 and public through a CDN or a bucket policy: set
  `acl: bucket-default` (files are then as public as the bucket policy makes them).
- Really use per-file public ACLs: turn off `BlockPublicAcls` and `IgnorePublicAcls` for the
  bucket (S3 console → bucket → Permissions → Block public access → Edit), and at the account
  level if it is on there (S3 console → Block Public Access settings for this account), and make
  sure Object Ownership allows ACLs (see `object-ownership`).

## References
- Blocking public access: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
- S3 Control GetPublicAccessBlock: https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html
"#,
};

/// One level's settings, as far as they could be read.
enum Level<'a> {
    Known(BpaFlags),
    Unreadable(&'a ApiFailure),
    NotApplicable,
}

fn level<'a>(fetched: &'a Result<Option<BpaFlags>, ApiFailure>) -> Level<'a> {
    match fetched {
        Ok(flags) => Level::Known(flags.unwrap_or_default()),
        Err(failure) if failure.is_not_implemented() => Level::NotApplicable,
        Err(failure) => Level::Unreadable(failure),
    }
}

fn describe(flags: BpaFlags) -> String {
    match flags.names_on() {
        on if on.is_empty() => "all off".to_owned(),
        on => format!("{} on", on.join(", ")),
    }
}

#[async_trait]
impl Check for BlockPublicAccess {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let bucket = &ctx.target.bucket;
        let on_other_store = ctx
            .session()
            .is_some_and(|s| s.options().endpoint_url.is_some());
        let (bucket_fetched, account_fetched) = futures::join!(ctx.public_access_block(), async {
            if on_other_store {
                None
            } else {
                Some(ctx.account_public_access_block().await)
            }
        });
        let bucket_level = level(bucket_fetched);
        let account_level = match account_fetched {
            None => Level::NotApplicable,
            // On AWS every account has these settings: "not implemented" means unreadable.
            Some(Err(failure)) => Level::Unreadable(failure),
            Some(fetched) => level(fetched),
        };

        let mut combined = BpaFlags::default();
        let mut evidence = Vec::new();
        for (name, lvl) in [("bucket", &bucket_level), ("account", &account_level)] {
            match lvl {
                Level::Known(flags) => {
                    combined = combined.combine(*flags);
                    evidence.push((name, describe(*flags)));
                }
                Level::Unreadable(_) => evidence.push((name, "unreadable".to_owned())),
                Level::NotApplicable => {
                    evidence.push((name, "not available on this endpoint".to_owned()))
                }
            }
        }
        let where_on = |pick: fn(BpaFlags) -> bool| -> String {
            let mut at = Vec::new();
            if matches!(bucket_level, Level::Known(f) if pick(f)) {
                at.push("bucket");
            }
            if matches!(account_level, Level::Known(f) if pick(f)) {
                at.push("account");
            }
            at.join(" and ")
        };
        const FIX: &str = "Either set `acl: bucket-default` and make files public through a bucket policy or a CDN, or turn off BlockPublicAcls and IgnorePublicAcls (S3 console → bucket → Permissions → Block public access; at account level: S3 console → Block Public Access settings for this account).";

        let outcome = if ctx.target.acl.is_public() && combined.block_public_acls {
            Outcome::fail(
                format!("BlockPublicAcls is on ({} level): uploads with `acl: {}` are refused with 403 AccessDenied", where_on(|f| f.block_public_acls), ctx.target.acl),
                FIX,
            )
        } else if ctx.target.acl.is_public() && combined.ignore_public_acls {
            Outcome::fail(
                format!("IgnorePublicAcls is on ({} level): uploads succeed, but files are not public despite `acl: {}`", where_on(|f| f.ignore_public_acls), ctx.target.acl),
                FIX,
            )
        } else if let Level::Unreadable(failure) = bucket_level {
            // An unreadable level could hold a switch that blocks the upload: never a pass.
            unreadable(
                "Block Public Access of the bucket",
                "s3:GetBucketPublicAccessBlock",
                &bucket_arn(bucket),
                "ReadBucketPublicAccessBlock",
                failure,
            )
        } else if let Level::Unreadable(failure) = account_level {
            unreadable(
                "Block Public Access of the account",
                "s3:GetAccountPublicAccessBlock",
                "*",
                "ReadAccountPublicAccessBlock",
                failure,
            )
        } else if matches!(bucket_level, Level::NotApplicable) {
            return Outcome::skip("Block Public Access is not supported by this endpoint");
        } else if ctx.target.acl.is_public() {
            Outcome::pass(format!(
                "Block Public Access lets public ACLs through ({})",
                describe(combined)
            ))
        } else {
            Outcome::pass(format!(
                "`acl: {}` is not affected by Block Public Access ({})",
                ctx.target.acl,
                describe(combined)
            ))
        };
        evidence
            .into_iter()
            .fold(outcome, |o, (k, v)| o.with_evidence(k, v))
    }
}
