//! The probe's signed result URL (`sign_urls_for`): a GET presigned with the run's credentials,
//! valid as long as the step asks (SigV4 allows at most seven days), fetched while the probe
//! exists.

use crate::public_read::{read_presigned, PublicRead};
use aws_sdk_s3::presigning::PresigningConfig;
use std::time::Duration;

/// The longest a SigV4-presigned URL is valid: seven days.
pub const MAX_SECONDS: u64 = 604_800;

/// Presigns a GET of `key` valid for `seconds` (at most [`MAX_SECONDS`]) and fetches it.
pub(crate) async fn read(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    seconds: u64,
) -> PublicRead {
    let valid = Duration::from_secs(seconds.clamp(1, MAX_SECONDS));
    let config = match PresigningConfig::expires_in(valid) {
        Ok(config) => config,
        Err(err) => return not_signed(bucket, key, &err.to_string()),
    };
    match s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
    {
        Ok(request) => read_presigned(request.uri()).await,
        Err(err) => not_signed(bucket, key, &crate::api_error::error_text(&err)),
    }
}

fn not_signed(bucket: &str, key: &str, why: &str) -> PublicRead {
    PublicRead::Unreachable {
        fetched: format!("s3://{bucket}/{key} (presigned GET)"),
        happened: format!("the GET could not be presigned ({why})"),
        advice: "Check the credentials the checks run with: a signed URL is signed with them."
            .into(),
    }
}
