//! The dry-run upload: the tool's only write, shared by `dry-run-put` and `public-url`.
//!
//! Every run proves the upload, never touches an object it did not write, and says what it
//! left. How (the choice is documented in `dry-run-put` too):
//! - Keys: each run has a key of its own under the path's fixed prefix, reserved and
//!   self-identifying: `PREFIX` + `bucket-preflight-probe-<run id>.txt`, or shaped like
//!   `--probe-key` (see [`naming`]). Two runs at once never share a key.
//! - Leftovers: ListObjectsV2 on `PREFIX` + `bucket-preflight-probe-` (s3:ListBucket, which the
//!   export needs anyway) finds probes earlier runs could not delete, recognised by name and
//!   size. A run that cannot delete its probe marks it abandoned by rewriting it one note
//!   longer (`If-Match` on its own ETag); a probe of a running run's size is never a leftover,
//!   so concurrent runs never touch each other's. When there is an abandoned one, the run writes
//!   over the oldest with `If-Match` on the ETag from the listing (s3:PutObject only; anything
//!   written there in between makes it 412 and is left alone) instead of adding a key: without
//!   delete permission, at most one probe stays per prefix, and each run still proves the
//!   upload. Otherwise it writes its own key — with no conditional header when the listing
//!   showed it free, so that the probe's request is exactly the export's (a policy demanding or
//!   refusing conditional writes judges both alike), else with `If-None-Match: *`.
//! - Cleanup removes exactly what this run wrote (its versions, or the object only while its
//!   ETag is still this run's): see [`cleanup`]. It survives a timeout cutting the check short.
//! - Under SSE-KMS a one-part multipart upload proves large files too ([`multipart`]).
//! - Where object lock's state is unknown, the written probe is checked for retention
//!   (HeadObject: `x-amz-object-lock-mode`, `-retain-until-date`); a retained probe is not
//!   deleted, and the report says until when it stays.
//!
//! On versioned buckets, replacing a leftover adds a version that the cleanup deletes again by
//! id; without s3:DeleteObjectVersion each run leaves one noncurrent version of that one key.

mod cleanup;
mod footprint;
mod multipart;
pub mod naming;
pub mod policy_fit;
mod signed_url;
mod step_request;

pub use crate::public_read::{read_anonymously, PublicRead};
pub use cleanup::{finish_interrupted_cleanups, Cleanup, Write};
pub use footprint::Footprint;
pub use multipart::Multipart;
pub use naming::{probe_body, validate_probe_key, KeyShape, PROBE_BODY, PROBE_LEN, PROBE_MARKER};
pub use policy_fit::Precondition;
pub use signed_url::MAX_SECONDS as MAX_SIGNED_URL_SECONDS;
pub use step_request::content_md5;

use crate::api_error::ApiFailure;
use crate::facts::{ObjectLock, Versioning};
use crate::Context;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectCannedAcl, ServerSideEncryption};
use cleanup::{CleanupGuard, CleanupJob};
use multipart::MultipartProbe;
use tokio::sync::OnceCell;

#[derive(Debug, Clone)]
pub enum Upload {
    /// Not written, with the reason.
    NotAttempted(String),
    /// Written; `replaced_earlier_probe` when it wrote over a probe an earlier run left.
    Written {
        version_id: Option<String>,
        replaced_earlier_probe: bool,
    },
    /// Something appeared at this run's own, fresh key before the write: left untouched.
    KeyTaken,
    Failed(ApiFailure),
}

