//! The anonymous GET of a result URL, as a browser sends it (and the GET of a presigned one, for
//! `sign_urls_for`): what answered, whether the answer
//! was the probe's content, and whether a cache gave it (a cached answer proves nothing about
//! the bucket today). Every read carries a query string unique to the run, so that no cache
//! left by an earlier run can answer it. Its name starts with `x-` because S3 documents that it
//! ignores such query parameters (and records them in server access logs, where the read is
//! then recognisable): "Custom fields in server access log records",
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html#LogFormatCustom

use crate::api_error::error_text;
use crate::probe::PROBE_BODY;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The query parameter that makes each read unique (`x-` but not `x-amz-`: S3 ignores it).
pub const CACHE_BUSTER: &str = "x-bucket-preflight";

/// How long a read may take: long enough for a CDN's first fetch from its origin.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How much of a body is read: the probe is small; a page answering every path may be large.
const MAX_BODY: usize = 64 * 1024;

/// Response headers that tell whether a cache answered.
const CACHE_HEADERS: [&str; 4] = ["age", "x-cache", "cf-cache-status", "x-cache-status"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicRead {
    NotChecked,
    /// An answer to the anonymous GET of the result URL.
    Status {
        status: u16,
        /// The body was exactly the probe's content (a website or CDN may answer 200 for any
        /// path).
        serves_probe: bool,
        /// What says a cache answered (`Age: 3600`, `X-Cache: Hit from cloudfront`), if
        /// anything does.
        cached: Option<String>,
        /// The cache-related headers seen, as `Name: value`, hit or not.
        cache_headers: Vec<String>,
        /// The `<Code>` of an S3 error body (`NoSuchKey`, `NoSuchBucket`, `AccessDenied`).
        error_code: Option<String>,
        /// The URL actually fetched: the result URL and the unique query string.
        fetched: String,
    },
    /// No answer.
    Unreachable {
        /// The URL tried.
        fetched: String,
        /// What happened, as a sentence fragment: "the host name x does not resolve".
        happened: String,
        /// What to do about it.
        advice: String,
    },
}

/// `url` with a query parameter unique to this read, so that no cache can hold its answer.
pub fn unique_url(url: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    // A fresh RandomState is seeded randomly per process and differs per instance; the clock
    // adds uniqueness across processes.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{CACHE_BUSTER}={:016x}", hasher.finish())
}

/// The process's one client for anonymous reads, so that a connection opened early (see
/// [`warm_connection`]) is the one the GET of the result URL uses.
fn anonymous_client() -> Result<reqwest::Client, reqwest::Error> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    // reqwest is built without a crypto provider of its own; use the one the AWS SDK brings.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let client = reqwest::Client::builder().timeout(TIMEOUT).build()?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// Opens the connection the anonymous GET will use, while other requests are under way: an
/// unauthenticated HEAD of `prefix_url` (the result URLs' common prefix — a bucket root or a
/// CDN path, never an object), whose answer is ignored. It changes nothing anywhere.
pub async fn warm_connection(prefix_url: &str) {
    if !(prefix_url.starts_with("https://") || prefix_url.starts_with("http://")) {
        return;
    }
    // Building the client loads the system's root certificates, milliseconds of blocking work
    // that would otherwise hold up the requests polled after this one.
    if let Ok(Ok(client)) = tokio::task::spawn_blocking(anonymous_client).await {
        let _ = client.head(prefix_url).send().await;
    }
}

/// An unauthenticated GET of `url` (with a unique query string), as a browser would send it.
pub async fn read_anonymously(url: &str) -> PublicRead {
    let fetched = unique_url(url);
    fetch(&fetched.clone(), fetched).await
}

/// A GET of a presigned URL, as a user handed a signed result URL sends it. It is fetched as
/// it is (a query parameter added after signing would break the signature; the signature makes
/// it unique anyway). Its query holds the access key id, the signature and, with temporary
/// credentials, the session token, so it is never reported: `fetched` is the URL without its
/// query, and error texts have the URL replaced.
pub async fn read_presigned(url: &str) -> PublicRead {
    let shown = match url.split_once('?') {
        Some((base, _)) => format!("{base}?X-Amz-Signature=… (presigned)"),
        None => url.to_owned(),
    };
    match fetch(url, shown.clone()).await {
        PublicRead::Unreachable {
            fetched,
            happened,
            advice,
        } => PublicRead::Unreachable {
            fetched,
            happened: redact_signature(&happened.replace(url, &shown)),
            advice: redact_signature(&advice.replace(url, &shown)),
        },
        read => read,
    }
}

/// `text` with the values of a presigned URL's credential parameters replaced by `…`, however
/// the URL was spelled in it.
fn redact_signature(text: &str) -> String {
    let mut out = text.to_owned();
    for parameter in [
        "X-Amz-Credential=",
        "X-Amz-Security-Token=",
        "X-Amz-Signature=",
    ] {
        let mut from = 0;
        while let Some(found) = out[from..].find(parameter) {
            let start = from + found + parameter.len();
            let end = out[start..]
                .find(|c: char| c == '&' || c == ')' || c == '"' || c.is_whitespace())
                .map_or(out.len(), |i| start + i);
            out.replace_range(start..end, "…");
            from = start + '…'.len_utf8();
        }
    }
    out
}

/// GETs `url`, reporting it as `fetched`.
async fn fetch(url: &str, fetched: String) -> PublicRead {
    let client = match anonymous_client() {
        Ok(client) => client,
        Err(err) => {
            return PublicRead::Unreachable {
                fetched,
                happened: format!("no HTTP client could be set up ({})", error_text(&err)),
                advice: "Run again; if it persists, report it as a bug.".into(),
            }
        }
    };
    match client.get(url).send().await {
        Ok(response) => read_answer(response, fetched).await,
        Err(err) => unreachable(&err, fetched),
    }
}

async fn read_answer(mut response: reqwest::Response, fetched: String) -> PublicRead {
    let status = response.status().as_u16();
    let headers = response.headers();
    let cache_headers: Vec<String> = CACHE_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some(format!("{}: {value}", canonical_name(name)))
        })
        .collect();
    let cached = cache_hit(headers);
    let mut body = Vec::new();
    while body.len() < MAX_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    // Every probe body starts alike and ends with its writer's run id; another run may have
    // written over this one in the meantime.
    let serves_probe = body.starts_with(PROBE_BODY);
    let error_code = if serves_probe {
        None
    } else {
        s3_error_code(&String::from_utf8_lossy(&body))
    };
    PublicRead::Status {
        status,
        serves_probe,
        cached,
        cache_headers,
        error_code,
        fetched,
    }
}

