//! `object-lock`: object lock retention and what it means for uploads and the dry run.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct ObjectLockCheck;

static INFO: CheckInfo = CheckInfo {
    id: "object-lock",
    title: "Object lock does not get in the way",
    category: Category::Bucket,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads GetObjectLockConfiguration. Object lock with a default retention period gets a warning:
every upload must carry `Content-MD5` or an `x-amz-checksum-*` header, and nothing stored can be
deleted or overwritten until retention ends (GOVERNANCE can be bypassed with
`s3:BypassGovernanceRetention`; COMPLIANCE cannot). Because the dry-run probe could then not be
removed, `dry-run-put` does not write unless `--write-locked` is given.

Export credentials rarely have `s3:GetBucketObjectLockConfiguration`. Then this check warns that
the state is unknown, and `dry-run-put` still writes (refusing would leave most runs unproved),
but says beforehand that a retained probe cannot be deleted until retention ends, and afterwards
whether it was retained, from the probe's own `x-amz-object-lock-mode` and
`x-amz-object-lock-retain-until-date` (HeadObject, which needs s3:GetObject). A retained probe
is not deleted, and a later run that finds it retained writes nothing (unless `--write-locked`),
so that retained probes do not pile up.

## Why it matters
Uploads without an integrity header are refused with 400 on such buckets, and every file the
export writes — including test uploads — stays, and costs storage, for the whole period.

## What it cannot see
Export credentials rarely may read the lock configuration
(`s3:GetBucketObjectLockConfiguration`); then the check warns, and the dry run says before
writing that a retained probe stays until its retention ends. Legal holds and retention set on
individual objects by other tools are not visible.

## How to fix
Make sure the store step sends a checksum (the AWS SDKs send one by default). If test exports
should be removable, use a bucket without default retention for them.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `InvalidRequest` (an upload without Content-MD5 or a checksum to an object lock bucket):
  cause `object-lock-integrity`.

## References
- Using S3 Object Lock: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
"#,
};

#[async_trait]
impl Check for ObjectLockCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let lock = match ctx.object_lock().await {
            Ok(lock) => lock,
            Err(failure) => {
                return unreadable(
                    "the object lock configuration",
                    "s3:GetBucketObjectLockConfiguration",
                    &ctx.bucket_arn(),
                    "ReadObjectLock",
                    failure,
                )
            }
        };
        match (&lock.enabled, &lock.default_retention) {
            (false, _) => Outcome::pass("object lock is off"),
            (true, None) => Outcome::pass("object lock is enabled without default retention: uploads are not locked unless they ask to be"),
            (true, Some(retention)) => Outcome::warn(
                format!("object lock keeps every upload ({retention}): uploads need a Content-MD5 or checksum header, and stored files cannot be deleted until retention ends"),
                "Make sure the store step sends a checksum (the AWS SDKs do by default). The dry run writes nothing here unless --write-locked is given.",
            )
            .with_evidence("default_retention", retention.as_str()),
        }
        .with_evidence("object_lock_enabled", lock.enabled)
    }
}
