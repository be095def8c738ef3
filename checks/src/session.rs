//! The AWS side of a run: region, credentials and clients, shared by every target checked.
//!
//! Credentials are resolved once, up front of the first call that needs them, and handed to the
//! clients as fixed values; otherwise every concurrent call walks the credential chain again.
//! The chain's instance-metadata leg gets short timeouts so that a laptop without credentials
//! gets its answer in well under a second instead of waiting for a metadata service that is
//! not there.

use crate::answer_integrity::RejectIncompleteAnswers;
use crate::api_error::ApiFailure;
use crate::timeline::Timeline;
use crate::transport_error::NameTheHost;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::meta::region::{ProvideRegion, RegionProviderChain};
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The region used for calls that are not tied to a bucket (STS) when none is configured.
pub const FALLBACK_REGION: &str = "us-east-1";

/// How long the metadata-service leg of the credential chain may take per request, unless
/// [`METADATA_TIMEOUT_VARIABLE`] says otherwise. A real instance metadata service answers
/// within milliseconds (it is on the host), so this is ample there, and a laptop without
/// credentials behind a silent metadata address gets its answer in about 0.1 s.
const METADATA_TIMEOUT: Duration = Duration::from_millis(100);

/// Milliseconds that replace [`METADATA_TIMEOUT`], for hosts whose metadata service answers
/// slowly (a container several network hops from it). aws-config does not read the standard
/// `AWS_METADATA_SERVICE_TIMEOUT`, hence a variable of our own.
pub const METADATA_TIMEOUT_VARIABLE: &str = "BUCKET_PREFLIGHT_METADATA_TIMEOUT_MS";

/// The metadata timeout from the variable's value (milliseconds, 1 to 60000); the default
/// for anything else.
fn metadata_timeout(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| (1..=60_000).contains(ms))
        .map(Duration::from_millis)
        .unwrap_or(METADATA_TIMEOUT)
}

#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// An S3-compatible endpoint (also used for STS, whose keys belong to that service).
    pub endpoint_url: Option<String>,
    /// Where STS is asked for the caller's identity, when not where `endpoint_url` says: the
    /// keys of an S3-compatible store belong to that store, so by default STS is asked there.
    pub sts_endpoint_url: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible stores need.
    pub path_style: bool,
    /// Upper bound on resolving credentials (SSO and `credential_process` can be slow).
    pub credentials_timeout: Option<Duration>,
    /// Credentials to use instead of the standard chain (library users, tests).
    pub credentials_provider: Option<SharedCredentialsProvider>,
    /// The HTTP client under every AWS call (tests replay recorded AWS responses through it).
    pub http_client: Option<SharedHttpClient>,
    /// The SDK's adaptive retry (client-side rate limiting on `SlowDown`, 503 and throttling),
    /// for runs that send many requests at once, such as an audit of many buckets.
    pub adaptive_retry: bool,
    /// Keep no request timeline (`-vv`): for a session that serves a whole audit, whose
    /// timeline nobody shows and would hold every request of the run until it ends.
    pub without_timeline: bool,
}

/// Credentials as far as reports may know them: never the secret, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsSummary {
    /// The key id, shortened: enough to recognise it, not enough to reuse it.
    pub access_key_hint: String,
    /// A session token came with the key: the credentials expire.
    pub temporary: bool,
    pub expires: Option<String>,
}

/// Why credentials could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsProblem {
    #[error("no AWS credentials found ({0})")]
    NotFound(String),
    #[error("credentials could not be loaded: {0}")]
    Invalid(String),
    #[error("resolving credentials took longer than {0:?}")]
    TimedOut(Duration),
}

/// Who the credentials belong to, from STS GetCallerIdentity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub arn: String,
    pub account: String,
    pub user_id: String,
}

pub struct Session {
    options: SessionOptions,
    region: Region,
    region_source: &'static str,
    provider: SharedCredentialsProvider,
    credentials: OnceCell<Result<Credentials, CredentialsProblem>>,
    sdk_config: OnceCell<SdkConfig>,
    identity: OnceCell<Result<Identity, ApiFailure>>,
    s3_clients: Mutex<HashMap<String, aws_sdk_s3::Client>>,
    timeline: Timeline,
}

