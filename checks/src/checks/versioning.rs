//! `versioning`: whether stored files get version ids.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::facts::Versioning;
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct VersioningCheck;

static INFO: CheckInfo = CheckInfo {
    id: "versioning",
    title: "Versioning state is known",
    category: Category::Bucket,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads the bucket's versioning state: enabled, suspended, or never enabled. With versioning, the
store step returns each stored file's version id as `meta.version_id`, and overwritten files
keep their earlier versions. `--expect-versioning` turns "not enabled" into a failure, for
setups that rely on version ids.

The state also decides how `dry-run-put` removes its probe without a trace: on a versioned
bucket it deletes exactly the probe's version by id (s3:DeleteObjectVersion; a plain delete would
only add a delete marker), with versioning suspended the `null` version by id, and otherwise the
object while its ETag is still the probe's.

## Why it matters
Without versioning, a file stored under an existing key replaces it for good, and no version id
comes back. With versioning, deleting needs `s3:DeleteObjectVersion` to really remove data, and
old versions keep costing storage.

## What it cannot see
Lifecycle rules that expire noncurrent versions and the bucket's replication rules are not part
of this check; `dry-run-put` reports where a copy of the probe may remain (replicas) instead of
calling it deleted.

## How to fix
Enable versioning if you rely on version ids or want overwrite protection: S3 console → bucket
→ Properties → Bucket Versioning → Enable, or
`aws s3api put-bucket-versioning --bucket BUCKET --versioning-configuration Status=Enabled`.

## References
- Using versioning: https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
- Transloadit `/s3/store` result meta: https://transloadit.com/docs/robots/s3-store/
"#,
};

#[async_trait]
impl Check for VersioningCheck {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let bucket = &ctx.target.bucket;
        let state = match ctx.versioning().await {
            Ok(state) => state,
            Err(failure) => {
                return unreadable(
                    "the versioning state",
                    "s3:GetBucketVersioning",
                    &ctx.bucket_arn(),
                    "ReadVersioning",
                    failure,
                )
            }
        };
        let enable = format!("Enable versioning: S3 console → bucket → Properties → Bucket Versioning → Enable, or `aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled`.");
        let (outcome, name) = match state {
            Versioning::Enabled => (Outcome::pass("versioning is enabled: each stored file's version id is returned as meta.version_id"), "Enabled"),
            Versioning::Suspended if ctx.settings.expect_versioning => (Outcome::fail("versioning is suspended: new files get no version id", enable), "Suspended"),
            Versioning::Suspended => (Outcome::pass("versioning is suspended: new files get no version id (earlier versions are kept)"), "Suspended"),
            Versioning::NeverEnabled if ctx.settings.expect_versioning => (Outcome::fail("versioning is not enabled, but --expect-versioning requires it", enable), "NeverEnabled"),
            Versioning::NeverEnabled => (Outcome::pass("versioning is not enabled: files stored under an existing key replace it, and no meta.version_id is returned"), "NeverEnabled"),
        };
        outcome.with_evidence("versioning", name)
    }
}
