//! `result-url`: the URL a stored file gets, previewed, and whether it will work.

use crate::check::{Category, Check, CheckInfo};
use crate::checks::bucket_name;
use crate::checks::store_params::url_prefix_problems;
use crate::path_template::{self, SAMPLE_FILE_NAME};
use crate::target::path_style_url_prefix;
use crate::{Context, Findings, Outcome, Target};
use async_trait::async_trait;

pub struct ResultUrl;

static INFO: CheckInfo = CheckInfo {
    id: "result-url",
    title: "Result URLs of stored files will work",
    category: Category::Parameters,
    online: false,
    requires: &[],
    docs: DOCS,
};

const DOCS: &str = r#"## What it checks
Builds the URL a stored file gets, exactly as the store step does: `url_prefix` (or the default
`http://BUCKET.s3.amazonaws.com/`) followed by the `path` expanded for a sample file named
`Summer holiday (1).jpg` (`${file.url_name}` turns non-alphanumeric characters into `_` and
spaces into `-`). Then it looks for what breaks such URLs:
- plain `http://` (the default): warning;
- a virtual-hosted HTTPS URL for a bucket whose name contains periods: warning, the certificate
  does not match;
- a virtual-hosted URL for a bucket name that is not a DNS label (uppercase, underscores):
  failure, the host name cannot reach the bucket;
- the default AWS URL while the bucket lives on an S3-compatible endpoint (`--endpoint-url`):
  warning;
- keys with characters that must be percent-encoded in URLs (from `${file.name}` and the like):
  warning.

## Why it matters
The result URL is what ends up in your application, your database or your users' browsers.
Plain HTTP is blocked as mixed content on HTTPS pages and can be altered in transit. A URL whose
certificate does not match fails in every browser. A URL pointing at the wrong host serves
nothing at all, even though the upload itself succeeded.

## How to fix
- Set `url_prefix` to an HTTPS URL: `https://BUCKET.s3.amazonaws.com/` for DNS-compliant names
  without periods, or the path-style `https://s3.REGION.amazonaws.com/BUCKET/` otherwise, or
  your CDN's URL.
- On an S3-compatible store, set `url_prefix` to the URL under which that store serves the bucket.
- Build `path` from `${file.url_name}` rather than `${file.name}`.

## References
- Transloadit `/s3/store` (`url_prefix`, `path`): https://transloadit.com/docs/robots/s3-store/
- Methods for accessing a bucket: https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-bucket-intro.html
- Mixed content: https://developer.mozilla.org/en-US/docs/Web/Security/Mixed_content
"#;

/// The HTTPS `url_prefix` that works for this bucket on AWS.
pub fn recommended_url_prefix(target: &Target) -> String {
    let bucket = &target.bucket;
    if bucket.contains('.') || !bucket_name::violations(bucket).is_empty() {
        return path_style_url_prefix(bucket, target.bucket_region.as_deref());
    }
    match &target.bucket_region {
        Some(region) => format!("https://{bucket}.s3.{region}.amazonaws.com/"),
        None => format!("https://{bucket}.s3.amazonaws.com/"),
    }
}

/// Whether `host` addresses `bucket` virtual-hosted style on AWS (`BUCKET.s3[.-]….amazonaws.com`).
fn is_virtual_hosted(host: &str, bucket: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let bucket = bucket.to_ascii_lowercase();
    host.strip_prefix(&bucket)
        .and_then(|rest| rest.strip_prefix(".s3"))
        .is_some_and(|rest| {
            (rest.starts_with('.') || rest.starts_with('-')) && rest.ends_with(".amazonaws.com")
        })
}

/// Characters a URL path can carry as they are.
fn is_url_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~/!$&'()*+,;=:@".contains(c)
}

#[async_trait]
impl Check for ResultUrl {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        let target = &ctx.target;
        if let Some(prefix) = &target.url_prefix {
            if !url_prefix_problems(prefix).is_empty() {
                return Outcome::skip(
                    "cannot preview result URLs: `url_prefix` is malformed (see store-params)",
                );
            }
        }
        let Some(key) = path_template::render_sample(&target.path) else {
            return Outcome::skip(
                "cannot preview result URLs: `path` is malformed (see store-params)",
            );
        };
        let prefix = target.effective_url_prefix();
        let url = format!("{prefix}{key}");
        let recommended = recommended_url_prefix(target);
        let mut found = Findings::default();

        let parsed = url::Url::parse(&prefix).ok();
        let scheme = parsed
            .as_ref()
            .map(|u| u.scheme().to_owned())
            .unwrap_or_default();
        let host = parsed
            .as_ref()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let virtual_hosted = is_virtual_hosted(&host, &target.bucket);