impl std::fmt::Debug for Session {
    // Hand-written so that no debug dump can ever reach the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("region", &self.region)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Prepares a session. Makes no network call: the region comes from the flag, the
    /// environment or the profile file, and credentials are resolved on first use.
    pub async fn new(mut options: SessionOptions) -> Self {
        // One HTTP client, so one connection pool, under every SDK client of the session (S3
        // in each region, STS, IAM, S3 Control): a connection opened by one call is reused by
        // the next instead of each client opening its own.
        options.http_client.get_or_insert_with(shared_https_client);
        let (region, region_source) = resolve_region(&options).await;
        let timeout = metadata_timeout(std::env::var(METADATA_TIMEOUT_VARIABLE).ok().as_deref());
        let imds = aws_config::imds::Client::builder()
            .connect_timeout(timeout)
            .read_timeout(timeout)
            .operation_timeout(timeout * 2)
            .max_attempts(1)
            .build();
        let provider = match &options.credentials_provider {
            Some(provider) => provider.clone(),
            None => {
                let mut chain = DefaultCredentialsChain::builder()
                    .region(region.clone())
                    .imds_client(imds);
                if let Some(profile) = &options.profile {
                    chain = chain.profile_name(profile);
                }
                SharedCredentialsProvider::new(chain.build().await)
            }
        };
        let timeline = if options.without_timeline {
            Timeline::off()
        } else {
            Timeline::default()
        };
        Session {
            options,
            region,
            region_source,
            provider,
            credentials: OnceCell::new(),
            sdk_config: OnceCell::new(),
            identity: OnceCell::new(),
            s3_clients: Mutex::new(HashMap::new()),
            timeline,
        }
    }

    /// Every request this session sent, with when it started and ended (`-vv`).
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    pub fn options(&self) -> &SessionOptions {
        &self.options
    }

    /// The region for calls not tied to a bucket, and where it came from.
    pub fn region(&self) -> (&str, &'static str) {
        (self.region.as_ref(), self.region_source)
    }

    async fn resolved_credentials(&self) -> &Result<Credentials, CredentialsProblem> {
        self.credentials
            .get_or_init(|| async {
                let limit = self
                    .options
                    .credentials_timeout
                    .unwrap_or(Duration::from_secs(10));
                match tokio::time::timeout(limit, self.provider.provide_credentials()).await {
                    Err(_) => Err(CredentialsProblem::TimedOut(limit)),
                    Ok(Ok(credentials)) => Ok(credentials),
                    Ok(Err(err)) => Err(classify_credentials_error(&err)),
                }
            })
            .await
    }

    /// Resolves credentials through the standard chain, once.
    pub async fn credentials(&self) -> Result<CredentialsSummary, CredentialsProblem> {
        self.resolved_credentials()
            .await
            .as_ref()
            .map(summarise)
            .map_err(Clone::clone)
    }

