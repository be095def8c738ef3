//! Transloadit's Robots as this tool sees them: which ones store through the S3 API, the
//! parameters each accepts, the `acl`s it allows, where its requests go, and the default
//! `url_prefix` of its result URLs. Everything else about a step lives in `templates.rs`.
//!
//! Source: the Robots' published schemas in transloadit/node-sdk,
//! `packages/node/src/alphalib/types/robots/{s3,digitalocean,wasabi,minio,tigris,supabase,
//! cloudflare,swift,mega,backblaze}-store.ts` and the `*Base`/`robotBase`/`robotUse` objects of
//! `_instructions-primitives.ts` (all `.strict()`: Transloadit rejects unknown keys). What the
//! schemas do not say (the endpoint of a Wasabi or Tigris bucket without `host`) is marked as
//! inferred where it is used.

/// A Robot that exports through the S3 API, and so can be checked.
#[derive(Debug, PartialEq, Eq)]
pub struct StorageRobot {
    /// `/s3/store`, `/digitalocean/store`, ...
    pub name: &'static str,
    /// The service, for messages ("DigitalOcean Spaces").
    pub service: &'static str,
    /// The parameter that names the bucket (`space` for DigitalOcean).
    pub bucket_param: &'static str,
    /// The parameter that names the region, if the Robot has one.
    pub region_param: Option<&'static str>,
    /// The `acl` values the Robot accepts; empty when it has no `acl` parameter (the store's
    /// bucket settings decide, as `bucket-default` does on S3).
    pub acls: &'static [&'static str],
    /// Every parameter of the Robot's schema besides the ones all Robots share.
    pub params: &'static [&'static str],
    /// Where requests go when the step gives no `host`.
    pub endpoint: DefaultEndpoint,
    /// Whether the bucket is on AWS: account-level Block Public Access and the IAM policy
    /// simulator exist only there.
    pub on_aws: bool,
}

/// Where a Robot sends its requests when the step has no `host`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum DefaultEndpoint {
    /// AWS S3, in the bucket's region.
    Aws,
    /// `https://REGION.digitaloceanspaces.com`, REGION from the `region` parameter.
    DigitalOceanRegion,
    /// A fixed URL (inferred from the service's documentation, not from Transloadit's).
    Fixed(&'static str),
    /// `host` is required (MinIO, Supabase, Cloudflare R2: every account has its own).
    HostRequired,
}

/// Checks that only AWS can answer, with the reason a store elsewhere gets instead of a verdict
/// (`/s3/store` with a custom `host` is such a store too). STS is not among them: the
/// `credentials` check already warns, never passes, where the store has no GetCallerIdentity.
pub const AWS_ONLY_CHECKS: &[(&str, &str)] = &[
    ("block-public-access", "Block Public Access is an AWS setting (bucket and account level) and this store is not AWS; dry-run-put shows whether the store accepts the upload's acl"),
    ("iam-simulation", "the IAM policy simulator knows AWS accounts only and this store is not AWS; dry-run-put proves what the keys may write"),
];

/// Parameters every Robot accepts (`robotBase`, `robotUse` and `robot` itself).
pub const COMMON_PARAMS: &[&str] = &[
    "robot",
    "use",
    "interpolate",
    "output_meta",
    "result",
    "queue",
    "force_accept",
    "ignore_errors",
];

const S3_PARAMS: &[&str] = &[
    "credentials",
    "bucket",
    "bucket_region",
    "key",
    "secret",
    "path",
    "url_prefix",
    "acl",
    "check_integrity",
    "headers",
    "tags",
    "host",
    "no_vhost",
    "sign_urls_for",
    "session_token",
];

/// `/wasabi/store`, `/tigris/store`, `/supabase/store`: `bucket`, `bucket_region`, `host`.
const REGIONAL_PARAMS: &[&str] = &[
    "credentials",
    "bucket",
    "bucket_region",
    "host",
    "key",
    "secret",
    "path",
    "acl",
    "headers",
    "sign_urls_for",
];

/// The acls of the Robots that accept two.
const PRIVATE_OR_PUBLIC_READ: &[&str] = &["private", "public-read"];