/// Whether object lock keeps the written probe.
#[derive(Debug, Clone, PartialEq)]
pub enum Retention {
    /// Object lock is known to be off, or nothing was written.
    NotChecked,
    NotRetained,
    Retained {
        mode: String,
        until: String,
    },
    /// HeadObject was refused (it needs s3:GetObject).
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct ProbeReport {
    /// The key written (this run's own, or the earlier probe it replaced).
    pub key: String,
    pub url: String,
    pub run_id: String,
    pub upload: Upload,
    pub public_read: PublicRead,
    /// With `sign_urls_for`: the GET of a URL presigned with the run's credentials, as the
    /// signed result URL is.
    pub signed_read: Option<PublicRead>,
    pub cleanup: Cleanup,
    /// The `x-amz-server-side-encryption` value the upload sent: the store step's own, or else
    /// the one the bucket policy demands (so that the dry run tests everything else).
    pub sse: Option<String>,
    /// What the upload sent because of the store step's `headers` and `tags`.
    pub step: crate::store_headers::ProbeHeaders,
    /// The conditional header the write carried.
    pub precondition: Option<Precondition>,
    /// Encryption S3 applied to the probe (from the PutObject answer), and the KMS key.
    pub applied_sse: Option<String>,
    pub kms_key: Option<String>,
    pub multipart: Multipart,
    /// Earlier probes under the prefix that this run left as they are.
    pub other_leftovers: Vec<String>,
    /// GetObjectLockConfiguration was refused: a retained probe could not have been foreseen.
    pub lock_unread: bool,
    pub retention: Retention,
}

/// This run's id and its one probe.
pub(crate) struct ProbeCell {
    run_id: String,
    report: OnceCell<ProbeReport>,
    /// The leftover listing, possibly sent by the first wave (see `facts/first_wave.rs`).
    pub(crate) listing: OnceCell<crate::facts::Fetched<(Vec<Leftover>, bool)>>,
}

impl Default for ProbeCell {
    fn default() -> Self {
        ProbeCell {
            run_id: naming::new_run_id(),
            report: OnceCell::new(),
            listing: OnceCell::new(),
        }
    }
}

/// An earlier run's probe found in the listing.
#[derive(Clone)]
pub(crate) struct Leftover {
    key: String,
    etag: String,
}

impl Context {
    /// Where this run's probes go: shaped like `--probe-key`, or the default under the prefix.
    pub fn probe_shape(&self) -> KeyShape {
        match &self.settings.probe_key {
            Some(real_key) => KeyShape::like(real_key),
            None => KeyShape::default_for(self.target.key_prefix()),
        }
    }

    /// This run's id, part of its probe key and body.
    pub fn probe_run_id(&self) -> &str {
        &self.probe_cell.run_id
    }

    /// This run's own probe key.
    pub fn probe_key(&self) -> String {
        self.probe_shape().key(self.probe_run_id())
    }

    /// The URL `key` is served at, built like every stored file's: `url_prefix` (or the
    /// default), or — on an S3-compatible endpoint without `url_prefix` — the endpoint,
    /// path-style.
    pub fn url_for(&self, key: &str) -> String {
        let prefix = match (&self.target.url_prefix, &self.target.endpoint) {
            (None, Some(endpoint)) => {
                format!("{}/{}/", endpoint.trim_end_matches('/'), self.target.bucket)
            }
            _ => self.target.effective_url_prefix(),
        };
        format!("{prefix}{}", naming::url_path(key))
    }

    /// The URL of this run's own probe key.
    pub fn probe_url(&self) -> String {
        self.url_for(&self.probe_key())
    }

    /// The SSE header the probe must send for the bucket policy to let it through, when the
    /// policy can be read and demands one (so that the dry run tests everything else).
    async fn demanded_sse(&self) -> Option<String> {
        let Ok(Some(text)) = self.policy().await else {
            return None;
        };
        crate::iam::bucket_policy::demanded_sse(&crate::iam::parse_policy(text).ok()?)
    }

    /// Runs the dry-run upload once: write, read anonymously, clean up.
    pub async fn probe(&self) -> &ProbeReport {
        self.probe_cell
            .report
            .get_or_init(|| self.run_probe())
            .await
    }

