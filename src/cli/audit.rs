//! `audit` (many targets in one run) and `history` (what an audit history recorded).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use preflight::Acl;

use super::shared::AwsArgs;
use super::values::{check_id, parse_http_url, parse_path};
use super::{ColourChoice, ListFormat};

/// `audit`: the options of `check` that make sense for many targets, the sources of targets,
/// and the run's shape. Store-parameter and connection flags are defaults: a target's own
/// values win.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  bucket-preflight audit --config audit.toml\n  bucket-preflight audit --all-buckets --format json --output audit.json\n  bucket-preflight audit --config audit.toml --shard 2/4 --concurrency 32\n\nExit codes: 0 every target ready, 1 a check failed on some target, 2 bad input, 3 could not verify everything."
)]
pub struct AuditArgs {
    /// The audit's config file (TOML): `[defaults]`, `[credentials]`, `[[target]]`,
    /// `[[templates]]`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// A Template or Assembly Instructions file: every storage step becomes a target.
    #[arg(long, value_name = "FILE")]
    pub template: Vec<std::path::PathBuf>,

    /// Every Template of the Transloadit account (TRANSLOADIT_KEY / TRANSLOADIT_SECRET),
    /// fetched read-only.
    #[arg(long)]
    pub transloadit: bool,

    /// Every bucket the credentials can list (implies --no-write unless --write).
    #[arg(long)]
    pub all_buckets: bool,

    /// How many targets are checked at the same time.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,

    /// Check only shard K of N (a deterministic split by target name), e.g. `--shard 2/4`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,

    /// Mutes (TOML `[[mute]]` entries): muted findings stay in the report but do not fail.
    #[arg(long, value_name = "FILE")]
    pub mute: Option<std::path::PathBuf>,

    /// Record the run in this SQLite file and mark findings `new` or `same` against the last.
    #[arg(long, value_name = "FILE")]
    pub history: Option<std::path::PathBuf>,

    /// Which fails set exit code 1: all, or only those new since the last run in --history.
    #[arg(long, value_enum, default_value_t = FailOnArg::Any)]
    pub fail_on: FailOnArg,

    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,

    /// Write the report (--format) to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// Also write FORMAT to FILE from the same run (repeatable), e.g. `--report junit=a.xml`.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report_target)]
    pub report: Vec<(AuditFormat, std::path::PathBuf)>,

    /// Upload the dry-run probe even to targets from --all-buckets.
    #[arg(long, conflicts_with = "no_write")]
    pub write: bool,

    /// Make no request that writes anything (no dry-run upload) on any target.
    #[arg(long)]
    pub no_write: bool,

    /// Run only these checks (and the checks they require), comma-separated.
    #[arg(long, value_name = "ID,...", value_delimiter = ',', value_parser = check_id)]
    pub only: Vec<String>,

    /// Do not run these checks, comma-separated; checks that require them are skipped too.
    #[arg(long, value_name = "ID,...", value_delimiter = ',', value_parser = check_id)]
    pub skip: Vec<String>,

    /// Treat warnings as failures for the exit code.
    #[arg(long)]
    pub strict: bool,

    /// -v: every target's findings in full (summary, fix) below the table.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to colour the table (never when NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = ColourChoice::Auto, value_name = "WHEN")]
    pub color: ColourChoice,

    /// Seconds one check may take before it is reported as an error.
    #[arg(long, value_name = "SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub check_timeout: u64,

    /// Seconds one target may take; what is unfinished then is that target's error.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub target_timeout: u64,

    /// Default `acl` for targets that set none (default: public, as the Robot's).
    #[arg(long, value_parser = PossibleValuesParser::new(Acl::VALUES).map(|s| s.parse::<Acl>().expect("a possible value")))]
    pub acl: Option<Acl>,

    /// Default `bucket_region` for targets that set none.
    #[arg(long, value_name = "REGION")]
    pub bucket_region: Option<String>,

    /// Default `path` template for targets that set none.
    #[arg(long, value_name = "TEMPLATE", value_parser = parse_path)]
    pub path: Option<String>,

    /// Default `url_prefix` for targets that set none.
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub url_prefix: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The audit history file (`audit --history FILE`).
    #[arg(long, value_name = "FILE")]
    pub history: std::path::PathBuf,

    /// Only this target's runs and changes.
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,

    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// Every fail counts.
    Any,
    /// Only fails that are new since the previous run in --history.
    New,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    Markdown,
    Junit,
    Sarif,
}

impl AuditFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditFormat::Table => "table",
            AuditFormat::Json => "json",
            AuditFormat::Markdown => "markdown",
            AuditFormat::Junit => "junit",
            AuditFormat::Sarif => "sarif",
        }
    }
}

/// `K/N` with 1 ≤ K ≤ N.
pub fn parse_shard(raw: &str) -> Result<(u32, u32), String> {
    const ACCEPTED: &str = "expected K/N with 1 ≤ K ≤ N, such as 2/4";
    let (k, n) = raw
        .split_once('/')
        .ok_or_else(|| format!("no `/`; {ACCEPTED}"))?;
    let number = |text: &str| {
        text.trim()
            .parse::<u32>()
            .map_err(|_| format!("`{}` is not a whole number; {ACCEPTED}", text.trim()))
    };
    let (k, n) = (number(k)?, number(n)?);
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard {k} of {n} does not exist; {ACCEPTED}"));
    }
    Ok((k, n))
}

/// `FORMAT=FILE` for `--report`.
fn parse_report_target(raw: &str) -> Result<(AuditFormat, std::path::PathBuf), String> {
    let accepted = AuditFormat::value_variants()
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let (format, file) = raw.split_once('=').ok_or_else(|| {
        format!("expected FORMAT=FILE, such as junit=audit.xml (FORMAT: {accepted})")
    })?;
    let format = AuditFormat::from_str(format.trim(), true).map_err(|_| {
        format!(
            "unknown format `{}`: expected one of {accepted}",
            format.trim()
        )
    })?;
    if file.is_empty() {
        return Err("no file after `=`: expected FORMAT=FILE, such as junit=audit.xml".to_owned());
    }
    Ok((format, std::path::PathBuf::from(file)))
}
