//! The dry-run upload: the tool's only write, shared by `dry-run-put` and `public-url`.
//!
//! Safety rules, in order:
//! - the probe goes to one fixed key per path prefix, so repeated runs do not pile up objects;
//! - it is written with `If-None-Match: *`, so it never replaces an existing object;
//! - an existing object at that key is replaced only when it provably is an earlier probe (its
//!   ETag is the MD5 of the probe body and its size matches), and then with `If-Match` on that
//!   ETag, so nothing written in between is lost;
//! - cleanup deletes exactly the version the probe created.

use crate::api_error::ApiFailure;
use crate::facts::ObjectLock;
pub use crate::public_read::{read_anonymously, PublicRead};
use crate::Context;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectCannedAcl, ServerSideEncryption};
use md5::{Digest, Md5};
use tokio::sync::OnceCell;

/// The probe's file name, under the path's fixed prefix.
pub const PROBE_NAME: &str = "bucket-preflight-probe.txt";

/// The probe's content: fixed, so that its MD5 (the ETag of a single-part upload without
/// SSE-KMS) identifies it.
pub const PROBE_BODY: &[u8] = b"This object was written by bucket-preflight to prove that uploads to this bucket work.\nIt is safe to delete.\n";

/// The quoted ETag S3 gives the probe.
pub fn probe_etag() -> String {
    let digest = Md5::digest(PROBE_BODY);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

#[derive(Debug, Clone)]
pub enum Upload {
    /// Not written, with the reason.
    NotAttempted(String),
    /// Written; `replaced_earlier_probe` when it replaced a probe left by an earlier run.
    Written {
        version_id: Option<String>,
        replaced_earlier_probe: bool,
    },
    /// Something the tool did not write is at the probe key: left untouched.
    KeyTaken,
    /// An object of the probe's size is at the probe key, but nothing proves it is an earlier
    /// probe (SSE-KMS ETags are no MD5s, and HeadObject was refused): left untouched.
    Unidentified,
    Failed(ApiFailure),
}

#[derive(Debug, Clone)]
pub enum Cleanup {
    NotNeeded,
    Deleted,
    LeftBehind(ApiFailure),
}

#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub key: String,
    pub url: String,
    pub upload: Upload,
    pub public_read: PublicRead,
    pub cleanup: Cleanup,
    /// The `x-amz-server-side-encryption` value the upload sent because the bucket policy
    /// demands it (so that the dry run tests everything else).
    pub sse: Option<String>,
}

#[derive(Default)]
pub(crate) struct ProbeCell(OnceCell<ProbeReport>);

impl Context {
    /// The probe's key: the path's fixed prefix, then [`PROBE_NAME`].
    pub fn probe_key(&self) -> String {
        format!("{}{PROBE_NAME}", self.target.key_prefix())
    }

    /// The URL the probe is served at, built like every stored file's: `url_prefix` (or the
    /// default), or — on an S3-compatible endpoint without `url_prefix` — the endpoint,
    /// path-style.
    pub fn probe_url(&self) -> String {
        let prefix = match (&self.target.url_prefix, &self.target.endpoint) {
            (None, Some(endpoint)) => {
                format!("{}/{}/", endpoint.trim_end_matches('/'), self.target.bucket)
            }
            _ => self.target.effective_url_prefix(),
        };
        format!("{prefix}{}", self.probe_key())
    }

    /// Runs the dry-run upload once: write, read anonymously, clean up.
    pub async fn probe(&self) -> &ProbeReport {
        self.probe_cell.0.get_or_init(|| self.run_probe()).await
    }

    async fn run_probe(&self) -> ProbeReport {
        let mut report = ProbeReport {
            key: self.probe_key(),
            url: self.probe_url(),
            upload: Upload::NotAttempted(String::new()),
            public_read: PublicRead::NotChecked,
            cleanup: Cleanup::NotNeeded,
            sse: None,
        };
        if !self.settings.write {
            report.upload = Upload::NotAttempted("--no-write: no upload attempted".into());
            return report;
        }
        // Both facts shape the upload (retention, a demanded SSE header): fetch them together.
        let (lock, _) = futures::join!(self.object_lock(), self.policy());
        if let Ok(ObjectLock {
            enabled: true,
            default_retention: Some(retention),
        }) = lock
        {
            if !self.settings.write_locked {
                report.upload = Upload::NotAttempted(format!(
                    "object lock would keep the probe ({retention}); pass --write-locked to upload anyway"
                ));
                return report;
            }
        }
        let s3 = match self.s3().await {
            Ok(s3) => s3,
            Err(failure) => {
                report.upload = Upload::Failed(failure);
                return report;
            }
        };
        report.sse = crate::checks::bucket_policy::probe_sse(self).await;
        report.upload = self
            .write_probe(&s3, &report.key, report.sse.as_deref())
            .await;
        if let Upload::Written { version_id, .. } = &report.upload {
            report.public_read = read_anonymously(&report.url).await;
            let delete = s3
                .delete_object()
                .bucket(&self.target.bucket)
                .key(&report.key)
                .set_version_id(version_id.clone())
                .set_expected_bucket_owner(self.settings.expected_owner.clone())
                .send()
                .await;
            report.cleanup = match delete {
                Ok(_) => Cleanup::Deleted,
                Err(err) => Cleanup::LeftBehind(ApiFailure::from_sdk(&err)),
            };
        }
        report
    }

