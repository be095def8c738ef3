//! The argument groups several commands share: the store step's parameters (`StoreArgs`),
//! where and as whom to reach AWS (`AwsArgs`), and reading the step from a Template
//! (`TemplateArgs`).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use preflight::target::DEFAULT_PATH;
use preflight::Acl;

use super::values::{parse_assignment, parse_http_url, parse_path, parse_sign_urls_for};

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