/// The Robots this tool checks, `/s3/store` first.
pub static STORAGE_ROBOTS: &[StorageRobot] = &[
    StorageRobot {
        name: "/s3/store",
        service: "Amazon S3",
        bucket_param: "bucket",
        region_param: Some("bucket_region"),
        acls: &["public", "public-read", "private", "bucket-default"],
        params: S3_PARAMS,
        endpoint: DefaultEndpoint::Aws,
        on_aws: true,
    },
    StorageRobot {
        name: "/digitalocean/store",
        service: "DigitalOcean Spaces",
        bucket_param: "space",
        region_param: Some("region"),
        acls: PRIVATE_OR_PUBLIC_READ,
        params: &[
            "credentials",
            "space",
            "region",
            "key",
            "secret",
            "path",
            "url_prefix",
            "acl",
            "headers",
            "sign_urls_for",
        ],
        endpoint: DefaultEndpoint::DigitalOceanRegion,
        on_aws: false,
    },
    StorageRobot {
        name: "/wasabi/store",
        service: "Wasabi",
        bucket_param: "bucket",
        region_param: Some("bucket_region"),
        acls: PRIVATE_OR_PUBLIC_READ,
        params: REGIONAL_PARAMS,
        // Inferred: Wasabi's documented service URL (its regional ones are s3.REGION.wasabisys.com).
        endpoint: DefaultEndpoint::Fixed("https://s3.wasabisys.com"),
        on_aws: false,
    },
    StorageRobot {
        name: "/minio/store",
        service: "MinIO",
        bucket_param: "bucket",
        region_param: None,
        acls: PRIVATE_OR_PUBLIC_READ,
        params: &[
            "credentials",
            "bucket",
            "host",
            "key",
            "secret",
            "path",
            "acl",
            "headers",
            "sign_urls_for",
        ],
        endpoint: DefaultEndpoint::HostRequired,
        on_aws: false,
    },
    StorageRobot {
        name: "/tigris/store",
        service: "Tigris",
        bucket_param: "bucket",
        region_param: Some("bucket_region"),
        acls: PRIVATE_OR_PUBLIC_READ,
        params: REGIONAL_PARAMS,
        // Inferred: Tigris's documented global S3 endpoint.
        endpoint: DefaultEndpoint::Fixed("https://fly.storage.tigris.dev"),
        on_aws: false,
    },
    StorageRobot {
        name: "/supabase/store",
        service: "Supabase Storage",
        bucket_param: "bucket",
        region_param: Some("bucket_region"),
        acls: &[],
        params: &[
            "credentials",
            "bucket",
            "bucket_region",
            "host",
            "key",
            "secret",
            "path",
            "headers",
            "sign_urls_for",
        ],
        endpoint: DefaultEndpoint::HostRequired,
        on_aws: false,
    },
    StorageRobot {
        name: "/cloudflare/store",
        service: "Cloudflare R2",
        bucket_param: "bucket",
        region_param: None,
        acls: &[],
        params: &[
            "credentials",
            "bucket",
            "host",
            "key",
            "secret",
            "path",
            "url_prefix",
            "headers",
            "sign_urls_for",
        ],
        endpoint: DefaultEndpoint::HostRequired,
        on_aws: false,
    },
];

/// Why a Robot that is not checked is not: shown by `steps`.
pub fn not_checked_reason(robot: &str) -> String {
    match robot {
        "/backblaze/store" => "stores through Backblaze B2's own API (`app_key_id`, `app_key`), not the S3 API".to_owned(),
        "/swift/store" | "/mega/store" => format!("{robot} is not checked yet: its S3 endpoint conventions are not documented by Transloadit"),
        r if r.ends_with("/import") => "imports files rather than storing them: nothing is written to a bucket".to_owned(),
        r if r.ends_with("/store") => format!("{robot} does not store through the S3 API"),
        _ => "does not store files in a bucket".to_owned(),
    }
}

/// The storage Robot named `robot`, if this tool checks it.
pub fn find(robot: &str) -> Option<&'static StorageRobot> {
    STORAGE_ROBOTS.iter().find(|r| r.name == robot)
}

impl StorageRobot {
    /// Whether `param` is a parameter of this Robot.
    pub fn knows(&self, param: &str) -> bool {
        COMMON_PARAMS.contains(&param) || self.params.contains(&param)
    }

    /// The `acl` the Robot applies when the step sets none: `public-read` in every schema that
    /// has the parameter; `None` for Robots without one.
    pub fn default_acl(&self) -> Option<&'static str> {
        (!self.acls.is_empty()).then_some("public-read")
    }

    /// Checks that are meaningless for this store, with the reason. They are reported as
    /// `skip`, never as `pass`: nothing about them was verified.
    pub fn aws_only_checks(&self) -> &'static [(&'static str, &'static str)] {
        if self.on_aws {
            &[]
        } else {
            AWS_ONLY_CHECKS
        }
    }

    /// The endpoint URL for this step: `host` when given (`https://` for TLS, otherwise plain
    /// HTTP, as Transloadit connects), else the Robot's default. `None` means AWS S3.
    pub fn endpoint(
        &self,
        host: Option<&str>,
        region: Option<&str>,
    ) -> Result<Option<String>, String> {
        if let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) {
            return Ok(Some(host_url(host)));
        }
        match self.endpoint {
            DefaultEndpoint::Aws => Ok(None),
            DefaultEndpoint::Fixed(url) => Ok(Some(url.to_owned())),
            DefaultEndpoint::DigitalOceanRegion => match region {
                Some(region) => Ok(Some(format!("https://{region}.digitaloceanspaces.com"))),
                None => Err("has no `region` (such as `fra1` or `nyc3`): the Space's endpoint is https://REGION.digitaloceanspaces.com".to_owned()),
            },
            DefaultEndpoint::HostRequired => Err(format!(
                "has no `host`: {} is reached at the endpoint of your own account, which only `host` (or the Template Credentials) names",
                self.service
            )),
        }
    }

    /// The `url_prefix` Transloadit gives result URLs when the step sets none. `/s3/store` uses
    /// the tool's usual AWS default (`None`); DigitalOcean's is documented; for the others the
    /// schemas document none, so the bucket's URL at the endpoint is assumed (inferred).
    pub fn default_url_prefix(
        &self,
        bucket: &str,
        region: Option<&str>,
        endpoint: Option<&str>,
        path_style: bool,
    ) -> Option<String> {
        match self.endpoint {
            DefaultEndpoint::Aws => None,
            DefaultEndpoint::DigitalOceanRegion
                if endpoint.is_some_and(|e| e.ends_with(".digitaloceanspaces.com")) =>
            {
                region.map(|region| format!("https://{bucket}.{region}.digitaloceanspaces.com/"))
            }
            _ => endpoint.map(|endpoint| bucket_url(endpoint, bucket, path_style)),
        }
    }
}

