//! bucket-preflight: is this S3 bucket ready to receive exported files?

mod audit;
mod cli;
mod diagnose;
mod policy_cmd;
mod report;
mod runner;
mod steps_cmd;
mod template_input;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, FromArgMatches};
use cli::{CheckArgs, Cli, ColourChoice, Command, ListFormat, ReportFormat};
use preflight::{iam, registry, Context, PolicyFile, Session, Settings, Target};
use report::{Report, TableStyle};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Exit code for bad input and usage errors, as clap uses it.
pub(crate) const USAGE_ERROR: u8 = 2;

/// Rejects bad input: `error: MESSAGE` on one line of stderr, exit code 2.
pub(crate) fn bad_input(message: &str) -> ExitCode {
    eprintln!("error: {}", printable(message));
    ExitCode::from(USAGE_ERROR)
}

/// `text` with control characters (a newline, a terminal escape) and bidirectional overrides
/// escaped: input echoed in an error must keep it one line and must not rewrite the terminal.
pub(crate) fn printable(text: &str) -> String {
    let bidi = |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    text.chars()
        .map(|c| {
            if c.is_control() || bidi(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn main() -> ExitCode {
    // A check that panics is reported as that check's `error`; the default hook would also
    // print a backtrace hint in the middle of the report.
    std::panic::set_hook(Box::new(|info| {
        if std::thread::current().name() == Some("main") {
            eprintln!("bucket-preflight: internal error: {info}. Please report this.");
        }
    }));
    // The matches, not only the parsed values: `check --template` needs to know which flags
    // were typed (they override the step) rather than left at their defaults.
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => return usage_error(err),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    let given = matches
        .subcommand_matches("check")
        .map(template_input::Given::from_matches)
        .unwrap_or_default();
    // An online command's first request needs the root certificates: start loading them
    // while the runtime and the session are set up.
    let online = match &cli.command {
        Command::Check(args) => !args.offline,
        Command::Diagnose(args) => !args.offline,
        Command::Policy(args) => !args.offline,
        Command::Audit(_) => true,
        _ => false,
    };
    if online {
        preflight::session::preload_root_certificates();
    }
    match cli.command {
        Command::Steps(args) => steps_cmd::run(&args),
        Command::List { format } => list(format),
        Command::Explain { check_id } => match check_id {
            Some(id) => explain(&id),
            None => list(ListFormat::Table),
        },
        Command::Diagnose(args) => run_async(diagnose::run(*args)),
        Command::Policy(args) => run_async(policy_cmd::run(*args)),
        Command::Audit(args) => run_async(audit::run(*args)),
        Command::History(args) => audit::history_cmd::run(args),
        Command::Check(args) => run_async(check(*args, given)),
    }
}

/// Runs an async command on a multi-threaded runtime of its own.
fn run_async(command: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(command),
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One line for the common mistakes (what was wrong, where, what is accepted); clap's own
/// message for the rest (missing arguments, unknown flags, help and version).
fn usage_error(err: clap::Error) -> ExitCode {
    let value = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        _ => None,
    };
    let line = match err.kind() {
        ErrorKind::InvalidUtf8 => Some(
            "error: an argument is not valid UTF-8: give names, paths and URLs as UTF-8 text"
                .to_owned(),
        ),
        ErrorKind::InvalidValue => value(ContextKind::InvalidArg)
            .zip(value(ContextKind::InvalidValue))
            .map(|(arg, bad)| {
                let arg = arg.split_whitespace().next().unwrap_or_default().to_owned();
                // clap reports a flag given without its value as the empty value.
                let mut line = if bad.is_empty() {
                    format!("error: {arg} needs a value")
                } else {
                    format!("error: invalid value '{bad}' for {arg}")
                };
                if let Some(valid) = value(ContextKind::ValidValue) {
                    line += &format!(": expected one of {valid}");
                }
                if let Some(suggested) = value(ContextKind::SuggestedValue) {
                    line += &format!(" (did you mean '{suggested}'?)");
                }
                line
            }),
        ErrorKind::ValueValidation => value(ContextKind::InvalidArg)
            .zip(value(ContextKind::InvalidValue))
            .map(|(arg, bad)| {
                let arg = arg.split_whitespace().next().unwrap_or_default().to_owned();
                let why = std::error::Error::source(&err)
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                format!("error: invalid value '{bad}' for {arg}: {why}")
            }),
        // `check` takes the bucket from BUCKET or from --template: name both.
        ErrorKind::MissingRequiredArgument
            if value(ContextKind::InvalidArg).is_some_and(|arg| arg.contains("<BUCKET>")) =>
        {
            Some("error: <BUCKET> is missing: give the bucket's name, such as `my-bucket` (`check` also reads it from a store step with --template FILE)".to_owned())
        }
        _ => None,
    };
    match line {
        Some(line) => bad_input(line.strip_prefix("error: ").unwrap_or(&line)),
        None => {
            let _ = err.print();
            ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(USAGE_ERROR))
        }
    }
}

pub(crate) fn print_stdout(text: &str) {
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn list(format: ListFormat) -> ExitCode {
    match format {
        ListFormat::Json => {
            let infos: Vec<_> = registry::ALL.iter().map(|c| c.info()).collect();
            print_stdout(
                &(serde_json::to_string_pretty(&infos).expect("catalog serialises") + "\n"),
            );
        }
        ListFormat::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            table.set_header(["Check", "Title", "Category", "Needs", "Requires"]);
            for check in registry::ALL {
                let info = check.info();
                let needs = if info.online { "online" } else { "offline" };
                table.add_row([
                    info.id,
                    info.title,
                    info.category.as_str(),
                    needs,
                    &info.requires.join(", "),
                ]);
            }
            print_stdout(&format!(
                "{table}\nRun `bucket-preflight explain <CHECK-ID>` for a check's documentation.\n"
            ));
        }
    }
    ExitCode::SUCCESS
}

fn explain(id: &str) -> ExitCode {
    let Some(check) = registry::find(id) else {
        if let Some(code) = preflight::error_codes::find(id) {
            return explain_error_code(code.code, code.meaning, code.checks);
        }
        if let Some((code, _)) = preflight::transloadit::errors::find_store_code(id) {
            return explain_error_code(&id.trim().to_ascii_uppercase(), code.meaning, code.checks);
        }
        let hint = registry::suggest(id)
            .map(|close| format!("did you mean '{close}'? "))
            .unwrap_or_default();
        return bad_input(&format!(
            "unknown check or error code '{id}': {hint}expected a check id ({}) or an error code such as AccessDenied",
            registry::ids().join(", ")
        ));
    };
    let info = check.info();
    let needs = if info.online {
        "online (needs credentials and network)"
    } else {
        "offline"
    };
    let mut text = format!(
        "# {} — {}\n\nCategory: {} · {needs}",
        info.id, info.title, info.category
    );
    if !info.requires.is_empty() {
        text += &format!(" · requires: {}", info.requires.join(", "));
    }
    text += &format!("\n\n{}", info.docs);
    print_stdout(&text);
    ExitCode::SUCCESS
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What an error code from a failed upload means, and the checks that predict it.
fn explain_error_code(code: &str, meaning: &str, checks: &[&str]) -> ExitCode {
    let mut text = format!(
        "# {code}\n\n{}.\n\nThe checks that predict it, most specific first:\n",
        capitalise(meaning)
    );
    for id in checks {
        if let Some(check) = registry::find(id) {
            text += &format!("- `{id}` — {}\n", check.info().title);
        }
    }
    text += &format!(
        "\nRun `bucket-preflight check BUCKET --only {}` against the bucket, `bucket-preflight diagnose` with the whole error for its likely causes, and `bucket-preflight explain CHECK-ID` for a check's documentation.\n",
        checks.join(",")
    );
    print_stdout(&text);
    ExitCode::SUCCESS
}

async fn check(args: CheckArgs, given: template_input::Given) -> ExitCode {
    let started_at = std::time::SystemTime::now();
    if let Err(message) = args.aws.validate_environment() {
        return bad_input(&message);
    }
    let input = match template_input::StoreInput::from_args(&args, &given) {
        Ok(input) => input,
        Err(message) => return bad_input(&message),
    };
    let selection = runner::Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
        offline: args.offline,
        not_applicable: input.not_applicable.clone(),
    };
    let plan = match runner::Plan::new(&selection) {
        Ok(plan) => plan,
        Err(err) => return bad_input(&err.to_string()),
    };
    let endpoints = match args.aws.effective_endpoints(input.profile.as_deref()).await {
        Ok(endpoints) => input.endpoints(endpoints, args.aws.endpoint_url.is_some()),
        Err(message) => return bad_input(&message),
    };
    // The keys of an S3-compatible store belong to it: STS is asked where S3 goes unless an
    // STS endpoint of its own is configured.
    let sts_endpoint = preflight::endpoints::sts_endpoint(&endpoints);
    let mut target = Target {
        endpoint: endpoints.s3.as_ref().map(|e| e.url.clone()),
        endpoint_source: endpoints.s3.as_ref().map(|e| e.source.clone()),
        sts_endpoint: sts_endpoint.map(|e| e.url.clone()),
        ..input.target.clone()
    };
    if plan.needs_network() {
        if let Some(source) = &mut target.source {
            source.notes.extend(input.online_notes.iter().cloned());
        }
    }
    // The store step's request parameters: flags typed on the command line override the step's.
    if given.has("header") {
        target.headers = args.store.header.clone();
    }
    if given.has("tag") {
        target.tags = args.store.tag.clone();
    }
    if given.has("sign_urls_for") {
        target.sign_urls_for = args.store.sign_urls_for;
    }
    if given.has("check_integrity") {
        target.check_integrity = args.store.check_integrity;
    }
    if let Err(message) = args.store.validate_tags() {
        return bad_input(&message);
    }
    if let Some(key) = &args.probe_key {
        if let Err(message) = preflight::probe::validate_probe_key(key, target.key_prefix()) {
            return bad_input(&message);
        }
    }
    let session = if plan.needs_network() {
        let options = preflight::SessionOptions {
            endpoint_url: target.endpoint.clone(),
            sts_endpoint_url: target.sts_endpoint.clone(),
            profile: input.profile.clone(),
            path_style: input.path_style,
            credentials_provider: input.credentials_provider.clone(),
            ..args.aws.session_options()
        };
        Some(Arc::new(Session::new(options).await))
    } else {
        None
    };
    let policy_document = match &args.policy_file {
        Some(path) => match load_policy_file(path, args.policy_kind) {
            Ok(file) => Some(file),
            Err(message) => return bad_input(&message),
        },
        None => None,
    };
    let settings = Settings {
        write: !args.no_write,
        write_locked: args.write_locked,
        expected_owner: args.expected_owner.clone(),
        expect_versioning: args.expect_versioning,
        principal: args.principal.clone(),
        policy_document,
        probe_key: args.probe_key.clone(),
    };
    let ctx = match &session {
        Some(session) => Context::online(target.clone(), session.clone()),
        None => Context::offline(target.clone()),
    }
    .with_settings(settings);
    let limits = runner::Limits {
        per_check: Duration::from_secs(args.check_timeout),
        whole_run: Duration::from_secs(args.timeout),
    };
    let results = runner::run(&plan, Arc::new(ctx), limits).await;
    // A probe whose check timed out after the upload is still being removed: wait for it, and
    // say what became of it.
    let mut secrets = session.as_ref().map(|s| s.secrets()).unwrap_or_default();
    secrets.extend(input.secrets.iter().cloned());
    for mut note in preflight::probe::finish_interrupted_cleanups(limits.per_check).await {
        report::redact_text(&mut note, &secrets);
        eprintln!("note: {note}");
    }
    let mut report = Report::new(target, results);
    report.started_at = report::rfc3339(started_at);
    report.limits = report::RunLimits {
        offline: args.offline,
        only: args.only.clone(),
        skip: args.skip.clone(),
        no_write: args.no_write,
        principal: args.principal.clone(),
    };
    if let Some(session) = &session {
        // Only ever the identity STS already gave the credentials check: no extra call.
        report.caller = session.known_identity().map(|identity| report::Caller {
            arn: identity.arn,
            account: identity.account,
        });
        if args.verbose >= 2 {
            report.timings = Some(session.timeline().requests());
        }
    }
    // After the caller and the limits: the verdict names what they establish.
    report.conclude(args.strict);
    report.redact(&secrets);
    let rendered = match args.format {
        ReportFormat::Json => report.to_json(),
        ReportFormat::Markdown => report.to_markdown(),
        ReportFormat::Table => {
            let terminal = std::io::stdout().is_terminal();
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let colour = !no_color
                && (args.color == ColourChoice::Always
                    || (args.color == ColourChoice::Auto && terminal));
            let width = Some(table_width());
            report.to_table(&TableStyle {
                colour,
                width,
                verbose: args.verbose,
                strict: args.strict,
                quiet: args.quiet,
            })
        }
    };
    print_stdout(&rendered);
    ExitCode::from(report.exit_code)
}

/// The table's width: the terminal's, whatever the colour setting; else `COLUMNS` (piped output
/// in a script that sets it); else 120. Never below 60, so a terminal that reports 0×0 does not
/// squeeze every column to one character.
fn table_width() -> u16 {
    const PIPED: u16 = 120;
    const MINIMUM: u16 = 60;
    let terminal = terminal_size::terminal_size()
        .map(|(width, _)| width.0)
        .filter(|w| *w > 0);
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w > 0);
    terminal.or(columns).unwrap_or(PIPED).max(MINIMUM)
}

/// Reads and parses `--policy-file`; the error names the file and the place to fix.
fn load_policy_file(
    path: &std::path::Path,
    kind: Option<cli::PolicyKindArg>,
) -> Result<PolicyFile, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read --policy-file {name}: {e}"))?;
    let document = iam::parse_policy(&text).map_err(|e| match e {
        iam::PolicyError::Json { .. } => format!("--policy-file {name} {e}"),
        // Everything the parser rejects (unknown elements, Action with NotAction, a misspelled
        // Effect, ...) IAM and S3 refuse as well.
        _ => format!("--policy-file {name}: AWS will refuse to save this policy: {e}"),
    })?;
    // A Principal gives a bucket policy away: identity policies cannot have one.
    let names_principals = document.statements.iter().any(|s| s.principal.is_some());
    let kind = match kind {
        Some(cli::PolicyKindArg::Identity) => iam::PolicyKind::Identity,
        Some(cli::PolicyKindArg::Bucket) => iam::PolicyKind::Resource,
        None if names_principals => iam::PolicyKind::Resource,
        None => iam::PolicyKind::Identity,
    };
    Ok(PolicyFile {
        name,
        kind,
        document,
    })
}
