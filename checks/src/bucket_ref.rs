//! The ways people name a bucket when they paste it: the bare name, `s3://name` (any case), a
//! bucket ARN of any partition, a virtual-hosted or path-style S3 URL (with or without the
//! scheme), or the S3 console's URL. Each is read back to the bucket's name, and to the object
//! key when the paste names a file.

/// What a pasted reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRef {
    pub bucket: String,
    /// The object key, when the reference names a file (`s3://b/exports/x.jpg`).
    pub key: Option<String>,
}

/// Reads a pasted bucket reference. `Err` only for what names no bucket at all.
pub fn parse(raw: &str) -> Result<BucketRef, String> {
    let trimmed = raw.trim();
    let lower = trimmed.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("s3://").map(|_| &trimmed[5..]) {
        return Ok(split_path(rest));
    }
    if let Some((_, rest)) = trimmed
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":s3:::"))
    {
        return Ok(split_path(rest));
    }
    let has_scheme = lower.starts_with("https://") || lower.starts_with("http://");
    // A host pasted without its scheme: `acme.s3.amazonaws.com/...`.
    let looks_like_s3_host = lower
        .split('/')
        .next()
        .is_some_and(|host| s3_host(host).is_some() || host.contains("console.aws.amazon.com"));
    if has_scheme || looks_like_s3_host {
        let with_scheme = if has_scheme {
            trimmed.to_owned()
        } else {
            format!("https://{trimmed}")
        };
        if let Ok(url) = url::Url::parse(&with_scheme) {
            if let Some(found) = from_url(&url) {
                return Ok(found);
            }
        }
        return Err(format!(
            "'{raw}' is a URL that names no S3 bucket: give the bucket's name, such as `my-bucket`"
        ));
    }
    Ok(split_path(trimmed))
}

/// `bucket/key...` → the bucket and the key (if any).
fn split_path(text: &str) -> BucketRef {
    let text = text.trim_start_matches('/');
    match text.split_once('/') {
        Some((bucket, key)) if !key.trim_matches('/').is_empty() => BucketRef {
            bucket: bucket.to_owned(),
            key: Some(key.to_owned()),
        },
        Some((bucket, _)) => BucketRef {
            bucket: bucket.to_owned(),
            key: None,
        },
        None => BucketRef {
            bucket: text.to_owned(),
            key: None,
        },
    }
}

/// For an S3 endpoint host: `Some(bucket)` when virtual-hosted (`b.s3.eu-west-1.amazonaws.com`),
/// `Some("")` when path-style (`s3.eu-west-1.amazonaws.com`); `None` for any other host.
fn s3_host(host: &str) -> Option<&str> {
    let host = host.strip_suffix(".cn").unwrap_or(host);
    let host = host.strip_suffix(".amazonaws.com")?;
    // The service label: `s3`, `s3-REGION`, `s3.REGION`, `s3.dualstack.REGION`, `s3-website...`.
    let labels: Vec<&str> = host.split('.').collect();
    let at = labels
        .iter()
        .position(|label| *label == "s3" || label.starts_with("s3-"))?;
    if labels[at].starts_with("s3-website") || labels[at].starts_with("s3-accesspoint") {
        return None;
    }
    Some(match at {
        0 => "",
        _ => {
            let bucket_end = labels[..at].iter().map(|l| l.len() + 1).sum::<usize>() - 1;
            &host[..bucket_end]
        }
    })
}

fn from_url(url: &url::Url) -> Option<BucketRef> {
    let host = url.host_str()?.to_ascii_lowercase();
    let path = url.path().trim_start_matches('/');
    // https://s3.console.aws.amazon.com/s3/buckets/BUCKET?region=... (or /s3/object/BUCKET?prefix=)
    if host.ends_with("console.aws.amazon.com") {
        let mut segments = path.split('/');
        while let Some(segment) = segments.next() {
            if matches!(segment, "buckets" | "object") {
                let bucket = segments.next().filter(|b| !b.is_empty())?;
                return Some(BucketRef {
                    bucket: bucket.to_owned(),
                    key: None,
                });
            }
        }
        return None;
    }
    match s3_host(&host)? {
        "" => (!path.is_empty()).then(|| split_path(path)),
        bucket => Some(BucketRef {
            bucket: bucket.to_owned(),
            key: Some(path.to_owned()).filter(|k| !k.trim_matches('/').is_empty()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(raw: &str) -> (String, Option<String>) {
        let found = parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        (found.bucket, found.key)
    }

    #[test]
    fn every_pasted_form_names_the_bucket() {
        for raw in [
            "acme-exports",
            "s3://acme-exports",
            "S3://acme-exports/",
            "arn:aws:s3:::acme-exports",
            "arn:aws-cn:s3:::acme-exports",
            "https://acme-exports.s3.amazonaws.com/",
            "http://acme-exports.s3.eu-west-1.amazonaws.com",
            "https://acme-exports.s3-eu-west-1.amazonaws.com/",
            "acme-exports.s3.amazonaws.com",
            "https://s3.eu-west-1.amazonaws.com/acme-exports/",
            "https://s3.amazonaws.com/acme-exports",
            "https://acme-exports.s3.dualstack.eu-west-1.amazonaws.com/",
            "https://acme-exports.s3.cn-north-1.amazonaws.com.cn/",
            "https://s3.console.aws.amazon.com/s3/buckets/acme-exports?region=eu-west-1&tab=objects",
            "https://eu-west-1.console.aws.amazon.com/s3/buckets/acme-exports",
        ] {
            assert_eq!(bucket(raw), ("acme-exports".into(), None), "{raw}");
        }
        // Dotted names keep their dots.
        assert_eq!(
            bucket("https://media.acme.com.s3.amazonaws.com/"),
            ("media.acme.com".into(), None)
        );
    }

    #[test]
    fn a_file_url_names_bucket_and_key() {
        assert_eq!(
            bucket("https://acme-exports.s3.amazonaws.com/exports/a.jpg"),
            ("acme-exports".into(), Some("exports/a.jpg".into()))
        );
        assert_eq!(
            bucket("s3://acme-exports/exports/a.jpg"),
            ("acme-exports".into(), Some("exports/a.jpg".into()))
        );
        assert_eq!(
            bucket("https://s3.amazonaws.com/acme-exports/exports/"),
            ("acme-exports".into(), Some("exports/".into()))
        );
    }

    #[test]
    fn urls_of_other_sites_are_refused() {
        assert!(parse("https://cdn.example.com/files/").is_err());
        assert!(parse("https://s3.amazonaws.com/").is_err());
        assert!(parse("https://acme.s3-website-eu-west-1.amazonaws.com/").is_err());
    }
}
