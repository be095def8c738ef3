//! `diagnose`: explaining a failed export's error.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use preflight::Acl;

use super::shared::{AwsArgs, TemplateArgs};
use super::values::{parse_bucket, parse_http_url, parse_path};
use super::ReportFormat;

pub(super) const DIAGNOSE_EXAMPLES: &str = "Examples:
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
