//! `dry-run-put`: a real upload, exactly as the store step sends it, its cleanup, and its
//! footprint.

//! The words for a refused upload are in `dry_run_put/refused.rs`, the verdict on a written
//! probe in `dry_run_put/written.rs`.

use crate::check::{Category, Check, CheckInfo};
use crate::iam::PolicyDocument;
use crate::probe::policy_fit::{readable_policies, shape_sensitive_patterns};
use crate::probe::{Cleanup, Multipart, Upload};
use crate::{Context, Outcome};
use async_trait::async_trait;

mod refused;
mod written;

use refused::{append_detail, diagnose};
use written::written;

pub struct DryRunPut;

static INFO: CheckInfo = CheckInfo {
    id: "dry-run-put",
    title: "A real upload succeeds",
    category: Category::Upload,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Uploads a small probe object exactly as the store step would: the same ACL header (none for
`bucket-default`), the step's `headers` (`--header`; Assembly variables made concrete for the
probe — `${file.mime}` as `text/plain`, others as the `result-url` sample — and the report says
which), its `tags` in `x-amz-tagging` (`--tag`), a `Content-MD5` exactly when `check_integrity`
is set (and otherwise no checksum at all, as the export then sends none), and — when the step
sends none — the encryption header a bucket policy demands. Headers the HTTP client computes for
each file (`Authorization`, `Content-Length`, `Content-MD5`, `x-amz-checksum-*`, …) are never
sent from the step; `store-params` reports them. Then it deletes exactly what it wrote, and
says what it left and what the write set off.

Every run proves the upload, and never touches an object it did not write:
- Each run writes a key of its own: `PREFIX` + `bucket-preflight-probe-<run id>.txt` (a random
  128-bit id). Keys of this exact shape (32 hex digits, a probe's size) are reserved for the
  tool. `--probe-key exports/2024/clip.mp4` shapes the key like a real one instead
  (`exports/2024/clip.bucket-preflight-probe-<run id>.mp4`). When the listing below shows the
  key free, the PUT carries no conditional header, exactly like the export's, so a bucket
  policy or SCP that treats conditional writes differently judges the probe as it judges the
  export; only when the listing is refused does it send `If-None-Match: *`.
- Earlier probes that could not be deleted are found with ListObjectsV2 (s3:ListBucket only):
  a run that cannot delete its probe rewrites it (`If-Match` on its own ETag) with a note that
  changes its size, marking it abandoned. A later run writes over the oldest abandoned probe with
  `If-Match` on its listed ETag instead of adding a key (s3:PutObject only; anything written
  there in between makes it fail with 412 and is left alone). So without s3:DeleteObject at most
  one probe stays per prefix, every later run still proves the upload — also under SSE-KMS
  without s3:GetObject — and the probe of a run still under way is never touched.
- Cleanup: on a versioned bucket it deletes exactly the versions it created, by id
  (s3:DeleteObjectVersion; no delete marker); with versioning suspended, the `null` version by
  id; otherwise DeleteObject with `If-Match` on its own ETag, so a write by another run survives.
  Two runs at once therefore neither delete each other's write nor take it for a stranger's.
  If a timeout cuts the check short after the upload, the cleanup still runs and the
  application reports what became of the probe.
- Under SSE-KMS it also runs a one-part multipart upload (large files), which needs
  kms:Decrypt on the key besides kms:GenerateDataKey, and removes it again. A completion whose
  answer is lost may have completed all the same (its abort then finds no upload): its version
  is read back (HeadObject) and removed too; when it cannot be read, the report says that a
  version of the probe may remain.
- When the object lock state cannot be read (export credentials rarely have
  s3:GetBucketObjectLockConfiguration), a probe under default retention could not be deleted
  until retention ends: the run writes anyway, then reads the probe's retention (HeadObject:
  `x-amz-object-lock-mode`, `x-amz-object-lock-retain-until-date`) and says whether it stays.
  Known default retention skips the check unless `--write-locked` is given.
- Side effects are reported where readable: replication rules that copy the probe (deleting a
  version here does not delete the replica) and ObjectCreated notifications (Lambda, SQS, SNS,
  EventBridge) that the upload triggers.

