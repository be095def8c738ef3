//! Reconciles a prediction with the proof that contradicts it, after every check has run.
//!
//! Some checks predict from configuration (Block Public Access refuses public ACLs, files will
//! not be public); others prove by doing (the dry run's upload, the anonymous GET of the result
//! URL). When a proof contradicts a prediction, printing both side by side leaves the reader
//! to guess which is true. This pass rewrites the prediction into one statement that says which
//! side stands, and why: on an endpoint that is not AWS, the endpoint stores the setting without
//! enforcing it, so the proof stands for that endpoint while AWS would behave as predicted.
//!
//! It works on outcomes by check id and on the evidence the checks record, so no check imports
//! another. Checks mark predictions with the evidence key [`PREDICTS`].

use crate::{Outcome, Status};
use std::collections::HashMap;

/// Evidence key a check sets on an outcome that predicts from configuration what the upload or
/// the result URL will do; its value is one of the `PREDICTS_*` constants.
pub const PREDICTS: &str = "predicts";
/// Uploads with the store step's ACL will be refused (BlockPublicAcls).
pub const PREDICTS_REFUSED: &str = "upload_refused";
/// Stored files will not be publicly readable (IgnorePublicAcls, RestrictPublicBuckets).
pub const PREDICTS_NOT_PUBLIC: &str = "not_public";

const BPA: &str = "block-public-access";
const DRY_RUN: &str = "dry-run-put";
const PUBLIC_URL: &str = "public-url";

/// What the proving checks showed, read from their evidence.
struct Proof {
    /// The probe was written, carrying this `x-amz-acl` value.
    written_with_acl: Option<String>,
    /// An anonymous GET of the result URL answered 200 with the probe's content.
    served_anonymously: bool,
}

fn proof(outcomes: &HashMap<&str, &mut Outcome>) -> Proof {
    let written_with_acl = outcomes.get(DRY_RUN).and_then(|o| {
        // `cleaned_up` is recorded only for a probe that was written.
        let written = o.status != Status::Fail && o.evidence.contains_key("cleaned_up");
        let acl = o.evidence.get("request")?.as_str()?;
        let acl = acl.strip_prefix("x-amz-acl: ")?;
        let acl = acl.split(',').next()?.trim();
        written.then(|| acl.to_owned())
    });
    let served_anonymously = outcomes.get(PUBLIC_URL).is_some_and(|o| {
        matches!(o.status, Status::Pass | Status::Warn)
            && o.evidence.get("status").and_then(|s| s.as_u64()) == Some(200)
    });
    Proof {
        written_with_acl,
        served_anonymously,
    }
}

/// A check that predicts, and how to word its setting and what AWS answers.
struct Predictor {
    id: &'static str,
    /// The setting, for sentences: "Block Public Access".
    setting: &'static str,
    /// What AWS answers the refused upload: "403 AccessDenied".
    refusal: &'static str,
}

const PREDICTORS: [Predictor; 2] = [
    Predictor {
        id: BPA,
        setting: "Block Public Access",
        refusal: "403 AccessDenied",
    },
    Predictor {
        id: "object-ownership",
        setting: "Object Ownership",
        refusal: "400 AccessControlListNotSupported",
    },
];

/// Rewrites predictions that a proof contradicts. `endpoint` is the S3 endpoint the requests
/// went to when it is not AWS.
pub fn reconcile<'a>(
    outcomes: impl IntoIterator<Item = (&'a str, &'a mut Outcome)>,
    endpoint: Option<&str>,
) {
    let mut outcomes: HashMap<&str, &mut Outcome> = outcomes.into_iter().collect();
    let proof = proof(&outcomes);
    for predictor in &PREDICTORS {
        let Some(predicting) = outcomes.get_mut(predictor.id) else {
            continue;
        };
        let prediction = predicting
            .evidence
            .get(PREDICTS)
            .and_then(|p| p.as_str())
            .map(str::to_owned);
        let rewritten = match (prediction.as_deref(), &proof) {
            (
                Some(PREDICTS_REFUSED),
                Proof {
                    written_with_acl: Some(acl),
                    ..
                },
            ) => Some(refused_but_written(predicting, predictor, acl, endpoint)),
            (
                Some(PREDICTS_NOT_PUBLIC),
                Proof {
                    served_anonymously: true,
                    ..
                },
            ) => Some(not_public_but_served(predicting, predictor, endpoint)),
            _ => None,
        };
        let Some((outcome, note_for_proof, proving_check)) = rewritten else {
            continue;
        };
        **predicting = outcome;
        if let Some(proving) = outcomes.get_mut(proving_check) {
            let detail = match &proving.detail {
                Some(detail) => format!("{detail} {note_for_proof}"),
                None => note_for_proof,
            };
            proving.detail = Some(detail);
        }
    }
}

/// Where the answer came from, for sentences: "this endpoint (URL)" or "S3".
fn answered_by(endpoint: Option<&str>) -> String {
    match endpoint {
        Some(url) => format!("this endpoint ({url})"),
        None => "S3".to_owned(),
    }
}

