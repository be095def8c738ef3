//! Runs an audit's targets: one runtime, one session per connection (so credentials are
//! resolved once per identity and SDK clients are shared per region), at most `--concurrency`
//! targets at a time, each under its own deadline and in its own task, so that one target's
//! hang or panic is that target's `error` and never the run's. Finished targets are handed on
//! one at a time as they finish; nothing holds the whole run's results.

use super::model::{AuditResult, Counts, TargetReport};
use super::sources::{Connection, Group};
use crate::report::{redact_text, Caller, Report};
use crate::runner::{self, Limits, Plan};
use futures::StreamExt;
use preflight::{Context, Session, SessionOptions, Settings, Target};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long past its own deadline a target's task may take before it is abandoned: the
/// runner reports unfinished checks itself at the deadline; this only catches a task that
/// cannot even do that.
const DEADLINE_GRACE: Duration = Duration::from_secs(5);

/// A session and the endpoints it talks to.
pub struct Connected {
    pub session: Arc<Session>,
    pub endpoints: preflight::endpoints::Endpoints,
}

/// One session per connection, made before the run (no network: credentials are resolved on
/// first use, once per session).
#[derive(Default)]
pub struct Sessions(HashMap<Connection, Connected>);

impl Sessions {
    /// The session for `connection`, made on first request. An endpoint that is no URL is bad
    /// input.
    pub async fn ensure(&mut self, connection: &Connection) -> Result<&Connected, String> {
        if !self.0.contains_key(connection) {
            let connected = connect(connection).await?;
            self.0.insert(connection.clone(), connected);
        }
        Ok(&self.0[connection])
    }

    pub fn get(&self, connection: &Connection) -> Option<&Connected> {
        self.0.get(connection)
    }

    /// Every secret any session holds, for redacting text that is not tied to one target.
    pub fn secrets(&self) -> Vec<String> {
        self.0.values().flat_map(|c| c.session.secrets()).collect()
    }
}

/// A session for `connection`: its endpoints resolved as the SDK will, its role (if any)
/// assumed through STS by the SDK's own provider, adaptive retry on.
pub async fn connect(connection: &Connection) -> Result<Connected, String> {
    let endpoints = preflight::endpoints::resolve(
        connection.endpoint_url.as_deref(),
        connection.profile.as_deref(),
    )
    .await;
    for endpoint in [&endpoints.s3, &endpoints.sts].into_iter().flatten() {
        crate::cli::parse_http_url(&endpoint.url).map_err(|why| {
            format!(
                "invalid endpoint '{}' from {}: {why}",
                endpoint.url, endpoint.source
            )
        })?;
    }
    let sts_endpoint = preflight::endpoints::sts_endpoint(&endpoints).map(|e| e.url.clone());
    let mut options = SessionOptions {
        profile: connection.profile.clone(),
        region: connection.region.clone(),
        endpoint_url: endpoints.s3.as_ref().map(|e| e.url.clone()),
        sts_endpoint_url: sts_endpoint.clone(),
        path_style: connection.path_style,
        adaptive_retry: true,
        // One session serves every target of its identity: a timeline would hold each
        // request of the whole run, and the audit shows none.
        without_timeline: true,
        ..Default::default()
    };
    if let Some(role_arn) = &connection.role_arn {
        options.credentials_provider = Some(assume_role(connection, role_arn, sts_endpoint).await);
    } else if let Some(keys) = &connection.inline_keys {
        let keys = preflight::transloadit::InlineKeys {
            key: keys.key.clone(),
            secret: keys.secret.clone(),
            session_token: keys.session_token.clone(),
        };
        options.credentials_provider = Some(keys.provider());
    }
    Ok(Connected {
        session: Arc::new(Session::new(options).await),
        endpoints,
    })
}

/// The SDK's AssumeRoleProvider over the connection's own credentials (profile or default
/// chain): it calls STS on first use and refreshes before the role's credentials expire.
async fn assume_role(
    connection: &Connection,
    role_arn: &str,
    sts_endpoint: Option<String>,
) -> aws_credential_types::provider::SharedCredentialsProvider {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).region(
        aws_config::Region::new(
            connection
                .region
                .clone()
                .unwrap_or_else(|| preflight::session::FALLBACK_REGION.to_owned()),
        ),
    );
    if let Some(profile) = &connection.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = sts_endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let base = loader.load().await;
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
        .session_name("bucket-preflight-audit")
        .configure(&base)
        .build()
        .await;
    aws_credential_types::provider::SharedCredentialsProvider::new(provider)
}

