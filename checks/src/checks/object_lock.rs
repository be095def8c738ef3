//! `object-lock`: object lock retention and what it means for uploads and the dry run.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::store_headers;
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct ObjectLockCheck;

/// The store step's switch that makes every upload carry a checksum.
const CHECKSUM_FIX: &str = "Set `check_integrity: true` in the store step: Transloadit then calculates and submits each file's checksum, which object lock requires.";

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
`s3:BypassGovernanceRetention`; COMPLIANCE cannot). Whether the export's uploads carry a
checksum depends on the store step's `check_integrity`: Transloadit documents it as "calculate
and submit the file's checksum", so with it the uploads are accepted, and without it the check
says that they may be refused and names `check_integrity` as the fix. The same holds when the
step's own `headers` ask for retention (`x-amz-object-lock-mode`). The dry-run probe sends a
checksum exactly when `check_integrity` is set (`Content-MD5`), so that a locked bucket judges it
as it judges the export. Because the dry-run probe could then not be
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
Set `check_integrity: true` in the store step (`--check-integrity` here), so that every upload
carries the file's checksum. If test exports should be removable, use a bucket without default
retention for them.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `InvalidRequest` (an upload without Content-MD5 or a checksum to an object lock bucket):
  cause `object-lock-integrity`.

## References
- Using S3 Object Lock: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
- Checksums required with object lock: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
- Transloadit `/s3/store` `check_integrity`: https://transloadit.com/docs/robots/s3-store/
"#,
};

#[async_trait]
impl Check for ObjectLockCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let integrity = ctx.target.check_integrity;
        let lock = match ctx.object_lock().await {
            Ok(lock) => lock,
            Err(failure) => {
                let outcome = unreadable(
                    "the object lock configuration",
                    "s3:GetBucketObjectLockConfiguration",
                    &ctx.bucket_arn(),
                    "ReadObjectLock",
                    failure,
                );
                if integrity {
                    return outcome;
                }
                let note = format!("If the bucket keeps uploads under default retention, S3 accepts only uploads with Content-MD5 or a checksum header: {CHECKSUM_FIX}");
                let detail = match &outcome.detail {
                    Some(detail) => format!("{detail} {note}"),
                    None => note,
                };
                return outcome.with_detail(detail);
            }
        };
        // Retention the step's own headers ask for needs the checksum as much as a default.
        let step_retention = [
            "x-amz-object-lock-mode",
            "x-amz-object-lock-retain-until-date",
        ]
        .iter()
        .any(|name| store_headers::header(&ctx.target.headers, name).is_some());
        match (&lock.enabled, &lock.default_retention) {
            (false, _) => Outcome::pass("object lock is off"),
            (true, None) if step_retention && !integrity => Outcome::warn(
                "the store step's headers ask object lock to retain every upload, and S3 accepts such uploads only with Content-MD5 or a checksum header, which Transloadit submits only with `check_integrity`",
                CHECKSUM_FIX,
            ),
            (true, None) => Outcome::pass("object lock is enabled without default retention: uploads are not locked unless they ask to be"),
            (true, Some(retention)) if integrity => Outcome::warn(
                format!("object lock keeps every upload ({retention}): uploads are accepted, since `check_integrity` sends the checksum object lock requires, but stored files cannot be deleted until retention ends"),
                "Use a bucket without default retention for test exports. The dry run writes nothing here unless --write-locked is given.",
            )
            .with_evidence("default_retention", retention.as_str()),
            (true, Some(retention)) => Outcome::warn(
                format!("object lock keeps every upload ({retention}): S3 accepts only uploads with Content-MD5 or a checksum header, and Transloadit submits the file's checksum only with `check_integrity`, which is off, so exports may be refused (400 InvalidRequest); stored files cannot be deleted until retention ends"),
                format!("{CHECKSUM_FIX} The dry run writes nothing here unless --write-locked is given."),
            )
            .with_evidence("default_retention", retention.as_str()),
        }
        .with_evidence("object_lock_enabled", lock.enabled)
        .with_evidence("check_integrity", integrity)
    }
}
