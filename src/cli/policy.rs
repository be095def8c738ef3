//! `policy`: the least-privilege IAM policy the export needs.

use clap::{Args, ValueEnum};

use super::shared::{AwsArgs, StoreArgs};
use super::values::{parse_bucket, parse_principal_arn};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    /// The policy document itself.
    Json,
    /// A Terraform resource holding the policy.
    Terraform,
}