        if target.endpoint.is_some() && target.url_prefix.is_none() {
            let endpoint = target
                .endpoint
                .as_deref()
                .unwrap_or_default()
                .trim_end_matches('/');
            found.warn(
                format!("the default result URL points at AWS, but the bucket is on {endpoint}"),
                format!("Set `url_prefix` to the URL your store serves the bucket under, e.g. `url_prefix: {endpoint}/{}/`.", target.bucket),
            );
        } else if virtual_hosted && !bucket_name::violations(&target.bucket).is_empty() {
            found.fail(
                format!(
                    "`{host}` cannot reach bucket `{}`: its name is not a valid DNS label",
                    target.bucket
                ),
                format!(
                    "Set `url_prefix: {}` (path-style).",
                    path_style_url_prefix(&target.bucket, target.bucket_region.as_deref())
                ),
            );
        } else if virtual_hosted && scheme == "https" && target.bucket.contains('.') {
            found.warn(
                format!("`https://{host}/` will fail certificate validation: the bucket name contains periods"),
                format!("Set `url_prefix: {recommended}` (path-style)."),
            );
        }
        if scheme == "http" {
            let fix = if target.url_prefix.is_none() && target.endpoint.is_none() {
                format!("Set `url_prefix: {recommended}`.")
            } else {
                format!(
                    "Use `https://` in `url_prefix` (e.g. `url_prefix: {}`).",
                    prefix.replacen("http://", "https://", 1)
                )
            };
            let whose = if target.url_prefix.is_none() {
                "the default `url_prefix` uses"
            } else {
                "`url_prefix` uses"
            };
            found.warn(
                format!("{whose} plain http://, which browsers block on HTTPS pages"),
                fix,
            );
        }
        let unsafe_chars: String = key.chars().filter(|&c| !is_url_safe(c)).collect();
        if !unsafe_chars.is_empty() {
            found.warn(
                format!("stored keys contain characters that need percent-encoding in URLs (`{SAMPLE_FILE_NAME}` gives `{key}`)"),
                "Build `path` from `${file.url_name}` instead of `${file.name}` or `${file.basename}`.".to_owned(),
            );
        }

        let outcome = found.into_outcome(format!("stored files will be served at {url}"));
        outcome
            .with_detail(format!(
                "Preview for a file named `{SAMPLE_FILE_NAME}`: {url}"
            ))
            .with_evidence("url_prefix", prefix.as_str())
            .with_evidence(
                "url_prefix_source",
                if target.url_prefix.is_some() {
                    "url_prefix"
                } else {
                    "default"
                },
            )
            .with_evidence("sample_file", SAMPLE_FILE_NAME)
            .with_evidence("sample_key", key.as_str())
            .with_evidence("sample_url", url.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    async fn run(bucket: &str, configure: impl FnOnce(&mut Target)) -> Outcome {
        let mut target = Target::new(bucket);
        configure(&mut target);
        ResultUrl.run(&Context::offline(target)).await
    }

    #[tokio::test]
    async fn default_prefix_warns_about_http_and_recommends_https() {
        let outcome = run("my-bucket", |_| {}).await;
        assert_eq!(outcome.status, Status::Warn);
        assert!(
            outcome.summary.contains("plain http://"),
            "{}",
            outcome.summary
        );
        assert_eq!(
            outcome.remediation.as_deref(),
            Some("Set `url_prefix: https://my-bucket.s3.amazonaws.com/`.")
        );
        assert_eq!(
            outcome.evidence["sample_url"],
            "http://my-bucket.s3.amazonaws.com/f2/d3eeeb67479f11f8b091b04f6181ad/Summer-holiday-_1_.jpg"
        );
    }

    #[tokio::test]
    async fn https_prefix_passes() {
        let outcome = run("my-bucket", |t| {
            t.url_prefix = Some("https://cdn.example.com/".into())
        })
        .await;
        assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
        assert!(outcome.summary.contains("https://cdn.example.com/f2/"));
    }

    #[tokio::test]
    async fn dotted_bucket_behind_https_virtual_host_warns() {
        let outcome = run("my.dotted.bucket", |t| {
            t.url_prefix = Some("https://my.dotted.bucket.s3.eu-west-1.amazonaws.com/".into());
            t.bucket_region = Some("eu-west-1".into());
        })
        .await;
        assert_eq!(outcome.status, Status::Warn);
        assert!(
            outcome.summary.contains("certificate"),
            "{}",
            outcome.summary
        );
        assert_eq!(outcome.remediation.as_deref(), Some("Set `url_prefix: https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/` (path-style)."));
        let default = run("my.dotted.bucket", |_| {}).await;
        assert!(default
            .remediation
            .unwrap()
            .contains("https://s3.<bucket_region>.amazonaws.com/my.dotted.bucket/"));
    }

    #[tokio::test]
    async fn non_dns_bucket_behind_virtual_host_fails() {
        let outcome = run("My_Bucket", |_| {}).await;
        assert_eq!(outcome.status, Status::Fail);
        assert!(outcome.summary.contains("not a valid DNS label"));
    }

    #[tokio::test]
    async fn unsafe_key_characters_warn() {
        let outcome = run("my-bucket", |t| {
            t.url_prefix = Some("https://cdn.example.com/".into());
            t.path = "${unique_prefix}/${file.name}".into();
        })
        .await;
        assert_eq!(outcome.status, Status::Warn);
        assert!(outcome.remediation.unwrap().contains("${file.url_name}"));
    }

    #[tokio::test]
    async fn custom_endpoint_without_url_prefix_warns() {
        let outcome = run("my-bucket", |t| {
            t.endpoint = Some("http://127.0.0.1:9000".into())
        })
        .await;
        assert_eq!(outcome.status, Status::Warn);
        assert!(outcome
            .remediation
            .unwrap()
            .contains("url_prefix: http://127.0.0.1:9000/my-bucket/"));
    }

    #[tokio::test]
    async fn malformed_inputs_skip_rather_than_pass() {
        assert_eq!(
            run("b-1", |t| t.path = "${oops".into()).await.status,
            Status::Skip
        );
        assert_eq!(
            run("b-1", |t| t.url_prefix = Some("https://x.example".into()))
                .await
                .status,
            Status::Skip
        );
    }
}