fn canonical_name(name: &str) -> &'static str {
    match name {
        "age" => "Age",
        "x-cache" => "X-Cache",
        "cf-cache-status" => "CF-Cache-Status",
        _ => "X-Cache-Status",
    }
}

/// The header that says a cache answered, as `Name: value`: a positive `Age`, or an
/// `X-Cache` / `CF-Cache-Status` / `X-Cache-Status` naming a hit (`Hit from cloudfront`,
/// `RefreshHit from cloudfront`, `HIT`, `STALE`, `UPDATING`, `REVALIDATED`).
pub fn cache_hit(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(age) = value("age") {
        if age.trim().parse::<u64>().map_or(true, |age| age > 0) {
            return Some(format!("Age: {age}"));
        }
    }
    for name in ["x-cache", "cf-cache-status", "x-cache-status"] {
        let Some(found) = value(name) else { continue };
        let upper = found.to_ascii_uppercase();
        let hit = ["HIT", "STALE", "UPDATING", "REVALIDATED"]
            .iter()
            .any(|word| upper.contains(word));
        if hit {
            return Some(format!("{}: {found}", canonical_name(name)));
        }
    }
    None
}

/// The `<Code>` of an S3 XML error body.
fn s3_error_code(body: &str) -> Option<String> {
    if !body.contains("<Error>") {
        return None;
    }
    let start = body.find("<Code>")? + "<Code>".len();
    let end = start + body[start..].find("</Code>")?;
    let code = body[start..end].trim();
    (!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric())).then(|| code.to_owned())
}

