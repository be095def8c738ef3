//! Runs checks against one target: concurrently, in dependency order, each under a timeout.
//!
//! Every check becomes one shared future. A check first awaits its prerequisites; if any of
//! them did not pass or warn, it is skipped as "blocked by <id>" without running. Otherwise it
//! runs in its own task, so that a panic or a hang costs that check alone an `error`.

use futures::future::{BoxFuture, FutureExt, Shared};
use preflight::registry;
use preflight::{Check, CheckInfo, Context, Outcome};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::AbortHandle;

/// The reason every online check gets under `--offline` (reports fold these into one line).
pub const OFFLINE_SKIP: &str = "not run with --offline";

/// Which checks a run includes, from `--only`, `--skip` and `--offline`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub offline: bool,
    /// Checks that mean nothing for this target (AWS-only checks on another store), with the
    /// reason: reported as `skip`, never run.
    pub not_applicable: Vec<(&'static str, &'static str)>,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_check: Duration,
    pub whole_run: Duration,
}

/// An id given on the command line that names no check.
#[derive(Debug, thiserror::Error)]
#[error("unknown check '{id}' in {flag}: expected one of {}", .accepted.join(", "))]
pub struct UnknownCheck {
    pub id: String,
    pub flag: &'static str,
    pub accepted: Vec<&'static str>,
}

#[derive(Debug, Clone)]
enum Disposition {
    Run,
    NotRun(&'static str),
}

/// The checks to report on, in registry order, and whether each one runs.
#[derive(Clone)]
pub struct Plan {
    checks: Vec<(&'static dyn Check, Disposition)>,
    /// Fetch every fact of a full run at once before the checks ask ([`Context::prefetch`]):
    /// a whole run (no `--only`) reads them all anyway.
    first_wave: bool,
}

impl Plan {
    /// `--only` keeps the named checks and what they require (their verdict explains a skip);
    /// `--skip` and `--offline` keep checks in the report as `skip` with the reason.
    pub fn new(selection: &Selection) -> Result<Plan, UnknownCheck> {
        Plan::with_checks(registry::ALL, selection)
    }

