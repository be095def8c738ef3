//! The multipart path of the dry run, proved under SSE-KMS.
//!
//! Large files are stored with multipart uploads, and under SSE-KMS those need `kms:Decrypt` on
//! the key besides `kms:GenerateDataKey`: S3 decrypts the parts to complete the upload. A small
//! single PUT never asks for it, so it cannot prove large files. The probe therefore also runs a
//! one-part multipart upload onto its own key — completed with `If-Match` on the ETag of its own
//! single-part write, so it can only replace the probe itself — and the cleanup then removes
//! both versions. When a step is refused, the upload is aborted; if even that is refused, the
//! report names the incomplete upload, which keeps costing storage until it is aborted.

use super::cleanup::Write;
use crate::api_error::ApiFailure;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, ObjectCannedAcl,
    ServerSideEncryption,
};

/// What the multipart proof found.
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
                (outcome, None)
            }
        }
    }

    fn refused(&self, step: &'static str, failure: ApiFailure) -> Multipart {
        Multipart::Refused {
            step,
            failure,
            left_incomplete: None,
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
        }
    }
}
