//! What a run established and what it did not: the closing verdict never claims more than the
//! checks that ran, as whom, with the write proven or not.
//!
//! "Ready to receive exports" needs the full set of checks, the dry run proving the upload as
//! the identity that exports, and nothing failing. Anything less is a limited run: it names
//! what limited it (`--offline`, `--only`, `--skip`, `--no-write`, a `--principal` other than
//! the caller, a dry run that did not prove the write) and what was not verified.

use super::ResultEntry;
use crate::runner::OFFLINE_SKIP;
use preflight::Status;
use serde::Serialize;

/// How the command line limited the run.
#[derive(Debug, Clone, Default)]
pub struct RunLimits {
    pub offline: bool,
    /// `--only` as given (the run adds what these require).
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub no_write: bool,
    /// `--principal`: whose permissions `iam-simulation` predicts.
    pub principal: Option<String>,
}

/// The JSON `scope`: what the run established, and as whom.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Scope {
    /// Whether the run can speak of readiness: every check selected, the dry run proved the
    /// upload as the identity that exports. `verdict` is `ready` only when this is true.
    pub complete: bool,
    /// What limited the run: `offline`, `only`, `skip`, `no_write`, `principal`,
    /// `write_not_proven`. Empty when complete.
    pub limited_by: Vec<&'static str>,
    /// Whose identity the online checks (and the dry run) proved: the caller's ARN, when STS
    /// said; `null` offline or when it did not.
    pub proved_as: Option<String>,
    /// `--principal`, when given: predicted by `iam-simulation`, never proved by the dry run.
    pub principal: Option<String>,
    /// Checks that passed.
    pub established: Vec<&'static str>,
    /// Checks that reached no verdict (`skip`, `error`, or a `warn` because a read was
    /// denied), with why.
    pub not_established: Vec<NotEstablished>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NotEstablished {
    pub check: &'static str,
    pub why: String,
}

const DRY_RUN: &str = "dry-run-put";

/// Whether the user's selection left this check out (rather than the check finding nothing).
fn selected_out(result: &ResultEntry) -> bool {
    result.status == Status::Skip
        && (result.summary == OFFLINE_SKIP || result.summary == "skipped with --skip")
}

/// The permission whose denial kept a check from verifying (it warns "could not be verified").
fn denied(result: &ResultEntry) -> Option<&str> {
    result
        .evidence
        .get("denied_permission")
        .and_then(|p| p.as_str())
}

/// A skip that is no gap: `policy-document` runs only when there is a policy file to analyse.
fn nothing_to_check(result: &ResultEntry) -> bool {
    result.status == Status::Skip && result.id == "policy-document"
}

impl Scope {
    pub fn of(results: &[ResultEntry], limits: &RunLimits, caller: Option<&str>) -> Scope {
        let online_ran = results.iter().any(|r| {
            preflight::registry::find(r.id).is_some_and(|c| c.info().online)
                && !selected_out(r)
                && r.status != Status::Skip
        });
        let dry_run = results.iter().find(|r| r.id == DRY_RUN);
        let mut limited_by = Vec::new();
        if limits.offline {
            limited_by.push("offline");
        }
        if !limits.only.is_empty() {
            limited_by.push("only");
        }
        if !limits.skip.is_empty() {
            limited_by.push("skip");
        }
        if limits.no_write {
            limited_by.push("no_write");
        }
        let other_principal = limits.principal.as_deref().filter(|p| caller != Some(*p));
        if other_principal.is_some() {
            limited_by.push("principal");
        }
        let write_proven = dry_run.is_some_and(|r| r.status == Status::Pass);
        if !write_proven && limited_by.is_empty() {
            limited_by.push("write_not_proven");
        }
        let established = results
            .iter()
            .filter(|r| r.status == Status::Pass)
            .map(|r| r.id)
            .collect();
        let not_established = results
            .iter()
            .filter(|r| matches!(r.status, Status::Skip | Status::Error) || denied(r).is_some())
            .filter(|r| !nothing_to_check(r))
            .map(|r| NotEstablished {
                check: r.id,
                why: r.summary.clone(),
            })
            .collect();
        Scope {
            complete: limited_by.is_empty(),
            limited_by,
            proved_as: if online_ran {
                caller.map(str::to_owned)
            } else {
                None
            },
            principal: limits.principal.clone(),
            established,
            not_established,
        }
    }

