//! The verdict of `dry-run-put` on a probe that was written: what was replaced, left behind
//! and set off, and what keeps the proof from standing for the export (conditional headers,
//! key-shaped policies, a refused multipart upload).

use super::shape_warning;
use crate::probe::policy_fit::{conditional_header_gap, readable_policies};
use crate::probe::{Multipart, ProbeReport, Upload};
use crate::{Context, Findings, Outcome};

/// The verdict on a probe that was written: proved, unless something says the proof does not
/// stand for the export; with what was left behind and set off.
pub(super) async fn written(ctx: &Context, probe: &ProbeReport, location: &str) -> Outcome {
    let caller = match ctx.session() {
        Some(session) => session.identity().await.ok().map(|i| i.arn),
        None => None,
    };
    let replaced = match &probe.upload {
        Upload::Written {
            replaced_earlier_probe: true,
            ..
        } => " (writing over an earlier run's probe)",
        _ => "",
    };
    // Whose upload this proves: the caller's, whatever --principal says.
    let who = match caller.as_deref() {
        Some(arn) => format!(", proving uploads by {arn}"),
        None => {
            ", proving uploads by these credentials (whose identity STS did not tell)".to_owned()
        }
    };
    let mut story = vec![format!(
        "uploaded a probe to {location} as the store step would{replaced}{who}"
    )];
    let footprint = ctx.probe_footprint(probe, location).await;
    story.extend(footprint.sentences);
    let mut findings = Findings::default();
    multipart_findings(ctx, probe, &mut findings);
    let policies = readable_policies(ctx).await;
    if let Some((_, bucket_policy)) = policies
        .iter()
        .find(|(source, _)| *source == "bucket policy")
    {
        let object = crate::partition::object_arn(ctx.partition(), &ctx.target.bucket, &probe.key);
        let precondition = probe
            .precondition
            .clone()
            .unwrap_or(crate::probe::Precondition::IfNoneMatch);
        if let Some(gap) =
            conditional_header_gap(bucket_policy, &object, caller.as_deref(), &precondition)
        {
            let summary = format!(
                "the probe's success cannot stand for the export: it sent {}, and the bucket policy ({}) {} PutObject without it, which the store step never sends",
                precondition.header(),
                gap.statements.join(", "),
                if gap.certain { "denies" } else { "may deny" },
            );
            let fix = "Let the bucket policy allow uploads without If-None-Match/If-Match (narrow that Deny to other principals or drop its s3:if-none-match condition).";
            if gap.certain {
                findings.fail(summary, fix);
            } else {
                findings.warn(summary, fix);
            }
        }
    }
    if let Some((summary, fix)) = shape_warning(ctx, &policies, &probe.key) {
        findings.warn(summary, fix);
    }
    if let Some(principal) = ctx.settings.principal.as_deref() {
        if caller.as_deref() != Some(principal) {
            let caller = caller.as_deref().unwrap_or("the caller");
            findings.warn(
                format!("this upload proves {caller}'s access, not that of --principal {principal}"),
                "To prove the principal's upload, run the dry run with its own credentials (e.g. assume the role); iam-simulation only predicts it.",
            );
        }
    }
    let story = story
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let mut outcome = findings.into_outcome(story.clone());
    if outcome.status != crate::Status::Pass {
        outcome.summary = format!("{}; {story}", outcome.summary);
    }
    if footprint.side_effects_unknown {
        outcome = outcome.with_detail("The replication or event notification configuration was unreadable (s3:GetReplicationConfiguration, s3:GetBucketNotification), so copies or events the probe set off are unknown.");
    }
    outcome
        .with_evidence("identity", serde_json::json!(caller))
        .with_evidence("other_leftovers", probe.other_leftovers.len())
}

fn multipart_findings(ctx: &Context, probe: &ProbeReport, findings: &mut Findings) {
    let Multipart::Refused {
        step,
        failure,
        left_incomplete,
        completed_unseen,
    } = &probe.multipart
    else {
        return;
    };
    let key = probe
        .kms_key
        .clone()
        .unwrap_or_else(|| "the bucket's KMS key".to_owned());
    if failure.is_access_denied() {
        findings.fail(
            format!("single-part uploads work, but a multipart upload (how large files are stored) was refused at {step}: {failure}; under SSE-KMS it needs kms:Decrypt on {key}"),
            format!("Add to the export user's IAM policy: {}; across accounts, the key policy must allow it too.", serde_json::json!({"Sid": "UseBucketKmsKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key})),
        );
    } else {
        findings.warn(
            format!("could not prove multipart uploads (large files) under SSE-KMS: {step} failed: {failure}"),
            "Run again; if it persists, check kms:Decrypt on the bucket's KMS key by hand.",
        );
    }
    if *completed_unseen {
        findings.warn(
            format!("the multipart upload was completed after all (its answer was lost, and its abort found no upload), but its version of the probe could not be read back to be deleted: it may remain at s3://{}/{}", ctx.target.bucket, probe.key),
            format!("Delete the remaining versions of {} by hand (aws s3api list-object-versions --bucket {} --prefix {}).", probe.key, ctx.target.bucket, probe.key),
        );
    }
    if let Some((upload_id, abort_failure)) = left_incomplete {
        findings.warn(
            format!("its incomplete multipart upload could not be aborted ({abort_failure}) and keeps costing storage"),
            format!("aws s3api abort-multipart-upload --bucket {} --key {} --upload-id {upload_id}", ctx.target.bucket, probe.key),
        );
    }
}
