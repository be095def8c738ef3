//! The command line: `check`, `policy`, `steps`, `diagnose`, `audit`, `history`, `explain`, `list`.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use preflight::target::DEFAULT_PATH;
use preflight::Acl;

#[derive(Debug, Parser)]
#[command(
    name = "bucket-preflight",
    version,
    about = "Tells you, before the first upload, whether an S3 bucket is ready to receive exported files — and what to change when it is not.",
    after_help = "Exit codes: 0 ready, 1 a check failed, 2 bad input, 3 could not verify everything.\nDocumentation of a check: bucket-preflight explain <CHECK-ID>."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a bucket against the store step's parameters.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(Box<CheckArgs>),
    /// Print the least-privilege IAM policy the export needs (JSON on stdout, notes on stderr).
    Policy(Box<PolicyArgs>),
    /// Explain a failed export's error (Assembly Status JSON, SDK error line, S3 error XML, error
    /// code or AccessDenied message): its likely causes, and, with credentials, which the checks
    /// confirm.
    #[command(after_help = DIAGNOSE_EXAMPLES)]
    Diagnose(Box<DiagnoseArgs>),
    /// Show a check's documentation: what it checks, why it matters, how to fix it.
    Explain {
        /// A check's id, as shown by `list`, or an error code from a failed upload (such as
        /// `AccessControlListNotSupported`); without it, the catalog.
        #[arg(value_name = "CHECK-ID|ERROR-CODE")]
        check_id: Option<String>,
    },
    /// List the steps of a Template or Assembly Instructions: which are checked, their
    /// targets, and what cannot be resolved.
    Steps(StepsArgs),
    /// Check many targets in one run: from a config file, templates, the Transloadit API or
    /// every bucket the credentials can list; one report over all of them.
    Audit(Box<AuditArgs>),
    /// Show the runs and changes an audit history recorded (`audit --history FILE`).
    History(HistoryArgs),
    /// List every check: id, title, category, online or offline.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
}

/// The README's examples of `check`, shown under `check --help`.
const CHECK_EXAMPLES: &str = "Examples:
  bucket-preflight check my-bucket --acl public --bucket-region eu-west-1
  bucket-preflight check My_Bucket --offline      # exit 1: uppercase and underscore named
  bucket-preflight check my-bucket --acl bucket-default --bucket-region eu-west-1 \\
      --format markdown > report.md
  bucket-preflight check my-bucket --no-write --format json \\
      | jq '.results[] | select(.status != \"pass\")'
  bucket-preflight check my-bucket --endpoint-url http://127.0.0.1:9000 --path-style \\
      --url-prefix http://127.0.0.1:9000/my-bucket/
  AWS_PROFILE=admin bucket-preflight check my-bucket \\
      --principal arn:aws:iam::111122223333:user/exporter
  # a private bucket under SSE-KMS with tagged files and signed result URLs
  bucket-preflight check my-bucket --acl private --bucket-region eu-west-1 \\
      --header 'x-amz-server-side-encryption: aws:kms' \\
      --header 'x-amz-server-side-encryption-aws-kms-key-id: arn:aws:kms:eu-west-1:111122223333:key/…' \\
      --tag project=acme --sign-urls-for 3600 --check-integrity
  bucket-preflight check --template template.json --step exported   # the store step of a Template

Exit codes: 0 ready (or a limited run: the verdict says what it did not establish), 1 a check
failed, 2 bad input, 3 could not verify everything.
Documentation of a check: bucket-preflight explain <CHECK-ID>.";

