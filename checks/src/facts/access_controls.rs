//! Who may read and own what is written: Block Public Access (the bucket's and the account's)
//! and Object Ownership.

use super::{absent_when, Fetched};
use crate::acl_rules::{BpaFlags, Ownership};
use crate::api_error::ApiFailure;
use crate::context::Context;

/// Block Public Access switches from either API's configuration type (S3 and S3 Control have
/// their own, with the same accessors). A switch the answer leaves out is off.
macro_rules! bpa_flags {
    ($config:expr) => {{
        let c = $config;
        BpaFlags {
            block_public_acls: c.and_then(|c| c.block_public_acls()).unwrap_or(false),
            ignore_public_acls: c.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
            block_public_policy: c.and_then(|c| c.block_public_policy()).unwrap_or(false),
            restrict_public_buckets: c.and_then(|c| c.restrict_public_buckets()).unwrap_or(false),
        }
    }};
}

impl Context {
    /// Bucket-level Block Public Access; `None` when none is configured.
    pub async fn public_access_block(&self) -> &Fetched<Option<BpaFlags>> {
        self.facts
            .public_access_block
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.public_access_block, |s3| {
                    self.read_public_access_block(s3)
                })
            })
            .await
    }

    pub(super) async fn read_public_access_block(
        &self,
        s3: aws_sdk_s3::Client,
    ) -> Fetched<Option<BpaFlags>> {
        let answer = s3
            .get_public_access_block()
            .bucket(self.bucket())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e));
        absent_when(answer, &["NoSuchPublicAccessBlockConfiguration"])
            .map(|out| out.map(|o| bpa_flags!(o.public_access_block_configuration())))
    }

    /// Account-level Block Public Access (S3 Control), for the caller's account.
    pub async fn account_public_access_block(&self) -> &Fetched<Option<BpaFlags>> {
        self.facts
            .account_public_access_block
            .get_or_init(|| async {
                let session = self
                    .session()
                    .ok_or_else(|| ApiFailure::local("not available offline"))?;
                let identity = session
                    .identity()
                    .await
                    .map_err(|_| ApiFailure::local("the caller's account is unknown"))?;
                let client = session
                    .s3control()
                    .await
                    .map_err(|p| ApiFailure::local(p.to_string()))?;
                let answer = client
                    .get_public_access_block()
                    .account_id(&identity.account)
                    .send()
                    .await
                    .map_err(|e| ApiFailure::from_sdk(&e));
                absent_when(answer, &["NoSuchPublicAccessBlockConfiguration"])
                    .map(|out| out.map(|o| bpa_flags!(o.public_access_block_configuration())))
            })
            .await
    }

    /// Object Ownership; `None` when no ownership controls are configured.
    pub async fn ownership(&self) -> &Fetched<Option<Ownership>> {
        self.facts
            .ownership
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.ownership, |s3| self.read_ownership(s3))
            })
            .await
    }

    pub(super) async fn read_ownership(
        &self,
        s3: aws_sdk_s3::Client,
    ) -> Fetched<Option<Ownership>> {
        let answer = s3
            .get_bucket_ownership_controls()
            .bucket(self.bucket())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e));
        match absent_when(answer, &["OwnershipControlsNotFoundError"])? {
            None => Ok(None),
            // Controls that are there but name no known setting are unreadable, not absent.
            Some(o) => o
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .and_then(|rule| Ownership::parse(rule.object_ownership().as_str()))
                .map(Some)
                .ok_or_else(|| {
                    ApiFailure::unreadable_answer(
                        "GetBucketOwnershipControls named no known Object Ownership setting",
                    )
                }),
        }
    }
}
