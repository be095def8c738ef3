//! Runs the checks behind the named causes (the runner, with `--only` of those checks) and
//! judges each cause by them: confirmed, ruled out, or why neither. A cause is only ruled out
//! by checks that ran as the identity the error is about, with the parameters the Template
//! uses; otherwise the report says what to run instead.

use crate::cli::DiagnoseArgs;
use crate::runner::{self, CheckReport, Limits, Plan, Selection};
use preflight::transloadit::errors::{Cause, Failure, Likelihood};
use preflight::{registry, Context, Session, Settings, Status, Target};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseStatus {
    /// A check shows it holds now.
    Confirmed,
    /// The checks that see it pass, as the same identity with the same parameters.
    RuledOut,
    /// The checks pass, but with other parameters or after the fact: no proof either way.
    NotReproduced,
    /// The checks ran but could not decide.
    Unconfirmed,
    /// No check ran (`--offline`, no bucket, no credentials).
    NotChecked,
}

impl CauseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CauseStatus::Confirmed => "confirmed",
            CauseStatus::RuledOut => "ruled out",
            CauseStatus::NotReproduced => "not reproduced",
            CauseStatus::Unconfirmed => "unconfirmed",
            CauseStatus::NotChecked => "not checked",
        }
    }
}

/// One check's verdict, as a cause's evidence.
#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub id: &'static str,
    pub status: Status,
    pub summary: String,
}

/// What the checks found, and as whom.
#[derive(Debug, Default)]
pub struct Confirmation {
    pub results: Vec<CheckReport>,
    pub caller: Option<String>,
    pub secrets: Vec<String>,
    /// Why no check ran.
    pub not_run: Option<String>,
}

/// Causes that depend on who writes: only checks run as the same principal can rule them out.
const IDENTITY_BOUND: &[&str] = &[
    "identity-policy-no-allow",
    "identity-policy-deny",
    "bucket-policy-deny",
    "bucket-policy-no-allow",
    "permissions-boundary",
    "session-policy",
    "organisation-policy",
    "vpc-endpoint-policy",
    "kms-key",
];

/// Runs the checks of `causes` against `bucket`, unless offline or the bucket is unknown.
pub async fn run(
    args: &DiagnoseArgs,
    bucket: Option<&str>,
    causes: &[Cause],
) -> Result<(Confirmation, super::ChecksRun), String> {
    let mut ids: Vec<String> = Vec::new();
    for check in registry::ALL {
        let id = check.info().id;
        if causes.iter().any(|c| c.kind.checks.contains(&id)) {
            ids.push(id.to_owned());
        }
    }
    let not_run = if args.offline {
        Some("not run with --offline".to_owned())
    } else if bucket.is_none() {
        Some("the error names no bucket: give it with --bucket to run the checks".to_owned())
    } else if ids.is_empty() {
        Some("no check looks at these causes".to_owned())
    } else {
        None
    };
    if let Some(reason) = not_run {
        let checks = super::ChecksRun {
            ran: false,
            reason: Some(reason.clone()),
            bucket: bucket.map(str::to_owned),
            caller: None,
        };
        let confirmation = Confirmation {
            not_run: Some(reason),
            ..Confirmation::default()
        };
        return Ok((confirmation, checks));
    }
    let bucket = bucket.unwrap_or_default();
    args.aws.validate_environment()?;
    let endpoints = args
        .aws
        .effective_endpoints(args.aws.profile.as_deref())
        .await?;
    let sts_endpoint = preflight::endpoints::sts_endpoint(&endpoints);
    let defaults = Target::new(bucket);
    let target = Target {
        acl: args.acl.unwrap_or(defaults.acl),
        bucket_region: args.bucket_region.clone(),
        path: args.path.clone().unwrap_or(defaults.path.clone()),
        url_prefix: args.url_prefix.clone(),
        endpoint: endpoints.s3.as_ref().map(|e| e.url.clone()),
        endpoint_source: endpoints.s3.as_ref().map(|e| e.source.clone()),
        sts_endpoint: sts_endpoint.map(|e| e.url.clone()),
        ..defaults
    };
    let options = preflight::SessionOptions {
        endpoint_url: target.endpoint.clone(),
        sts_endpoint_url: target.sts_endpoint.clone(),
        credentials_provider: args.inline_credentials.clone(),
        ..args.aws.session_options()
    };
    let session = Arc::new(Session::new(options).await);
    let settings = Settings {
        write: !args.no_write,
        ..Settings::default()
    };
    let ctx = Context::online(target, session.clone()).with_settings(settings);
    let plan = Plan::new(&Selection {
        only: ids,
        ..Selection::default()
    })
    .map_err(|e| e.to_string())?;
    let limits = Limits {
        per_check: Duration::from_secs(args.check_timeout),
        whole_run: Duration::from_secs(args.timeout),
    };
    let results = runner::run(&plan, Arc::new(ctx), limits).await;
    for note in preflight::probe::finish_interrupted_cleanups(limits.per_check).await {
        let mut note = note;
        crate::report::redact_text(&mut note, &session.secrets());
        eprintln!("note: {note}");
    }
    let caller = session.known_identity().map(|i| i.arn);
    let checks = super::ChecksRun {
        ran: true,
        reason: None,
        bucket: Some(bucket.to_owned()),
        caller: caller.clone(),
    };
    Ok((
        Confirmation {
            results,
            caller,
            secrets: session.secrets(),
            not_run: None,
        },
        checks,
    ))
}