/// The store step's parameters, shared by `check` and `policy` (the bucket is each command's
/// own: `check` can read it from `--template` instead).
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store step's `acl`: `public` and `public-read` send x-amz-acl: public-read, `private`
    /// sends x-amz-acl: private, `bucket-default` sends no ACL header.
    #[arg(long, default_value = "public", value_parser = PossibleValuesParser::new(Acl::VALUES).map(|s| s.parse::<Acl>().expect("a possible value")))]
    pub acl: Acl,

    /// The store step's `bucket_region`, if the template sets it.
    #[arg(long, value_name = "REGION")]
    pub bucket_region: Option<String>,

    /// The store step's `path` template.
    #[arg(long, value_name = "TEMPLATE", default_value = DEFAULT_PATH, value_parser = parse_path)]
    pub path: String,

    /// One of the store step's `headers`, sent with every file (repeatable), as 'Name: value':
    /// e.g. 'x-amz-server-side-encryption: aws:kms'. Assembly variables are allowed in values.
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = preflight::store_headers::parse_header_arg)]
    pub header: Vec<(String, String)>,

    /// One of the store step's `tags` (repeatable, at most 10), as KEY=VALUE: uploads then need
    /// s3:PutObjectTagging.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = preflight::store_headers::parse_tag_arg)]
    pub tag: Vec<(String, String)>,

    /// The store step's `sign_urls_for`: result URLs are presigned GETs valid this many seconds
    /// (1 to 604800), which need s3:GetObject.
    #[arg(long, value_name = "SECONDS", value_parser = parse_sign_urls_for)]
    pub sign_urls_for: Option<u64>,

    /// The store step's `check_integrity`: uploads carry the file's checksum (Content-MD5), as
    /// object lock requires.
    #[arg(long)]
    pub check_integrity: bool,
}

impl StoreArgs {
    /// The step's tags as a whole: at most ten, unique keys (each one was checked alone).
    pub fn validate_tags(&self) -> Result<(), String> {
        preflight::store_headers::validate_tags(&self.tag).map_err(|why| format!("--tag: {why}"))
    }
}

/// Where and as whom to talk to AWS, shared by `check` and `policy`.
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// Talk to an S3-compatible endpoint instead of AWS (also read from AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub endpoint_url: Option<String>,

    /// Address the bucket path-style (ENDPOINT/BUCKET), as most S3-compatible stores need.
    #[arg(long)]
    pub path_style: bool,

    /// The AWS profile whose credentials to use (default: AWS_PROFILE, then `default`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// The region for calls not tied to the bucket, such as STS (default: AWS_REGION, the
    /// profile's region, then us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

