//! Facts about one bucket, each fetched at most once per run and shared by every check.
//!
//! HeadBucket says whether the bucket exists and, through `x-amz-bucket-region` (sent even on
//! 301 and 403 answers), where it lives. Every answer a check sees comes from that region, so
//! no check ever mistakes a wrong-region answer for a permission problem. The first wave
//! (`first_wave.rs`) asks before HeadBucket has answered, and its answers count only where the
//! region it asked turns out to be the bucket's.

use crate::acl_rules::{BpaFlags, Ownership};
use crate::api_error::ApiFailure;
use crate::context::Context;
use aws_sdk_s3::types::{BucketVersioningStatus, Payer};
use tokio::sync::OnceCell;

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
    fn bucket(&self) -> &str {
        &self.target.bucket
    }

    /// An S3 client in the bucket's region (as far as it is known).
    pub async fn s3(&self) -> Fetched<aws_sdk_s3::Client> {
        self.s3_and_region().await.map(|(client, _)| client)
    }

    /// HeadBucket, in `bucket_region` (or the session's region) first, then — if S3 answers
    /// that the bucket lives elsewhere — once more in the region it names.
    pub async fn head(&self) -> &Fetched<Head> {
        self.facts
            .head
            .get_or_init(|| async {
                let session = self
                    .session()
                    .ok_or_else(|| ApiFailure::local("not available offline"))?;
                let first = self
                    .target
                    .bucket_region
                    .clone()
                    .unwrap_or_else(|| session.region().0.to_owned());
                let mut head = self.head_in(&first).await?;
                if let Some(region) = head.redirected_to.take() {
                    head = self.head_in(&region).await?;
                    if head.redirected_to.is_some() {
                        // Redirected again: nothing has answered for the bucket itself.
                        return Err(ApiFailure::local(format!("S3 redirected HeadBucket from {first} to {region} and then elsewhere again")));
                    }
                    head.head.redirected_from = Some(first);
                }
                Ok(head.head)
            })
            .await
    }

    async fn head_in(&self, region: &str) -> Fetched<HeadAttempt> {
        let session = self
            .session()
            .ok_or_else(|| ApiFailure::local("not available offline"))?;
        let client = session
            .s3(Some(region))
            .await
            .map_err(|p| ApiFailure::local(p.to_string()))?;
        let answer = client
            .head_bucket()
            .bucket(self.bucket())
            .set_expected_bucket_owner(self.settings.expected_owner.clone())
            .send()
            .await;
        let attempt = |existence, region: Option<String>| HeadAttempt {
            head: Head {
                existence,
                region,
                redirected_from: None,
            },
            redirected_to: None,
        };
        match answer {
            Ok(out) => Ok(attempt(
                Existence::Reachable,
                out.bucket_region().map(str::to_owned),
            )),
            Err(err) => {
                let failure = ApiFailure::from_sdk(&err);
                if failure.is_wrong_region() {
                    if let Some(actual) = failure.redirect_region().filter(|r| r != region) {
                        let mut retry = attempt(Existence::Reachable, Some(actual.clone()));
                        retry.redirected_to = Some(actual);
                        return Ok(retry);
                    }
                }
                match failure.status {
                    Some(404) => Ok(attempt(Existence::Missing, failure.bucket_region.clone())),
                    Some(403) => Ok(attempt(Existence::Forbidden, failure.bucket_region.clone())),
                    _ => Err(failure),
                }
            }
        }
    }

    /// GetBucketLocation, normalised to a region code. The export service calls it whenever
    /// `bucket_region` is not set, so its permission matters on its own.
    pub async fn location(&self) -> &Fetched<String> {
        self.facts
            .location
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.location, |s3| self.read_location(s3))
            })
            .await
    }

    async fn read_location(&self, s3: aws_sdk_s3::Client) -> Fetched<String> {
        let out = s3
            .get_bucket_location()
            .bucket(self.bucket())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e))?;
        Ok(normalise_location(
            out.location_constraint().map(|c| c.as_str()),
        ))
    }

    /// The bucket's region: HeadBucket's header, else GetBucketLocation.
    pub async fn bucket_region(&self) -> Fetched<String> {
        if let Ok(Head {
            region: Some(region),
            ..
        }) = self.head().await
        {
            return Ok(region.clone());
        }
        self.location().await.clone()
    }

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

    async fn read_public_access_block(&self, s3: aws_sdk_s3::Client) -> Fetched<Option<BpaFlags>> {
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

    async fn read_ownership(&self, s3: aws_sdk_s3::Client) -> Fetched<Option<Ownership>> {
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

    pub async fn versioning(&self) -> &Fetched<Versioning> {
        self.facts
            .versioning
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.versioning, |s3| self.read_versioning(s3))
            })
            .await
    }

    async fn read_versioning(&self, s3: aws_sdk_s3::Client) -> Fetched<Versioning> {
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

    async fn read_encryption(&self, s3: aws_sdk_s3::Client) -> Fetched<Option<DefaultEncryption>> {
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

    async fn read_policy(&self, s3: aws_sdk_s3::Client) -> Fetched<Option<String>> {
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

    async fn read_requester_pays(&self, s3: aws_sdk_s3::Client) -> Fetched<bool> {
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

    async fn read_object_lock(&self, s3: aws_sdk_s3::Client) -> Fetched<ObjectLock> {
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

    /// Whether the caller's account owns the bucket: HeadBucket with
    /// `x-amz-expected-bucket-owner` set to the caller's account answers 200 only then.
    pub async fn owned_by_caller(&self) -> &Fetched<bool> {
        self.facts
            .owned_by_caller
            .get_or_init(|| async {
                let session = self
                    .session()
                    .ok_or_else(|| ApiFailure::local("not available offline"))?;
                let identity = session
                    .identity()
                    .await
                    .map_err(|_| ApiFailure::local("the caller's account is unknown"))?;
                self.head_naming_owner(&identity.account).await
            })
            .await
    }

    /// HeadBucket naming `account` as the owner (`x-amz-expected-bucket-owner`), uncached:
    /// `Ok(true)` on 200, `Ok(false)` on 403 (another account owns it, or access is denied).
    pub(crate) async fn head_naming_owner(&self, account: &str) -> Fetched<bool> {
        let s3 = self.s3().await?;
        match s3
            .head_bucket()
            .bucket(self.bucket())
            .expected_bucket_owner(account)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) => {
                let failure = ApiFailure::from_sdk(&err);
                if failure.status == Some(403) {
                    Ok(false)
                } else {
                    Err(failure)
                }
            }
        }
    }
}

struct HeadAttempt {
    head: Head,
    redirected_to: Option<String>,
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
