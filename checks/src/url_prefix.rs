//! Where a `url_prefix` leads: straight to the bucket's own S3 endpoint (where anonymous reads
//! follow the bucket's ACLs and policy, so a 403 can mean "private, as intended"), or somewhere
//! else — a CDN, a custom domain — which Transloadit hands out as the file's address and which
//! must therefore serve it. Also spots prefixes that make result URLs address the wrong key, and
//! prefixes that are malformed as written.

use url::Url;

/// Where result URLs built from a prefix are answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixRoute {
    /// The bucket's own S3 endpoint (AWS, or the configured S3-compatible endpoint).
    /// `key_prefix` is the part of the prefix's path that becomes part of the object key in
    /// the URL (`exports/` for `https://s3.eu-west-1.amazonaws.com/BUCKET/exports/`): with a
    /// non-empty one, URLs address `key_prefix + key`, not the stored key.
    BucketEndpoint { key_prefix: String },
    /// Anything else: a CDN, a custom domain, a website in front of the bucket.
    Elsewhere,
}

impl PrefixRoute {
    pub fn is_bucket_endpoint(&self) -> bool {
        matches!(self, PrefixRoute::BucketEndpoint { .. })
    }
}

/// Where `prefix` leads for `bucket`; `endpoint` is the S3-compatible endpoint in use, if any.
///
/// AWS hosts are recognised by shape rather than by a list of regions (new ones keep coming):
/// `BUCKET.` followed by an S3 label (`s3`, `s3-REGION`, `s3-accelerate`, `s3-website-REGION`,
/// `s3-fips`, …) for virtual-hosted URLs, or an S3 label first and `/BUCKET/` as the first path
/// segment for path-style ones, under `amazonaws.com` or `amazonaws.com.cn`.
pub fn route(prefix: &str, bucket: &str, endpoint: Option<&str>) -> PrefixRoute {
    let Ok(url) = Url::parse(prefix) else {
        return PrefixRoute::Elsewhere;
    };
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return PrefixRoute::Elsewhere;
    };
    let bucket_lower = bucket.to_ascii_lowercase();
    let path = url.path().trim_start_matches('/');
    if let Some(endpoint) = endpoint.and_then(|e| Url::parse(e).ok()) {
        let same_server = endpoint.host_str().map(str::to_ascii_lowercase).as_deref()
            == Some(host.as_str())
            && endpoint.port_or_known_default() == url.port_or_known_default();
        if same_server {
            if let Some(rest) = strip_bucket_segment(path, bucket) {
                return PrefixRoute::BucketEndpoint {
                    key_prefix: rest.to_owned(),
                };
            }
        }
        let endpoint_host = endpoint.host_str().unwrap_or_default().to_ascii_lowercase();
        if host == format!("{bucket_lower}.{endpoint_host}") {
            return PrefixRoute::BucketEndpoint {
                key_prefix: path.to_owned(),
            };
        }
    }
    let Some(service) = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
    else {
        return PrefixRoute::Elsewhere;
    };
    // Virtual-hosted: BUCKET.s3….
    if let Some(rest) = service
        .strip_prefix(bucket_lower.as_str())
        .and_then(|rest| rest.strip_prefix('.'))
    {
        if starts_with_s3_label(rest) {
            return PrefixRoute::BucketEndpoint {
                key_prefix: path.to_owned(),
            };
        }
    }
    // Path-style: s3….amazonaws.com/BUCKET/.
    if starts_with_s3_label(service) {
        if let Some(rest) = strip_bucket_segment(path, bucket) {
            return PrefixRoute::BucketEndpoint {
                key_prefix: rest.to_owned(),
            };
        }
    }
    PrefixRoute::Elsewhere
}

/// Whether the first DNS label is an S3 service label: `s3` or `s3-…`.
fn starts_with_s3_label(host: &str) -> bool {
    let first = host.split('.').next().unwrap_or_default();
    first == "s3" || first.starts_with("s3-")
}

/// The path after a first segment that is exactly the bucket name (bucket names are
/// case-sensitive in paths), or `None`.
fn strip_bucket_segment<'a>(path: &'a str, bucket: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(bucket)?;
    if rest.is_empty() {
        return Some(rest);
    }
    rest.strip_prefix('/')
}

/// A path segment sequence that both ends `url_prefix`'s path and starts the stored keys, as in
/// `url_prefix: https://cdn.example.com/acme-exports/exports/` with `path: exports/${...}`:
/// result URLs then contain `exports/exports/`. Returns the doubled part (`exports/`).
pub fn doubled_segments(prefix: &str, key_prefix: &str) -> Option<String> {
    let url = Url::parse(prefix).ok()?;
    let prefix_segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    // Only whole segments of the key count: `exports/` in `exports/${unique_prefix}`.
    let key_segments: Vec<&str> = key_prefix.split('/').collect();
    let key_segments = &key_segments[..key_segments.len().saturating_sub(1)];
    (1..=prefix_segments.len().min(key_segments.len()))
        .rev()
        .find(|&n| prefix_segments[prefix_segments.len() - n..] == key_segments[..n])
        .map(|n| format!("{}/", key_segments[..n].join("/")))
}