/// A failed request as a sentence: what happened, and what to do.
fn unreachable(err: &reqwest::Error, fetched: String) -> PublicRead {
    let host = url::Url::parse(&fetched)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let failure = if err.is_timeout() {
        Failure::Timeout
    } else if err.is_redirect() {
        Failure::Redirects
    } else if err.is_builder() {
        Failure::NotFetchable
    } else {
        Failure::Other(error_text(err))
    };
    let (happened, advice) = explain(&host, failure);
    PublicRead::Unreachable {
        fetched,
        happened,
        advice,
    }
}

/// How a request failed, as far as the explanation cares.
enum Failure {
    Timeout,
    Redirects,
    NotFetchable,
    /// Anything else, with the error's causes as one line.
    Other(String),
}

/// What happened to a request to `host`, and what to do about it.
fn explain(host: &str, failure: Failure) -> (String, String) {
    const ANSWERS: &str =
        "Check that `url_prefix` names a host that answers from the internet, then run again.";
    let chain = match failure {
        Failure::Timeout => {
            return (
                format!("no answer within {} s", TIMEOUT.as_secs()),
                ANSWERS.to_owned(),
            )
        }
        Failure::Redirects => {
            return (
                "it redirected too many times".to_owned(),
                "Check what serves `url_prefix`: it redirects in a loop.".to_owned(),
            )
        }
        Failure::NotFetchable => {
            return (
                "it is not a URL that can be fetched".to_owned(),
                "Set `url_prefix` to an absolute http(s) URL ending in `/`.".to_owned(),
            )
        }
        Failure::Other(chain) => chain,
    };
    let lower = chain.to_ascii_lowercase();
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        (
            format!("the host name {host} does not resolve"),
            "Check the host name in `url_prefix`, and that `url_prefix` ends with `/` (otherwise the path is glued to the host name).".to_owned(),
        )
    } else if lower.contains("connection refused") {
        (
            format!("{host} refused the connection"),
            "Check the host and port in `url_prefix`.".to_owned(),
        )
    } else if lower.contains("certificate") || lower.contains("tls") {
        (
            format!("the TLS handshake with {host} failed ({chain})"),
            "Use a `url_prefix` whose host has a matching certificate: the path-style `https://s3.REGION.amazonaws.com/BUCKET/` for bucket names with periods, or your CDN's domain.".to_owned(),
        )
    } else {
        (format!("the request failed ({chain})"), ANSWERS.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cache_hits_are_recognised() {
        let hits: &[(&[(&str, &str)], &str)] = &[
            (&[("age", "3600")], "Age: 3600"),
            (
                &[("x-cache", "Hit from cloudfront")],
                "X-Cache: Hit from cloudfront",
            ),
            (
                &[("x-cache", "RefreshHit from cloudfront")],
                "X-Cache: RefreshHit from cloudfront",
            ),
            (&[("x-cache", "MISS, HIT")], "X-Cache: MISS, HIT"),
            (&[("cf-cache-status", "HIT")], "CF-Cache-Status: HIT"),
            (&[("cf-cache-status", "STALE")], "CF-Cache-Status: STALE"),
            (
                &[("age", "0"), ("x-cache-status", "HIT")],
                "X-Cache-Status: HIT",
            ),
        ];
        for (pairs, expected) in hits {
            assert_eq!(
                cache_hit(&headers(pairs)).as_deref(),
                Some(*expected),
                "{pairs:?}"
            );
        }
        let misses: &[&[(&str, &str)]] = &[
            &[],
            &[("age", "0")],
            &[("x-cache", "Miss from cloudfront")],
            &[("cf-cache-status", "MISS")],
            &[("cf-cache-status", "DYNAMIC")],
            &[("cf-cache-status", "BYPASS")],
            &[("cf-cache-status", "EXPIRED")],
        ];
        for pairs in misses {
            assert_eq!(cache_hit(&headers(pairs)), None, "{pairs:?}");
        }
    }

    #[test]
    fn every_read_is_unique() {
        let a = unique_url("https://cdn.example.com/bucket-preflight-probe.txt");
        let b = unique_url("https://cdn.example.com/bucket-preflight-probe.txt");
        assert_ne!(a, b);
        assert!(
            a.starts_with("https://cdn.example.com/bucket-preflight-probe.txt?x-bucket-preflight="),
            "{a}"
        );
        assert!(unique_url("http://x/?a=1").starts_with("http://x/?a=1&x-bucket-preflight="));
    }

    #[test]
    fn s3_error_codes_are_read() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"#;
        assert_eq!(s3_error_code(body).as_deref(), Some("NoSuchKey"));
        assert_eq!(s3_error_code("<html>Not found</html>"), None);
    }

    #[test]
    fn a_missing_slash_in_url_prefix_is_explained() {
        // `url_prefix: https://cdn.example.com` glued to the probe name, as reqwest reports it.
        let chain = "error sending request for url (https://cdn.example.combucket-preflight-probe.txt/?x-bucket-preflight=1): client error (Connect): dns error: failed to lookup address information: Name or service not known";
        let (happened, advice) = explain(
            "cdn.example.combucket-preflight-probe.txt",
            Failure::Other(chain.to_owned()),
        );
        assert_eq!(
            happened,
            "the host name cdn.example.combucket-preflight-probe.txt does not resolve"
        );
        assert!(advice.contains("ends with `/`"), "{advice}");
    }

    #[tokio::test]
    async fn a_failed_request_reads_as_a_sentence_without_debug_dumps() {
        // A closed loopback port: refused at once, no network beyond this machine.
        let read = read_anonymously("http://127.0.0.1:9/bucket-preflight-probe.txt").await;
        let PublicRead::Unreachable {
            fetched,
            happened,
            advice,
        } = read
        else {
            panic!("{read:?}");
        };
        assert!(
            fetched
                .starts_with("http://127.0.0.1:9/bucket-preflight-probe.txt?x-bucket-preflight="),
            "{fetched}"
        );
        assert_eq!(happened, "127.0.0.1 refused the connection");
        assert!(advice.contains("url_prefix"), "{advice}");
    }
}

#[cfg(test)]
mod presigned_tests {
    use super::*;

    #[test]
    fn presigned_credentials_never_reach_a_report() {
        let text = "error sending request for url (http://h/b/k?X-Amz-Credential=AKIA%2F1&X-Amz-Security-Token=SECRETTOKEN&X-Amz-Signature=abc)";
        let redacted = redact_signature(text);
        assert!(!redacted.contains("SECRETTOKEN"), "{redacted}");
        assert!(!redacted.contains("AKIA"), "{redacted}");
        assert!(redacted.ends_with("X-Amz-Signature=…)"), "{redacted}");
    }

    #[tokio::test]
    async fn a_presigned_read_reports_the_url_without_its_query() {
        // A closed loopback port: the read fails, and neither text holds the token.
        let read = read_presigned(
            "http://127.0.0.1:9/b/k?X-Amz-Security-Token=SECRETTOKEN&X-Amz-Signature=abc",
        )
        .await;
        let text = format!("{read:?}");
        assert!(!text.contains("SECRETTOKEN"), "{text}");
        assert!(
            text.contains("http://127.0.0.1:9/b/k?X-Amz-Signature=… (presigned)"),
            "{text}"
        );
    }
}