    async fn run_probe(&self) -> ProbeReport {
        let mut report = ProbeReport {
            key: self.probe_key(),
            url: self.probe_url(),
            run_id: self.probe_run_id().to_owned(),
            upload: Upload::NotAttempted(String::new()),
            public_read: PublicRead::NotChecked,
            signed_read: None,
            cleanup: Cleanup::NotNeeded,
            sse: None,
            step: crate::store_headers::probe_headers(&self.target),
            precondition: None,
            applied_sse: None,
            kms_key: None,
            multipart: Multipart::NotNeeded,
            other_leftovers: Vec::new(),
            lock_unread: false,
            retention: Retention::NotChecked,
        };
        if !self.settings.write {
            report.upload = Upload::NotAttempted("--no-write: no upload attempted".into());
            return report;
        }
        // These facts shape the upload (retention, a demanded SSE header): fetch them together.
        // Versioning (how to delete) is awaited only once the probe is written, so the upload
        // never waits for it.
        let (lock, _) = futures::join!(self.object_lock(), self.policy());
        match lock {
            Ok(ObjectLock {
                enabled: true,
                default_retention: Some(retention),
            }) if !self.settings.write_locked => {
                report.upload = Upload::NotAttempted(format!(
                    "object lock would keep the probe ({retention}); pass --write-locked to upload anyway"
                ));
                return report;
            }
            Ok(_) => {}
            Err(_) => report.lock_unread = true,
        }
        let check_retention = report.lock_unread || matches!(lock, Ok(l) if l.enabled);
        let s3 = match self.s3().await {
            Ok(s3) => s3,
            Err(failure) => {
                report.upload = Upload::Failed(failure);
                return report;
            }
        };
        report.sse = match crate::store_headers::step_sse(&self.target) {
            Some(sse) => Some(sse.to_owned()),
            None => self.demanded_sse().await,
        };
        let (leftovers, listed) = self
            .in_bucket_region(&self.probe_cell.listing, |s3| self.read_listing(s3))
            .await
            .unwrap_or_default();
        // With the lock state unknown, a retained leftover tells that every upload is kept:
        // writing again would only add one more retained version.
        if let (true, false, Some(leftover)) = (
            report.lock_unread,
            self.settings.write_locked,
            leftovers.first(),
        ) {
            if let Retention::Retained { mode, until } =
                self.retention_of(&s3, &leftover.key, &[]).await
            {
                report.upload = Upload::NotAttempted(format!(
                    "an earlier probe at {} is retained by object lock ({mode}) until {until}, so this bucket keeps every upload: nothing was written; pass --write-locked to upload anyway",
                    leftover.key
                ));
                return report;
            }
        }
        let body = probe_body(self.probe_run_id());

        // Write over the oldest leftover, or else a key of this run's own.
        let mut written = None;
        if let Some(leftover) = leftovers.first() {
            let precondition = Precondition::IfMatch(leftover.etag.clone());
            match self
                .put(
                    &s3,
                    &leftover.key,
                    &body,
                    report.sse.as_deref(),
                    &precondition,
                )
                .await
            {
                Ok(out) => written = Some((leftover.key.clone(), out, precondition, true)),
                // Changed or gone since the listing (another run): leave it, use an own key.
                Err(f) if is_precondition_failure(&f) || f.status == Some(404) => {}
                Err(failure) => {
                    report.upload = Upload::Failed(failure);
                    report.precondition = Some(precondition);
                    return report;
                }
            }
        }
        let (key, out, precondition, replaced) = match written {
            Some(written) => written,
            None => {
                let own = self.probe_key();
                // The key is new to this run (a random 128-bit id) and, when the listing
                // worked, shown free: then the probe sends exactly the export's request, with
                // no conditional header that a bucket policy could treat differently.
                let precondition = if listed {
                    Precondition::Unconditional
                } else {
                    Precondition::IfNoneMatch
                };
                match self
                    .put(&s3, &own, &body, report.sse.as_deref(), &precondition)
                    .await
                {
                    Ok(out) => (own, out, precondition, false),
                    Err(failure) => {
                        report.precondition = Some(precondition);
                        report.upload = if is_precondition_failure(&failure) {
                            Upload::KeyTaken
                        } else {
                            Upload::Failed(failure)
                        };
                        return report;
                    }
                }
            }
        };
        report.other_leftovers = leftovers
            .into_iter()
            .map(|l| l.key)
            .filter(|k| *k != key)
            .collect();
        report.url = self.url_for(&key);
        report.key = key;
        report.precondition = Some(precondition);
        report.applied_sse = out.server_side_encryption().map(|s| s.as_str().to_owned());
        report.kms_key = out.ssekms_key_id().map(str::to_owned);
        let first = Write {
            version_id: out.version_id().map(str::to_owned),
            etag: out.e_tag().map(str::to_owned),
        };
        report.upload = Upload::Written {
            version_id: first.version_id.clone(),
            replaced_earlier_probe: replaced,
        };
        // From here on the probe exists: the guard removes it even if this future is dropped.
        let mut guard = CleanupGuard::arm(CleanupJob {
            s3: s3.clone(),
            bucket: self.target.bucket.clone(),
            key: report.key.clone(),
            expected_owner: self.settings.expected_owner.clone(),
            suspended: false,
            writes: vec![first.clone()],
        });
        // How to delete depends on versioning, read only now so that the upload never waited
        // for it; a cleanup that runs before the answer still sees a suspended bucket's `null`
        // version id in the write.
        guard.job().suspended = matches!(self.versioning().await, Ok(Versioning::Suspended));
        if report
            .applied_sse
            .as_deref()
            .is_some_and(|s| s.starts_with("aws:kms"))
        {
            let (proof, write) = MultipartProbe {
                s3: &s3,
                bucket: &self.target.bucket,
                key: &report.key,
                body: &body,
                acl: self.target.acl.canned_header(),
                sse: report.sse.as_deref(),
                kms_key: crate::store_headers::step_kms_key(&self.target),
                tagging: report.step.tagging.as_deref(),
                expected_owner: self.settings.expected_owner.clone(),
                replaces_etag: first.etag.clone(),
            }
            .run()
            .await;
            report.multipart = proof;
            guard.job().writes.extend(write);
        }
        if check_retention {
            report.retention = self
                .retention_of(&s3, &report.key, &guard.job().writes)
                .await;
        }
        // A malformed url_prefix (store-params names it) is never fetched: its glued URL
        // would reach some other host (`https://cdn.example.combucket-preflight-…`).
        let prefix_is_sound = self
            .target
            .url_prefix
            .as_deref()
            .is_none_or(|prefix| crate::url_prefix::problems(prefix).is_empty());
        if prefix_is_sound {
            report.public_read = self.read_anonymously_timed(&report.url).await;
        }
        if let Some(seconds) = self.target.sign_urls_for {
            report.signed_read =
                Some(signed_url::read(&s3, &self.target.bucket, &report.key, seconds).await);
        }
        report.cleanup = match &report.retention {
            Retention::Retained { until, .. } => Cleanup::Retained(until.clone()),
            _ => guard.job().run().await,
        };
        if let Cleanup::LeftBehind(failure) = &report.cleanup {
            if failure.is_access_denied() {
                self.mark_abandoned(&s3, &report.key, &body, report.sse.as_deref(), guard.job())
                    .await;
            }
        }
        guard.disarm();
        report
    }

