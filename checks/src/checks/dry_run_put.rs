//! `dry-run-put`: a real upload, exactly as the store step sends it, and its cleanup.

use crate::api_error::ApiFailure;
use crate::check::{Category, Check, CheckInfo};
use crate::denial::{allow_statement, objects_arn, Denial};
use crate::denial_causes::{bare_denial_causes, bucket_policy_evidence, PolicyEvidence};
use crate::probe::{Cleanup, Upload, PROBE_NAME};
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct DryRunPut;

static INFO: CheckInfo = CheckInfo {
    id: "dry-run-put",
    title: "A real upload succeeds",
    category: Category::Upload,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Uploads a small probe object (`bucket-preflight-probe.txt` under the path's fixed prefix)
exactly as the store step would: the same ACL header (none for `bucket-default`),
`Content-Type`, and `If-None-Match: *` so that it can never replace an existing object. Then it
deletes the probe again — on a versioned bucket, exactly the version it created.

Every failure is mapped to its cause: 403 AccessDenied (with the missing permission when S3
names it; for a bare 403, as S3 answers cross-account requests, the causes the other checks
prove come first — a bucket policy Deny matching the request as the probe sent it, Block Public
Access refusing its ACL — then SSE-KMS, requester pays, a missing cross-account grant and the
IAM policy as possibilities), 400 AccessControlListNotSupported (ACLs disabled), KMS denials,
and 412 (an object the tool did not write already sits at the probe key: it is left alone).

Repeated runs reuse one probe key per prefix. An existing object at that key is replaced only
when it provably is an earlier probe (ETag equal to the MD5 of the probe content, found with
ListObjectsV2), and then only with `If-Match` on that ETag. `--no-write` skips this check; so
does object lock with default retention, unless `--write-locked` is given.

## Why it matters
Every other check predicts; this one proves. Some causes — service control policies, KMS key
policies, organisation-level settings — are invisible to a caller that can only read the bucket.

## How to fix
Follow the remediation of the failure. Typical ones:
- `s3:PutObject` (and `s3:PutObjectAcl` when an ACL is sent) on `arn:aws:s3:::BUCKET/PREFIX*`;
- `acl: bucket-default` when ACLs are disabled or Block Public Access refuses public ACLs;
- `kms:GenerateDataKey` on the bucket's KMS key.
Without `s3:DeleteObject` the probe stays behind (and is reused next time); delete it by hand
if you like.

## References
- PutObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
- Conditional writes: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
- Troubleshoot access denied (403) errors: https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
"#,
};

/// Explains a failed probe upload.
async fn diagnose(ctx: &Context, failure: &ApiFailure) -> Outcome {
    let bucket = &ctx.target.bucket;
    let acl = ctx.target.acl;
    let objects = objects_arn(bucket, ctx.target.key_prefix());
    if failure.is_not_implemented() {
        return Outcome::skip(format!("conditional uploads are not supported by this endpoint ({failure}); nothing was written"));
    }
    if failure.code_is("AccessControlListNotSupported") {
        return Outcome::fail(
            format!("S3 refused the upload: the bucket does not allow ACLs, and `acl: {acl}` sends one (400 AccessControlListNotSupported)"),
            "Set `acl: bucket-default`, or switch Object Ownership to ObjectWriter or BucketOwnerPreferred (S3 console → bucket → Permissions → Object Ownership).",
        );
    }
    if failure
        .message
        .as_deref()
        .is_some_and(|m| m.contains("Content-MD5") || m.contains("x-amz-checksum"))
    {
        return Outcome::fail(
            format!("S3 refused the upload for lack of an integrity header ({failure})"),
            "Object lock requires Content-MD5 or an x-amz-checksum-* header on every upload: make sure the store step sends one.",
        );
    }
    if !failure.is_access_denied() {
        return Outcome::error(
            format!("the probe upload failed: {failure}"),
            "Run again; if it persists, check the network path to S3 and the endpoint.",
        );
    }
    let probe = ctx.probe().await;
    let sse = probe.sse.as_deref();
    if let Some(denial) = Denial::from_failure(failure) {
        let outcome = if denial.action.starts_with("kms:") {
            let kms_key = match ctx.encryption().await {
                Ok(Some(encryption)) => encryption.kms_key.clone(),
                _ => None,
            };
            let key = denial
                .resource
                .clone()
                .or(kms_key)
                .unwrap_or_else(|| "KEY-ARN".into());
            Outcome::fail(
                format!("upload denied by KMS: {}", denial.describe()),
                format!("Add to the export user's IAM policy: {}; across accounts, the key policy must allow it too.", serde_json::json!({"Sid": "UseBucketKmsKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key})),
            )
        } else if denial.explicit {
            // A resource-based policy here is the bucket policy: name the statement when it
            // can be read.
            let statement = match denial.policy_type.as_deref() {
                Some("resource-based") => {
                    match bucket_policy_evidence(ctx, &probe.key, sse).await {
                        PolicyEvidence::Read { denies, .. } => denies.into_iter().next(),
                        _ => None,
                    }
                }
                _ => None,
            };
            let fix = match statement {
                Some(statement) => format!("{}.", upper_first(&statement)),
                None => format!("Remove or narrow the Deny statement in the {} policy that matches {} (the bucket-policy check names bucket policy statements); explicit denies override every Allow.", denial.policy_type.as_deref().unwrap_or("matching"), denial.action),
            };
            Outcome::fail(
                format!("upload explicitly denied: {}", denial.describe()),
                fix,
            )
        } else if denial.action.eq_ignore_ascii_case("s3:PutObjectAcl") {
            Outcome::fail(
                format!("uploads with `acl: {acl}` also need s3:PutObjectAcl: {}", denial.describe()),
                format!("Add to the export user's IAM policy: {}, or set `acl: bucket-default` (no ACL header, no PutObjectAcl).", allow_statement("WriteExportedFiles", &["s3:PutObject", "s3:PutObjectAcl"], &objects)),
            )
        } else {
            Outcome::fail(
                format!("upload denied: {}", denial.describe()),
                format!(
                    "Add to the export user's IAM policy: {}",
                    allow_statement("WriteExportedFiles", &[denial.action.as_str()], &objects)
                ),
            )
        };
        return outcome.with_evidence("denied_action", denial.action.as_str());
    }
    // A bare "Access Denied": S3 gives no reason for cross-account requests. Name the causes
    // the other checks' evidence proves first, then the likely ones.
    let causes = bare_denial_causes(ctx, &probe.key, sse).await;
    let numbered: Vec<String> = causes
        .iter()
        .enumerate()
        .map(|(i, cause)| format!("({}) {}", i + 1, cause.text))
        .collect();
    let (headline, listed) = match causes.first() {
        Some(first) if first.proven => (
            format!("upload denied with a bare 403 AccessDenied: {}", first.text),
            "Causes, proven first",
        ),
        Some(first) => (
            format!(
                "upload denied with a bare 403 AccessDenied; possibly: {}",
                first.text
            ),
            "Possible causes, most likely first",
        ),
        None => (
            "upload denied with a bare 403 AccessDenied".to_owned(),
            "Possible causes",
        ),
    };
    Outcome::fail(headline, format!("{listed}: {}.", numbered.join("; ")))
        .with_evidence("proven_causes", causes.iter().filter(|c| c.proven).count())
}

/// `text` with its first letter in upper case, to start a sentence.
fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[async_trait]
impl Check for DryRunPut {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let probe = ctx.probe().await;
        let location = format!("s3://{}/{}", ctx.target.bucket, probe.key);
        let mut headers = match ctx.target.acl.canned_header() {
            Some(acl) => format!("x-amz-acl: {acl}, If-None-Match: *"),
            None => "no ACL header, If-None-Match: *".to_owned(),
        };
        if let Some(sse) = &probe.sse {
            // Sent because the bucket policy demands it: the store step must send it too.
            headers.push_str(&format!(
                ", x-amz-server-side-encryption: {sse} (the bucket policy demands it)"
            ));
        }
        let outcome = match &probe.upload {
            Upload::NotAttempted(reason) => return Outcome::skip(reason.clone()),
            Upload::Unidentified => {
                return Outcome::warn(
                    format!("nothing was uploaded: an object of the probe's size is at {location}, probably left by an earlier run, but SSE-KMS ETags cannot prove it and HeadObject was refused"),
                    format!("Delete {location} if it is the probe, or grant s3:DeleteObject (runs then clean up after themselves) or s3:GetObject (to recognise it)."),
                )
                .with_evidence("key", probe.key.as_str())
            }
            Upload::KeyTaken => {
                return Outcome::fail(
                    format!("an object bucket-preflight cannot identify as its own probe already exists at {location}; it was left untouched"),
                    format!("If that object is yours to remove, delete it and run again; otherwise change --path so the probe ({PROBE_NAME}) lands under another prefix."),
                )
                .with_evidence("key", probe.key.as_str())
            }
            Upload::Failed(failure) => return diagnose(ctx, failure).await.with_evidence("key", probe.key.as_str()).with_evidence("request", headers),
            Upload::Written { version_id, replaced_earlier_probe } => {
                let cleanup = match &probe.cleanup {
                    Cleanup::Deleted => "and deleted it again".to_owned(),
                    Cleanup::LeftBehind(failure) => format!(
                        "the probe stays at {location} (deleting it failed: {}); the next run reuses it",
                        if failure.is_access_denied() { "s3:DeleteObject is not granted, which the export does not need".to_owned() } else { failure.to_string() }
                    ),
                    Cleanup::NotNeeded => String::new(),
                };
                let replaced = if *replaced_earlier_probe { " (replacing an earlier run's probe)" } else { "" };
                Outcome::pass(format!("uploaded a probe to {location} as the store step would{replaced}; {cleanup}"))
                    .with_evidence("version_id", serde_json::json!(version_id))
                    .with_evidence("cleaned_up", matches!(probe.cleanup, Cleanup::Deleted))
            }
        };
        outcome
            .with_evidence("key", probe.key.as_str())
            .with_evidence("request", headers)
    }
}