It does not pass when the proof does not stand for the export: a conditional header the probe
had to send (`If-None-Match` when the listing was refused, `If-Match` over a leftover) that a
readable bucket policy treats differently from the export's plain PUT; policy resource
patterns that match keys by shape (`BUCKET/exports/*/*`, `BUCKET/*.mp4`), so that the probe key
may be judged differently from real files (use `--probe-key`); or `--principal`, because the
upload proves the caller's rights, not the principal's.

Every failure is mapped to its cause: 403 AccessDenied (with the missing permission when S3
names it; for a bare 403, as S3 answers cross-account requests, the causes the other checks
prove come first — a bucket policy Deny matching the request as the probe sent it, Block Public
Access refusing its ACL — then SSE-KMS, requester pays, a missing cross-account grant and the
IAM policy as possibilities), 400 AccessControlListNotSupported (ACLs disabled) and KMS
denials. A probe refused over plain HTTP (an `http://` endpoint, as a Transloadit `host`
without `https://` sends it) is first checked against the bucket policy's
`aws:SecureTransport` Denies, as `bucket-policy` judges the same scheme: a Deny that refuses
the upload over HTTP and not over HTTPS is named as the cause, with the fix (an `https://`
`host` and endpoint); when the policy cannot be read, such a Deny is named as likely.
`--no-write` skips this check.

## Why it matters
Every other check predicts; this one proves. Some causes — service control policies, KMS key
policies, organisation-level settings — are invisible to a caller that can only read the bucket.

## What it cannot see
It proves the caller's upload, from this machine. A policy that judges the network
(`aws:SourceIp`, VPC endpoints) or the principal (`--principal`, `aws:PrincipalArn`) can treat
the export service's request differently: the check names whose upload it proved and warns when
the bucket policy treats the export's request differently from the probe's (for example: the
export sends no `If-None-Match`).

## How to fix
Follow the remediation of the failure. Typical ones:
- `s3:PutObject` (and `s3:PutObjectAcl` when an ACL is sent, `s3:PutObjectTagging` with `tags`)
  on `arn:aws:s3:::BUCKET/PREFIX*`;
- `check_integrity: true` when object lock refuses uploads without a checksum;
- `acl: bucket-default` when ACLs are disabled or Block Public Access refuses public ACLs;
- `kms:GenerateDataKey` and `kms:Decrypt` on the bucket's KMS key.
Without `s3:DeleteObject` (or `s3:DeleteObjectVersion` on versioned buckets) one probe stays
under the prefix and is reused by the next run; delete it by hand if you like.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
The dry run reproduces the upload, so it sees what no configuration read shows:
- `AccessDenied` / `S3_STORE_ACCESS_DENIED`, whichever policy denied: cause
  `identity-policy-no-allow`, cause `identity-policy-deny`, cause `bucket-policy-deny`, cause
  `bucket-policy-no-allow`, cause `permissions-boundary`, cause `session-policy`, cause
  `organisation-policy` (SCP or RCP), cause `vpc-endpoint-policy`, cause `block-public-acls`,
  cause `kms-key`, cause `requester-pays`.
- `AccessControlListNotSupported`: cause `acls-disabled`.
- `KMS.AccessDeniedException`, `KMS.DisabledException`, `KMS.NotFoundException`: cause `kms-key`.
- `InvalidRequest` (object lock without Content-MD5 or a checksum): cause `object-lock-integrity`.
- `PreconditionFailed`: cause `precondition-failed`.
- `NotImplemented`, `S3_STORE_FAILURE` from an S3-compatible store: cause `unsupported-endpoint`.
- `TRANSIENT_STORAGE_SERVICE_ERROR`: cause `transient` (the dry run shows whether it persists).

## References
- PutObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
- Conditional writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
- Conditional deletes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
- Multipart uploads with SSE-KMS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions
- Object lock: https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
- Replication of deletes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html
- Event notifications: https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
- Troubleshoot access denied (403) errors: https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
"#,
};