    /// A plan over `checks`, which must list prerequisites before the checks that need them.
    pub fn with_checks(
        checks: &[&'static dyn Check],
        selection: &Selection,
    ) -> Result<Plan, UnknownCheck> {
        let known = |id: &String| checks.iter().any(|c| c.info().id == id);
        for (flag, ids) in [("--only", &selection.only), ("--skip", &selection.skip)] {
            if let Some(id) = ids.iter().find(|id| !known(id)) {
                let accepted = checks.iter().map(|c| c.info().id).collect();
                return Err(UnknownCheck {
                    id: id.clone(),
                    flag,
                    accepted,
                });
            }
        }
        let mut included: Vec<&str> = selection.only.iter().map(String::as_str).collect();
        // Registry order lists prerequisites first, so walking it backwards closes the set.
        for check in checks.iter().rev() {
            if included.contains(&check.info().id) {
                included.extend(check.info().requires);
            }
        }
        let entries = checks
            .iter()
            .copied()
            .filter(|check| selection.only.is_empty() || included.contains(&check.info().id))
            .map(|check| {
                let info = check.info();
                let not_applicable = selection
                    .not_applicable
                    .iter()
                    .find(|(id, _)| *id == info.id);
                let disposition = if selection.skip.iter().any(|id| id == info.id) {
                    Disposition::NotRun("skipped with --skip")
                } else if let Some((_, reason)) = not_applicable {
                    Disposition::NotRun(reason)
                } else if selection.offline && info.online {
                    Disposition::NotRun(OFFLINE_SKIP)
                } else {
                    Disposition::Run
                };
                (check, disposition)
            })
            .collect();
        let mut plan = Plan {
            checks: entries,
            first_wave: false,
        };
        plan.first_wave = selection.only.is_empty() && plan.needs_network();
        Ok(plan)
    }

    /// Whether any planned check needs AWS.
    pub fn needs_network(&self) -> bool {
        self.checks
            .iter()
            .any(|(check, d)| check.info().online && matches!(d, Disposition::Run))
    }
}

/// One check's verdict, as reports show it.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub info: &'static CheckInfo,
    pub outcome: Outcome,
    pub duration: Duration,
}

type SharedReport = Shared<BoxFuture<'static, CheckReport>>;

/// Runs the plan against one target. Checks of other targets can run at the same time in the
/// same process: each call has its own context, and contexts may share one session.
///
/// After the checks, predictions that a proof contradicts are reconciled into one statement
/// (see [`preflight::reconcile`]).
pub async fn run(plan: &Plan, ctx: Arc<Context>, limits: Limits) -> Vec<CheckReport> {
    let mut reports = run_checks(plan, ctx.clone(), limits).await;
    // The endpoint the requests really went to: the session's (a replay or a configured
    // endpoint) or the target's.
    let endpoint = ctx
        .session()
        .and_then(|s| s.options().endpoint_url.clone())
        .or_else(|| ctx.target.endpoint.clone());
    preflight::reconcile::reconcile(
        reports.iter_mut().map(|r| (r.info.id, &mut r.outcome)),
        endpoint.as_deref(),
    );
    reports
}

async fn run_checks(plan: &Plan, ctx: Arc<Context>, limits: Limits) -> Vec<CheckReport> {
    let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
    let mut futures: HashMap<&'static str, SharedReport> = HashMap::new();
    let mut order = Vec::new();
    if plan.first_wave {
        let ctx = ctx.clone();
        let wave = tokio::spawn(async move { ctx.prefetch().await });
        tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(wave.abort_handle());
    }
    for (check, disposition) in &plan.checks {
        let info = check.info();
        let future = match disposition {
            Disposition::NotRun(reason) => {
                let report = CheckReport {
                    info,
                    outcome: Outcome::skip(*reason),
                    duration: Duration::ZERO,
                };
                futures::future::ready(report).boxed().shared()
            }
            Disposition::Run => {
                let prerequisites: Vec<(&'static str, SharedReport)> = info
                    .requires
                    .iter()
                    .filter_map(|id| futures.get(id).map(|f| (*id, f.clone())))
                    .collect();
                run_one(
                    *check,
                    prerequisites,
                    ctx.clone(),
                    limits.per_check,
                    tasks.clone(),
                )
                .boxed()
                .shared()
            }
        };
        futures.insert(info.id, future.clone());
        order.push((info, future));
    }

    let all = futures::future::join_all(order.iter().map(|(_, f)| f.clone()));
    if let Ok(reports) = tokio::time::timeout(limits.whole_run, all).await {
        return reports;
    }
    for task in tasks.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        task.abort();
    }
    order
        .into_iter()
        .map(|(info, future)| {
            future.peek().cloned().unwrap_or_else(|| CheckReport {
                info,
                outcome: Outcome::error(
                    format!(
                        "not finished when the run's time limit of {}s ran out",
                        limits.whole_run.as_secs()
                    ),
                    "Run again with a larger --timeout, or check the network path to the bucket.",
                ),
                duration: limits.whole_run,
            })
        })
        .collect()
}

async fn run_one(
    check: &'static dyn Check,
    prerequisites: Vec<(&'static str, SharedReport)>,
    ctx: Arc<Context>,
    limit: Duration,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
) -> CheckReport {
    let info = check.info();
    for (id, prerequisite) in prerequisites {
        let verdict = prerequisite.await;
        if !verdict.outcome.status.unblocks_dependents() {
            let outcome = Outcome::skip(format!("blocked by {id}")).with_detail(format!(
                "`{id}` reported {}: fix that first, then this check runs.",
                verdict.outcome.status
            ));
            return CheckReport {
                info,
                outcome,
                duration: Duration::ZERO,
            };
        }
    }
    let started = Instant::now();
    let mut task = tokio::spawn(async move { check.run(&ctx).await });
    tasks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(task.abort_handle());
    let outcome = match tokio::time::timeout(limit, &mut task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join_error)) => {
            let why = if join_error.is_panic() {
                panic_message(join_error.into_panic())
            } else {
                "cancelled".to_owned()
            };
            Outcome::error(
                format!("the check crashed: {why}"),
                "This is a bug in bucket-preflight, not in your bucket: please report it with this output.",
            )
        }
        Err(_) => {
            task.abort();
            Outcome::error(
                format!("no answer within {}s", limit.as_secs_f64()),
                "Run again; if it persists, raise --check-timeout or check the network path (proxy, firewall, --endpoint-url).",
            )
        }
    };
    CheckReport {
        info,
        outcome,
        duration: started.elapsed(),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use preflight::{Category, Status, Target};

    struct Fake {
        info: &'static CheckInfo,
        behaviour: Behaviour,
    }

    #[derive(Clone, Copy)]
    enum Behaviour {
        Returns(Status),
        Panics,
        /// Panics with this message, as a check might when formatting something it holds.
        PanicsWith(&'static str),
        Hangs,
    }

    #[async_trait]
    impl Check for Fake {
        fn info(&self) -> &'static CheckInfo {
            self.info
        }
        async fn run(&self, _ctx: &Context) -> Outcome {
            match self.behaviour {
                Behaviour::Returns(Status::Pass) => Outcome::pass("fine"),
                Behaviour::Returns(Status::Warn) => Outcome::warn("hmm", "do x"),
                Behaviour::Returns(_) => Outcome::fail("broken", "do y"),
                Behaviour::Panics => panic!("boom"),
                Behaviour::PanicsWith(message) => panic!("{message}"),
                Behaviour::Hangs => std::future::pending().await,
            }
        }
    }

    fn fake(
        id: &'static str,
        online: bool,
        requires: &'static [&'static str],
        behaviour: Behaviour,
    ) -> &'static dyn Check {
        let info = Box::leak(Box::new(CheckInfo {
            id,
            title: id,
            category: Category::Bucket,
            online,
            requires,
            docs: "",
        }));
        Box::leak(Box::new(Fake { info, behaviour }))
    }

