//! The `audit` command: many targets from config files, templates, the Transloadit API and the
//! account's bucket list, checked in one run and reported together.
//!
//! The flow: sources yield entries (`sources`), `--shard` keeps this job's share (`shard`),
//! entries that are the same target fold into groups, the groups run with shared sessions
//! (`run`), and each finished target passes through the annotators (mutes, history) to the
//! report sinks (`model::AuditSink`) as it finishes.

pub mod config;
pub mod history;
pub mod history_cmd;
pub mod model;
pub mod mute;
pub mod run;
#[cfg(test)]
pub mod sample;
pub mod shard;
pub mod sources;
pub mod template_source;
pub mod transloadit_api;

use crate::cli::{AuditArgs, AuditFormat, ColourChoice, FailOnArg};
use crate::report::audit_json::AuditJson;
use crate::report::audit_markdown::AuditMarkdown;
use crate::report::audit_table::AuditTable;
use crate::report::junit::JunitWriter;
use crate::report::sarif::SarifWriter;
use crate::report::{redact_text, TableStyle};
use crate::runner::{self, Limits, Selection};
use crate::{bad_input, USAGE_ERROR};
use model::{Annotator, AuditSink, AuditSummary, FailOn, RunEnd, RunHeader};
use sources::{CliDefaults, Connection};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(args: AuditArgs) -> ExitCode {
    let started_at = std::time::SystemTime::now();
    let selection = Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
        offline: false,
        not_applicable: Vec::new(),
    };
    let plan = match runner::Plan::new(&selection) {
        Ok(plan) => Arc::new(plan),
        Err(err) => return bad_input(&err.to_string()),
    };
    // Stores that are not AWS (other Robots, a custom `host`): AWS-only checks skip.
    let other_store_plan = match runner::Plan::new(&Selection {
        not_applicable: preflight::transloadit::robots::AWS_ONLY_CHECKS.to_vec(),
        ..selection.clone()
    }) {
        Ok(plan) => Arc::new(plan),
        Err(err) => return bad_input(&err.to_string()),
    };
    if let Err(message) = args.aws.validate_environment() {
        return bad_input(&message);
    }
    if args.fail_on == FailOnArg::New && args.history.is_none() {
        return bad_input(
            "--fail-on new needs --history FILE: new is counted against the previous run recorded there",
        );
    }
    // Mutes and history are read before anything runs: a bad file is exit 2, not a lost run.
    let mutes = match &args.mute {
        Some(path) => match mute::MuteList::load(path) {
            Ok(list) => Some(list),
            Err(message) => return bad_input(&message),
        },
        None => None,
    };
    let history = match &args.history {
        Some(path) => match history::History::open(path) {
            Ok(history) => Some(history),
            Err(err) if err.exit_code() == USAGE_ERROR => return bad_input(&err.to_string()),
            Err(err) => {
                eprintln!("error: {}", crate::printable(&err.to_string()));
                return ExitCode::from(err.exit_code());
            }
        },
        None => None,
    };
    let config = match &args.config {
        Some(path) => match config::load(path) {
            Ok(config) => Some(config),
            Err(message) => return bad_input(&message),
        },
        None => None,
    };
    if config.is_none() && !args.all_buckets && args.template.is_empty() && !args.transloadit {
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
    let credentials = config
        .as_ref()
        .map(|c| c.credentials.clone())
        .unwrap_or_default();
    let mut template_files: Vec<(String, Option<String>)> = args
        .template
        .iter()
        .map(|path| (path.display().to_string(), None))
        .collect();
    if let Some(config) = &config {
        for glob in &config.templates {
            match template_paths(config, glob) {
                Ok(paths) => template_files.extend(paths.into_iter().map(|p| (p, None))),
                Err(message) => return bad_input(&message),
            }
        }
    }
    for (file, _) in &template_files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(err) => return bad_input(&format!("cannot read template {file}: {err}")),
        };
        let origin = template_source::Origin {
            kind: model::SourceKind::Template,
            file,
        };
        match template_source::entries(&origin, &text, &credentials, &cli, !args.no_write) {
            Ok(found) => entries.extend(found),
            Err(message) => return bad_input(&message),
        }
    }
    if args.transloadit {
        let templates = match transloadit_api::Client::from_env() {
            Ok(client) => client.templates().await,
            Err(err) => Err(err),
        };
        let templates = match templates {
            Ok(templates) => templates,
            Err(err) if err.exit_code == USAGE_ERROR => return bad_input(&err.message),
            Err(err) => {
                eprintln!("error: {}", crate::printable(&err.message));
                return ExitCode::from(err.exit_code);
            }
        };
        for template in templates {
            let origin = template_source::Origin {
                kind: model::SourceKind::Transloadit,
                file: &template.id,
            };
            let text = template.raw.to_string();
            match template_source::entries(&origin, &text, &credentials, &cli, !args.no_write) {
                Ok(found) => entries.extend(found),
                // One unreadable Template is that Template's error, not the audit's.
                Err(message) => {
                    let mut source = model::Source::new(model::SourceKind::Transloadit);
                    source.file = Some(template.id.clone());
                    entries.push(template_source::problem_entry(
                        template.name.clone(),
                        source,
                        message,
                        false,
                    ));
                }
            }
        }
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
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colour = !no_color
        && (args.color == ColourChoice::Always
            || (args.color == ColourChoice::Auto && !to_file && std::io::stdout().is_terminal()));
    let table_style = |colour| TableStyle {
        colour,
        width: Some(crate::table_width()),
        verbose: args.verbose,
        strict: args.strict,
        quiet: false,
    };
    let mut sinks: Vec<Box<dyn AuditSink>> = vec![sink_for(args.format, out, table_style(colour))];
    // --report FORMAT=FILE: more formats from the same run, each streamed to its file.
    let mut report_files = Vec::new();
    for (format, path) in &args.report {
        match std::fs::File::create(path) {
            Ok(file) => {
                sinks.push(sink_for(
                    *format,
                    Box::new(std::io::BufWriter::new(file)),
                    table_style(false),
                ));
                report_files.push(path.display().to_string());
            }
            Err(err) => {
                return bad_input(&format!(
                    "cannot write --report {}={}: {err}",
                    format.as_str(),
                    path.display()
                ))
            }
        }
    }

    let header = RunHeader::new(
        crate::report::rfc3339(started_at),
        shard.map(|s| s.to_string()),
    );
    // Mutes first, so the history records which findings were muted.
    let mut annotators: Vec<Box<dyn Annotator>> = Vec::new();
    if let Some(list) = mutes {
        annotators.push(Box::new(list.ledger(mute::today_utc())));
    }
    let mut history_failed = None;
    if let Some(history) = history {
        match history.start_run(&header) {
            Ok(recorder) => {
                history_failed = Some(recorder.failure_flag());
                annotators.push(Box::new(recorder));
            }
            Err(err) => {
                eprintln!("error: {}", crate::printable(&err.to_string()));
                return ExitCode::from(err.exit_code());
            }
        }
    }
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
        other_store_plan,
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
    for mut note in
        preflight::probe::finish_interrupted_cleanups(Duration::from_secs(args.check_timeout)).await
    {
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
    for notice in &end.mutes {
        eprintln!("note: {}", crate::printable(&mute::describe(notice)));
    }
    // A target the history could not record has no new/same marks: `--fail-on new` cannot
    // vouch for it, so a clean run is "could not verify everything", never "ready".
    if history_failed.is_some_and(|flag| flag.load(std::sync::atomic::Ordering::Relaxed))
        && end.exit_code == 0
    {
        end.exit_code = 3;
        end.verdict = "unverified";
    }
    for sink in &mut sinks {
        deliver(sink.finish(&end));
    }
    if let Some(err) = write_error {
        let mut place = args
            .output
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "stdout".into());
        if !report_files.is_empty() {
            place = format!("{place} or {}", report_files.join(", "));
        }
        // A closed pipe (`| head`) is the reader's choice, not a failure of the audit.
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the report to {place}: {err}");
            return ExitCode::from(USAGE_ERROR);
        }
    }
    ExitCode::from(end.exit_code)
}

