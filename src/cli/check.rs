//! `check`: one bucket against the store step's parameters.

use clap::{Args, ValueEnum};

use super::shared::{AwsArgs, StoreArgs, TemplateArgs};
use super::values::{
    check_id, parse_account_id, parse_bucket, parse_http_url, parse_principal_arn,
};
use super::{ColourChoice, ReportFormat};

/// The README's examples of `check`, shown under `check --help`.
pub(super) const CHECK_EXAMPLES: &str = "Examples:
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyKindArg {
    /// Attached to the export user or role.
    Identity,
    /// The bucket's own policy.
    Bucket,
}