/// The setting predicted a refusal of the ACL, and the probe carrying it was accepted.
fn refused_but_written(
    prediction: &Outcome,
    predictor: &Predictor,
    acl: &str,
    endpoint: Option<&str>,
) -> (Outcome, String, &'static str) {
    let clause = setting_clause(&prediction.summary);
    let Predictor {
        id,
        setting,
        refusal,
    } = predictor;
    let by = answered_by(endpoint);
    let outcome = match endpoint {
        Some(_) => Outcome::warn(
            format!("{clause}, but {by} accepted dry-run-put's probe with x-amz-acl: {acl}: it stores {setting} without enforcing it, so the proof stands for this endpoint; on AWS the same setting refuses these uploads with {refusal}"),
            format!("Nothing blocks exports to this endpoint. Before pointing the same settings at AWS (or if this endpoint starts enforcing {setting}), follow this check's fix for AWS: {}", prediction.remediation.as_deref().unwrap_or("set `acl: bucket-default`.")),
        ),
        None => Outcome::warn(
            format!("{clause}, which refuses uploads with x-amz-acl: {acl}, yet S3 accepted dry-run-put's probe with that header: the proof stands, so the setting read here did not apply to the upload (it may have changed during the run)"),
            format!("Run again to confirm. If this result repeats, check {setting} of the bucket (and, for Block Public Access, of the bucket owner's account): as read, it refuses exports with this `acl`."),
        ),
    };
    let note = format!("{setting} predicted a refusal of this ACL, and {by} accepted it: see {id} for which side stands.");
    (carry_over(prediction, outcome), note, DRY_RUN)
}

/// The setting predicted private files, and an anonymous GET of the result URL was served the
/// probe.
fn not_public_but_served(
    prediction: &Outcome,
    predictor: &Predictor,
    endpoint: Option<&str>,
) -> (Outcome, String, &'static str) {
    let clause = setting_clause(&prediction.summary);
    let Predictor { id, setting, .. } = predictor;
    let by = answered_by(endpoint);
    let outcome = match endpoint {
        Some(_) => Outcome::warn(
            format!("{clause}, but {by} served the probe to an anonymous GET (public-url: 200): it stores {setting} without enforcing it, so the proof stands for this endpoint — files are public here; on AWS the same setting keeps them private"),
            "Nothing keeps files private on this endpoint. Before pointing the same settings at AWS, decide whether files should be public there: if so, turn the setting off; if not, expect 403 at the result URL.",
        ),
        None => Outcome::warn(
            format!("{clause}, which keeps files private, yet S3 served the probe to an anonymous GET (public-url: 200): the proof stands — files are public — so the setting read here did not apply to the read (it may have changed during the run)"),
            format!("Run again to confirm; check {setting} at bucket and account level of the bucket owner, and the bucket policy."),
        ),
    };
    let note = format!("{setting} predicted that files are not public, and {by} served the probe anonymously: see {id} for which side stands.");
    (carry_over(prediction, outcome), note, PUBLIC_URL)
}

/// The prediction's first clause ("BlockPublicAcls is on (bucket level)"), to restate it.
fn setting_clause(summary: &str) -> &str {
    summary.split(':').next().unwrap_or(summary).trim()
}

/// The new outcome keeps the prediction's evidence and detail, and records what changed it.
fn carry_over(prediction: &Outcome, outcome: Outcome) -> Outcome {
    let mut outcome = outcome
        .with_all_evidence(prediction.evidence.clone())
        .with_evidence("prediction", prediction.summary.as_str());
    outcome.detail = prediction.detail.clone();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bpa_refuses() -> Outcome {
        Outcome::fail(
            "BlockPublicAcls is on (bucket level): uploads with `acl: public` are refused with 403 AccessDenied",
            "fix",
        )
        .with_evidence(PREDICTS, PREDICTS_REFUSED)
    }

    fn written() -> Outcome {
        Outcome::pass("uploaded a probe")
            .with_evidence("request", "x-amz-acl: public-read")
            .with_evidence("cleaned_up", true)
    }

    #[test]
    fn a_refusal_contradicted_by_the_upload_is_one_statement_naming_the_side_that_stands() {
        let mut bpa = bpa_refuses();
        let mut put = written();
        reconcile(
            [(BPA, &mut bpa), (DRY_RUN, &mut put)],
            Some("http://127.0.0.1:5000"),
        );
        assert_eq!(bpa.status, Status::Warn, "{bpa:#?}");
        assert!(bpa.summary.starts_with("BlockPublicAcls is on (bucket level), but this endpoint (http://127.0.0.1:5000) accepted"), "{}", bpa.summary);
        assert!(
            bpa.summary
                .contains("the proof stands for this endpoint; on AWS the same setting refuses"),
            "{}",
            bpa.summary
        );
        assert!(put.detail.unwrap().contains("see block-public-access"));
    }

    #[test]
    fn without_a_contradiction_nothing_changes() {
        let mut bpa = bpa_refuses();
        let mut put = Outcome::skip("skipped with --no-write");
        reconcile([(BPA, &mut bpa), (DRY_RUN, &mut put)], None);
        assert_eq!(bpa, bpa_refuses());
        let mut refused =
            Outcome::fail("denied", "fix").with_evidence("request", "x-amz-acl: public-read");
        let mut bpa = bpa_refuses();
        reconcile([(BPA, &mut bpa), (DRY_RUN, &mut refused)], None);
        assert_eq!(bpa.status, Status::Fail);
    }

    #[test]
    fn private_files_served_anonymously_are_reconciled_on_aws_too() {
        let mut bpa = Outcome::fail("IgnorePublicAcls is on (bucket level): the `acl: public` of uploaded files is ignored: uploads succeed, but files are not public", "fix")
            .with_evidence(PREDICTS, PREDICTS_NOT_PUBLIC);
        let mut url = Outcome::pass("anyone can read stored files").with_evidence("status", 200);
        reconcile([(BPA, &mut bpa), (PUBLIC_URL, &mut url)], None);
        assert_eq!(bpa.status, Status::Warn);
        assert!(
            bpa.summary.contains(
                "yet S3 served the probe to an anonymous GET (public-url: 200): the proof stands"
            ),
            "{}",
            bpa.summary
        );
        assert!(url.detail.unwrap().contains("block-public-access"));
    }
}