/// The report writer for `format`, streaming into `out`.
fn sink_for(
    format: AuditFormat,
    out: Box<dyn Write + Send>,
    style: TableStyle,
) -> Box<dyn AuditSink> {
    match format {
        AuditFormat::Json => Box::new(AuditJson::new(out)),
        AuditFormat::Junit => Box::new(JunitWriter::new(out)),
        AuditFormat::Sarif => Box::new(SarifWriter::new(out)),
        AuditFormat::Markdown => Box::new(AuditMarkdown::new(out)),
        AuditFormat::Table => Box::new(AuditTable::new(out, style)),
    }
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

/// The files a `[[templates]]` glob matches, relative to the config file's directory; a glob
/// that is malformed or matches nothing is bad input, naming the config line.
fn template_paths(
    config: &config::AuditConfig,
    glob: &config::TemplateGlob,
) -> Result<Vec<String>, String> {
    let pattern = config.dir.join(&glob.pattern);
    let pattern = pattern.to_string_lossy();
    let paths = ::glob::glob(&pattern).map_err(|e| {
        format!(
            "{}:{}: [[templates]] path `{}` is not a valid glob: {e}",
            config.file, glob.line, glob.pattern
        )
    })?;
    let found: Vec<String> = paths
        .filter_map(Result::ok)
        .map(|p| p.display().to_string())
        .collect();
    if found.is_empty() {
        return Err(format!(
            "{}:{}: [[templates]] path `{}` matches no file",
            config.file, glob.line, glob.pattern
        ));
    }
    Ok(found)
}