    fn limits() -> Limits {
        Limits {
            per_check: Duration::from_secs(5),
            whole_run: Duration::from_secs(30),
        }
    }

    async fn run_all(
        checks: &[&'static dyn Check],
        selection: Selection,
        limits: Limits,
    ) -> Vec<(String, Status, String)> {
        let plan = Plan::with_checks(checks, &selection).unwrap();
        run(
            &plan,
            Arc::new(Context::offline(Target::new("b-1"))),
            limits,
        )
        .await
        .into_iter()
        .map(|r| (r.info.id.to_owned(), r.outcome.status, r.outcome.summary))
        .collect()
    }

    #[tokio::test]
    async fn a_failed_prerequisite_blocks_dependents_and_never_passes_them() {
        let checks = [
            fake("root", true, &[], Behaviour::Returns(Status::Fail)),
            fake("child", true, &["root"], Behaviour::Returns(Status::Pass)),
            fake(
                "grandchild",
                true,
                &["child"],
                Behaviour::Returns(Status::Pass),
            ),
            fake("independent", false, &[], Behaviour::Returns(Status::Pass)),
        ];
        let results = run_all(&checks, Selection::default(), limits()).await;
        assert_eq!(
            results[1],
            ("child".into(), Status::Skip, "blocked by root".into())
        );
        assert_eq!(
            results[2],
            ("grandchild".into(), Status::Skip, "blocked by child".into())
        );
        assert_eq!(results[3].1, Status::Pass);
    }

    #[tokio::test]
    async fn a_warning_prerequisite_lets_dependents_run() {
        let checks = [
            fake("root", true, &[], Behaviour::Returns(Status::Warn)),
            fake("child", true, &["root"], Behaviour::Returns(Status::Pass)),
        ];
        let results = run_all(&checks, Selection::default(), limits()).await;
        assert_eq!(results[1].1, Status::Pass);
    }

    #[tokio::test]
    async fn panics_and_hangs_are_errors_of_that_check_only() {
        let checks = [
            fake("panics", false, &[], Behaviour::Panics),
            fake("hangs", false, &[], Behaviour::Hangs),
            fake("fine", false, &[], Behaviour::Returns(Status::Pass)),
        ];
        let short = Limits {
            per_check: Duration::from_millis(200),
            whole_run: Duration::from_secs(30),
        };
        let results = run_all(&checks, Selection::default(), short).await;
        assert_eq!(results[0].1, Status::Error);
        assert!(results[0].2.contains("crashed: boom"), "{}", results[0].2);
        assert_eq!(results[1].1, Status::Error);
        assert!(
            results[1].2.contains("no answer within 0.2s"),
            "{}",
            results[1].2
        );
        assert_eq!(results[2].1, Status::Pass);
    }

    /// A caught panic's message reaches the report (it helps a bug report), so it must pass
    /// through the same redaction as every other text: in no format, at no verbosity, does a
    /// secret carried by a panic message survive.
    #[tokio::test]
    async fn a_panic_message_carrying_secrets_is_redacted_in_every_format() {
        use crate::report::{Report, TableStyle};
        const SECRET: &str = "fakeSecretKey/InAPanicMessage+0123456789ab";
        const TOKEN: &str = "FwoGZXIvYXdzEFAKEsessionTOKENinApanic//////////";
        const KEY_ID: &str = "AKIAFAKEPANICKEY0001";
        let message: &'static str = Box::leak(
            format!("credentials {KEY_ID}:{SECRET} token={TOKEN} were rejected").into_boxed_str(),
        );
        let checks = [fake("leaky", false, &[], Behaviour::PanicsWith(message))];
        let plan = Plan::with_checks(&checks, &Selection::default()).unwrap();
        let target = Target::new("b-1");
        let results = run(&plan, Arc::new(Context::offline(target.clone())), limits()).await;
        assert!(
            results[0].outcome.summary.contains(SECRET),
            "the runner keeps the panic message: {}",
            results[0].outcome.summary
        );
        let mut report = Report::new(target, results);
        report.redact(&[SECRET.to_owned(), KEY_ID.to_owned(), TOKEN.to_owned()]);
        let mut rendered = vec![report.to_json(), report.to_markdown()];
        rendered.extend((0..=2).map(|verbose| report.to_table(&TableStyle::plain(verbose))));
        for text in rendered {
            for secret in [SECRET, TOKEN, KEY_ID] {
                assert!(!text.contains(secret), "{secret} in:\n{text}");
            }
            assert!(text.contains("[REDACTED]"), "{text}");
        }
    }

