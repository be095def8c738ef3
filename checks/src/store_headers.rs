//! The store step's `headers` and `tags`: what they add to every upload (an encryption header,
//! `Content-*` headers, object tags), which of them S3 refuses or the tool must never send, and
//! the concrete values the dry-run probe sends where a value holds Assembly variables.
//!
//! Sources: Transloadit's `/s3/store` schema (`headers`: a record of strings, default
//! `{"Content-Type": "${file.mime}"}`, Assembly variables allowed; `tags`: a record of strings,
//! "up to 10 tags", unique keys), PutObject
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html>) and the tag rules of
//! S3 object tagging (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html>).

use crate::path_template::{self, Piece};
use crate::{Findings, Target};

/// Transloadit's limit, which is S3's limit per object.
pub const MAX_TAGS: usize = 10;
/// S3: a tag key is 1 to 128 Unicode characters.
pub const MAX_TAG_KEY_CHARS: usize = 128;
/// S3: a tag value is 0 to 256 Unicode characters.
pub const MAX_TAG_VALUE_CHARS: usize = 256;
/// The characters S3 accepts in tags besides letters, digits and spaces.
const TAG_PUNCTUATION: &str = "+-=._:/@";

pub const SSE_HEADER: &str = "x-amz-server-side-encryption";
pub const SSE_KMS_KEY_HEADER: &str = "x-amz-server-side-encryption-aws-kms-key-id";
/// The values S3 accepts in `x-amz-server-side-encryption`.
pub const SSE_VALUES: [&str; 3] = ["AES256", "aws:kms", "aws:kms:dsse"];

/// What the probe's content is, and so what `${file.mime}` stands for in its headers.
pub const PROBE_MIME: &str = "text/plain";

/// Headers the HTTP client or the request signer writes for every file: a fixed value in the
/// step is wrong for all files but one (lengths, digests) or breaks the signature. The tool
/// never sends them from the step.
const CLIENT_OWNED: [&str; 11] = [
    "authorization",
    "host",
    "content-length",
    "content-md5",
    "expect",
    "transfer-encoding",
    "connection",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "x-amz-decoded-content-length",
];

/// The value of header `name` (case-insensitive) in the step's headers.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// The `x-amz-server-side-encryption` value every upload sends, if the step sets one.
pub fn step_sse(target: &Target) -> Option<&str> {
    header(&target.headers, SSE_HEADER)
}

/// The KMS key every upload names in `x-amz-server-side-encryption-aws-kms-key-id`.
pub fn step_kms_key(target: &Target) -> Option<&str> {
    header(&target.headers, SSE_KMS_KEY_HEADER)
}

/// The tags every upload sends: `tags`, or else those in an `x-amz-tagging` header.
pub fn request_tags(target: &Target) -> Vec<(String, String)> {
    if !target.tags.is_empty() {
        return target.tags.clone();
    }
    match header(&target.headers, "x-amz-tagging") {
        Some(query) => url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        None => Vec::new(),
    }
}

/// Whether `name` is a header the client or signer owns (never sent from the step).
fn is_client_owned(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    CLIENT_OWNED.contains(&lower.as_str()) || lower.starts_with("x-amz-checksum-")
}

/// `--header 'Name: value'`: a header name (an HTTP token) and a value on one line.
pub fn parse_header_arg(raw: &str) -> Result<(String, String), String> {
    let Some((name, value)) = raw.split_once(':') else {
        return Err(format!(
            "'{raw}' is not a header: write it as 'Name: value', e.g. 'x-amz-server-side-encryption: aws:kms'"
        ));
    };
    let (name, value) = (name.trim(), value.trim());
    validate_header(name, value)?;
    Ok((name.to_owned(), value.to_owned()))
}

/// A header S3 could receive: a token name and a one-line value.
pub fn validate_header(name: &str, value: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!(
            "'{name}' is not a valid header name: use letters, digits and - (e.g. Content-Type, x-amz-meta-origin)"
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "the value of header {name} holds a line break or control character; header values are one line"
        ));
    }
    Ok(())
}

/// `--tag KEY=VALUE`.
pub fn parse_tag_arg(raw: &str) -> Result<(String, String), String> {
    let Some((key, value)) = raw.split_once('=') else {
        return Err(format!(
            "'{raw}' is not a tag: write it as KEY=VALUE, e.g. project=acme"
        ));
    };
    validate_tag(key, value)?;
    Ok((key.to_owned(), value.to_owned()))
}

