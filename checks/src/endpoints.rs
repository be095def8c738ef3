//! Where the SDK will really send S3 and STS requests.
//!
//! Besides `--endpoint-url`, the AWS SDKs take endpoints from `AWS_ENDPOINT_URL_<SERVICE>`,
//! `AWS_ENDPOINT_URL`, a profile's `services` section and its `endpoint_url`, unless
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (or the profile's `ignore_configured_endpoint_urls`)
//! says otherwise. A report that does not know about them claims to check AWS while the requests
//! go to another store, so the endpoints are resolved here with the SDK's own configuration
//! loader (the same precedence its clients apply) and named in every report.

use aws_config::{BehaviorVersion, Region};
use aws_types::service_config::ServiceConfigKey;
use serde::Serialize;

/// An endpoint override and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfiguredEndpoint {
    pub url: String,
    /// `--endpoint-url`, the environment variable's name, or the profile that set it.
    pub source: String,
}

/// The endpoints requests go to; `None` means the AWS endpoint of the region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub s3: Option<ConfiguredEndpoint>,
    pub sts: Option<ConfiguredEndpoint>,
}

/// One service as the SDK's configuration knows it.
struct Service {
    /// The SDK's service id (`AWS_ENDPOINT_URL_<ID>` and the `services` section key derive from it).
    id: &'static str,
    env: &'static str,
}

const S3: Service = Service {
    id: "S3",
    env: "AWS_ENDPOINT_URL_S3",
};
const STS: Service = Service {
    id: "STS",
    env: "AWS_ENDPOINT_URL_STS",
};

/// Resolves the S3 and STS endpoints as the SDK will: the flag first, then the environment and
/// the shared config files of `profile`. Reads files and the environment only; no network.
pub async fn resolve(flag: Option<&str>, profile: Option<&str>) -> Endpoints {
    if let Some(url) = flag {
        let given = ConfiguredEndpoint {
            url: url.to_owned(),
            source: "--endpoint-url".to_owned(),
        };
        return Endpoints {
            s3: Some(given.clone()),
            sts: Some(given),
        };
    }
    // A fixed region and no credentials: loading must not reach for a metadata service.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::from_static("us-east-1"))
        .no_credentials();
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    let config = loader.load().await;
    let profile_name = profile
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_owned());
    let lookup = |service: &Service| {
        let from_service_config = config.service_config().and_then(|loaded| {
            let key = ServiceConfigKey::builder()
                .service_id(service.id)
                .env("AWS_ENDPOINT_URL")
                .profile("endpoint_url")
                .build()
                .ok()?;
            loaded.load_config(key)
        });
        let url = from_service_config
            .or_else(|| config.endpoint_url().map(str::to_owned))
            .filter(|url| !url.is_empty())?;
        Some(ConfiguredEndpoint {
            source: source_of(&url, service.env, &profile_name),
            url,
        })
    };
    Endpoints {
        s3: lookup(&S3),
        sts: lookup(&STS),
    }
}

/// Which setting produced `url`: the service's variable, the global one, or the profile.
fn source_of(url: &str, service_env: &str, profile: &str) -> String {
    let set_to_url = |name: &str| std::env::var(name).is_ok_and(|value| value == url);
    if set_to_url(service_env) {
        service_env.to_owned()
    } else if set_to_url("AWS_ENDPOINT_URL") {
        "AWS_ENDPOINT_URL".to_owned()
    } else {
        format!("profile {profile} in the AWS config file")
    }
}
