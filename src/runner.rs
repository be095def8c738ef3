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
mod tests;
