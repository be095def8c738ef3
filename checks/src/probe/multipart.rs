//! The multipart path of the dry run, proved under SSE-KMS.
//!
//! Large files are stored with multipart uploads, and under SSE-KMS those need `kms:Decrypt` on
//! the key besides `kms:GenerateDataKey`: S3 decrypts the parts to complete the upload. A small
//! single PUT never asks for it, so it cannot prove large files. The probe therefore also runs a
//! one-part multipart upload onto its own key — completed with `If-Match` on the ETag of its own
//! single-part write, so it can only replace the probe itself — and the cleanup then removes
//! both versions. When a step is refused, the upload is aborted; if even that is refused, the
//! report names the incomplete upload, which keeps costing storage until it is aborted.
//!
//! A completion whose answer is lost (cut short, reset, unreadable) may still have completed:
//! the abort then finds no upload (404 NoSuchUpload). That write is the probe key's current
//! version, read back with HeadObject so that the cleanup removes it too; when it cannot be read,
//! the report says that a version of the probe may remain rather than claiming it deleted.

use super::cleanup::Write;
use crate::api_error::ApiFailure;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ObjectCannedAcl,
    ServerSideEncryption,
};

/// What the multipart proof found.
// One value per run: the size of its largest variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Multipart {
    /// No SSE-KMS: a single PUT exercises the same permissions.
    NotNeeded,
    Proved,
    /// `step` (CreateMultipartUpload, UploadPart, CompleteMultipartUpload) failed.
    Refused {
        step: &'static str,
        failure: ApiFailure,
        /// The upload could not be aborted either: its id and why.
        left_incomplete: Option<(String, ApiFailure)>,
        /// The completion's answer was lost, yet it completed (the abort found no upload), and
        /// the write it made could not be read back: a version of the probe may remain.
        completed_unseen: bool,
    },
}

/// One multipart upload's parameters, as the store step would send them.
pub(crate) struct MultipartProbe<'a> {
    pub s3: &'a aws_sdk_s3::Client,
    pub bucket: &'a str,
    pub key: &'a str,
    pub body: &'a [u8],
    pub acl: Option<&'a str>,
    pub sse: Option<&'a str>,
    /// The KMS key the store step names in its headers, if any.
    pub kms_key: Option<&'a str>,
    /// The step's tags, as `x-amz-tagging` carries them.
    pub tagging: Option<&'a str>,
    pub expected_owner: Option<String>,
    /// The ETag of the probe's own single-part write, which the completion may replace.
    pub replaces_etag: Option<String>,
}

