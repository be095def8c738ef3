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
        ..Default::default()
    };
    if let Some(role_arn) = &connection.role_arn {
        options.credentials_provider = Some(assume_role(connection, role_arn, sts_endpoint).await);
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
            check_target(target.clone(), group.write, connected.session.clone(), run).await
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
    run: &RunPlan,
) -> Result<(Vec<AuditResult>, Option<Caller>), String> {
    let settings = Settings {
        write,
        ..Settings::default()
    };
    let plan = run.plan.clone();
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
