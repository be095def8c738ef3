//! The bucket settings that shape an upload and what becomes of it: versioning, default
//! encryption, the bucket policy, requester pays, and object lock.

use super::{absent_when, DefaultEncryption, Fetched, ObjectLock, Versioning};
use crate::api_error::ApiFailure;
use crate::context::Context;
use aws_sdk_s3::types::{BucketVersioningStatus, Payer};

impl Context {
    pub async fn versioning(&self) -> &Fetched<Versioning> {
        self.facts
            .versioning
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.versioning, |s3| self.read_versioning(s3))
            })
            .await
    }

    pub(super) async fn read_versioning(&self, s3: aws_sdk_s3::Client) -> Fetched<Versioning> {
        let out = s3
            .get_bucket_versioning()
            .bucket(self.bucket())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e))?;
        Ok(match out.status() {
            Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
            Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
            _ => Versioning::NeverEnabled,
        })
    }

    /// Default encryption; `None` when none is configured.
    pub async fn encryption(&self) -> &Fetched<Option<DefaultEncryption>> {
        self.facts
            .encryption
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.encryption, |s3| self.read_encryption(s3))
            })
            .await
    }

    pub(super) async fn read_encryption(
        &self,
        s3: aws_sdk_s3::Client,
    ) -> Fetched<Option<DefaultEncryption>> {
        let answer = s3
            .get_bucket_encryption()
            .bucket(self.bucket())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e));
        match absent_when(answer, &["ServerSideEncryptionConfigurationNotFoundError"])? {
            None => Ok(None),
            Some(o) => {
                let rule = o
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first());
                let default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
                match (rule, default) {
                    (Some(rule), Some(default)) => Ok(Some(DefaultEncryption {
                        algorithm: default.sse_algorithm().as_str().to_owned(),
                        kms_key: default.kms_master_key_id().map(str::to_owned),
                        bucket_key: rule.bucket_key_enabled(),
                    })),
                    _ => Err(ApiFailure::unreadable_answer(
                        "GetBucketEncryption returned no default encryption rule",
                    )),
                }
            }
        }
    }

    /// The bucket policy document; `None` when the bucket has none.
    pub async fn policy(&self) -> &Fetched<Option<String>> {
        self.facts
            .policy
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.policy, |s3| self.read_policy(s3))
            })
            .await
    }

    pub(super) async fn read_policy(&self, s3: aws_sdk_s3::Client) -> Fetched<Option<String>> {
        let answer = s3
            .get_bucket_policy()
            .bucket(self.bucket())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e));
        match absent_when(answer, &["NoSuchBucketPolicy"])? {
            None => Ok(None),
            Some(o) => o.policy().map(|p| Some(p.to_owned())).ok_or_else(|| {
                ApiFailure::unreadable_answer("GetBucketPolicy answered without a policy")
            }),
        }
    }

    /// Whether requester pays is on.
    pub async fn requester_pays(&self) -> &Fetched<bool> {
        self.facts
            .requester_pays
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.requester_pays, |s3| {
                    self.read_requester_pays(s3)
                })
            })
            .await
    }

    pub(super) async fn read_requester_pays(&self, s3: aws_sdk_s3::Client) -> Fetched<bool> {
        let out = s3
            .get_bucket_request_payment()
            .bucket(self.bucket())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e))?;
        Ok(out.payer() == Some(&Payer::Requester))
    }

    pub async fn object_lock(&self) -> &Fetched<ObjectLock> {
        self.facts
            .object_lock
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.object_lock, |s3| {
                    self.read_object_lock(s3)
                })
            })
            .await
    }

    pub(super) async fn read_object_lock(&self, s3: aws_sdk_s3::Client) -> Fetched<ObjectLock> {
        let answer = s3
            .get_object_lock_configuration()
            .bucket(self.bucket())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e));
        let config = absent_when(answer, &["ObjectLockConfigurationNotFoundError"])?;
        let config = config.as_ref().and_then(|o| o.object_lock_configuration());
        let enabled = config
            .and_then(|c| c.object_lock_enabled())
            .is_some_and(|e| e.as_str() == "Enabled");
        let default_retention = config
            .and_then(|c| c.rule())
            .and_then(|r| r.default_retention())
            .map(|d| {
                let mode = d
                    .mode()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_else(|| "retention".into());
                match (d.days(), d.years()) {
                    (Some(days), _) => format!("{mode} for {days} day(s)"),
                    (_, Some(years)) => format!("{mode} for {years} year(s)"),
                    _ => mode,
                }
            });
        Ok(ObjectLock {
            enabled,
            default_retention,
        })
    }
}