/// One tag against S3's rules. Assembly variables (`${...}`) are accepted in values: their
/// fixed parts are checked; what they expand to is only known per file.
pub fn validate_tag(key: &str, value: &str) -> Result<(), String> {
    let accepted = format!(
        "letters, digits, spaces and {}",
        TAG_PUNCTUATION
            .chars()
            .map(String::from)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let keys = key.chars().count();
    if keys == 0 || keys > MAX_TAG_KEY_CHARS {
        return Err(format!(
            "tag key '{key}' has {keys} characters; S3 accepts 1 to {MAX_TAG_KEY_CHARS}"
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!(
            "tag key '{key}' starts with aws:, which AWS reserves for its own tags"
        ));
    }
    if let Some(bad) = key.chars().find(|c| !is_tag_char(*c)) {
        return Err(format!(
            "tag key '{key}' contains {bad:?}; S3 accepts {accepted}"
        ));
    }
    let fixed: String = match path_template::parse(value) {
        Ok(pieces) => pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Literal(text) => Some(*text),
                Piece::Variable(_) => None,
            })
            .collect(),
        Err(_) => value.to_owned(),
    };
    let values = value.chars().count();
    if fixed.chars().count() > MAX_TAG_VALUE_CHARS {
        return Err(format!(
            "the value of tag '{key}' has {values} characters; S3 accepts at most {MAX_TAG_VALUE_CHARS}"
        ));
    }
    if let Some(bad) = fixed.chars().find(|c| !is_tag_char(*c)) {
        return Err(format!(
            "the value of tag '{key}' contains {bad:?}; S3 accepts {accepted}"
        ));
    }
    Ok(())
}

/// All tags: each valid, unique keys, at most ten.
pub fn validate_tags(tags: &[(String, String)]) -> Result<(), String> {
    if tags.len() > MAX_TAGS {
        return Err(format!(
            "{} tags given; an object holds at most {MAX_TAGS} (S3's limit, and Transloadit's)",
            tags.len()
        ));
    }
    for (index, (key, value)) in tags.iter().enumerate() {
        validate_tag(key, value)?;
        if tags[..index].iter().any(|(k, _)| k == key) {
            return Err(format!(
                "tag key '{key}' is given twice; an object's tag keys are unique"
            ));
        }
    }
    Ok(())
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || TAG_PUNCTUATION.contains(c)
}

/// `value` with its Assembly variables replaced for the probe: `${file.mime}` by the probe's
/// own type, others by the sample the `result-url` preview shows. The second part names the
/// substitution, when there was one.
pub fn probe_value(value: &str) -> (String, Option<String>) {
    if !value.contains("${") {
        return (value.to_owned(), None);
    }
    let concrete = match path_template::parse(value) {
        Ok(pieces) => pieces
            .iter()
            .map(|piece| match piece {
                Piece::Literal(text) => (*text).to_owned(),
                Piece::Variable("file.mime") => PROBE_MIME.to_owned(),
                Piece::Variable(name) => path_template::render_sample(&format!("${{{name}}}"))
                    .unwrap_or_else(|| (*name).to_owned()),
            })
            .collect(),
        Err(_) => value.to_owned(),
    };
    let note = format!("{value} as {concrete}");
    (concrete, Some(note))
}

/// A tag value for the probe: variables replaced, and characters S3 refuses in tags made `_`
/// (a sample file name holds brackets; real names may too — see [`problems`]).
fn probe_tag_value(value: &str) -> String {
    probe_value(value)
        .0
        .chars()
        .map(|c| if is_tag_char(c) { c } else { '_' })
        .collect()
}

/// What the probe sends because of the step's `headers` and `tags`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeHeaders {
    /// Every header from the step that the probe sends, with variables made concrete.
    pub headers: Vec<(String, String)>,
    /// The `x-amz-tagging` value (URL-encoded), if the step tags files.
    pub tagging: Option<String>,
    /// How variables were made concrete (`Content-Type: ${file.mime} as text/plain`).
    pub substitutions: Vec<String>,
    /// Headers of the step the probe leaves out, because the client or signer owns them.
    pub left_out: Vec<String>,
}

impl ProbeHeaders {
    /// The headers as `Name: value` for reports; values of secret headers (an SSE-C key) are
    /// never shown.
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .headers
            .iter()
            .map(|(name, value)| {
                if is_secret(name) {
                    format!("{name}: (not shown)")
                } else {
                    format!("{name}: {value}")
                }
            })
            .collect();
        if let Some(tagging) = &self.tagging {
            lines.push(format!("x-amz-tagging: {tagging}"));
        }
        lines
    }
}

/// Headers whose value is a secret: SSE-C keys, credentials.
pub fn is_secret(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    lower.ends_with("customer-key") || lower == "authorization" || lower == "x-amz-security-token"
}

/// The headers and tagging the probe sends for `target`.
pub fn probe_headers(target: &Target) -> ProbeHeaders {
    let mut out = ProbeHeaders::default();
    for (name, value) in &target.headers {
        let lower = name.trim().to_ascii_lowercase();
        if is_client_owned(&lower) || lower == "x-amz-tagging" {
            if lower != "x-amz-tagging" {
                out.left_out.push(name.trim().to_owned());
            }
            continue;
        }
        let (concrete, note) = probe_value(value.trim());
        if let Some(note) = note {
            out.substitutions.push(format!("{}: {note}", name.trim()));
        }
        out.headers.push((name.trim().to_owned(), concrete));
    }
    let tags = request_tags(target);
    if !tags.is_empty() {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &tags {
            query.append_pair(key, &probe_tag_value(value));
        }
        out.tagging = Some(query.finish());
    }
    out
}

