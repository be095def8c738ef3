//! Facts about one bucket, each fetched at most once per run and shared by every check.
//!
//! HeadBucket says whether the bucket exists and, through `x-amz-bucket-region` (sent even on
//! 301 and 403 answers), where it lives. Every answer a check sees comes from that region, so
//! no check ever mistakes a wrong-region answer for a permission problem. The first wave
//! (`first_wave.rs`) asks before HeadBucket has answered, and its answers count only where the
//! region it asked turns out to be the bucket's.
//!
//! This module holds the facts' types and cells; the readers live below, by topic:
//! `existence.rs` (HeadBucket, location, owner), `access_controls.rs` (Block Public Access,
//! Object Ownership), `bucket_settings.rs` (versioning, encryption, policy, requester pays,
//! object lock), `side_effects.rs` (replication, notifications).

use crate::acl_rules::{BpaFlags, Ownership};
use crate::api_error::ApiFailure;
use crate::context::Context;
use tokio::sync::OnceCell;

mod access_controls;
mod bucket_settings;
mod existence;
mod first_wave;
mod side_effects;
pub use side_effects::{Notification, ReplicationRule};

pub type Fetched<T> = Result<T, ApiFailure>;

/// What HeadBucket established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Existence {
    /// Exists and these credentials may use it.
    Reachable,
    /// 404: no bucket of that name, in any account.
    Missing,
    /// 403: the bucket exists, but these credentials may not use it (or another account owns it).
    Forbidden,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub existence: Existence,
    /// The bucket's region as S3 reported it in `x-amz-bucket-region`.
    pub region: Option<String>,
    /// The region first asked, when S3 answered that the bucket lives elsewhere.
    pub redirected_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versioning {
    NeverEnabled,
    Enabled,
    Suspended,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultEncryption {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key: Option<String>,
    pub bucket_key: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectLock {
    pub enabled: bool,
    /// Default retention, such as "GOVERNANCE for 1 day".
    pub default_retention: Option<String>,
}

/// The cells behind the facts; see the accessor methods on [`Context`].
#[derive(Default)]
pub(crate) struct BucketFacts {
    head: OnceCell<Fetched<Head>>,
    location: OnceCell<Fetched<String>>,
    public_access_block: OnceCell<Fetched<Option<BpaFlags>>>,
    account_public_access_block: OnceCell<Fetched<Option<BpaFlags>>>,
    ownership: OnceCell<Fetched<Option<Ownership>>>,
    versioning: OnceCell<Fetched<Versioning>>,
    encryption: OnceCell<Fetched<Option<DefaultEncryption>>>,
    policy: OnceCell<Fetched<Option<String>>>,
    requester_pays: OnceCell<Fetched<bool>>,
    object_lock: OnceCell<Fetched<ObjectLock>>,
    owned_by_caller: OnceCell<Fetched<bool>>,
    export_listing: OnceCell<Fetched<i32>>,
    /// Who owns the bucket (see `bucket_owner.rs`).
    pub(crate) owner: crate::bucket_owner::OwnerFacts,
    replication: OnceCell<Fetched<Vec<ReplicationRule>>>,
    notifications: OnceCell<Fetched<Vec<Notification>>>,
    /// The first wave's answers, asked before the bucket's region was known.
    early: first_wave::EarlyReads,
}

/// `LocationConstraint` to region code: empty or absent means us-east-1, `EU` means eu-west-1.
pub fn normalise_location(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(region) => region.to_owned(),
    }
}

/// Maps "not configured" answers to `None`, everything else to the failure.
fn absent_when<T>(result: Result<T, ApiFailure>, codes: &[&str]) -> Fetched<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(failure) if codes.iter().any(|c| failure.code_is(c)) => Ok(None),
        Err(failure) => Err(failure),
    }
}

impl Context {
    fn bucket(&self) -> &str {
        &self.target.bucket
    }

    /// An S3 client in the bucket's region (as far as it is known).
    pub async fn s3(&self) -> Fetched<aws_sdk_s3::Client> {
        self.s3_and_region().await.map(|(client, _)| client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints_normalise() {
        assert_eq!(normalise_location(None), "us-east-1");
        assert_eq!(normalise_location(Some("")), "us-east-1");
        assert_eq!(normalise_location(Some("EU")), "eu-west-1");
        assert_eq!(normalise_location(Some("ap-southeast-2")), "ap-southeast-2");
    }
}
