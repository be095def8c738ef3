//! `encryption`: default encryption, and what SSE-KMS asks of the writer.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::{Context, Outcome};
use async_trait::async_trait;

pub struct Encryption;

static INFO: CheckInfo = CheckInfo {
    id: "encryption",
    title: "Default encryption lets the writer upload",
    category: Category::Permissions,
    online: true,
    requires: &["bucket-exists"],
    docs: r#"## What it checks
Reads the bucket's default encryption (GetBucketEncryption). SSE-S3 (`AES256`) needs nothing
from the writer: pass. SSE-KMS (`aws:kms`) and DSSE-KMS (`aws:kms:dsse`) report the key and the
bucket-key setting and warn that the writer needs `kms:GenerateDataKey` (every upload) and
`kms:Decrypt` (multipart uploads) on that key. Flagged in particular:
- a key given by alias (`alias/...`): aliases resolve in the caller's account, so another
  account's writer encrypts with the wrong key or none;
- the AWS managed key `aws/s3` (no key id): its key policy cannot be edited, so it cannot serve
  a writer from another account.
The dry run (`dry-run-put`) turns a real KMS denial into a failure.

## Why it matters
A writer allowed `s3:PutObject` but not the KMS actions gets 403 AccessDenied on every upload,
and the message names the KMS action only for same-account requests.

## What it cannot see
KMS key policies, grants and the key's state (disabled, pending deletion), and organisation
policies on `kms:` actions are not readable without KMS permissions of the key's account. The
check warns that the writer needs the KMS permissions instead of passing; the dry run (with a
multipart probe under SSE-KMS) proves them for the caller.

## How to fix
Add to the export user's IAM policy, with the key ARN this check reports:
`{"Sid":"UseBucketKmsKey","Effect":"Allow","Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"KEY-ARN"}`
Across accounts, the key policy must allow the same actions for the writer, and the bucket must
use a customer managed key given by ARN.

## Errors this prevents
`bucket-preflight diagnose` names these; this check confirms or rules them out.
- `AccessDenied` or `KMS.AccessDeniedException` when the writer may not use the bucket's KMS key,
  `KMS.DisabledException` and `KMS.NotFoundException` when the key is disabled or gone: cause
  `kms-key`.

## References
- Protecting data with SSE-KMS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
- Permissions for SSE-KMS uploads: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms
- S3 Bucket Keys: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
"#,
};

/// Whether a KMS key id names an alias rather than a key.
pub fn is_alias(key: &str) -> bool {
    key.starts_with("alias/") || key.contains(":alias/")
}

#[async_trait]
impl Check for Encryption {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let encryption = match ctx.encryption().await {
            Ok(encryption) => encryption,
            Err(failure) => {
                return unreadable(
                    "default encryption",
                    "s3:GetEncryptionConfiguration",
                    &ctx.bucket_arn(),
                    "ReadDefaultEncryption",
                    failure,
                )
            }
        };
        let Some(encryption) = encryption else {
            return Outcome::pass("no default encryption configured: S3 encrypts new objects with SSE-S3, which needs nothing from the writer")
                .with_evidence("algorithm", "none");
        };
        let evidence = |o: Outcome| {
            o.with_evidence("algorithm", encryption.algorithm.as_str())
                .with_evidence("kms_key", serde_json::json!(encryption.kms_key))
                .with_evidence(
                    "bucket_key_enabled",
                    serde_json::json!(encryption.bucket_key),
                )
        };
        if !encryption.algorithm.starts_with("aws:kms") {
            return evidence(Outcome::pass(format!(
                "default encryption is SSE-S3 ({}): nothing needed from the writer",
                encryption.algorithm
            )));
        }
        let mut notes = Vec::new();
        let key = match &encryption.kms_key {
            None => {
                notes.push("it is the AWS managed key aws/s3, whose key policy cannot be changed: a writer from another account cannot use it");
                "the AWS managed key aws/s3".to_owned()
            }
            Some(key) if key.ends_with("alias/aws/s3") => {
                notes.push("it is the AWS managed key aws/s3, whose key policy cannot be changed: a writer from another account cannot use it");
                key.clone()
            }
            Some(key) if is_alias(key) => {
                notes.push("the key is given by alias, and aliases resolve in the caller's account: give the bucket's default encryption the key ARN instead");
                key.clone()
            }
            Some(key) => key.clone(),
        };
        let resource = encryption
            .kms_key
            .clone()
            .filter(|k| k.starts_with("arn:") && !is_alias(k))
            .unwrap_or_else(|| "KEY-ARN".into());
        let statement = serde_json::json!({"Sid": "UseBucketKmsKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": resource});
        let mut outcome = Outcome::warn(
            format!("default encryption is {} with {key}: the writer needs kms:GenerateDataKey (and kms:Decrypt for multipart uploads) on that key", encryption.algorithm),
            format!("Add to the export user's IAM policy: {statement}. If the writer is in another account, the key policy must allow the same actions for it."),
        );
        if !notes.is_empty() {
            outcome = outcome.with_detail(notes.join("; "));
        }
        evidence(outcome)
    }
}