    /// Why this is not a readiness verdict, as clauses: "nothing was checked against the
    /// bucket (--offline)".
    pub fn limits_clauses(&self, results: &[ResultEntry], limits: &RunLimits) -> Vec<String> {
        let who = self.proved_as.as_deref().unwrap_or("these credentials");
        let mut clauses = Vec::new();
        for reason in &self.limited_by {
            clauses.push(match *reason {
                "offline" => "nothing was checked against the bucket (--offline)".to_owned(),
                "only" => format!(
                    "only {} (and the checks they require) ran (--only)",
                    limits.only.join(", ")
                ),
                "skip" => format!("{} left out with --skip", limits.skip.join(", ")),
                "no_write" => format!(
                    "the configuration was read as {who}, but write access was not proven (--no-write skips dry-run-put)"
                ),
                "principal" => format!(
                    "the dry run and listing proved the access of {who}, not of --principal {}, whose permissions iam-simulation only predicts",
                    self.principal.as_deref().unwrap_or_default()
                ),
                "write_not_proven" => {
                    let why = results
                        .iter()
                        .find(|r| r.id == DRY_RUN)
                        .map_or("it did not run".to_owned(), |r| {
                            format!("{}: {}", r.status, r.summary)
                        });
                    format!("the dry run did not prove the upload as {who} ({why})")
                }
                other => other.to_owned(),
            });
        }
        clauses
    }

    /// "Not verified: requester-pays (why), …", for checks that reached no verdict for a reason
    /// other than the user's selection; `None` when there are none.
    pub fn not_verified_line(&self, results: &[ResultEntry]) -> Option<String> {
        let gaps: Vec<String> = self
            .not_established
            .iter()
            .filter_map(|gap| {
                let result = results.iter().find(|r| r.id == gap.check)?;
                if selected_out(result) {
                    return None;
                }
                Some(match denied(result) {
                    Some(permission) => format!("{} ({permission} denied)", gap.check),
                    None => format!("{} ({})", gap.check, gap.why),
                })
            })
            .collect();
        (!gaps.is_empty()).then(|| format!("Not verified: {}.", gaps.join("; ")))
    }