    /// Strings that must never reach output: the secret key and session token in use, and the
    /// full access key id (reports show it shortened; STS echoes it as the user id).
    pub fn secrets(&self) -> Vec<String> {
        match self.credentials.get() {
            Some(Ok(credentials)) => [credentials.secret_access_key(), credentials.access_key_id()]
                .into_iter()
                .chain(credentials.session_token())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }

    async fn sdk_config(&self) -> Result<&SdkConfig, CredentialsProblem> {
        let credentials = self
            .resolved_credentials()
            .await
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(self
            .sdk_config
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .region(self.region.clone())
                    .credentials_provider(credentials.clone());
                if let Some(profile) = &self.options.profile {
                    loader = loader.profile_name(profile);
                }
                if let Some(endpoint) = &self.options.endpoint_url {
                    loader = loader.endpoint_url(endpoint);
                }
                if let Some(http_client) = &self.options.http_client {
                    loader = loader.http_client(http_client.clone());
                }
                if self.options.adaptive_retry {
                    loader = loader.retry_config(aws_config::retry::RetryConfig::adaptive());
                }
                loader.load().await
            })
            .await)
    }

    /// STS GetCallerIdentity, once.
    pub async fn identity(&self) -> Result<Identity, IdentityProblem> {
        let config = self
            .sdk_config()
            .await
            .map_err(IdentityProblem::Credentials)?;
        self.identity
            .get_or_init(|| async {
                let mut sts = aws_sdk_sts::config::Builder::from(config)
                    .interceptor(RejectIncompleteAnswers)
                    .interceptor(NameTheHost)
                    .interceptor(self.timeline.interceptor());
                // STS's own endpoint, else the S3 one when that is another store, else AWS's:
                // an S3 endpoint on AWS's own hosts (a VPC endpoint) is no STS.
                let endpoint = self.options.sts_endpoint_url.clone().or_else(|| {
                    self.options
                        .endpoint_url
                        .clone()
                        .filter(|e| !crate::endpoints::is_aws_host(e))
                });
                sts.set_endpoint_url(endpoint);
                let sts = aws_sdk_sts::Client::from_conf(sts.build());
                match sts.get_caller_identity().send().await {
                    Ok(out) => Ok(Identity {
                        arn: out.arn().unwrap_or_default().to_owned(),
                        account: out.account().unwrap_or_default().to_owned(),
                        user_id: out.user_id().unwrap_or_default().to_owned(),
                    }),
                    Err(err) => Err(ApiFailure::from_sdk(&err)),
                }
            })
            .await
            .clone()
            .map_err(IdentityProblem::Api)
    }

    /// The caller's identity when STS already answered (no call of its own).
    pub fn known_identity(&self) -> Option<Identity> {
        self.identity.get().and_then(|found| found.clone().ok())
    }

    /// An S3 client for `region` (the session's region when `None`), built once per region.
    pub async fn s3(&self, region: Option<&str>) -> Result<aws_sdk_s3::Client, CredentialsProblem> {
        let config = self.sdk_config().await?;
        let region = region.unwrap_or(self.region.as_ref()).to_owned();
        let mut clients = self.s3_clients.lock().unwrap_or_else(|e| e.into_inner());
        let client = clients.entry(region.clone()).or_insert_with(|| {
            let conf = aws_sdk_s3::config::Builder::from(config)
                .region(Region::new(region))
                .force_path_style(self.options.path_style)
                .interceptor(RejectIncompleteAnswers)
                .interceptor(NameTheHost)
                .interceptor(self.timeline.interceptor())
                .build();
            aws_sdk_s3::Client::from_conf(conf)
        });
        Ok(client.clone())
    }
}

impl Session {
    /// An S3 Control client (account-level settings). On an S3-compatible endpoint the
    /// account id must not be prefixed to the host, so the endpoint is used as it is.
    pub async fn s3control(&self) -> Result<aws_sdk_s3control::Client, CredentialsProblem> {
        let config = self.sdk_config().await?;
        let mut builder = aws_sdk_s3control::config::Builder::from(config)
            .interceptor(RejectIncompleteAnswers)
            .interceptor(NameTheHost)
            .interceptor(self.timeline.interceptor());
        if let Some(endpoint) = &self.options.endpoint_url {
            builder = builder.endpoint_resolver(FixedEndpoint(endpoint.clone()));
        }
        Ok(aws_sdk_s3control::Client::from_conf(builder.build()))
    }

    /// An IAM client. IAM is global: the session's region only picks the partition's endpoint.
    pub async fn iam(&self) -> Result<aws_sdk_iam::Client, CredentialsProblem> {
        let config = self.sdk_config().await?;
        Ok(aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(config)
                .interceptor(RejectIncompleteAnswers)
                .interceptor(NameTheHost)
                .interceptor(self.timeline.interceptor())
                .build(),
        ))
    }
}

/// Starts loading the system's root certificates on a thread of its own, so that the first
/// request does not wait for them: the SDK's TLS connector reads them once per process (some
/// 300 files on Debian, milliseconds of blocking work), and the application calls this while
/// it still parses its command line. A connector built and dropped here leaves them loaded.
pub fn preload_root_certificates() {
    std::thread::spawn(|| drop(rustls_connector(None, None)));
}

/// The SDK's default HTTPS client (hyper 1, rustls with aws-lc, proxy settings from the
/// environment), built once so that every client of the session shares its pool.
fn shared_https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(rustls_connector)
}

/// The connector under every HTTP client of a session: rustls with aws-lc, proxy settings from
/// the environment, and the SDK's connection settings and sleep when it gives them.
fn rustls_connector(
    settings: Option<&aws_smithy_runtime_api::client::http::HttpConnectorSettings>,
    components: Option<&aws_smithy_runtime_api::client::runtime_components::RuntimeComponents>,
) -> aws_smithy_http_client::Connector {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let mut connector = aws_smithy_http_client::ConnectorBuilder::default()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc));
    connector.set_connector_settings(settings.cloned());
    if let Some(components) = components {
        connector.set_sleep_impl(components.sleep_impl());
    }
    connector.set_proxy_config(Some(ProxyConfig::from_env()));
    connector.build()
}