    #[tokio::test]
    async fn the_run_deadline_reports_unfinished_checks_as_errors() {
        let checks = [
            fake("hangs", false, &[], Behaviour::Hangs),
            fake("fine", false, &[], Behaviour::Returns(Status::Pass)),
        ];
        let tight = Limits {
            per_check: Duration::from_secs(60),
            whole_run: Duration::from_millis(200),
        };
        let results = run_all(&checks, Selection::default(), tight).await;
        assert_eq!(results[0].1, Status::Error);
        assert!(results[0].2.contains("time limit"), "{}", results[0].2);
        assert_eq!(results[1].1, Status::Pass);
    }

    #[tokio::test]
    async fn selection_keeps_prerequisites_and_reports_skips() {
        let checks = [
            fake("root", true, &[], Behaviour::Returns(Status::Pass)),
            fake("child", true, &["root"], Behaviour::Returns(Status::Pass)),
            fake("other", false, &[], Behaviour::Returns(Status::Pass)),
        ];
        let only = Selection {
            only: vec!["child".into()],
            ..Default::default()
        };
        let ids: Vec<String> = run_all(&checks, only, limits())
            .await
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(ids, ["root", "child"]);

        let offline = Selection {
            offline: true,
            ..Default::default()
        };
        let results = run_all(&checks, offline, limits()).await;
        assert_eq!(
            results[0],
            ("root".into(), Status::Skip, "not run with --offline".into())
        );
        assert_eq!(results[1].2, "not run with --offline");
        assert_eq!(results[2].1, Status::Pass);

        let skip = Selection {
            skip: vec!["root".into()],
            ..Default::default()
        };
        let results = run_all(&checks, skip, limits()).await;
        assert_eq!(results[0].2, "skipped with --skip");
        assert_eq!(results[1].2, "blocked by root");
    }

    #[test]
    fn unknown_ids_are_rejected_with_the_accepted_list() {
        let checks = [fake("root", true, &[], Behaviour::Returns(Status::Pass))];
        let err = Plan::with_checks(
            &checks,
            &Selection {
                skip: vec!["nope".into()],
                ..Default::default()
            },
        )
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "unknown check 'nope' in --skip: expected one of root"
        );
    }
}
