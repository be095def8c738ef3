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

/// Whether `url` is one of AWS's own hosts (a VPC interface endpoint, FIPS or dual-stack S3):
/// AWS, only reached another way, so STS stays AWS's own rather than following it.
pub fn is_aws_host(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|host| {
            ["amazonaws.com", "amazonaws.com.cn", "api.aws"]
                .iter()
                .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
        })
}

/// Where STS is asked: its own configured endpoint, else the S3 endpoint when that is another
/// store (whose keys belong to it), else AWS's STS.
pub fn sts_endpoint(endpoints: &Endpoints) -> Option<&ConfiguredEndpoint> {
    endpoints
        .sts
        .as_ref()
        .or_else(|| endpoints.s3.as_ref().filter(|s3| !is_aws_host(&s3.url)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_hosts_are_told_from_other_stores() {
        for aws in [
            "https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            "https://s3-fips.us-east-1.amazonaws.com",
            "https://s3.dualstack.eu-west-1.amazonaws.com",
            "https://s3.cn-north-1.amazonaws.com.cn",
        ] {
            assert!(is_aws_host(aws), "{aws}");
        }
        for other in [
            "http://127.0.0.1:9000",
            "https://fra1.digitaloceanspaces.com",
            "https://acct.r2.cloudflarestorage.com",
            "https://amazonaws.com.example.org",
            "https://notamazonaws.com",
        ] {
            assert!(!is_aws_host(other), "{other}");
        }
    }

    #[test]
    fn sts_follows_another_store_but_not_an_aws_endpoint() {
        let at = |url: &str| ConfiguredEndpoint {
            url: url.into(),
            source: "AWS_ENDPOINT_URL_S3".into(),
        };
        let store = Endpoints {
            s3: Some(at("http://127.0.0.1:9000")),
            sts: None,
        };
        assert_eq!(sts_endpoint(&store), store.s3.as_ref());
        let vpce = Endpoints {
            s3: Some(at(
                "https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            )),
            sts: None,
        };
        assert_eq!(sts_endpoint(&vpce), None);
    }
}
