//! The `audit` command: many targets from config files, templates, the Transloadit API and the
//! account's bucket list, checked in one run and reported together.
//!
//! The flow: sources yield entries (`sources`), `--shard` keeps this job's share (`shard`),
//! entries that are the same target fold into groups, the groups run with shared sessions
//! (`run`), and each finished target passes through the annotators (mutes, history) to the
//! report sinks (`model::AuditSink`) as it finishes.

pub mod config;
pub mod history;
pub mod model;
pub mod mute;
pub mod run;
#[cfg(test)]
pub mod sample;
pub mod shard;
pub mod sources;

use crate::cli::{AuditArgs, AuditFormat, ColourChoice, FailOnArg};
use crate::report::audit_json::AuditJson;
use crate::report::audit_table::AuditTable;
use crate::report::{redact_text, TableStyle};
use crate::runner::{self, Limits, Selection};
use crate::{bad_input, USAGE_ERROR};
use model::{Annotator, AuditSink, AuditSummary, FailOn, RunEnd, RunHeader};
use sources::{CliDefaults, Connection};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// A flag whose feature another part of the work provides: refused, never silently ignored.
pub fn not_implemented(what: &str) -> ExitCode {
    bad_input(&format!(
        "{what} is not implemented yet in this build of bucket-preflight"
    ))
}

/// The flags this build cannot honour yet, each refused by name.
fn unsupported(args: &AuditArgs) -> Option<String> {
    let format = |f: AuditFormat| !matches!(f, AuditFormat::Table | AuditFormat::Json);
    if !args.template.is_empty() {
        Some("--template".into())
    } else if args.transloadit {
        Some("--transloadit".into())
    } else if args.mute.is_some() {
        Some("--mute".into())
    } else if args.history.is_some() {
        Some("--history".into())
    } else if args.fail_on == FailOnArg::New {
        Some("--fail-on new".into())
    } else if !args.report.is_empty() {
        Some("--report".into())
    } else if format(args.format) {
        Some(format!("--format {}", args.format.as_str()))
    } else {
        None
    }
}