impl MultipartProbe<'_> {
    /// Runs the upload; the write it completed, if any, must be cleaned up with the probe.
    pub async fn run(&self) -> (Multipart, Option<Write>) {
        let created = self
            .s3
            .create_multipart_upload()
            .bucket(self.bucket)
            .key(self.key)
            .content_type("text/plain")
            .metadata("written-by", "bucket-preflight")
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .set_acl(self.acl.map(ObjectCannedAcl::from))
            .set_server_side_encryption(self.sse.map(ServerSideEncryption::from))
            .set_ssekms_key_id(self.kms_key.map(str::to_owned))
            .set_tagging(self.tagging.map(str::to_owned))
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await;
        let upload_id = match created {
            Ok(out) => match out.upload_id() {
                Some(id) => id.to_owned(),
                None => {
                    let failure = ApiFailure::unreadable_answer(
                        "CreateMultipartUpload answered without an upload id",
                    );
                    return (self.refused("CreateMultipartUpload", failure), None);
                }
            },
            Err(err) => {
                let failure = ApiFailure::from_sdk(&err);
                return (self.refused("CreateMultipartUpload", failure), None);
            }
        };
        let part = self
            .s3
            .upload_part()
            .bucket(self.bucket)
            .key(self.key)
            .upload_id(&upload_id)
            .part_number(1)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(self.body.to_vec()))
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await;
        let part = match part {
            Ok(part) => part,
            Err(err) => {
                let failure = ApiFailure::from_sdk(&err);
                let outcome = self
                    .refused("UploadPart", failure)
                    .await_abort(self, &upload_id)
                    .await;
                return (outcome, None);
            }
        };
        let completed = CompletedMultipartUpload::builder()
            .parts(
                CompletedPart::builder()
                    .part_number(1)
                    .set_e_tag(part.e_tag().map(str::to_owned))
                    .set_checksum_crc32(part.checksum_crc32().map(str::to_owned))
                    .build(),
            )
            .build();
        let complete = self
            .s3
            .complete_multipart_upload()
            .bucket(self.bucket)
            .key(self.key)
            .upload_id(&upload_id)
            .multipart_upload(completed)
            .set_if_match(self.replaces_etag.clone())
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await;
        match complete {
            Ok(out) => (
                Multipart::Proved,
                Some(Write {
                    version_id: out.version_id().map(str::to_owned),
                    etag: out.e_tag().map(str::to_owned),
                }),
            ),
            Err(err) => {
                let failure = ApiFailure::from_sdk(&err);
                let outcome = self
                    .refused("CompleteMultipartUpload", failure)
                    .await_abort(self, &upload_id)
                    .await;
                match outcome {
                    Multipart::Refused {
                        step,
                        failure,
                        left_incomplete: Some((_, abort_failure)),
                        ..
                    } if is_no_such_upload(&abort_failure) => {
                        // Nothing else aborts this run's upload: it was completed, and only the
                        // answer was lost. Its write must be cleaned up with the probe.
                        let write = self.completed_write().await;
                        let outcome = Multipart::Refused {
                            step,
                            failure,
                            left_incomplete: None,
                            completed_unseen: write.is_none(),
                        };
                        (outcome, write)
                    }
                    outcome => (outcome, None),
                }
            }
        }
    }

    /// The write a completion made whose answer was lost: the key's current version, when it
    /// has a multipart upload's ETag (`"…-1"`, one part) — the single-part probe's has none.
    async fn completed_write(&self) -> Option<Write> {
        let head = self
            .s3
            .head_object()
            .bucket(self.bucket)
            .key(self.key)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await
            .ok()?;
        let etag = head.e_tag()?;
        if !etag.trim_matches('"').ends_with("-1") || Some(etag) == self.replaces_etag.as_deref() {
            return None;
        }
        Some(Write {
            version_id: head.version_id().map(str::to_owned),
            etag: Some(etag.to_owned()),
        })
    }

    fn refused(&self, step: &'static str, failure: ApiFailure) -> Multipart {
        Multipart::Refused {
            step,
            failure,
            left_incomplete: None,
            completed_unseen: false,
        }
    }

    async fn abort(&self, upload_id: &str) -> Result<(), ApiFailure> {
        self.s3
            .abort_multipart_upload()
            .bucket(self.bucket)
            .key(self.key)
            .upload_id(upload_id)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ApiFailure::from_sdk(&e))
    }
}

impl Multipart {
    /// Whether a completed multipart write of the probe could not be found to be cleaned up.
    pub fn completed_unseen(&self) -> bool {
        matches!(
            self,
            Multipart::Refused {
                completed_unseen: true,
                ..
            }
        )
    }

    /// Aborts the refused upload, and records it when that is refused too.
    async fn await_abort(self, probe: &MultipartProbe<'_>, upload_id: &str) -> Multipart {
        let Multipart::Refused { step, failure, .. } = self else {
            return self;
        };
        let left_incomplete = probe
            .abort(upload_id)
            .await
            .err()
            .map(|f| (upload_id.to_owned(), f));
        Multipart::Refused {
            step,
            failure,
            left_incomplete,
            completed_unseen: false,
        }
    }
}

fn is_no_such_upload(failure: &ApiFailure) -> bool {
    failure.code_is("NoSuchUpload") || failure.status == Some(404)
}