/// What every target of the run shares.
pub struct RunPlan {
    pub plan: Arc<Plan>,
    /// The plan for stores that are not AWS: AWS-only checks skip with the reason.
    pub other_store_plan: Arc<Plan>,
    pub limits: Limits,
    pub concurrency: usize,
}

/// Runs every group, calling `finished` with each entry's report as its group finishes (in
/// the order groups finish). `progress` is told after each group: (done, failing).
pub async fn run_groups(
    groups: Vec<Group>,
    sessions: &Sessions,
    run: &RunPlan,
    mut finished: impl FnMut(TargetReport),
) {
    let mut stream = futures::stream::iter(groups)
        .map(|group| check_group(group, sessions, run))
        .buffer_unordered(run.concurrency.max(1));
    while let Some(reports) = stream.next().await {
        for report in reports {
            finished(report);
        }
    }
}

/// Checks one group once; one report per entry.
async fn check_group(group: Group, sessions: &Sessions, run: &RunPlan) -> Vec<TargetReport> {
    let started = Instant::now();
    let connected = sessions.get(&group.connection);
    let mut target = group.target.clone();
    if let Some(connected) = connected {
        target.endpoint = connected.endpoints.s3.as_ref().map(|e| e.url.clone());
        target.endpoint_source = connected.endpoints.s3.as_ref().map(|e| e.source.clone());
        target.sts_endpoint =
            preflight::endpoints::sts_endpoint(&connected.endpoints).map(|e| e.url.clone());
    }
    let outcome = match (&group.problem, connected) {
        (Some(problem), _) => Err(problem.clone()),
        (None, None) => Err(format!(
            "no session was prepared for {}: this is a bug in bucket-preflight, please report it",
            group.connection.describe()
        )),
        (None, Some(connected)) => {
            let plan = if group.other_store {
                run.other_store_plan.clone()
            } else {
                run.plan.clone()
            };
            check_target(
                target.clone(),
                group.write,
                connected.session.clone(),
                plan,
                run,
            )
            .await
        }
    };
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let secrets = connected.map(|c| c.session.secrets()).unwrap_or_default();
    let (caller, results, error) = match outcome {
        Ok((report, caller)) => (caller, report, None),
        Err(mut why) => {
            redact_text(&mut why, &secrets);
            (None, Vec::new(), Some(why))
        }
    };
    let names: Vec<String> = group.entries.iter().map(|(n, _)| n.clone()).collect();
    group
        .entries
        .into_iter()
        .map(|(name, source)| {
            let mut report = TargetReport {
                same_as: names.iter().filter(|n| **n != name).cloned().collect(),
                name,
                source,
                profile: group.connection.profile.clone(),
                role_arn: group.connection.role_arn.clone(),
                caller: caller.clone(),
                target: target.clone(),
                summary: Counts::default(),
                results: results.clone(),
                error: error.clone(),
                duration_ms,
            };
            report.recount();
            report
        })
        .collect()
}

