//! `encryption`: default encryption, and what SSE-KMS asks of the writer.

use crate::check::{Category, Check, CheckInfo};
use crate::denial::unreadable;
use crate::store_headers;
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

When the store step's `headers` send `x-amz-server-side-encryption`, S3 applies that instead of
the default, so the check judges the step's choice without reading the default: `AES256` needs
nothing; `aws:kms` (or `aws:kms:dsse`) needs the KMS actions on the key named in
`x-amz-server-side-encryption-aws-kms-key-id` — or, without that header, on the AWS managed key
`aws/s3` (not the bucket's default key), which a writer from another account cannot use.

## Why it matters
A writer allowed `s3:PutObject` but not the KMS actions gets 403 AccessDenied on every upload,
and the message names the KMS action only for same-account requests.

## What it cannot see
KMS key policies, grants and the key's state (disabled, pending deletion), and organisation
policies on `kms:` actions are not readable without KMS permissions of the key's account. The
check warns that the writer needs the KMS permissions instead of passing; the dry run (with a
multipart probe under SSE-KMS) proves them for the caller.

## How to fix
Add to the export user's IAM policy, with the key ARN this check reports (the step's own key
when its `headers` name one):
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
- PutObject encryption headers: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#AmazonS3-PutObject-request-header-X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id
- Permissions for SSE-KMS uploads: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms
- S3 Bucket Keys: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
"#,
};

/// The verdict when the store step's `headers` choose the encryption: S3 applies what the
/// upload asks for, whatever the bucket's default is.
fn step_encryption(sse: &str, kms_key: Option<&str>) -> Outcome {
    let evidence = |o: Outcome| {
        o.with_evidence("algorithm", sse)
            .with_evidence("kms_key", serde_json::json!(kms_key))
            .with_evidence("source", "store step headers")
    };
    if !sse.starts_with("aws:kms") {
        // A value S3 refuses is reported by store-params; AES256 needs nothing.
        return evidence(Outcome::pass(format!(
            "the store step's headers ask for x-amz-server-side-encryption: {sse}, whatever the bucket's default: nothing needed from the writer"
        )));
    }
    let mut notes = Vec::new();
    let (key, resource) = match kms_key {
        None => {
            notes.push("without x-amz-server-side-encryption-aws-kms-key-id S3 uses the AWS managed key aws/s3 (not the bucket's default key), whose key policy cannot be changed: a writer from another account cannot use it");
            (
                "the AWS managed key aws/s3".to_owned(),
                "KEY-ARN".to_owned(),
            )
        }
        Some(key) if is_alias(key) => {
            notes.push("the key is given by alias, and aliases resolve in the caller's account: name the key by its ARN in the header");
            (key.to_owned(), "KEY-ARN".to_owned())
        }
        Some(key) if !key.starts_with("arn:") => {
            notes.push("the key is given by id, which S3 resolves in the caller's account: name it by its ARN for a writer from another account");
            (key.to_owned(), "KEY-ARN".to_owned())
        }
        Some(key) => (key.to_owned(), key.to_owned()),
    };
    let statement = serde_json::json!({"Sid": "UseExportKmsKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": resource});
    let mut outcome = Outcome::warn(
        format!("the store step's headers encrypt uploads with {sse} and {key} (not the bucket's default): the writer needs kms:GenerateDataKey (and kms:Decrypt for multipart uploads) on that key"),
        format!("Add to the export user's IAM policy: {statement}. If the writer is in another account, the key policy must allow the same actions for it."),
    );
    if !notes.is_empty() {
        outcome = outcome.with_detail(notes.join("; "));
    }
    evidence(outcome)
}

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
        // An encryption header of the store step decides over the bucket's default.
        if let Some(sse) = store_headers::step_sse(&ctx.target) {
            return step_encryption(sse, store_headers::step_kms_key(&ctx.target));
        }
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

#[cfg(test)]
mod step_header_tests {
    use super::*;
    use crate::{Status, Target};

    /// Offline: a step that names its own key is judged without reading the bucket's default.
    #[tokio::test]
    async fn the_steps_kms_key_is_the_one_the_writer_needs() {
        let mut target = Target::new("b");
        target.headers = vec![
            ("x-amz-server-side-encryption".into(), "aws:kms".into()),
            (
                "x-amz-server-side-encryption-aws-kms-key-id".into(),
                "arn:aws:kms:eu-west-1:111122223333:key/step-key".into(),
            ),
        ];
        let outcome = Encryption.run(&Context::offline(target.clone())).await;
        assert_eq!(outcome.status, Status::Warn, "{outcome:?}");
        let fix = outcome.remediation.unwrap_or_default();
        assert!(fix.contains("key/step-key"), "{fix}");
        assert!(outcome.summary.contains("not the bucket's default"));

        target.headers.truncate(1);
        let outcome = Encryption.run(&Context::offline(target.clone())).await;
        assert!(
            outcome.detail.unwrap_or_default().contains("aws/s3"),
            "no key id: the AWS managed key"
        );

        target.headers = vec![("x-amz-server-side-encryption".into(), "AES256".into())];
        let outcome = Encryption.run(&Context::offline(target)).await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
    }
}