    /// Rewrites a probe this run could not delete to an abandoned probe's size, with `If-Match`
    /// on its own last write, so that a later run may write over it while the probes of runs
    /// still under way are left alone. Failing that, the probe stays as it is (never touched).
    async fn mark_abandoned(
        &self,
        s3: &aws_sdk_s3::Client,
        key: &str,
        body: &[u8],
        sse: Option<&str>,
        job: &CleanupJob,
    ) {
        let Some(etag) = job.writes.last().and_then(|w| w.etag.clone()) else {
            return;
        };
        let mut abandoned = body.to_vec();
        abandoned.extend_from_slice(naming::ABANDONED_NOTE);
        let _ = self
            .put(s3, key, &abandoned, sse, &Precondition::IfMatch(etag))
            .await;
    }

    async fn put(
        &self,
        s3: &aws_sdk_s3::Client,
        key: &str,
        body: &[u8],
        sse: Option<&str>,
        precondition: &Precondition,
    ) -> Result<aws_sdk_s3::operation::put_object::PutObjectOutput, ApiFailure> {
        let acl = self.target.acl.canned_header().map(ObjectCannedAcl::from);
        let request = s3
            .put_object()
            .bucket(&self.target.bucket)
            .key(key)
            .body(ByteStream::from(body.to_vec()))
            .content_type("text/plain")
            .metadata("written-by", "bucket-preflight")
            .set_acl(acl)
            .set_server_side_encryption(sse.map(ServerSideEncryption::from))
            .set_expected_bucket_owner(self.settings.expected_owner.clone());
        let request = match precondition {
            Precondition::Unconditional => request,
            Precondition::IfNoneMatch => request.if_none_match("*"),
            Precondition::IfMatch(etag) => request.if_match(etag),
        };
        let step = crate::store_headers::probe_headers(&self.target);
        step_request::send(request, &step, body, self.target.check_integrity).await
    }

