//! Whether and where the bucket exists, and whose it is: HeadBucket (following one wrong-region
//! redirect), GetBucketLocation, and HeadBucket naming an expected owner; and the export's own
//! listing of it.

use super::{normalise_location, Existence, Fetched, Head};
use crate::api_error::ApiFailure;
use crate::context::Context;

impl Context {
    /// ListObjectsV2 for at most one key under the path's fixed prefix, as the export lists
    /// the bucket: the number of keys it returned.
    pub async fn export_listing(&self) -> &Fetched<i32> {
        self.facts
            .export_listing
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.export_listing, |s3| {
                    self.read_export_listing(s3)
                })
            })
            .await
    }

    pub(super) async fn read_export_listing(&self, s3: aws_sdk_s3::Client) -> Fetched<i32> {
        let out = s3
            .list_objects_v2()
            .bucket(self.bucket())
            .prefix(self.target.key_prefix())
            .max_keys(1)
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e))?;
        Ok(out.key_count().unwrap_or(0))
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

    pub(super) async fn read_location(&self, s3: aws_sdk_s3::Client) -> Fetched<String> {
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