/// Runs the plan against one target in a task of its own, under the target's deadline.
async fn check_target(
    target: Target,
    write: bool,
    session: Arc<Session>,
    plan: Arc<Plan>,
    run: &RunPlan,
) -> Result<(Vec<AuditResult>, Option<Caller>), String> {
    let settings = Settings {
        write,
        ..Settings::default()
    };
    let limits = run.limits;
    let context = Context::online(target.clone(), session.clone()).with_settings(settings);
    let task = tokio::spawn(async move { runner::run(&plan, Arc::new(context), limits).await });
    let results = match tokio::time::timeout(limits.whole_run + DEADLINE_GRACE, task).await {
        Ok(Ok(results)) => results,
        Ok(Err(join_error)) if join_error.is_panic() => {
            return Err("checking this target crashed: this is a bug in bucket-preflight, not in your bucket; please report it".to_owned())
        }
        Ok(Err(_)) => return Err("checking this target was cancelled".to_owned()),
        Err(_) => {
            return Err(format!(
                "not finished within the target's time limit of {}s: raise --target-timeout, or check the network path to the bucket",
                limits.whole_run.as_secs()
            ))
        }
    };
    let mut report = Report::new(target, results);
    report.redact(&session.secrets());
    let caller = session.known_identity().map(|identity| Caller {
        arn: identity.arn,
        account: identity.account,
    });
    Ok((
        report.results.into_iter().map(AuditResult::new).collect(),
        caller,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::{Source, SourceKind};
    use crate::runner::Selection;
    use async_trait::async_trait;
    use preflight::{Category, Check, CheckInfo, Outcome, Status};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
    static MOST_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

    /// Panics on buckets named `panic-*`, hangs on `hang-*`, passes elsewhere; counts how many
    /// targets it runs on at once.
    struct ByBucket;

    static INFO: CheckInfo = CheckInfo {
        id: "by-bucket",
        title: "by bucket",
        category: Category::Bucket,
        online: true,
        requires: &[],
        docs: "",
    };

    #[async_trait]
    impl Check for ByBucket {
        fn info(&self) -> &'static CheckInfo {
            &INFO
        }
        async fn run(&self, ctx: &Context) -> Outcome {
            let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
            MOST_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
            for _ in 0..20 {
                tokio::task::yield_now().await;
            }
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            let bucket = ctx.target.bucket.clone();
            if bucket.starts_with("panic-") {
                panic!("a bug met {bucket}");
            }
            if bucket.starts_with("hang-") {
                std::future::pending::<()>().await;
            }
            Outcome::pass("fine")
        }
    }

    fn group(bucket: &str) -> Group {
        Group {
            entries: vec![(bucket.to_owned(), Source::new(SourceKind::Config))],
            target: Target::new(bucket),
            connection: Connection::default(),
            write: false,
            problem: None,
            other_store: false,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn one_targets_panic_or_hang_is_that_targets_error_and_concurrency_is_bounded() {
        static CHECKS: [&dyn Check; 1] = [&ByBucket];
        let plan = Plan::with_checks(&CHECKS, &Selection::default()).unwrap();
        let mut sessions = Sessions::default();
        sessions.ensure(&Connection::default()).await.unwrap();
        let mut groups: Vec<Group> = (0..40).map(|i| group(&format!("fine-{i:02}"))).collect();
        groups.insert(7, group("panic-01"));
        groups.insert(20, group("hang-01"));
        let run = RunPlan {
            plan: Arc::new(plan.clone()),
            other_store_plan: Arc::new(plan),
            limits: Limits {
                per_check: Duration::from_secs(30),
                whole_run: Duration::from_millis(300),
            },
            concurrency: 3,
        };
        let mut reports = Vec::new();
        run_groups(groups, &sessions, &run, |report| reports.push(report)).await;
        assert_eq!(reports.len(), 42, "every target reported");
        let status = |name: &str| {
            let report = reports.iter().find(|r| r.name == name).unwrap();
            (report.worst(), report.results[0].result.summary.clone())
        };
        let (panicked, why) = status("panic-01");
        assert_eq!(panicked, Status::Error);
        assert!(why.contains("crashed"), "{why}");
        let (hung, why) = status("hang-01");
        assert_eq!(hung, Status::Error);
        assert!(why.contains("time limit"), "{why}");
        assert!(reports
            .iter()
            .filter(|r| r.name.starts_with("fine-"))
            .all(|r| r.worst() == Status::Pass));
        let most = MOST_IN_FLIGHT.load(Ordering::SeqCst);
        assert!(most <= 3, "{most} targets ran at once with --concurrency 3");
    }

    #[tokio::test]
    async fn a_source_problem_is_the_entrys_error_and_runs_nothing() {
        static CHECKS: [&dyn Check; 1] = [&ByBucket];
        let plan = Plan::with_checks(&CHECKS, &Selection::default()).unwrap();
        let sessions = Sessions::default();
        let mut failed = group("");
        failed.problem = Some("ListBuckets answered AccessDenied".into());
        let run = RunPlan {
            plan: Arc::new(plan.clone()),
            other_store_plan: Arc::new(plan),
            limits: Limits {
                per_check: Duration::from_secs(5),
                whole_run: Duration::from_secs(5),
            },
            concurrency: 1,
        };
        let mut reports = Vec::new();
        run_groups(vec![failed], &sessions, &run, |report| reports.push(report)).await;
        assert_eq!(
            reports[0].error.as_deref(),
            Some("ListBuckets answered AccessDenied")
        );
        assert!(reports[0].results.is_empty());
        assert_eq!(reports[0].summary.error, 1);
    }

    #[tokio::test]
    async fn an_audits_sessions_keep_no_request_timeline() {
        // A timeline in a session that serves every target would grow with each request of
        // the run (the benchmark's memory rose by about 3 MiB per 1,000 targets).
        let connection = Connection {
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("us-east-1".into()),
            inline_keys: Some(crate::audit::sources::InlineKeySet {
                key: "AKIAIOSFODNN7EXAMPLE".into(),
                secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
                session_token: None,
            }),
            ..Connection::default()
        };
        let connected = connect(&connection).await.expect("a session");
        let now = Instant::now();
        let timeline = connected.session.timeline();
        timeline.record("HeadBucket", "127.0.0.1", now, now, Some(200));
        assert!(timeline.requests().is_empty());
    }
}
