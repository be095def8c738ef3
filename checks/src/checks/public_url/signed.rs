//! `public-url` with `sign_urls_for`: the verdict on the GET of a URL presigned with the run's
//! credentials, and how it combines with the anonymous read of the unsigned URL.

use crate::probe::{PublicRead, MAX_SIGNED_URL_SECONDS as SIGNED_URL_MAX_SECONDS};
use crate::{Acl, Context, Outcome, Status};

/// The verdict on the signed result URL (`sign_urls_for`): a GET presigned with the run's
/// credentials must serve the file, whatever the `acl`.
pub(super) fn signed_verdict(read: &PublicRead, ctx: &Context, seconds: u64) -> Outcome {
    let (status, serves_probe, error_code, fetched) = match read {
        PublicRead::NotChecked => return Outcome::skip("the signed URL was not fetched"),
        PublicRead::Unreachable {
            fetched,
            happened,
            advice,
        } => {
            return Outcome::error(
                format!(
                    "the signed result URL could not be tried: GET {fetched} failed: {happened}"
                ),
                advice.clone(),
            )
        }
        PublicRead::Status {
            status,
            serves_probe,
            error_code,
            fetched,
            ..
        } => (*status, *serves_probe, error_code, fetched),
    };
    let answer = match error_code {
        Some(code) => format!("GET {fetched} → {status} {code}"),
        None => format!("GET {fetched} → {status}"),
    };
    let valid = format!("valid {seconds} s, as `sign_urls_for` asks");
    if status == 200 && serves_probe {
        return Outcome::pass(format!(
            "signed result URLs serve the file: {answer} with the file (presigned with these credentials, {valid})"
        ));
    }
    if matches!(status, 401 | 403) {
        let objects = ctx.objects_arn();
        let statement = serde_json::json!({"Sid": "ReadSignedResultUrls", "Effect": "Allow", "Action": "s3:GetObject", "Resource": objects});
        return Outcome::fail(
            format!("signed result URLs are refused: {answer}; a signed URL is a GET by the export's credentials, which need s3:GetObject on the stored files (and kms:Decrypt on their KMS key under SSE-KMS)"),
            format!("Add to the export user's IAM policy: {statement}; under SSE-KMS also kms:Decrypt on the key. A bucket policy Deny of s3:GetObject must not match the export user either."),
        );
    }
    Outcome::error(
        format!("{answer}: could not tell whether signed result URLs serve the file"),
        "Run again; if it persists, fetch a presigned URL of a stored file by hand (aws s3 presign).",
    )
}

/// How bad an outcome is, to keep the worse of two.
fn severity(status: Status) -> u8 {
    match status {
        Status::Pass => 0,
        Status::Skip => 1,
        Status::Warn => 2,
        Status::Error => 3,
        Status::Fail => 4,
    }
}

/// With signed URLs the signed GET decides; the unsigned URL still matters when the `acl`
/// makes files public (users may be handed it) or when private files are served anyway.
pub(super) fn with_signed(unsigned: Outcome, signed: Outcome, acl: Acl, seconds: u64) -> Outcome {
    let mut signed = signed;
    if seconds > SIGNED_URL_MAX_SECONDS {
        signed = Outcome::warn(
            format!("{}; but `sign_urls_for: {seconds}` exceeds 7 days ({SIGNED_URL_MAX_SECONDS} s), the longest S3 accepts for a presigned URL, so the URLs the export hands out may be refused (this check signed for 7 days)", signed.summary),
            "Set `sign_urls_for` to at most 604800 (7 days).",
        )
        .with_all_evidence(signed.evidence);
    }
    let unsigned_counts = acl.is_public() || unsigned.status == Status::Warn;
    if !unsigned_counts {
        return signed.with_detail(format!("The unsigned URL: {}.", unsigned.summary));
    }
    if severity(unsigned.status) > severity(signed.status) {
        unsigned.with_detail(format!("The signed URL: {}.", signed.summary))
    } else {
        signed.with_detail(format!("The unsigned URL: {}.", unsigned.summary))
    }
}