/// Problems with a `url_prefix` as written, worst first: checks that would use a prefix with
/// any of these do not run on it.
pub fn problems(prefix: &str) -> Vec<String> {
    let parsed = match url::Url::parse(prefix) {
        Ok(url) => url,
        Err(err) => {
            return vec![format!(
                "`url_prefix: {prefix}` is not an absolute URL ({err})"
            )]
        }
    };
    let mut problems = Vec::new();
    if !matches!(parsed.scheme(), "http" | "https") {
        problems.push(format!(
            "`url_prefix` uses `{}:`; only http and https URLs can be opened by users",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        problems.push("`url_prefix` has no host".to_owned());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        problems.push(
            "`url_prefix` has a query string or fragment, so the file path would land inside it"
                .to_owned(),
        );
    }
    if !prefix.ends_with('/') {
        problems.push(
            "`url_prefix` does not end in `/`, so the path is glued to its last segment".to_owned(),
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_endpoint(key_prefix: &str) -> PrefixRoute {
        PrefixRoute::BucketEndpoint {
            key_prefix: key_prefix.to_owned(),
        }
    }

    #[test]
    fn prefixes_at_the_buckets_own_endpoint() {
        let cases: &[(&str, &str, Option<&str>, PrefixRoute)] = &[
            (
                "http://acme.s3.amazonaws.com/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://acme.s3.eu-west-1.amazonaws.com/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://ACME.S3.EU-WEST-1.AMAZONAWS.COM/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://acme.s3-eu-west-1.amazonaws.com/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://acme.s3.dualstack.eu-west-1.amazonaws.com/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://acme.s3-accelerate.amazonaws.com/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "http://acme.s3-website-us-east-1.amazonaws.com/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://acme.s3.cn-north-1.amazonaws.com.cn/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://my.dotted.bucket.s3.eu-west-1.amazonaws.com/",
                "my.dotted.bucket",
                None,
                at_endpoint(""),
            ),
            (
                "https://acme.s3.amazonaws.com/exports/",
                "acme",
                None,
                at_endpoint("exports/"),
            ),
            (
                "https://s3.amazonaws.com/acme/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://s3.eu-west-1.amazonaws.com/acme/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://s3-eu-west-1.amazonaws.com/acme/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://s3.dualstack.eu-west-1.amazonaws.com/acme/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://s3.cn-north-1.amazonaws.com.cn/acme/",
                "acme",
                None,
                at_endpoint(""),
            ),
            (
                "https://s3.eu-west-1.amazonaws.com/Acme_Exports/",
                "Acme_Exports",
                None,
                at_endpoint(""),
            ),
            (
                "https://s3.eu-west-1.amazonaws.com/acme-exports/exports/",
                "acme-exports",
                None,
                at_endpoint("exports/"),
            ),
            (
                "http://127.0.0.1:9000/acme/",
                "acme",
                Some("http://127.0.0.1:9000"),
                at_endpoint(""),
            ),
            (
                "http://127.0.0.1:9000/acme/out/",
                "acme",
                Some("http://127.0.0.1:9000/"),
                at_endpoint("out/"),
            ),
            (
                "https://acme.minio.example.com/",
                "acme",
                Some("https://minio.example.com"),
                at_endpoint(""),
            ),
        ];
        for (prefix, bucket, endpoint, expected) in cases {
            assert_eq!(&route(prefix, bucket, *endpoint), expected, "{prefix}");
        }
    }

    #[test]
    fn prefixes_elsewhere() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("https://cdn.example.com/", "acme", None),
            ("https://d111111abcdef8.cloudfront.net/", "acme", None),
            ("https://files.acme.com/acme/", "acme", None),
            // Another bucket's endpoint does not serve this one.
            ("https://other.s3.amazonaws.com/", "acme", None),
            ("https://s3.eu-west-1.amazonaws.com/other/", "acme", None),
            ("https://s3.eu-west-1.amazonaws.com/acme-old/", "acme", None),
            // Not S3 at all, though under amazonaws.com.
            (
                "https://acme.execute-api.eu-west-1.amazonaws.com/",
                "acme",
                None,
            ),
            // The endpoint's server, but another bucket, or another port.
            (
                "http://127.0.0.1:9000/other/",
                "acme",
                Some("http://127.0.0.1:9000"),
            ),
            (
                "http://127.0.0.1:9001/acme/",
                "acme",
                Some("http://127.0.0.1:9000"),
            ),
            ("not a url", "acme", None),
        ];
        for (prefix, bucket, endpoint) in cases {
            assert_eq!(
                route(prefix, bucket, *endpoint),
                PrefixRoute::Elsewhere,
                "{prefix}"
            );
        }
    }

    #[test]
    fn doubled_path_segments() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "https://cdn.example.com/acme-exports/exports/",
                "exports/",
                Some("exports/"),
            ),
            (
                "https://cdn.example.com/exports/2024/",
                "exports/2024/",
                Some("exports/2024/"),
            ),
            (
                "https://cdn.example.com/a/exports/",
                "exports/x",
                Some("exports/"),
            ),
            ("https://cdn.example.com/", "exports/", None),
            ("https://cdn.example.com/exports/", "", None),
            ("https://cdn.example.com/exports/", "exportsX/", None),
            // A partial segment is no doubling.
            ("https://cdn.example.com/exports/", "exports", None),
            ("https://cdn.example.com/other/", "exports/", None),
        ];
        for (prefix, key_prefix, expected) in cases {
            assert_eq!(
                doubled_segments(prefix, key_prefix).as_deref(),
                *expected,
                "{prefix} + {key_prefix}"
            );
        }
    }
}