/// What S3 would refuse, or what contradicts another parameter, in the step's `headers` and
/// `tags`: failures (every upload refused, or the tool would have to send what it never
/// sends) and warnings.
pub fn problems(target: &Target, found: &mut Findings) {
    for (name, value) in &target.headers {
        if let Err(why) = validate_header(name.trim(), value) {
            found.fail(
                format!("`headers`: {why}"),
                "Correct the header in the store step's `headers`.",
            );
        }
    }
    let client_owned: Vec<&str> = target
        .headers
        .iter()
        .map(|(n, _)| n.trim())
        .filter(|n| is_client_owned(n))
        .collect();
    if !client_owned.is_empty() {
        found.fail(
            format!("`headers` sets {}, which the client computes for each file (a fixed value breaks the request's signature or is wrong for every other file); the dry run does not send it", client_owned.join(", ")),
            format!("Remove {} from `headers`; for a checksum S3 verifies, set `check_integrity: true` instead.", client_owned.join(", ")),
        );
    }
    let acl_header = header(&target.headers, "x-amz-acl");
    match (acl_header, target.acl.canned_header()) {
        (Some(given), Some(from_acl)) if !given.eq_ignore_ascii_case(from_acl) => found.fail(
            format!("`headers` sends x-amz-acl: {given}, but `acl: {}` sends x-amz-acl: {from_acl}: the two contradict each other", target.acl),
            "Remove x-amz-acl from `headers` and choose the ACL with `acl` (public, public-read, private or bucket-default).",
        ),
        (Some(given), None) => found.fail(
            format!("`headers` sends x-amz-acl: {given}, although `acl: bucket-default` promises no ACL header (uploads then need s3:PutObjectAcl, and buckets with ACLs disabled refuse them)"),
            "Remove x-amz-acl from `headers` and choose the ACL with `acl` (public, public-read, private or bucket-default).",
        ),
        _ => {}
    }
    let grants: Vec<&str> = target
        .headers
        .iter()
        .map(|(n, _)| n.trim())
        .filter(|n| n.to_ascii_lowercase().starts_with("x-amz-grant-"))
        .collect();
    if !grants.is_empty() && target.acl.canned_header().is_some() {
        found.fail(
            format!("`headers` sends {} together with the canned ACL of `acl: {}`; S3 refuses uploads that carry both (400 InvalidRequest)", grants.join(", "), target.acl),
            "Remove the x-amz-grant-* headers, or set `acl: bucket-default` so that only the grants are sent.",
        );
    }
    if header(&target.headers, "x-amz-tagging").is_some() && !target.tags.is_empty() {
        found.fail(
            "`headers` sends x-amz-tagging and `tags` sets tags too: the upload can carry only one tag set",
            "Remove x-amz-tagging from `headers` and keep the tags in `tags`.",
        );
    }
    let sse = step_sse(target);
    if let Some(sse) = sse.filter(|v| !SSE_VALUES.contains(v)) {
        found.fail(
            format!("`headers` sends {SSE_HEADER}: {sse}; S3 accepts only {} and refuses every upload with another value (400 InvalidArgument)", SSE_VALUES.join(", ")),
            format!("Set {SSE_HEADER} to aws:kms (a KMS key) or AES256 (S3-managed keys)."),
        );
    }
    if step_kms_key(target).is_some() && !sse.is_some_and(|v| v.starts_with("aws:kms")) {
        found.fail(
            format!("`headers` names a KMS key in {SSE_KMS_KEY_HEADER} without {SSE_HEADER}: aws:kms; S3 refuses such uploads (400 InvalidArgument)"),
            format!("Add \"{SSE_HEADER}\": \"aws:kms\" to `headers`."),
        );
    }
    let non_ascii: Vec<&str> = target
        .headers
        .iter()
        .filter(|(n, v)| n.to_ascii_lowercase().starts_with("x-amz-meta-") && !v.is_ascii())
        .map(|(n, _)| n.trim())
        .collect();
    if !non_ascii.is_empty() {
        found.warn(
            format!("`headers` gives {} a value with non-ASCII characters, which S3 user metadata does not support (Transloadit's docs say so too): the stored value is mangled", non_ascii.join(", ")),
            "Keep x-amz-meta-* values ASCII (encode others, e.g. as URL-encoded text).",
        );
    }
    if let Err(why) = validate_tags(&target.tags) {
        found.fail(
            format!("`tags`: {why}"),
            "Correct the store step's `tags`: S3 rejects the whole upload for one bad tag (400 InvalidTag).",
        );
    }
    let risky: Vec<&str> = target
        .tags
        .iter()
        .filter(|(_, v)| v.contains("${file.name") || v.contains("${file.original_name"))
        .map(|(k, _)| k.as_str())
        .collect();
    if !risky.is_empty() {
        found.warn(
            format!("tag {} takes its value from the file name, which may hold characters S3 refuses in tags (brackets, commas, quotes): such a file's upload fails with 400 InvalidTag", risky.join(", ")),
            "Use ${file.url_name} (only letters, digits, - and _) in tag values instead of ${file.name}.",
        );
    }
}

#[cfg(test)]
#[path = "store_headers_tests.rs"]
mod tests;