pub async fn run(args: AuditArgs) -> ExitCode {
    let started_at = std::time::SystemTime::now();
    if let Some(flag) = unsupported(&args) {
        return not_implemented(&flag);
    }
    let selection = Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
        offline: false,
    };
    let plan = match runner::Plan::new(&selection) {
        Ok(plan) => Arc::new(plan),
        Err(err) => return bad_input(&err.to_string()),
    };
    if let Err(message) = args.aws.validate_environment() {
        return bad_input(&message);
    }
    let config = match &args.config {
        Some(path) => match config::load(path) {
            Ok(config) => Some(config),
            Err(message) => return bad_input(&message),
        },
        None => None,
    };
    if let Some(config) = &config {
        if let Some(glob) = config.templates.first() {
            return not_implemented(&format!(
                "[[templates]] (in {} at line {})",
                config.file, glob.line
            ));
        }
    }
    if config.is_none() && !args.all_buckets {
        return bad_input(
            "no targets: give --config FILE (a TOML list of [[target]]s), --template FILE, --transloadit or --all-buckets",
        );
    }
    let cli = CliDefaults {
        acl: args.acl,
        bucket_region: args.bucket_region.clone(),
        path: args.path.clone(),
        url_prefix: args.url_prefix.clone(),
        profile: args.aws.profile.clone(),
        region: args.aws.region.clone(),
        endpoint_url: args.aws.endpoint_url.clone(),
        path_style: args.aws.path_style,
    };

    let mut sessions = run::Sessions::default();
    let mut entries = Vec::new();
    if let Some(config) = &config {
        entries.extend(sources::config_entries(config, &cli, !args.no_write));
    }
    if args.all_buckets {
        let connection = Connection {
            profile: cli.profile.clone(),
            region: cli.region.clone(),
            endpoint_url: cli.endpoint_url.clone(),
            path_style: cli.path_style,
            ..Connection::default()
        };
        let session = match sessions.ensure(&connection).await {
            Ok(connected) => connected.session.clone(),
            Err(message) => return bad_input(&message),
        };
        // Nobody exports into every bucket: no probe unless --write asks for one.
        let write = args.write && !args.no_write;
        entries.extend(sources::account_entries(&session, &cli, write).await);
    }
    sources::unique_names(&mut entries);
    let shard = args.shard.map(|(k, n)| shard::Shard::new(k, n));
    if let Some(shard) = shard {
        entries.retain(|entry| shard.owns(&entry.name));
    }
    let groups = sources::group(entries);
    for group in &groups {
        if let Err(message) = sessions.ensure(&group.connection).await {
            return bad_input(&message);
        }
    }

    let to_file = args.output.is_some();
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Box::new(std::io::BufWriter::new(file)),
            Err(err) => {
                return bad_input(&format!("cannot write --output {}: {err}", path.display()))
            }
        },
        None => Box::new(std::io::stdout()),
    };
    let mut sinks: Vec<Box<dyn AuditSink>> = vec![match args.format {
        AuditFormat::Json => Box::new(AuditJson::new(out)),
        _ => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let colour = !no_color
                && (args.color == ColourChoice::Always
                    || (args.color == ColourChoice::Auto
                        && !to_file
                        && std::io::stdout().is_terminal()));
            Box::new(AuditTable::new(
                out,
                TableStyle {
                    colour,
                    width: Some(crate::table_width()),
                    verbose: args.verbose,
                    strict: args.strict,
                    quiet: false,
                },
            ))
        }
    }];
    // Mutes and history plug in here (--mute, --history).
    let mut annotators: Vec<Box<dyn Annotator>> = Vec::new();

    let header = RunHeader::new(
        crate::report::rfc3339(started_at),
        shard.map(|s| s.to_string()),
    );
    let mut write_error: Option<std::io::Error> = None;
    let mut deliver = |result: std::io::Result<()>| {
        if let Err(err) = result {
            write_error.get_or_insert(err);
        }
    };
    for sink in &mut sinks {
        deliver(sink.begin(&header));
    }

    let progress = Progress::new(groups.iter().map(|g| g.entries.len()).sum());
    let run_plan = run::RunPlan {
        plan,
        limits: Limits {
            per_check: Duration::from_secs(args.check_timeout),
            whole_run: Duration::from_secs(args.target_timeout),
        },
        concurrency: args.concurrency as usize,
    };
    let mut summary = AuditSummary::default();
    run::run_groups(groups, &sessions, &run_plan, |mut report| {
        for annotator in &mut annotators {
            annotator.annotate(&mut report);
        }
        report.recount();
        summary.add(&report, args.strict);
        progress.advance(&report, summary.targets_failing);
        for sink in &mut sinks {
            deliver(sink.target(&report));
        }
    })
    .await;
    progress.finish();

    // Probes whose check timed out after the upload are still being removed: wait, and say
    // what became of them.
    let secrets = sessions.secrets();
    for mut note in preflight::probe::finish_interrupted_cleanups(Duration::from_secs(30)).await {
        redact_text(&mut note, &secrets);
        eprintln!("note: {note}");
    }

    let mut end = RunEnd::new(summary, Vec::new());
    for annotator in &mut annotators {
        annotator.finish(&mut end);
    }
    let fail_on = match args.fail_on {
        FailOnArg::Any => FailOn::Any,
        FailOnArg::New => FailOn::New,
    };
    end.conclude(args.strict, fail_on);
    for sink in &mut sinks {
        deliver(sink.finish(&end));
    }
    if let Some(err) = write_error {
        let place = args
            .output
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "stdout".into());
        // A closed pipe (`| head`) is the reader's choice, not a failure of the audit.
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the report to {place}: {err}");
            return ExitCode::from(USAGE_ERROR);
        }
    }
    ExitCode::from(end.exit_code)
}

/// Targets done/total, failing so far and elapsed time on stderr, only when stderr is a
/// terminal: cron mail and CI logs stay clean.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: usize) -> Self {
        if !std::io::stderr().is_terminal() || total == 0 {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(total as u64);
        let style = indicatif::ProgressStyle::with_template(
            "{elapsed_precise} {bar:30} {pos}/{len} targets · {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message("0 failing");
        Progress(Some(bar))
    }

    fn advance(&self, _report: &model::TargetReport, failing: usize) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
            bar.set_message(format!("{failing} failing"));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
