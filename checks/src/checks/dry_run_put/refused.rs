//! The words of `dry-run-put` for a refused probe upload: plain HTTP against a policy that
//! demands TLS, disabled ACLs, missing integrity headers, KMS and explicit denials, and the
//! likely causes of a bare 403.

use crate::api_error::ApiFailure;
use crate::denial::{allow_statement, Denial};
use crate::denial_causes::{
    bare_denial_causes, bucket_policy_evidence, transport_denial, PolicyEvidence, TransportDenial,
};
use crate::{Context, Outcome};

/// Explains a failed probe upload: first whether it was refused for going over plain HTTP
/// (as `bucket-policy` judges the same scheme), then every other cause.
pub(super) async fn diagnose(ctx: &Context, failure: &ApiFailure) -> Outcome {
    if !failure.is_access_denied() {
        return diagnose_cause(ctx, failure).await;
    }
    let probe = ctx.probe().await;
    let endpoint = ctx.target.endpoint.as_deref().unwrap_or("http://");
    let transport = transport_denial(
        ctx,
        &probe.key,
        probe.sse.as_deref(),
        probe.precondition.as_ref(),
    )
    .await;
    match transport {
        Some(TransportDenial::Proven(statements)) => Outcome::fail(
            format!("upload refused because the probe went over plain HTTP ({endpoint}): the bucket policy's {} denies requests without HTTPS (aws:SecureTransport false), and the export reaches the bucket the same way", statements.join(", ")),
            format!("{HTTPS_FIX} If the endpoint cannot serve HTTPS, narrow that Deny in the bucket policy instead (uploads then travel unencrypted)."),
        )
        .with_evidence("denied_by", "aws:SecureTransport")
        .with_evidence("statements", statements),
        Some(TransportDenial::Possible) => {
            let outcome = diagnose_cause(ctx, failure).await;
            let note = format!("The probe went over plain HTTP ({endpoint}): a bucket policy Deny on aws:SecureTransport false (common: \"AllowSSLRequestsOnly\") refuses exactly that, and the policy could not be read to tell. {HTTPS_FIX}");
            append_detail(outcome, &note)
        }
        _ => diagnose_cause(ctx, failure).await,
    }
}

/// The fix for a refusal over plain HTTP, as `bucket-policy` words it for the export.
const HTTPS_FIX: &str = "Give the store step an https:// `host` (Transloadit uses plain HTTP unless `host` starts with https://) and run this check with an https:// --endpoint-url, so that uploads arrive over TLS.";

/// `outcome` with `note` added after any detail it has.
pub(super) fn append_detail(outcome: Outcome, note: &str) -> Outcome {
    let detail = match &outcome.detail {
        Some(detail) => format!("{detail} {note}"),
        None => note.to_owned(),
    };
    outcome.with_detail(detail)
}

