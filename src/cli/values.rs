//! The value parsers behind the flags: bucket names, paths, URLs, ARNs, account ids, `NAME=VALUE`
//! pairs; each refuses bad input with what was wrong and what is accepted.

use preflight::probe::MAX_SIGNED_URL_SECONDS;

/// Far beyond any valid value: such input is a paste gone wrong, refused before it reaches a
/// check (and a terminal table that would take minutes to lay out).
const MAX_BUCKET_CHARS: usize = 255;
const MAX_PATH_BYTES: usize = 1024;
const MAX_URL_BYTES: usize = 2048;

pub(super) fn parse_bucket(raw: &str) -> Result<String, String> {
    // The name, `s3://`, an ARN, an S3 URL or the console's: what people paste.
    let found = preflight::bucket_ref::parse(raw)?;
    let name = found.bucket.as_str();
    let chars = name.chars().count();
    if chars > MAX_BUCKET_CHARS {
        return Err(format!(
            "the bucket name is {chars} characters long; S3 bucket names have 3 to 63"
        ));
    }
    if name.is_empty() {
        return Err(
            "the bucket name is empty: give the bucket's name, such as `my-bucket`".to_owned(),
        );
    }
    if found.key.is_some() {
        return Err(format!("'{raw}' includes a path: give only the bucket's name (`{name}`) and the path with --path"));
    }
    Ok(name.to_owned())
}

pub(super) fn parse_sign_urls_for(raw: &str) -> Result<u64, String> {
    let accepted = format!(
        "give whole seconds from 1 to {MAX_SIGNED_URL_SECONDS} (7 days, the longest a presigned S3 URL is valid)"
    );
    match raw.trim().parse::<u64>() {
        Ok(seconds) if (1..=MAX_SIGNED_URL_SECONDS).contains(&seconds) => Ok(seconds),
        _ => Err(accepted),
    }
}

/// A check id from a comma-separated list, as people type it: `a, b` works like `a,b`.
pub(super) fn check_id(raw: &str) -> Result<String, String> {
    Ok(raw.trim().to_owned())
}

pub(super) fn parse_path(raw: &str) -> Result<String, String> {
    if raw.len() > MAX_PATH_BYTES {
        return Err(format!(
            "the path template is {} bytes long; S3 object keys are at most {MAX_PATH_BYTES} bytes",
            raw.len()
        ));
    }
    Ok(raw.to_owned())
}

pub(super) fn parse_principal_arn(raw: &str) -> Result<String, String> {
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && (parts[5].starts_with("user/") || parts[5].starts_with("role/") || parts[5] == "root");
    if valid {
        Ok(raw.to_owned())
    } else {
        Err("expected an IAM user or role ARN, such as arn:aws:iam::111122223333:user/exporter (or an account's arn:aws:iam::111122223333:root)".to_owned())
    }
}

pub(super) fn parse_account_id(raw: &str) -> Result<String, String> {
    if raw.len() == 12 && raw.bytes().all(|b| b.is_ascii_digit()) {
        Ok(raw.to_owned())
    } else {
        Err("expected a 12-digit AWS account id, such as 111122223333".to_owned())
    }
}

pub fn parse_http_url(raw: &str) -> Result<String, String> {
    if raw.len() > MAX_URL_BYTES {
        return Err(format!(
            "the URL is {} bytes long; at most {MAX_URL_BYTES} are accepted",
            raw.len()
        ));
    }
    const ACCEPTED: &str =
        "expected an absolute http:// or https:// URL, such as https://cdn.example.com/";
    match url::Url::parse(raw) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(raw.to_owned())
        }
        Ok(url) if !matches!(url.scheme(), "http" | "https") => Err(format!(
            "the scheme `{}:` is not supported; {ACCEPTED}",
            url.scheme()
        )),
        Ok(_) => Err(format!("it has no host; {ACCEPTED}")),
        Err(err) => Err(format!("{err}; {ACCEPTED}")),
    }
}

/// `NAME=VALUE`, as `--field` and `--credentials` take it.
pub(super) fn parse_assignment(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), value.to_owned()))
        }
        _ => Err("expected NAME=VALUE, such as bucket=acme".to_owned()),
    }
}
