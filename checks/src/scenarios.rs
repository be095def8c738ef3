//! Whole-bucket scenarios against replayed AWS answers: what real S3 says in situations the
//! emulator cannot produce (Block Public Access and disabled ACLs enforced, wrong-region
//! redirects, KMS denials, requester pays, unsupported APIs, denied configuration reads).
//! This module holds the helpers the scenario groups below share; each group is a module.

use crate::replay::{Replay, RequestLog};
use crate::{registry, Context, Outcome, SessionOptions, Status, Target};
use std::collections::HashMap;
use std::sync::Arc;

mod bucket_policies;
mod bucket_settings;
mod cross_account;
mod denied_reads;
mod denied_uploads;
mod faults;
mod first_wave;
mod iam_simulation;
mod partitions;
mod public_urls;
mod redirects;
mod simulation_context;
mod step_parameters;
mod verdicts;

const ACCESS_DENIED: &str = "Access Denied";

/// Runs every online check once against the replay and returns the outcomes by id.
pub(crate) async fn run(
    replay: Replay,
    options: SessionOptions,
    configure: impl FnOnce(&mut Target),
) -> (HashMap<&'static str, Outcome>, RequestLog) {
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    // The anonymous GET of the result URL stays on loopback (a closed port): no real network.
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    configure(&mut target);
    let (session, log) = replay.session(options).await;
    let ctx = Context::online(target, Arc::new(session));
    (run_checks(&ctx).await, log)
}

/// Runs every online check once, one after another, and returns the outcomes by id.
pub(crate) async fn run_checks(ctx: &Context) -> HashMap<&'static str, Outcome> {
    let mut outcomes = HashMap::new();
    for check in registry::ALL.iter().filter(|c| c.info().online) {
        outcomes.insert(check.info().id, check.run(ctx).await);
    }
    outcomes
}

pub(crate) fn assert_status(
    outcomes: &HashMap<&str, Outcome>,
    id: &str,
    status: Status,
    needle: &str,
) {
    let outcome = &outcomes[id];
    assert_eq!(outcome.status, status, "{id}: {outcome:#?}");
    let text = format!(
        "{} {}",
        outcome.summary,
        outcome.remediation.as_deref().unwrap_or_default()
    );
    assert!(text.contains(needle), "{id}: {text:?} lacks {needle:?}");
}

/// A bucket policy document around `statements`, as GetBucketPolicy returns it.
fn bucket_policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Id":"ExportBucketPolicy","Statement":[{statements}]}}"#)
}

/// Runs `iam-simulation` alone against the replay, with `settings`.
pub(crate) async fn simulate(
    replay: Replay,
    options: SessionOptions,
    settings: crate::Settings,
) -> (Outcome, RequestLog) {
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    let (session, log) = replay.session(options).await;
    let ctx = Context::online(target, Arc::new(session)).with_settings(settings);
    let check = registry::find("iam-simulation").expect("iam-simulation is registered");
    (check.run(&ctx).await, log)
}

pub(crate) fn outcome_text(outcome: &Outcome) -> String {
    format!(
        "{} | {} | {}",
        outcome.summary,
        outcome.remediation.as_deref().unwrap_or_default(),
        outcome.detail.as_deref().unwrap_or_default()
    )
}
