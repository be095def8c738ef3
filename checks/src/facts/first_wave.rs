//! The first wave: every read of an online run that depends on no other answer, started at
//! once, so that a run costs one round trip for all of them instead of one after another.
//!
//! Bucket reads must go to the bucket's region, which only HeadBucket tells. The wave does not
//! wait for it: it sends them to the region known so far (`bucket_region`, else the session's)
//! and keeps each answer in an *early* cell beside the fact's own cell. A fact's accessor,
//! once HeadBucket has answered, takes the early answer only when the bucket's region is the
//! one the wave asked; otherwise the early answer (a redirect, or worse) is dropped and the
//! read is sent again to the right region. No check ever sees a wrong-region answer.

use super::Fetched;
use crate::api_error::ApiFailure;
use crate::context::Context;
use std::future::Future;
use tokio::sync::OnceCell;

/// Answers the first wave fetched in [`Context::first_wave_region`], before the bucket's
/// region was known. Only [`Context::in_bucket_region`] reads them.
#[derive(Default)]
pub(crate) struct EarlyReads {
    pub location: OnceCell<Fetched<String>>,
    pub public_access_block: OnceCell<Fetched<Option<crate::acl_rules::BpaFlags>>>,
    pub ownership: OnceCell<Fetched<Option<crate::acl_rules::Ownership>>>,
    pub versioning: OnceCell<Fetched<super::Versioning>>,
    pub encryption: OnceCell<Fetched<Option<super::DefaultEncryption>>>,
    pub policy: OnceCell<Fetched<Option<String>>>,
    pub requester_pays: OnceCell<Fetched<bool>>,
    pub object_lock: OnceCell<Fetched<super::ObjectLock>>,
    pub replication: OnceCell<Fetched<Vec<super::ReplicationRule>>>,
    pub notifications: OnceCell<Fetched<Vec<super::Notification>>>,
    pub export_listing: OnceCell<Fetched<i32>>,
}

impl Context {
    /// The region the first wave asks: `bucket_region`, else the session's region — the same
    /// region HeadBucket asks first.
    pub(crate) fn first_wave_region(&self) -> Option<String> {
        let session = self.session()?;
        Some(
            self.target
                .bucket_region
                .clone()
                .unwrap_or_else(|| session.region().0.to_owned()),
        )
    }

    /// An S3 client in the bucket's region (HeadBucket's answer, else the first wave's
    /// region), and that region.
    pub(crate) async fn s3_and_region(&self) -> Fetched<(aws_sdk_s3::Client, String)> {
        let session = self
            .session()
            .ok_or_else(|| ApiFailure::local("not available offline"))?;
        let region = match self.head().await {
            Ok(super::Head {
                region: Some(region),
                ..
            }) => region.clone(),
            _ => self
                .first_wave_region()
                .unwrap_or_else(|| session.region().0.to_owned()),
        };
        let client = session
            .s3(Some(&region))
            .await
            .map_err(|p| ApiFailure::local(p.to_string()))?;
        Ok((client, region))
    }

    /// `read` in the bucket's region: the first wave's answer from `early` when the wave asked
    /// that region (waiting for it if it is still under way), else a fresh request.
    pub(crate) async fn in_bucket_region<'a, T, F, Fut>(
        &'a self,
        early: &'a OnceCell<Fetched<T>>,
        read: F,
    ) -> Fetched<T>
    where
        T: Clone,
        F: FnOnce(aws_sdk_s3::Client) -> Fut,
        Fut: Future<Output = Fetched<T>> + 'a,
    {
        let (s3, region) = self.s3_and_region().await?;
        if self.first_wave_region().as_deref() == Some(region.as_str()) {
            early.get_or_init(|| read(s3)).await.clone()
        } else {
            read(s3).await
        }
    }

    /// Starts `read` in the first wave's region, unless an answer is already there or coming.
    async fn early<'a, T, F, Fut>(&'a self, early: &'a OnceCell<Fetched<T>>, read: F)
    where
        F: FnOnce(aws_sdk_s3::Client) -> Fut,
        Fut: Future<Output = Fetched<T>> + 'a,
    {
        let Some(region) = self.first_wave_region() else {
            return;
        };
        early
            .get_or_init(|| async {
                let session = self
                    .session()
                    .ok_or_else(|| ApiFailure::local("not available offline"))?;
                let s3 = session
                    .s3(Some(&region))
                    .await
                    .map_err(|p| ApiFailure::local(p.to_string()))?;
                read(s3).await
            })
            .await;
    }

    /// Fetches, all at once, every fact a full online run reads: the caller's identity,
    /// HeadBucket, the bucket's configuration and the probe's listing (these in the region
    /// known so far, see the module comment), and — as soon as identity and HeadBucket have
    /// answered — the owner's HeadBucket; and it opens the connection of the dry run's
    /// anonymous GET ([`crate::public_read::warm_connection`]). Checks await the same cells, so each request is
    /// still sent once; a check that needs nothing of this simply finds it done. Reads only:
    /// nothing here writes.
    pub async fn prefetch(&self) {
        let Some(session) = self.session() else {
            return;
        };
        let early = &self.facts.early;
        let identity = async {
            let _ = session.identity().await;
        };
        let head = async {
            let _ = self.head().await;
        };
        let owner = async {
            let _ = self.bucket_owner().await;
        };
        let location = async {
            // Only read where `bucket_region` is missing (the region check needs it then).
            if self.target.bucket_region.is_none() {
                self.early(&early.location, |s3| self.read_location(s3))
                    .await;
            }
        };
        let listing = async {
            if self.settings.write {
                self.early(&self.probe_cell.listing, |s3| self.read_listing(s3))
                    .await;
            }
        };
        // The dry run ends with an anonymous GET of the probe's URL, on a client of its own:
        // open that connection now, so the GET does not wait for one.
        let anonymous = async {
            // Never towards a malformed url_prefix (store-params names it): the probe does not
            // fetch its glued URLs either.
            let prefix_is_sound = self
                .target
                .url_prefix
                .as_deref()
                .is_none_or(|prefix| crate::url_prefix::problems(prefix).is_empty());
            if self.settings.write && prefix_is_sound {
                crate::public_read::warm_connection(&self.url_for("")).await;
            }
        };
        // `join!` sends in this order, and a busy endpoint tends to answer in it: what the
        // upload waits for goes first — the identity (the dry run follows the credentials
        // check), HeadBucket, the listing, object lock and the policy's demanded SSE — and the
        // anonymous connection last.
        futures::join!(
            identity,
            head,
            listing,
            self.early(&early.object_lock, |s3| self.read_object_lock(s3)),
            self.early(&early.policy, |s3| self.read_policy(s3)),
            owner,
            location,
            self.early(&early.public_access_block, |s3| self
                .read_public_access_block(s3)),
            self.early(&early.ownership, |s3| self.read_ownership(s3)),
            self.early(&early.versioning, |s3| self.read_versioning(s3)),
            self.early(&early.encryption, |s3| self.read_encryption(s3)),
            self.early(&early.requester_pays, |s3| self.read_requester_pays(s3)),
            self.early(&early.replication, |s3| self.read_replication(s3)),
            self.early(&early.notifications, |s3| self.read_notifications(s3)),
            self.early(&early.export_listing, |s3| self.read_export_listing(s3)),
            anonymous,
        );
    }
}