    /// The anonymous GET of `url`, on the session's request timeline (`-vv`).
    async fn read_anonymously_timed(&self, url: &str) -> PublicRead {
        let started = std::time::Instant::now();
        let read = read_anonymously(url).await;
        if let Some(session) = self.session() {
            let host = url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            let status = match &read {
                PublicRead::Status { status, .. } => Some(*status),
                _ => None,
            };
            let operation = "anonymous GET";
            session
                .timeline()
                .record(operation, &host, started, std::time::Instant::now(), status);
        }
        read
    }

    /// [`Self::list_leftovers`] for this run's key shape, as a fact the first wave can fetch.
    pub(crate) async fn read_listing(
        &self,
        s3: aws_sdk_s3::Client,
    ) -> crate::facts::Fetched<(Vec<Leftover>, bool)> {
        Ok(self.list_leftovers(&s3, &self.probe_shape()).await)
    }

    /// Earlier runs' abandoned probes of this shape, oldest first, and whether the listing was
    /// complete. A refused listing finds none: the run then writes its own key, which is safe,
    /// only not tidy.
    async fn list_leftovers(
        &self,
        s3: &aws_sdk_s3::Client,
        shape: &KeyShape,
    ) -> (Vec<Leftover>, bool) {
        let mut found = Vec::new();
        let mut complete = false;
        let now = std::time::SystemTime::now();
        let mut pages = s3
            .list_objects_v2()
            .bucket(&self.target.bucket)
            .prefix(&shape.listing_prefix)
            .set_expected_bucket_owner(self.settings.expected_owner.clone())
            .into_paginator()
            .send();
        // A handful of pages is plenty: leftovers are rare, and their number is reported.
        for _ in 0..10 {
            let page = match pages.next().await {
                Some(Ok(page)) => page,
                None => {
                    complete = true;
                    break;
                }
                Some(Err(_)) => break,
            };
            for object in page.contents() {
                let (Some(key), Some(etag)) = (object.key(), object.e_tag()) else {
                    continue;
                };
                let age = object
                    .last_modified()
                    .and_then(|t| std::time::SystemTime::try_from(*t).ok())
                    .and_then(|t| now.duration_since(t).ok());
                if shape.is_leftover(key, object.size(), age) {
                    found.push((
                        object.last_modified().copied(),
                        key.to_owned(),
                        etag.to_owned(),
                    ));
                }
            }
        }
        found.sort_by(|a, b| {
            (a.0, &a.1)
                .partial_cmp(&(b.0, &b.1))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let leftovers = found
            .into_iter()
            .map(|(_, key, etag)| Leftover { key, etag })
            .collect();
        (leftovers, complete)
    }

    /// Whether object lock retains the probe's latest write (HeadObject, s3:GetObject).
    async fn retention_of(
        &self,
        s3: &aws_sdk_s3::Client,
        key: &str,
        writes: &[Write],
    ) -> Retention {
        let version = writes.last().and_then(|w| w.version_id.clone());
        let head = s3
            .head_object()
            .bucket(&self.target.bucket)
            .key(key)
            .set_version_id(version.filter(|v| v != "null"))
            .set_expected_bucket_owner(self.settings.expected_owner.clone())
            .send()
            .await;
        match head {
            Ok(head) => match (
                head.object_lock_mode(),
                head.object_lock_retain_until_date(),
            ) {
                (Some(mode), Some(until)) => Retention::Retained {
                    mode: mode.as_str().to_owned(),
                    until: until
                        .fmt(aws_smithy_types::date_time::Format::DateTime)
                        .unwrap_or_else(|_| until.to_string()),
                },
                _ => Retention::NotRetained,
            },
            Err(err) => Retention::Unknown(ApiFailure::from_sdk(&err).to_string()),
        }
    }
}

fn is_precondition_failure(failure: &ApiFailure) -> bool {
    failure.status == Some(412) || failure.code_is("PreconditionFailed")
}

#[cfg(test)]
mod tests;

impl ProbeReport {
    /// The version id of the probe's write, on buckets that keep versions.
    pub fn upload_version_id(&self) -> Option<&str> {
        match &self.upload {
            Upload::Written { version_id, .. } => version_id.as_deref().filter(|v| *v != "null"),
            _ => None,
        }
    }
}
