//! `block-public-access`: Block Public Access lets the chosen ACL through.

use crate::acl_rules::{policy_public_read, BpaFlags, PolicyPublicRead};
use crate::api_error::ApiFailure;
use crate::bucket_owner::Owner;
use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::iam::parse_policy;
use crate::reconcile;
use crate::{Acl, Context, Outcome, Status};
use async_trait::async_trait;

pub struct BlockPublicAccess;

static INFO: CheckInfo = CheckInfo {
    id: "block-public-access",
    title: "Block Public Access allows the ACL",
    category: Category::Bucket,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads Block Public Access at the bucket (GetPublicAccessBlock) and at the account that owns the
bucket (S3 Control GetPublicAccessBlock) and combines them: a switch that is on at either level
is on. With `acl: public` (or `public-read`):
- `BlockPublicAcls` on → failure: S3 refuses the upload with 403 AccessDenied;
- `IgnorePublicAcls` on → failure: the upload succeeds, but the file is not public — unless the
  bucket policy grants everyone `s3:GetObject` on the export path and `RestrictPublicBuckets`
  is off: then the file is public anyway and this is a warning about the ignored ACL.
With `bucket-default`, a public bucket policy that `RestrictPublicBuckets` makes ineffective is
a warning. On an S3-compatible endpoint the failure says that it follows AWS's enforcement,
which the endpoint may not share: `dry-run-put` shows what the endpoint really does. Otherwise `private` and `bucket-default` pass. Settings that cannot be read give a
warning naming the permission, never a pass.

The account-level settings that apply are the bucket owner's. When the bucket belongs to
another account (shown by HeadBucket with `x-amz-expected-bucket-owner`, `--expected-owner`, or
GetBucketPolicy's 405 for non-owners), that account's settings cannot be read from here: the
check says so (a warning where they could change the outcome) and never uses the caller's
account's settings instead. Organisation-level policies are not visible to this check.

## Why it matters
Since April 2023 new buckets have all four switches on, so the default `acl: public` of the
store step fails on every new bucket with a bare AccessDenied.

## What it cannot see
Organisation-level Block Public Access (set through AWS Organizations) is not readable with S3
APIs, and the account-level setting of a bucket in another account is not readable by the
caller: the check says what it could not read (`warn`) instead of using the caller's own
account setting. The dry run and `public-url` prove the effect.

## How to fix
Choose one:
- Keep files private to S3 and public through a CDN or a bucket policy: set
  `acl: bucket-default` (files are then as public as the bucket policy makes them).
- Really use per-file public ACLs: turn off `BlockPublicAcls` and `IgnorePublicAcls` for the
  bucket (S3 console → bucket → Permissions → Block public access → Edit), and at the account
  level if it is on there (S3 console → Block Public Access settings for this account), and make
  sure Object Ownership allows ACLs (see `object-ownership`).

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `AccessDenied` / `S3_STORE_ACCESS_DENIED` for an upload with a public `acl` while
  BlockPublicAcls is on: cause `block-public-acls`.

## References
- Blocking public access: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
- The meaning of "public" (RestrictPublicBuckets): https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
- S3 Control GetPublicAccessBlock: https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html
"#,
};

/// One level's settings, as far as they could be read.
enum Level<'a> {
    Known(BpaFlags),
    Unreadable(&'a ApiFailure),
    NotApplicable,
    /// The bucket belongs to another account (or may): its account-level settings apply and
    /// cannot be read with these credentials.
    OwnerUnseen(&'a Owner),
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

/// The account level that applies: the owner account's, read only when that is the caller's.
async fn account_level(ctx: &Context) -> Level<'_> {
    if on_other_store(ctx) {
        return Level::NotApplicable;
    }
    let owner = ctx.bucket_owner().await;
    if !owner.is_caller() {
        return Level::OwnerUnseen(owner);
    }
    match ctx.account_public_access_block().await {
        // On AWS every account has these settings: "not implemented" means unreadable.
        Err(failure) => Level::Unreadable(failure),
        fetched => level(fetched),
    }
}

/// An S3-compatible endpoint rather than AWS: it has no account level, and it may store Block
/// Public Access without enforcing it.
fn on_other_store(ctx: &Context) -> bool {
    ctx.session()
        .is_some_and(|s| s.options().endpoint_url.is_some())
}

/// Said next to a failure predicted from a switch on an endpoint that is not AWS, so that a
/// passing dry-run-put beside it reads as what it is rather than as a contradiction.
const NOT_AWS: &str = "This prediction follows how AWS enforces Block Public Access. This endpoint is not AWS: it may store the setting without enforcing it (the moto emulator does). Where dry-run-put passes here, this endpoint accepted the public ACL, so trust that proof for this endpoint; the same settings on AWS refuse or ignore the ACL.";

/// What the bucket policy says about anonymous reads of the exported files.
enum PolicyView {
    Public(String),
    NotPublic,
    Unreadable,
}

async fn policy_view(ctx: &Context) -> PolicyView {
    let text = match ctx.policy().await {
        Ok(Some(text)) => text,
        Ok(None) => return PolicyView::NotPublic,
        Err(_) => return PolicyView::Unreadable,
    };
    let Ok(policy) = parse_policy(text) else {
        return PolicyView::Unreadable;
    };
    match policy_public_read(
        &policy,
        ctx.partition(),
        &ctx.target.bucket,
        ctx.target.key_prefix(),
    ) {
        PolicyPublicRead::Yes { statements } => PolicyView::Public(format!(
            "the bucket policy grants everyone s3:GetObject on the export path (statement {})",
            statements.join(", ")
        )),
        PolicyPublicRead::Conditional { explanation } => PolicyView::Public(format!(
            "the bucket policy grants everyone s3:GetObject on the export path under conditions ({explanation})"
        )),
        PolicyPublicRead::No => PolicyView::NotPublic,
    }
}

const FIX: &str = "Either set `acl: bucket-default` and make files public through a bucket policy or a CDN, or turn off BlockPublicAcls and IgnorePublicAcls (S3 console → bucket → Permissions → Block public access; at account level: S3 console → Block Public Access settings for this account).";

#[async_trait]
impl Check for BlockPublicAccess {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let acl = ctx.target.acl;
        let (bucket_fetched, account_level, policy) = futures::join!(
            ctx.public_access_block(),
            account_level(ctx),
            policy_view(ctx)
        );
        let bucket_level = level(bucket_fetched);

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
                Level::OwnerUnseen(owner) => evidence.push((
                    name,
                    format!(
                        "{}: not readable from the caller's account",
                        owner.describe_account()
                    ),
                )),
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
        let account_known = matches!(account_level, Level::Known(_) | Level::NotApplicable);

        let outcome = if acl.is_public() && combined.block_public_acls {
            Outcome::fail(
                format!("BlockPublicAcls is on ({} level): uploads with `acl: {acl}` are refused with 403 AccessDenied", where_on(|f| f.block_public_acls)),
                FIX,
            )
        } else if acl.is_public() && combined.ignore_public_acls {
            let ignored = format!(
                "IgnorePublicAcls is on ({} level): the `acl: {acl}` of uploaded files is ignored",
                where_on(|f| f.ignore_public_acls)
            );
            match &policy {
                PolicyView::Public(how) if combined.restrict_public_buckets => Outcome::fail(
                    format!("{ignored}, and RestrictPublicBuckets is on ({} level), so the public bucket policy does not reach anonymous readers either: files are not public", where_on(|f| f.restrict_public_buckets)),
                    FIX,
                )
                .with_detail(how.clone()),
                PolicyView::Public(how) => {
                    let mut summary = format!("{ignored}, but {how}, so files are public anyway");
                    if !account_known {
                        summary.push_str(" (unless RestrictPublicBuckets is on at the account level, which could not be read)");
                    }
                    Outcome::warn(
                        summary,
                        "Nothing blocks the export. To stop relying on an ignored ACL, set `acl: bucket-default` (the bucket policy already makes files public), or turn off IgnorePublicAcls.",
                    )
                }
                PolicyView::NotPublic => Outcome::fail(
                    format!("{ignored}: uploads succeed, but files are not public"),
                    FIX,
                ),
                PolicyView::Unreadable => Outcome::fail(
                    format!("{ignored}: uploads succeed, but files are not public"),
                    FIX,
                )
                .with_detail("The bucket policy could not be read: if it grants everyone s3:GetObject on the export path (and RestrictPublicBuckets is off), files are public through it."),
            }
        } else if let Level::Unreadable(failure) = bucket_level {
            // An unreadable level could hold a switch that blocks the upload: never a pass.
            unreadable(
                "Block Public Access of the bucket",
                "s3:GetBucketPublicAccessBlock",
                &ctx.bucket_arn(),
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
        } else if let (Level::OwnerUnseen(owner), true) = (&account_level, may_matter(acl, &policy))
        {
            owner_level_unseen(owner, acl, combined)
        } else if let (Acl::BucketDefault, PolicyView::Public(how), true) =
            (acl, &policy, combined.restrict_public_buckets)
        {
            Outcome::warn(
                format!("{how}, but RestrictPublicBuckets is on ({} level), so anonymous readers are refused: files are not public", where_on(|f| f.restrict_public_buckets)),
                "If files should be public, turn off RestrictPublicBuckets (S3 console → bucket → Permissions → Block public access; at account level: Block Public Access settings for this account); if not, remove the public statement from the bucket policy.",
            )
        } else if acl.is_public() {
            Outcome::pass(format!(
                "Block Public Access lets public ACLs through ({})",
                describe(combined)
            ))
        } else {
            let mut summary = format!(
                "`acl: {acl}` is not affected by Block Public Access ({})",
                describe(combined)
            );
            if let Level::OwnerUnseen(owner) = &account_level {
                summary.push_str(&format!(
                    "; the account level of {} was not read, and cannot change that",
                    owner.describe_account()
                ));
            }
            Outcome::pass(summary)
        };
        let outcome = match &account_level {
            Level::OwnerUnseen(owner) => outcome.with_evidence("owner", owner.because()),
            _ => outcome,
        };
        // Mark what the outcome predicts, so that the report can reconcile it with the proof
        // (the dry run's upload, the anonymous GET) when that contradicts it.
        let prediction = if acl.is_public() && combined.block_public_acls {
            Some(reconcile::PREDICTS_REFUSED)
        } else if outcome.summary.contains("files are not public") {
            Some(reconcile::PREDICTS_NOT_PUBLIC)
        } else {
            None
        };
        let outcome = match prediction {
            Some(prediction) => outcome.with_evidence(reconcile::PREDICTS, prediction),
            None => outcome,
        };
        let switch_decided =
            acl.is_public() && (combined.block_public_acls || combined.ignore_public_acls);
        let outcome = if outcome.status == Status::Fail && switch_decided && on_other_store(ctx) {
            let detail = match &outcome.detail {
                Some(detail) => format!("{detail} {NOT_AWS}"),
                None => NOT_AWS.to_owned(),
            };
            outcome.with_detail(detail)
        } else {
            outcome
        };
        evidence
            .into_iter()
            .fold(outcome, |o, (k, v)| o.with_evidence(k, v))
    }
}

/// Whether account-level switches could change the outcome for `acl`: a public ACL meets
/// BlockPublicAcls and IgnorePublicAcls; with `bucket-default` a public bucket policy meets
/// RestrictPublicBuckets.
fn may_matter(acl: Acl, policy: &PolicyView) -> bool {
    acl.is_public() || (acl == Acl::BucketDefault && matches!(policy, PolicyView::Public(_)))
}

/// The warning when the owner account's settings apply and cannot be read: never a pass on
/// the bucket level alone, never the caller's account's settings in their place.
fn owner_level_unseen(owner: &Owner, acl: Acl, bucket: BpaFlags) -> Outcome {
    let account = owner.describe_account();
    let why = match owner {
        Owner::Unknown { because, .. } => format!("whether the caller's account owns the bucket is not known ({because}), so the caller's account settings may not be the ones that apply"),
        _ => format!("the bucket belongs to another account ({}), whose settings apply, not the caller's", owner.because()),
    };
    let (bucket_verdict, switches) = if acl.is_public() {
        (
            "lets public ACLs through",
            "BlockPublicAcls or IgnorePublicAcls at the account level would refuse the upload or ignore its ACL",
        )
    } else {
        (
            "leaves the public bucket policy in force",
            "RestrictPublicBuckets at the account level would keep it from anonymous readers",
        )
    };
    let owner_id = owner.account().unwrap_or("OWNER");
    Outcome::warn(
        format!(
            "account-level Block Public Access of {account} could not be read: {why}; the bucket level ({}) {bucket_verdict}, but {switches}",
            describe(bucket)
        ),
        format!("Ask the bucket owner to check the account-level settings (S3 console → Block Public Access settings for this account, or `aws s3control get-public-access-block --account-id {owner_id}`), or run bucket-preflight with credentials of the owner account."),
    )
}