impl AwsArgs {
    /// The endpoint from the flag, else from `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> Option<String> {
        self.endpoint_url.clone().or_else(|| {
            std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|v| !v.is_empty())
        })
    }

    /// `AWS_ENDPOINT_URL` gets the same scrutiny as `--endpoint-url`: a bad value is bad input.
    pub fn validate_environment(&self) -> Result<(), String> {
        match std::env::var("AWS_ENDPOINT_URL") {
            Ok(value) if self.endpoint_url.is_none() && !value.is_empty() => parse_http_url(&value)
                .map(drop)
                .map_err(|why| format!("invalid value '{value}' in AWS_ENDPOINT_URL: {why}")),
            _ => Ok(()),
        }
    }

    /// The S3 and STS endpoints the SDK will use, from the flag, the environment or the
    /// profile; each gets the same scrutiny as `--endpoint-url`, naming where it came from.
    /// `profile` is the one the run really uses: --profile, or the one a Template Credential
    /// is mapped to with `--credentials`.
    pub async fn effective_endpoints(
        &self,
        profile: Option<&str>,
    ) -> Result<preflight::endpoints::Endpoints, String> {
        let endpoints = preflight::endpoints::resolve(self.endpoint_url.as_deref(), profile).await;
        for endpoint in [&endpoints.s3, &endpoints.sts].into_iter().flatten() {
            parse_http_url(&endpoint.url).map_err(|why| {
                format!(
                    "invalid endpoint '{}' from {}: {why}",
                    endpoint.url, endpoint.source
                )
            })?;
        }
        Ok(endpoints)
    }

    pub fn session_options(&self) -> preflight::SessionOptions {
        preflight::SessionOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint(),
            path_style: self.path_style,
            ..Default::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The bucket's name (`s3://name` is accepted too); or read it with --template.
    #[arg(value_name = "BUCKET", value_parser = parse_bucket, required_unless_present = "template", conflicts_with = "template")]
    pub bucket: Option<String>,

    #[command(flatten)]
    pub store: StoreArgs,

    #[command(flatten)]
    pub template: TemplateArgs,

    /// The store step's `url_prefix` (default: http://BUCKET.s3.amazonaws.com/).
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub url_prefix: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// Run only the checks that need no credentials and no network.
    #[arg(long)]
    pub offline: bool,

    /// Make no request that writes anything (no dry-run upload).
    #[arg(long)]
    pub no_write: bool,

    /// Upload the probe even where object lock will keep it until retention ends.
    #[arg(long, conflicts_with = "no_write")]
    pub write_locked: bool,

    /// The account id that must own the bucket (sent as x-amz-expected-bucket-owner).
    #[arg(long, value_name = "ACCOUNT", value_parser = parse_account_id)]
    pub expected_owner: Option<String>,

    /// Fail when versioning is not enabled.
    #[arg(long)]
    pub expect_versioning: bool,

    /// Also analyse this policy document offline.
    #[arg(long, value_name = "FILE")]
    pub policy_file: Option<std::path::PathBuf>,

    /// What --policy-file holds (default: a bucket policy when its statements name a
    /// Principal, else an identity policy).
    #[arg(long, value_enum, requires = "policy_file")]
    pub policy_kind: Option<PolicyKindArg>,

    /// Simulate this principal's permissions (IAM user or role ARN) with the IAM policy simulator,
    /// instead of the caller's; the caller needs iam:SimulatePrincipalPolicy.
    #[arg(long, value_name = "ARN", value_parser = parse_principal_arn)]
    pub principal: Option<String>,

    /// Shape the dry-run probe's key like this real export key (e.g. exports/2024/clip.mp4):
    /// same directories and extension, so that policies granting by key shape judge it alike.
    #[arg(long, value_name = "KEY")]
    pub probe_key: Option<String>,

    /// Run only these checks (and the checks they require), comma-separated.
    #[arg(long, value_name = "ID,...", value_delimiter = ',', value_parser = check_id)]
    pub only: Vec<String>,

    /// Do not run these checks, comma-separated; checks that require them are skipped too.
    #[arg(long, value_name = "ID,...", value_delimiter = ',', value_parser = check_id)]
    pub skip: Vec<String>,

    /// How to print the report: `table` for a terminal, `json` for scripts (a stable schema),
    /// `markdown` to paste into a ticket or pull request.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,

    /// Treat warnings as failures for the exit code.
    #[arg(long)]
    pub strict: bool,

    /// When to colour the table (never when NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = ColourChoice::Auto, value_name = "WHEN")]
    pub color: ColourChoice,

    /// Seconds one check may take before it is reported as an error.
    #[arg(long, value_name = "SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub check_timeout: u64,

    /// Seconds the whole run may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// -v: details and evidence for every check; -vv: also timings.
    #[arg(short, long, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Table: only the warn, fail and error rows, their fixes and the verdict.
    #[arg(short, long)]
    pub quiet: bool,
}

const DIAGNOSE_EXAMPLES: &str = "Examples:
  bucket-preflight diagnose assembly.json --offline
  node upload.js 2>&1 | bucket-preflight diagnose - --bucket acme-exports --acl bucket-default
  echo AccessControlListNotSupported | bucket-preflight diagnose --offline