/// Whether a store step parameter was given as the Template sets it.
fn given(args: &DiagnoseArgs, parameter: &str) -> bool {
    match parameter {
        "acl" => args.acl.is_some(),
        "bucket_region" => args.bucket_region.is_some(),
        "url_prefix" => args.url_prefix.is_some(),
        _ => true,
    }
}

/// A failed dry run that S3 refused with AccessDenied (the check's evidence says which).
fn denied(report: &CheckReport) -> bool {
    report.outcome.status == Status::Fail
        && (report.outcome.evidence.contains_key("denied_action")
            || report.outcome.evidence.contains_key("proven_causes"))
}

/// The cause's status, why, and the verdicts of its checks.
pub fn judge(
    cause: &Cause,
    failure: &Failure,
    confirmation: &Confirmation,
    args: &DiagnoseArgs,
) -> (CauseStatus, String, Vec<CheckLine>) {
    let reports: Vec<&CheckReport> = cause
        .kind
        .checks
        .iter()
        .filter_map(|id| confirmation.results.iter().find(|r| r.info.id == *id))
        .collect();
    let lines = reports
        .iter()
        .map(|r| CheckLine {
            id: r.info.id,
            status: r.outcome.status,
            summary: r.outcome.summary.clone(),
        })
        .collect();
    let verdict = |status, reason: String| (status, reason, lines);
    if let Some(why) = &confirmation.not_run {
        return verdict(CauseStatus::NotChecked, why.clone());
    }
    let ran: Vec<&&CheckReport> = reports
        .iter()
        .filter(|r| r.outcome.status != Status::Skip)
        .collect();
    if ran.is_empty() {
        return verdict(
            CauseStatus::NotChecked,
            "none of its checks could run (see their skip reasons)".into(),
        );
    }
    // Checks run as someone else prove nothing about the principal the error names.
    let principal = failure.denial.as_ref().map(|d| d.principal.as_str());
    let identity_bound = IDENTITY_BOUND.contains(&cause.kind.id);
    if identity_bound {
        if let (Some(principal), Some(caller)) = (principal, confirmation.caller.as_deref()) {
            if principal != caller {
                return verdict(CauseStatus::Unconfirmed, format!("the checks ran as {caller}, the error is about {principal}: run with that principal's credentials (--profile)"));
            }
        }
    }
    let caller = confirmation
        .caller
        .as_deref()
        .unwrap_or("an unknown identity");
    if let Some(failing) = ran
        .iter()
        .find(|r| r.outcome.status == Status::Fail && r.info.id != "dry-run-put")
    {
        return verdict(
            CauseStatus::Confirmed,
            format!("`{}` fails: {}", failing.info.id, failing.outcome.summary),
        );
    }
    let dry_run = ran.iter().find(|r| r.info.id == "dry-run-put");
    if let Some(dry_run) = dry_run.filter(|r| r.outcome.status == Status::Fail) {
        // What the error itself proves, the dry run reproducing it confirms: the same denial,
        // of the same action, as the same identity.
        let denied_action = dry_run
            .outcome
            .evidence
            .get("denied_action")
            .and_then(|v| v.as_str());
        let same_action = match (denied_action, failure.denial.as_ref()) {
            (Some(now), Some(then)) => now.eq_ignore_ascii_case(&then.action),
            _ => true,
        };
        let same_kind = !IDENTITY_BOUND.contains(&cause.kind.id) || denied(dry_run);
        if cause.likelihood == Likelihood::Certain && same_action && same_kind {
            return verdict(
                CauseStatus::Confirmed,
                format!(
                    "the dry-run upload fails the same way now: {}",
                    dry_run.outcome.summary
                ),
            );
        }
        return verdict(CauseStatus::Unconfirmed, format!("the dry-run upload fails too ({}), but no check points at this cause in particular", dry_run.outcome.summary));
    }
    if ran.iter().all(|r| r.outcome.status == Status::Pass) {
        let ids: Vec<&str> = ran.iter().map(|r| r.info.id).collect();
        if let Some(parameter) = cause.kind.depends_on.filter(|p| !given(args, p)) {
            return verdict(
                CauseStatus::NotReproduced,
                format!(
                    "{} pass with the default `{parameter}`: give --{} as the Template sets it",
                    ids.join(", "),
                    parameter.replace('_', "-")
                ),
            );
        }
        // Who wrote is unknown: passing as the caller proves nothing about the store step's key.
        if identity_bound && principal.is_none() {
            return verdict(CauseStatus::NotReproduced, format!("{} pass as {caller}: that rules it out only if these are the credentials the store step uses", ids.join(", ")));
        }
        if cause.likelihood == Likelihood::Certain {
            return verdict(CauseStatus::NotReproduced, format!("{} pass now: fixed since the error, or the Assembly used other credentials or parameters", ids.join(", ")));
        }
        return verdict(CauseStatus::RuledOut, format!("{} pass", ids.join(", ")));
    }
    let open: Vec<String> = ran
        .iter()
        .filter(|r| r.outcome.status != Status::Pass)
        .map(|r| format!("{} {}", r.info.id, r.outcome.status))
        .collect();
    verdict(
        CauseStatus::Unconfirmed,
        format!("its checks could not decide ({})", open.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;
    use preflight::transloadit::errors::{causes, parse, Known};
    use preflight::Outcome;

    const USER: &str = "arn:aws:iam::111122223333:user/exporter";

    fn args(extra: &[&str]) -> DiagnoseArgs {
        let mut argv = vec!["bucket-preflight", "diagnose", "-"];
        argv.extend(extra);
        match Cli::try_parse_from(argv).expect("parses").command {
            Command::Diagnose(args) => *args,
            _ => unreachable!(),
        }
    }

    fn report(id: &str, outcome: Outcome) -> CheckReport {
        CheckReport {
            info: registry::find(id).expect("registered").info(),
            outcome,
            duration: Duration::ZERO,
        }
    }

    /// The status of cause `id` for `input`, given these check results and caller.
    fn status(
        input: &str,
        id: &str,
        results: Vec<CheckReport>,
        caller: Option<&str>,
        extra: &[&str],
    ) -> (CauseStatus, String) {
        let failure = parse(input).expect("recognised");
        let cause = causes(&failure, &Known::default())
            .into_iter()
            .find(|c| c.kind.id == id)
            .expect("named");
        let confirmation = Confirmation {
            results,
            caller: caller.map(str::to_owned),
            ..Confirmation::default()
        };
        let (status, reason, _) = judge(&cause, &failure, &confirmation, &args(extra));
        (status, reason)
    }

    fn denied_put() -> Outcome {
        Outcome::fail("upload denied", "grant it").with_evidence("denied_action", "s3:PutObject")
    }

    #[test]
    fn a_cause_the_message_proves_is_confirmed_only_as_the_same_identity() {
        let message = format!(
            r#"User: {USER} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows the s3:PutObject action"#
        );
        let id = "identity-policy-no-allow";
        let (got, _) = status(
            &message,
            id,
            vec![report("dry-run-put", denied_put())],
            Some(USER),
            &[],
        );
        assert_eq!(got, CauseStatus::Confirmed);
        let (got, why) = status(
            &message,
            id,
            vec![report("dry-run-put", denied_put())],
            Some("arn:aws:iam::111122223333:user/admin"),
            &[],
        );
        assert_eq!(got, CauseStatus::Unconfirmed, "{why}");
        let (got, _) = status(
            &message,
            id,
            vec![report("dry-run-put", Outcome::pass("written"))],
            Some(USER),
            &[],
        );
        assert_eq!(got, CauseStatus::NotReproduced);
    }

    #[test]
    fn passing_checks_rule_out_only_with_the_templates_parameters_and_identity() {
        let bpa = || {
            vec![
                report("block-public-access", Outcome::pass("off")),
                report("dry-run-put", Outcome::pass("written")),
            ]
        };
        let (got, why) = status(
            "S3_STORE_ACCESS_DENIED",
            "block-public-acls",
            bpa(),
            Some(USER),
            &[],
        );
        assert_eq!(got, CauseStatus::NotReproduced, "{why}");
        assert!(why.contains("--acl"), "{why}");
        let (got, _) = status(
            "S3_STORE_ACCESS_DENIED",
            "block-public-acls",
            bpa(),
            Some(USER),
            &["--acl", "public"],
        );
        assert_eq!(got, CauseStatus::RuledOut);
        // A bare denial names no principal: a pass as the caller is no proof about the store step's key.
        let (got, why) = status(
            "S3_STORE_ACCESS_DENIED",
            "identity-policy-no-allow",
            vec![report("dry-run-put", Outcome::pass("written"))],
            Some(USER),
            &[],
        );
        assert_eq!(got, CauseStatus::NotReproduced, "{why}");
        // A specific check failing confirms even a merely likely cause.
        let (got, why) = status(
            "S3_STORE_ACCESS_DENIED",
            "block-public-acls",
            vec![report(
                "block-public-access",
                Outcome::fail("BlockPublicAcls is on", "turn it off"),
            )],
            Some(USER),
            &[],
        );
        assert_eq!(got, CauseStatus::Confirmed, "{why}");
        // Skipped checks decide nothing.
        let (got, _) = status(
            "S3_STORE_ACCESS_DENIED",
            "block-public-acls",
            vec![report("block-public-access", Outcome::skip("offline"))],
            Some(USER),
            &[],
        );
        assert_eq!(got, CauseStatus::NotChecked);
    }
}