    fn put_probe(
        &self,
        s3: &aws_sdk_s3::Client,
        key: &str,
        sse: Option<&str>,
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        let acl = self.target.acl.canned_header().map(ObjectCannedAcl::from);
        s3.put_object()
            .bucket(&self.target.bucket)
            .key(key)
            .body(ByteStream::from_static(PROBE_BODY))
            .content_type("text/plain")
            .metadata("written-by", "bucket-preflight")
            .set_acl(acl)
            .set_server_side_encryption(sse.map(ServerSideEncryption::from))
            .set_expected_bucket_owner(self.settings.expected_owner.clone())
    }

    async fn write_probe(&self, s3: &aws_sdk_s3::Client, key: &str, sse: Option<&str>) -> Upload {
        // Look before writing: some S3-compatible stores ignore If-None-Match, so the
        // precondition alone cannot be trusted to protect an object already at the key.
        let existing = match self.object_at(s3, key).await {
            Ok(existing) => existing,
            Err(failure) if self.target.endpoint.is_some() => {
                return Upload::NotAttempted(format!(
                    "could not confirm that {key} is free ({failure}), and this endpoint may ignore If-None-Match: nothing was written"
                ))
            }
            // AWS honours If-None-Match, which protects whatever is there.
            Err(_) => None,
        };
        let replace = match &existing {
            None => None,
            Some(object) => match self.identify(s3, key, object).await {
                Identity::EarlierProbe(etag) => Some(etag),
                Identity::Foreign => return Upload::KeyTaken,
                Identity::Unknown => return Upload::Unidentified,
            },
        };
        let request = self.put_probe(s3, key, sse);
        let replacing = replace.is_some();
        let request = match replace {
            None => request.if_none_match("*"),
            Some(etag) => request.if_match(etag),
        };
        match request.send().await {
            Ok(out) => Upload::Written {
                version_id: out.version_id().map(str::to_owned),
                replaced_earlier_probe: replacing,
            },
            Err(err) => {
                let failure = ApiFailure::from_sdk(&err);
                // Something was written there in the meantime: leave it alone.
                if failure.status == Some(412) || failure.code_is("PreconditionFailed") {
                    Upload::KeyTaken
                } else {
                    Upload::Failed(failure)
                }
            }
        }
    }

    /// The object at exactly `key`, if any (ListObjectsV2 needs only s3:ListBucket, which the
    /// export needs anyway).
    async fn object_at(
        &self,
        s3: &aws_sdk_s3::Client,
        key: &str,
    ) -> Result<Option<aws_sdk_s3::types::Object>, ApiFailure> {
        let listed = s3
            .list_objects_v2()
            .bucket(&self.target.bucket)
            .prefix(key)
            .max_keys(1)
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e))?;
        Ok(listed
            .contents()
            .iter()
            .find(|o| o.key() == Some(key))
            .cloned())
    }

    /// Whether an existing object is a probe an earlier run left: same size and, as ETag, the
    /// MD5 of the probe content; under SSE-KMS (whose ETags are no MD5s) the probe's metadata.
    async fn identify(
        &self,
        s3: &aws_sdk_s3::Client,
        key: &str,
        object: &aws_sdk_s3::types::Object,
    ) -> Identity {
        let Some(etag) = object.e_tag() else {
            return Identity::Unknown;
        };
        if object.size() != Some(PROBE_BODY.len() as i64) {
            return Identity::Foreign;
        }
        if etag == probe_etag() {
            return Identity::EarlierProbe(etag.to_owned());
        }
        let head = s3
            .head_object()
            .bucket(&self.target.bucket)
            .key(key)
            .if_match(etag)
            .send()
            .await;
        match head {
            Ok(head) => {
                let written_by = head
                    .metadata()
                    .and_then(|m| m.get("written-by"))
                    .map(String::as_str);
                if written_by == Some("bucket-preflight") {
                    Identity::EarlierProbe(etag.to_owned())
                } else {
                    Identity::Foreign
                }
            }
            Err(_) => Identity::Unknown,
        }
    }
}

/// What an object found at the probe key is.
enum Identity {
    /// An earlier run's probe, with the ETag to replace it under.
    EarlierProbe(String),
    Foreign,
    /// The probe's size, but nothing proves whose it is.
    Unknown,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_etag_is_the_md5_of_its_body() {
        assert_eq!(probe_etag().len(), 34);
        assert!(probe_etag().starts_with('"') && probe_etag().ends_with('"'));
    }
}