#[async_trait]
impl Check for DryRunPut {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let probe = ctx.probe().await;
        let location = format!("s3://{}/{}", ctx.target.bucket, probe.key);
        let mut headers = match ctx.target.acl.canned_header() {
            Some(acl) => format!("x-amz-acl: {acl}"),
            None => "no ACL header".to_owned(),
        };
        if let Some(precondition) = &probe.precondition {
            headers.push_str(&format!(", {}", precondition.header()));
        }
        for line in probe.step.describe() {
            headers.push_str(&format!(", {line}"));
        }
        if let Some(sse) = &probe.sse {
            if preflight_step_sse(ctx).is_none() {
                // Sent because the bucket policy demands it: the store step must send it too.
                headers.push_str(&format!(
                    ", x-amz-server-side-encryption: {sse} (the bucket policy demands it)"
                ));
            }
        }
        headers.push_str(if ctx.target.check_integrity {
            ", Content-MD5 (check_integrity)"
        } else {
            ", no checksum (check_integrity is off)"
        });
        let outcome = match &probe.upload {
            Upload::NotAttempted(reason) => return Outcome::skip(reason.clone()),
            // Every run has a fresh key: whatever is there is someone else's, and nothing about
            // the bucket follows from it.
            Upload::KeyTaken => Outcome::warn(
                format!("could not prove the upload: an object appeared at this run's fresh probe key {location} just before the write, and was left untouched"),
                "Run again (every run uses a new key); if it happens again, find out what writes bucket-preflight-probe-* keys.",
            ),
            Upload::Failed(failure) => {
                let outcome = diagnose(ctx, failure).await;
                let policies = readable_policies(ctx).await;
                match shape_warning(ctx, &policies, &probe.key) {
                    Some((why, fix)) => append_detail(outcome, &format!("Note: {why}. {fix}")),
                    None => outcome,
                }
            }
            Upload::Written {
                version_id,
                replaced_earlier_probe,
            } => written(ctx, probe, &location)
                .await
                .with_evidence("version_id", serde_json::json!(version_id))
                .with_evidence("replaced_earlier_probe", *replaced_earlier_probe)
                .with_evidence(
                    "cleaned_up",
                    matches!(probe.cleanup, Cleanup::Deleted) && !probe.multipart.completed_unseen(),
                )
                .with_evidence(
                    "multipart",
                    match &probe.multipart {
                        Multipart::NotNeeded => "not_needed",
                        Multipart::Proved => "proved",
                        Multipart::Refused { .. } => "refused",
                    },
                ),
        };
        let mut sent_as = probe.step.substitutions.clone();
        sent_as.extend(
            probe
                .step
                .left_out
                .iter()
                .map(|name| format!("{name} left out (the client computes it for each file)")),
        );
        let outcome = if sent_as.is_empty() || outcome.status == crate::Status::Skip {
            outcome
        } else {
            // Added to what the verdict already explains, never in its place.
            let note = format!(
                "The probe sent the step's headers with: {}.",
                sent_as.join("; ")
            );
            let detail = match &outcome.detail {
                Some(detail) => format!("{detail} {note}"),
                None => note,
            };
            outcome.with_detail(detail)
        };
        outcome
            .with_evidence("key", probe.key.as_str())
            .with_evidence("request", headers)
    }
}

/// The encryption header the store step itself sends.
fn preflight_step_sse(ctx: &Context) -> Option<&str> {
    crate::store_headers::step_sse(&ctx.target)
}

/// A warning when readable policies grant or deny uploads by key shape, so that the probe key
/// may be judged differently from real files.
pub(super) fn shape_warning(
    ctx: &Context,
    policies: &[(&'static str, PolicyDocument)],
    probe_key: &str,
) -> Option<(String, String)> {
    let sources: Vec<(&str, &PolicyDocument)> = policies.iter().map(|(s, p)| (*s, p)).collect();
    let shaped = shape_sensitive_patterns(
        &sources,
        &ctx.target.bucket,
        ctx.target.key_prefix(),
        probe_key,
        ctx.settings.probe_key.as_deref(),
    );
    if shaped.is_empty() {
        return None;
    }
    let named: Vec<String> = shaped
        .iter()
        .map(|s| format!("{} in the {}", s.pattern, s.place))
        .collect();
    let fix = match &ctx.settings.probe_key {
        None => "Run again with --probe-key set to a key a real export produces (e.g. exports/2024/clip.mp4), so the probe is judged like the real files.".to_owned(),
        Some(real) => format!("The probe key copies {real:?}'s directories and extension but adds .bucket-preflight-probe-<id> to the name; check that these patterns treat real names alike."),
    };
    Some((
        format!(
            "the probe key may not represent real keys: {} match keys by their shape",
            named.join(", ")
        ),
        fix,
    ))
}