/// Explains a failed probe upload by every cause but its transport.
async fn diagnose_cause(ctx: &Context, failure: &ApiFailure) -> Outcome {
    let acl = ctx.target.acl;
    let objects = ctx.objects_arn();
    if failure.is_not_implemented() {
        return Outcome::skip(format!("conditional uploads are not supported by this endpoint ({failure}); nothing was written"));
    }
    if failure.code_is("AccessControlListNotSupported") {
        return Outcome::fail(
            format!("S3 refused the upload: the bucket does not allow ACLs, and `acl: {acl}` sends one (400 AccessControlListNotSupported)"),
            "Set `acl: bucket-default`, or switch Object Ownership to ObjectWriter or BucketOwnerPreferred (S3 console → bucket → Permissions → Object Ownership).",
        );
    }
    if failure
        .message
        .as_deref()
        .is_some_and(|m| m.contains("Content-MD5") || m.contains("x-amz-checksum"))
    {
        return if ctx.target.check_integrity {
            Outcome::fail(
                format!("S3 refused the upload for lack of an integrity header although it carried Content-MD5, as check_integrity sends ({failure})"),
                "The bucket demands another checksum than Content-MD5 (an x-amz-checksum-* header): see the object-lock check and the bucket policy.",
            )
        } else {
            Outcome::fail(
                format!("S3 refused the upload, sent as the store step sends it without `check_integrity` (no checksum), for lack of an integrity header ({failure}): object lock demands Content-MD5 or an x-amz-checksum-* header on every upload"),
                "Set `check_integrity: true` in the store step: Transloadit then submits the file's checksum, which object lock requires.",
            )
        };
    }
    if !failure.is_access_denied() {
        return Outcome::error(
            format!("the probe upload failed: {failure}"),
            failure.fix_or(
                "Run again; if it persists, check the network path to S3 and the endpoint.",
            ),
        );
    }
    let probe = ctx.probe().await;
    let sse = probe.sse.as_deref();
    if let Some(denial) = Denial::from_failure(failure) {
        let outcome = if denial.action.starts_with("kms:") {
            // The step's own key when its headers name one, else the bucket's default.
            let kms_key = match crate::store_headers::step_kms_key(&ctx.target) {
                Some(key) => Some(key.to_owned()),
                None => match ctx.encryption().await {
                    Ok(Some(encryption)) => encryption.kms_key.clone(),
                    _ => None,
                },
            };
            let key = denial
                .resource
                .clone()
                .or(kms_key)
                .unwrap_or_else(|| "KEY-ARN".into());
            Outcome::fail(
                format!("upload denied by KMS: {}", denial.describe()),
                format!("Add to the export user's IAM policy: {}; across accounts, the key policy must allow it too.", serde_json::json!({"Sid": "UseBucketKmsKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key})),
            )
        } else if denial.explicit {
            // A resource-based policy here is the bucket policy: name the statement when it
            // can be read.
            let statement = match denial.policy_type.as_deref() {
                Some("resource-based") => {
                    match bucket_policy_evidence(ctx, &probe.key, sse, probe.precondition.as_ref())
                        .await
                    {
                        PolicyEvidence::Read { denies, .. } => denies.into_iter().next(),
                        _ => None,
                    }
                }
                _ => None,
            };
            let fix = match statement {
                Some(statement) => format!("{}.", upper_first(&statement)),
                None => format!("Remove or narrow the Deny statement in the {} policy that matches {} (the bucket-policy check names bucket policy statements); explicit denies override every Allow.", denial.policy_type.as_deref().unwrap_or("matching"), denial.action),
            };
            Outcome::fail(
                format!("upload explicitly denied: {}", denial.describe()),
                fix,
            )
        } else if denial.action.eq_ignore_ascii_case("s3:PutObjectAcl") {
            Outcome::fail(
                format!("uploads with `acl: {acl}` also need s3:PutObjectAcl: {}", denial.describe()),
                format!("Add to the export user's IAM policy: {}, or set `acl: bucket-default` (no ACL header, no PutObjectAcl).", allow_statement("WriteExportedFiles", &["s3:PutObject", "s3:PutObjectAcl"], &objects)),
            )
        } else {
            Outcome::fail(
                format!("upload denied: {}", denial.describe()),
                format!(
                    "Add to the export user's IAM policy: {}",
                    allow_statement("WriteExportedFiles", &[denial.action.as_str()], &objects)
                ),
            )
        };
        return outcome.with_evidence("denied_action", denial.action.as_str());
    }
    // A bare "Access Denied": S3 gives no reason for cross-account requests. Name the causes
    // the other checks' evidence proves first, then the likely ones.
    let causes = bare_denial_causes(ctx, &probe.key, sse, probe.precondition.as_ref()).await;
    let numbered: Vec<String> = causes
        .iter()
        .enumerate()
        .map(|(i, cause)| format!("({}) {}", i + 1, cause.text))
        .collect();
    let (headline, listed) = match causes.first() {
        Some(first) if first.proven => (
            format!("upload denied with a bare 403 AccessDenied: {}", first.text),
            "Causes, proven first",
        ),
        Some(first) => (
            format!(
                "upload denied with a bare 403 AccessDenied; possibly: {}",
                first.text
            ),
            "Possible causes, most likely first",
        ),
        None => (
            "upload denied with a bare 403 AccessDenied".to_owned(),
            "Possible causes",
        ),
    };
    Outcome::fail(headline, format!("{listed}: {}.", numbered.join("; ")))
        .with_evidence("proven_causes", causes.iter().filter(|c| c.proven).count())
}

/// `text` with its first letter in upper case, to start a sentence.
fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