Exit codes: 0 explained, 1 the checks confirm a cause (it still happens), 2 bad or unrecognised input.";

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// A file holding the error, or `-` for stdin (the default when stdin is not a terminal).
    #[arg(value_name = "FILE|-")]
    pub input: Option<std::path::PathBuf>,

    /// The bucket, when the error does not name it (`s3://name` is accepted too).
    #[arg(long, value_name = "BUCKET", value_parser = parse_bucket)]
    pub bucket: Option<String>,

    /// The store step the failed export ran: `--template FILE [--step NAME]` (the step the
    /// error names, when the file has it). Flags given here override the step's values.
    #[command(flatten)]
    pub template: TemplateArgs,

    /// The step's inline keys, when the template has them: the identity the export used.
    #[arg(skip)]
    pub inline_credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,

    /// The store step's `acl`, as the Template sets it (default: public, Transloadit's).
    #[arg(long, value_parser = PossibleValuesParser::new(Acl::VALUES).map(|s| s.parse::<Acl>().expect("a possible value")))]
    pub acl: Option<Acl>,

    /// The store step's `bucket_region`, as the Template sets it.
    #[arg(long, value_name = "REGION")]
    pub bucket_region: Option<String>,

    /// The store step's `path` template.
    #[arg(long, value_name = "TEMPLATE", value_parser = parse_path)]
    pub path: Option<String>,

    /// The store step's `url_prefix`.
    #[arg(long, value_name = "URL", value_parser = parse_http_url)]
    pub url_prefix: Option<String>,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// Explain without calling AWS: no checks run.
    #[arg(long)]
    pub offline: bool,

    /// Make no request that writes anything (no dry-run upload among the confirming checks).
    #[arg(long)]
    pub no_write: bool,

    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,

    /// Seconds one check may take before it is reported as an error.
    #[arg(long, value_name = "SECONDS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub check_timeout: u64,

    /// Seconds all the confirming checks may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

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

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The bucket's name (`s3://name` is accepted too).
    #[arg(value_name = "BUCKET", value_parser = parse_bucket)]
    pub bucket: String,

    #[command(flatten)]
    pub store: StoreArgs,

    /// The bucket's SSE-KMS key: adds kms:GenerateDataKey and kms:Decrypt on it. Without it, the
    /// bucket's default encryption is read when credentials are available.
    #[arg(long, value_name = "ARN")]
    pub kms_key: Option<String>,

    /// The store step sets object tags (adds s3:PutObjectTagging).
    #[arg(long)]
    pub tags: bool,

    /// The files are also read back, as the /s3/import Robot does (adds s3:GetObject).
    #[arg(long)]
    pub import: bool,

    /// Emit a bucket policy granting this principal instead of an identity policy.
    #[arg(long, value_name = "ARN", value_parser = parse_principal_arn)]
    pub principal: Option<String>,

    #[arg(long, value_enum, default_value_t = PolicyFormat::Json)]
    pub format: PolicyFormat,

    /// Do not read the bucket's default encryption.
    #[arg(long)]
    pub offline: bool,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Reading the store step from a Template or Assembly Instructions (`check --template`).
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Read the store step from this Template or Assembly Instructions JSON (`-`: standard
    /// input): Instructions `{"steps": …}`, a Template as the API returns it, or a list page.
    /// Flags given on the command line override the step's values.
    #[arg(long, value_name = "FILE|-")]
    pub template: Option<String>,

    /// The storage step to check, when the file has several (`TEMPLATE/STEP` on a list page).
    #[arg(long, value_name = "NAME", requires = "template")]
    pub step: Option<String>,

    /// Substitutes `${fields.NAME}` in the step (repeatable).
    #[arg(long = "field", value_name = "NAME=VALUE", value_parser = parse_assignment, requires = "template")]
    pub fields: Vec<(String, String)>,

    /// Runs the online checks with this AWS profile where the step names the Template
    /// Credentials NAME (repeatable).
    #[arg(long = "credentials", value_name = "NAME=PROFILE", value_parser = parse_assignment, requires = "template")]
    pub credentials: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct StepsArgs {
    /// The Template or Assembly Instructions JSON (`-`: standard input).
    #[arg(long, value_name = "FILE|-")]
    pub template: String,

    /// Substitutes `${fields.NAME}` in the steps (repeatable).
    #[arg(long = "field", value_name = "NAME=VALUE", value_parser = parse_assignment)]
    pub fields: Vec<(String, String)>,

    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// `NAME=VALUE`, as `--field` and `--credentials` take it.
fn parse_assignment(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err("expected NAME=VALUE, such as bucket=acme".to_owned()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    /// The policy document itself.
    Json,
    /// A Terraform resource holding the policy.
    Terraform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyKindArg {
    /// Attached to the export user or role.
    Identity,
    /// The bucket's own policy.
    Bucket,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One row per check, then the fixes and the verdict; sized to the terminal.
    Table,
    /// Every result with its evidence, for scripts and CI (`jq '.results[]'`).
    Json,
    /// A report to paste into an issue or pull request: problems first, then the passes.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColourChoice {
    Auto,
    Always,
    Never,
}

/// Far beyond any valid value: such input is a paste gone wrong, refused before it reaches a
/// check (and a terminal table that would take minutes to lay out).
const MAX_BUCKET_CHARS: usize = 255;
const MAX_PATH_BYTES: usize = 1024;
const MAX_URL_BYTES: usize = 2048;

fn parse_bucket(raw: &str) -> Result<String, String> {
    // The name, `s3://`, an ARN, an S3 URL or the console's: what people paste.
    let found = preflight::bucket_ref::parse(raw)?;
    let name = found.bucket.as_str();
    let chars = name.chars().count();
    if chars > MAX_BUCKET_CHARS {
        return Err(format!(
            "the bucket name is {chars} characters long; S3 bucket names have 3 to 63"
        ));
    }
    if name.is_empty() {
        return Err(
            "the bucket name is empty: give the bucket's name, such as `my-bucket`".to_owned(),
        );
    }
    if found.key.is_some() {
        return Err(format!("'{raw}' includes a path: give only the bucket's name (`{name}`) and the path with --path"));
    }
    Ok(name.to_owned())
}

/// A check id from a comma-separated list, as people type it: `a, b` works like `a,b`.
use preflight::probe::MAX_SIGNED_URL_SECONDS;

fn parse_sign_urls_for(raw: &str) -> Result<u64, String> {
    let accepted = format!(
        "give whole seconds from 1 to {MAX_SIGNED_URL_SECONDS} (7 days, the longest a presigned S3 URL is valid)"
    );
    match raw.trim().parse::<u64>() {
        Ok(seconds) if (1..=MAX_SIGNED_URL_SECONDS).contains(&seconds) => Ok(seconds),
        _ => Err(accepted),
    }
}

fn check_id(raw: &str) -> Result<String, String> {
    Ok(raw.trim().to_owned())
}

fn parse_path(raw: &str) -> Result<String, String> {
    if raw.len() > MAX_PATH_BYTES {
        return Err(format!(
            "the path template is {} bytes long; S3 object keys are at most {MAX_PATH_BYTES} bytes",
            raw.len()
        ));
    }
    Ok(raw.to_owned())
}

fn parse_principal_arn(raw: &str) -> Result<String, String> {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && (parts[5].starts_with("user/") || parts[5].starts_with("role/") || parts[5] == "root");
    if valid {
        Ok(raw.to_owned())
    } else {
        Err("expected an IAM user or role ARN, such as arn:aws:iam::111122223333:user/exporter (or an account's arn:aws:iam::111122223333:root)".to_owned())
    }
}

fn parse_account_id(raw: &str) -> Result<String, String> {
    if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err("expected a 12-digit AWS account id, such as 111122223333".to_owned())
    }
}

pub fn parse_http_url(raw: &str) -> Result<String, String> {
    if raw.len() > MAX_URL_BYTES {
        return Err(format!(
            "the URL is {} bytes long; at most {MAX_URL_BYTES} are accepted",
            raw.len()
        ));
    }
    const ACCEPTED: &str =
        "expected an absolute http:// or https:// URL, such as https://cdn.example.com/";
    match url::Url::parse(raw) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(raw.to_owned())
        }
        Ok(url) if !matches!(url.scheme(), "http" | "https") => Err(format!(
            "the scheme `{}:` is not supported; {ACCEPTED}",
            url.scheme()
        )),
        Ok(_) => Err(format!("it has no host; {ACCEPTED}")),
        Err(err) => Err(format!("{err}; {ACCEPTED}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_help() -> String {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        cli.find_subcommand_mut("check")
            .expect("a check subcommand")
            .render_long_help()
            .to_string()
    }

    #[test]
    fn check_help_shows_the_readme_examples() {
        let help = check_help();
        let readme = include_str!("../README.md");
        let section = readme
            .split("### `check <BUCKET>`")
            .nth(1)
            .and_then(|s| s.split("\n### ").next())
            .expect("the README's check section");
        let examples = section
            .split("Examples:\n\n```sh\n")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .expect("the README's check examples");
        // The help breaks long commands with `\` and aligns comments its own way: compare
        // the commands word by word.
        let words = |text: &str| {
            text.split_whitespace()
                .filter(|w| *w != "\\")
                .collect::<Vec<_>>()
                .join(" ")
        };
        let help_words = words(&help);
        // One command per entry: continuation lines joined, comment lines left out.
        let commands = examples
            .replace("\\\n", " ")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        for line in &commands {
            let command = words(line.split(" #").next().unwrap());
            assert!(
                help_words.contains(&command),
                "check --help lacks `{command}`:\n{help}"
            );
        }
    }

    #[test]
    fn format_values_are_explained() {
        let help = check_help();
        let format = help
            .split("--format <FORMAT>")
            .nth(1)
            .expect("--format in check --help");
        let format = format.split("\n      --").next().unwrap();
        assert!(format.contains("How to print the report"), "{format}");
        for value in ["table:", "json:", "markdown:"] {
            assert!(format.contains(value), "`{value}` not explained:\n{format}");
        }
    }

    #[test]
    fn bucket_argument_forms() {
        assert_eq!(parse_bucket("my-bucket").unwrap(), "my-bucket");
        assert_eq!(parse_bucket("s3://my-bucket/").unwrap(), "my-bucket");
        assert_eq!(parse_bucket("arn:aws:s3:::my-bucket").unwrap(), "my-bucket");
        assert_eq!(
            parse_bucket("arn:aws-cn:s3:::my-bucket").unwrap(),
            "my-bucket"
        );
        assert!(parse_bucket("  ").unwrap_err().contains("empty"));
        assert!(parse_bucket("s3://my-bucket/exports")
            .unwrap_err()
            .contains("`my-bucket`"));
    }

    #[test]
    fn url_arguments() {
        assert!(parse_http_url("https://cdn.example.com/").is_ok());
        assert!(parse_http_url("http://127.0.0.1:9000").is_ok());
        assert!(parse_http_url("cdn.example.com/")
            .unwrap_err()
            .contains("relative URL"));
        assert!(parse_http_url("ftp://x/").unwrap_err().contains("`ftp:`"));
    }

    #[test]
    fn store_step_arguments() {
        let cli = Cli::try_parse_from([
            "bucket-preflight",
            "check",
            "b",
            "--header",
            "x-amz-server-side-encryption: aws:kms",
            "--tag",
            "project=acme",
            "--tag",
            "team=media",
            "--sign-urls-for",
            "3600",
            "--check-integrity",
        ])
        .unwrap();
        let Command::Check(args) = cli.command else {
            panic!("check")
        };
        assert_eq!(args.store.header.len(), 1);
        assert_eq!(args.store.tag.len(), 2);
        assert_eq!(args.store.sign_urls_for, Some(3600));
        assert!(args.store.check_integrity);
        for seconds in ["0", "604801", "1h", "-5"] {
            assert!(parse_sign_urls_for(seconds)
                .unwrap_err()
                .contains("1 to 604800"));
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