    /// Whose identity the online checks proved, one sentence; `None` when none ran.
    pub fn identity_line(&self, results: &[ResultEntry]) -> Option<String> {
        let online_ran = results.iter().any(|r| {
            preflight::registry::find(r.id).is_some_and(|c| c.info().online)
                && r.status != Status::Skip
        });
        if !online_ran {
            return None;
        }
        Some(match &self.proved_as {
            Some(arn) => format!("Online checks ran as {arn}."),
            None => {
                "Online checks ran with credentials whose identity STS did not tell.".to_owned()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Caller, Report, TableStyle};
    use super::RunLimits;
    use crate::runner::{CheckReport, OFFLINE_SKIP};
    use preflight::{registry, Outcome, Target};
    use std::time::Duration;

    const CALLER: &str = "arn:aws:iam::111122223333:user/exporter";

    /// A report of every check in the registry: `outcome(id)` decides each one's outcome.
    fn report(
        limits: RunLimits,
        strict: bool,
        outcome: impl Fn(&'static str, bool) -> Option<Outcome>,
    ) -> Report {
        let reports = registry::ALL
            .iter()
            .filter_map(|check| {
                let info = check.info();
                outcome(info.id, info.online).map(|outcome| CheckReport {
                    info,
                    outcome,
                    duration: Duration::ZERO,
                })
            })
            .collect();
        let mut report = Report::new(Target::new("acme-exports"), reports);
        report.limits = limits;
        report.caller = Some(Caller {
            arn: CALLER.to_owned(),
            account: "111122223333".to_owned(),
        });
        report.conclude(strict);
        report
    }

    fn all_pass(_: &str, _: bool) -> Option<Outcome> {
        Some(Outcome::pass("fine"))
    }

    fn closing(report: &Report) -> String {
        let table = report.to_table(&TableStyle::plain(0));
        table
            .lines()
            .skip_while(|l| !l.contains(" — "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn offline_is_never_ready() {
        let limits = RunLimits {
            offline: true,
            ..Default::default()
        };
        let offline = |_: &str, online: bool| {
            Some(if online {
                Outcome::skip(OFFLINE_SKIP)
            } else {
                Outcome::pass("fine")
            })
        };
        let run = report(limits.clone(), false, offline);
        assert_eq!((run.verdict, run.exit_code), ("limited", 0));
        assert!(!run.scope.complete);
        assert_eq!(run.scope.limited_by, ["offline"]);
        assert_eq!(run.scope.proved_as, None);
        let text = closing(&run);
        assert!(
            text.contains("Not a readiness verdict: name and parameters are fine; nothing was checked against the bucket (--offline)."),
            "{text}"
        );
        assert!(!text.contains("Ready"), "{text}");
        assert!(!text.contains("Online checks ran"), "{text}");
        // --strict: a limited run is unverified.
        let strict = report(limits, true, offline);
        assert_eq!((strict.verdict, strict.exit_code), ("unverified", 3));
    }

    #[test]
    fn only_is_not_a_readiness_verdict() {
        let limits = RunLimits {
            only: vec!["public-url".into()],
            ..Default::default()
        };
        let only = |id: &str, _: bool| {
            ["credentials", "bucket-exists", "dry-run-put", "public-url"]
                .contains(&id)
                .then(|| Outcome::pass("fine"))
        };
        let run = report(limits, false, only);
        assert_eq!(run.verdict, "limited");
        let text = closing(&run);
        assert!(text.contains("Nothing failed, but this is not a readiness verdict: only public-url (and the checks they require) ran (--only)."), "{text}");
        assert!(
            text.contains(&format!("Online checks ran as {CALLER}.")),
            "{text}"
        );
        assert!(!text.contains("Ready"), "{text}");
    }

    #[test]
    fn no_write_reads_but_does_not_prove_the_write() {
        let limits = RunLimits {
            no_write: true,
            ..Default::default()
        };
        let run = report(limits, false, |id, online| match id {
            "dry-run-put" | "public-url" => Some(Outcome::skip("skipped with --no-write")),
            _ => all_pass(id, online),
        });
        assert_eq!(run.verdict, "limited");
        let text = closing(&run);
        assert!(text.contains(&format!("the configuration was read as {CALLER}, but write access was not proven (--no-write skips dry-run-put)")), "{text}");
    }

    #[test]
    fn a_principal_is_named_beside_the_caller_whose_access_was_proved() {
        let role = "arn:aws:iam::111122223333:role/transloadit";
        let limits = RunLimits {
            principal: Some(role.into()),
            ..Default::default()
        };
        let run = report(limits, false, all_pass);
        assert_eq!(run.verdict, "limited");
        assert_eq!(run.scope.principal.as_deref(), Some(role));
        let text = closing(&run);
        assert!(text.contains(&format!("the dry run and listing proved the access of {CALLER}, not of --principal {role}, whose permissions iam-simulation only predicts")), "{text}");
        // The caller itself as --principal limits nothing.
        let limits = RunLimits {
            principal: Some(CALLER.into()),
            ..Default::default()
        };
        assert_eq!(report(limits, false, all_pass).verdict, "ready");
    }

    #[test]
    fn ready_only_with_the_write_proven_and_names_the_identity() {
        let run = report(RunLimits::default(), false, all_pass);
        assert_eq!((run.verdict, run.exit_code), ("ready", 0));
        assert!(run.scope.complete);
        assert!(
            closing(&run).contains(&format!(
                "Ready to receive exports: the dry run proved the upload as {CALLER}."
            )),
            "{}",
            closing(&run)
        );
        // A dry run that could not prove the write leaves the run limited, and says why.
        let run = report(RunLimits::default(), false, |id, online| match id {
            "dry-run-put" => Some(Outcome::warn("could not prove the upload", "run again")),
            _ => all_pass(id, online),
        });
        assert_eq!(run.verdict, "limited");
        assert_eq!(run.scope.limited_by, ["write_not_proven"]);
        assert!(closing(&run).contains("the dry run did not prove the upload as"));
        // Checks that reached no verdict, or could not read what they needed, are named.
        let run = report(RunLimits::default(), false, |id, online| match id {
            "requester-pays" => Some(Outcome::skip("not supported by this endpoint")),
            "bucket-policy" => Some(
                Outcome::warn("cannot read the bucket policy", "grant it")
                    .with_evidence("denied_permission", "s3:GetBucketPolicy"),
            ),
            _ => all_pass(id, online),
        });
        assert_eq!(run.verdict, "ready");
        assert!(
            closing(&run).contains("Not verified: bucket-policy (s3:GetBucketPolicy denied); requester-pays (not supported by this endpoint)."),
            "{}",
            closing(&run)
        );
    }
}