/// `host` as a URL: a scheme given is kept (`s3://` means TLS too); none means plain HTTP,
/// which is what Transloadit uses for a bare host.
pub fn host_url(host: &str) -> String {
    let host = host.trim_end_matches('/');
    if let Some(rest) = host.strip_prefix("s3://") {
        format!("https://{rest}")
    } else if host.starts_with("https://") || host.starts_with("http://") {
        host.to_owned()
    } else {
        format!("http://{host}")
    }
}

/// The URL of `bucket` at `endpoint`: virtual-hosted, or path-style with `no_vhost`.
fn bucket_url(endpoint: &str, bucket: &str, path_style: bool) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    match endpoint.split_once("://") {
        Some((scheme, host)) if !path_style => format!("{scheme}://{bucket}.{host}/"),
        _ => format!("{endpoint}/{bucket}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_robot_is_found_by_name_and_names_its_bucket() {
        for robot in STORAGE_ROBOTS {
            assert_eq!(find(robot.name), Some(robot));
            assert!(robot.knows(robot.bucket_param), "{}", robot.name);
            assert!(robot.knows("credentials") && robot.knows("path") && robot.knows("use"));
        }
        assert!(find("/backblaze/store").is_none());
        assert!(not_checked_reason("/backblaze/store").contains("not the S3 API"));
        assert!(not_checked_reason("/s3/import").contains("imports"));
    }

    #[test]
    fn acls_are_each_robots_own() {
        let s3 = find("/s3/store").unwrap();
        assert_eq!(s3.acls.len(), 4);
        assert_eq!(s3.default_acl(), Some("public-read"));
        let r2 = find("/cloudflare/store").unwrap();
        assert!(r2.acls.is_empty());
        assert_eq!(r2.default_acl(), None);
        assert_eq!(
            find("/wasabi/store").unwrap().acls,
            ["private", "public-read"]
        );
    }

    #[test]
    fn endpoints_follow_each_robots_convention() {
        let s3 = find("/s3/store").unwrap();
        assert_eq!(s3.endpoint(None, Some("eu-west-1")), Ok(None));
        assert_eq!(
            s3.endpoint(Some("storage.example.com"), None)
                .unwrap()
                .unwrap(),
            "http://storage.example.com"
        );
        assert_eq!(
            s3.endpoint(Some("https://storage.example.com/"), None)
                .unwrap()
                .unwrap(),
            "https://storage.example.com"
        );
        assert_eq!(
            s3.endpoint(Some("s3://storage.example.com"), None)
                .unwrap()
                .unwrap(),
            "https://storage.example.com"
        );
        let spaces = find("/digitalocean/store").unwrap();
        assert_eq!(
            spaces.endpoint(None, Some("fra1")).unwrap().unwrap(),
            "https://fra1.digitaloceanspaces.com"
        );
        assert!(spaces
            .endpoint(None, None)
            .unwrap_err()
            .contains("`region`"));
        let minio = find("/minio/store").unwrap();
        assert!(minio.endpoint(None, None).unwrap_err().contains("`host`"));
        assert!(find("/tigris/store")
            .unwrap()
            .endpoint(None, None)
            .unwrap()
            .is_some());
    }

    #[test]
    fn url_prefix_defaults() {
        let spaces = find("/digitalocean/store").unwrap();
        assert_eq!(
            spaces
                .default_url_prefix(
                    "media",
                    Some("fra1"),
                    Some("https://fra1.digitaloceanspaces.com"),
                    false
                )
                .as_deref(),
            Some("https://media.fra1.digitaloceanspaces.com/")
        );
        let minio = find("/minio/store").unwrap();
        assert_eq!(
            minio
                .default_url_prefix("media", None, Some("http://minio.local:9000"), true)
                .as_deref(),
            Some("http://minio.local:9000/media/")
        );
        assert_eq!(
            find("/s3/store")
                .unwrap()
                .default_url_prefix("b", None, None, false),
            None
        );
    }

    #[test]
    fn only_other_stores_skip_the_aws_only_checks() {
        assert!(find("/s3/store").unwrap().aws_only_checks().is_empty());
        let ids: Vec<_> = find("/minio/store")
            .unwrap()
            .aws_only_checks()
            .iter()
            .map(|(id, _)| *id)
            .collect();
        assert_eq!(ids, ["block-public-access", "iam-simulation"]);
    }
}