/// Resolves every S3 Control request to one URL, without the account-id host label.
#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        let endpoint = aws_smithy_types::endpoint::Endpoint::builder()
            .url(self.0.clone())
            .build();
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(endpoint))
    }
}

/// The profiles the shared config and credentials files define, and where those files are
/// (`AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and
/// `~/.aws/credentials`), read as the SDK reads them. Files only; no network.
pub async fn known_profiles() -> (Vec<String>, String) {
    use aws_types::os_shim_internal::{Env, Fs};
    let env = |name: &str, default: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    let files = format!(
        "{} and {}",
        env("AWS_CONFIG_FILE", "~/.aws/config"),
        env("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    );
    let profiles = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &aws_runtime::env_config::file::EnvConfigFiles::default(),
        None,
    )
    .await
    .map(|set| {
        let mut names: Vec<String> = set.profiles().map(str::to_owned).collect();
        names.sort();
        names
    })
    .unwrap_or_default();
    (profiles, files)
}

/// Why the caller's identity is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityProblem {
    Credentials(CredentialsProblem),
    Api(ApiFailure),
}

async fn resolve_region(options: &SessionOptions) -> (Region, &'static str) {
    if let Some(region) = &options.region {
        return (Region::new(region.clone()), "--region");
    }
    if let Some(region) = EnvironmentVariableRegionProvider::new().region().await {
        return (region, "environment");
    }
    let mut profile = ProfileFileRegionProvider::builder();
    if let Some(name) = &options.profile {
        profile = profile.profile_name(name);
    }
    // Deliberately no instance-metadata lookup: it costs seconds where there is no metadata
    // service, and S3 calls go to the bucket's own region anyway.
    let chain = RegionProviderChain::first_try(profile.build());
    match chain.region().await {
        Some(region) => (region, "profile"),
        None => (Region::from_static(FALLBACK_REGION), "default"),
    }
}

fn summarise(credentials: &Credentials) -> CredentialsSummary {
    let key = credentials.access_key_id();
    let chars: Vec<char> = key.chars().collect();
    let access_key_hint = if chars.len() > 8 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else {
        "…".to_owned()
    };
    CredentialsSummary {
        access_key_hint,
        // ASIA… keys are STS-issued even when the token is missing from the configuration.
        temporary: credentials.session_token().is_some() || key.starts_with("ASIA"),
        expires: credentials.expiry().map(|t| {
            aws_smithy_types::DateTime::from(t)
                .fmt(aws_smithy_types::date_time::Format::DateTime)
                .unwrap_or_default()
        }),
    }
}

fn classify_credentials_error(
    err: &aws_credential_types::provider::error::CredentialsError,
) -> CredentialsProblem {
    use aws_credential_types::provider::error::CredentialsError;
    let text = crate::api_error::error_text(err);
    match err {
        CredentialsError::CredentialsNotLoaded(_) => CredentialsProblem::NotFound(text),
        CredentialsError::ProviderTimedOut(_) => CredentialsProblem::NotFound(text),
        _ => CredentialsProblem::Invalid(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_timeout_is_short_unless_the_variable_lengthens_it() {
        assert_eq!(metadata_timeout(None), Duration::from_millis(100));
        assert_eq!(metadata_timeout(Some("2000")), Duration::from_secs(2));
        for ignored in ["", "0", "soon", "-5", "99999999"] {
            assert_eq!(
                metadata_timeout(Some(ignored)),
                METADATA_TIMEOUT,
                "{ignored}"
            );
        }
    }

    #[test]
    fn key_hints_never_split_a_character() {
        let pasted = Credentials::new("AKIA€€€€€€EXAMPLE", "secret", None, None, "test");
        assert_eq!(summarise(&pasted).access_key_hint, "AKIA…MPLE");
        let short = Credentials::new("AK€", "secret", None, None, "test");
        assert_eq!(summarise(&short).access_key_hint, "…");
        let temporary = Credentials::new("ASIAEXAMPLEEXAMPLE", "secret", None, None, "test");
        assert!(summarise(&temporary).temporary);
    }
}
