//! `requester-pays`: requester pays does not turn the writer's uploads away.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct RequesterPays;

static INFO: CheckInfo = CheckInfo {
    id: "requester-pays",
    title: "Requester pays does not block uploads",
    category: Category::Bucket,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads GetBucketRequestPayment. With `Requester`, it checks whether the writer's account owns
the bucket (HeadBucket with `x-amz-expected-bucket-owner` set to the caller's account).

## Why it matters
On a requester-pays bucket every request from anyone but the owner must carry
`x-amz-request-payer: requester`, or S3 answers 403 AccessDenied. Export services do not send
that header.

## What it cannot see
S3-compatible stores (and the emulator) often do not implement GetBucketRequestPayment: the
check then says `skip` "not supported by this endpoint". Without
`s3:GetBucketRequestPayment` it warns naming that permission.

## How to fix
Turn requester pays off (S3 console → bucket → Properties → Requester pays → Edit → Disable),
or let the export run with credentials of the bucket owner's account.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `AccessDenied` for uploads without `x-amz-request-payer` while requester pays is on: cause
  `requester-pays`.

## References
- Requester Pays buckets: https://docs.aws.amazon.com/AmazonS3/latest/userguide/RequesterPaysBuckets.html
"#,
};

#[async_trait]
impl Check for RequesterPays {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        match ctx.requester_pays().await {
            Ok(false) => Outcome::pass("requester pays is off"),
            Ok(true) => match ctx.owned_by_caller().await {
                Ok(true) => Outcome::pass("requester pays is on, but the writer's account owns the bucket, so uploads need no x-amz-request-payer"),
                Ok(false) => Outcome::fail(
                    "requester pays is on and the writer's account does not own the bucket: uploads without x-amz-request-payer get 403",
                    "Turn requester pays off (S3 console → bucket → Properties → Requester pays → Disable), or run the export with credentials of the bucket owner's account.",
                ),
                Err(failure) => Outcome::warn(
                    format!("requester pays is on, and whether the writer owns the bucket could not be checked ({failure})"),
                    "Unless the export runs with credentials of the bucket owner's account, turn requester pays off (S3 console → bucket → Properties → Requester pays → Disable).",
                ),
            }
            .with_evidence("payer", "Requester"),
            Err(failure) => {
                let outcome = unreadable("the requester-pays setting", "s3:GetBucketRequestPayment", &ctx.bucket_arn(), "ReadRequestPayment", failure);
                const NOTE: &str = "S3 also answers 403 here to non-owners of a requester-pays bucket.";
                let detail = match &outcome.detail {
                    Some(detail) => format!("{detail}. {NOTE}"),
                    None => NOTE.to_owned(),
                };
                outcome.with_detail(detail)
            }
        }
    }
}
