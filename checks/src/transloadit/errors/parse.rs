//! Reading a failed export's error, in whichever form the person holds it: an Assembly Status
//! JSON, the Node SDK's one-line error, S3's error XML, a bare error code, or the text of an
//! enhanced AccessDenied message. Only the fields named here are read: an Assembly Status also
//! carries the steps' parameters (inline keys and secrets), which are never looked at.

use super::{find_store_code, Failure, InputKind};
use crate::denial::Denial;
use crate::error_codes;
use serde_json::Value;

/// What `diagnose` accepts, for the error that refuses anything else.
pub const ACCEPTED: &str = "an Assembly Status JSON (with `error`, `message`, `reason`, `ignored_errors`), the Transloadit SDK's one-line error (`API error (HTTP 403) S3_STORE_ACCESS_DENIED: …`), an S3 error XML (`<Error><Code>…`), an error code (such as S3_STORE_WRONG_REGION or AccessControlListNotSupported), or the text of an AccessDenied message (`User: ARN is not authorized to perform: ACTION on resource: …`)";

/// Input that holds no error this tool knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{why}; expected {ACCEPTED}")]
pub struct Unrecognised {
    pub why: String,
}

fn unrecognised(why: impl Into<String>) -> Unrecognised {
    Unrecognised { why: why.into() }
}

/// Reads the failure from `input`.
pub fn parse(input: &str) -> Result<Failure, Unrecognised> {
    let text = input.trim().trim_start_matches('\u{feff}');
    if text.is_empty() {
        return Err(unrecognised("the input is empty"));
    }
    let mut failure = if text.starts_with('{') {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            unrecognised(format!(
                "the input looks like JSON but is not valid JSON (line {}, column {}: {e})",
                e.line(),
                e.column()
            ))
        })?;
        from_assembly_status(&value)?
    } else if text.starts_with('<') {
        from_xml(text)?
    } else {
        from_text(text)
    };
    if failure.transloadit_code.is_none() && failure.aws_code.is_none() && failure.denial.is_none()
    {
        return Err(unrecognised(match failure.kind {
            InputKind::AssemblyStatus => "the JSON holds no error code this tool knows (no `error` or `ignored_errors[].error`)".to_owned(),
            InputKind::S3Xml => "the XML holds no S3 error code this tool knows".to_owned(),
            _ => "the text names no error code this tool knows".to_owned(),
        }));
    }
    fill_from_denial(&mut failure);
    Ok(failure)
}

/// `{"error": CODE, "message", "reason", "step", "http_code", "assembly_ssl_url",
/// "ignored_errors": [{"step", "error", "message"}]}`: the Assembly's error, or else the first
/// ignored error this tool knows; the other errors are kept as one line each.
fn from_assembly_status(value: &Value) -> Result<Failure, Unrecognised> {
    if !value.is_object() {
        return Err(unrecognised("the JSON is not an object"));
    }
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut errors: Vec<&Value> = Vec::new();
    if value.get("error").and_then(Value::as_str).is_some() {
        errors.push(value);
    }
    if let Some(ignored) = value.get("ignored_errors").and_then(Value::as_array) {
        errors.extend(
            ignored
                .iter()
                .filter(|e| e.get("error").and_then(Value::as_str).is_some()),
        );
    }
    let known = |e: &&Value| {
        let code = text(e, "error").unwrap_or_default();
        find_store_code(&code).is_some() || error_codes::find(&code).is_some()
    };
    let main = errors
        .iter()
        .copied()
        .find(known)
        .or(errors.first().copied());
    let mut failure = Failure::new(InputKind::AssemblyStatus);
    if let Some(main) = main {
        let code = text(main, "error").unwrap_or_default();
        set_code(&mut failure, &code);
        failure.message = text(main, "message");
        failure.reason = text(main, "reason");
        failure.step = text(main, "step").or_else(|| text(main, "stepName"));
        failure.http_status = main
            .get("http_code")
            .or_else(|| value.get("http_code"))
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok());
        let (message, reason) = (failure.message.clone(), failure.reason.clone());
        for part in [message, reason].into_iter().flatten() {
            scan(&mut failure, &part);
        }
    }
    failure.assembly_url = text(value, "assembly_ssl_url").or_else(|| text(value, "assembly_url"));
    for other in errors
        .iter()
        .filter(|e| !main.is_some_and(|m| std::ptr::eq(**e, m)))
    {
        let step = text(other, "step")
            .map(|s| format!("step {s}: "))
            .unwrap_or_default();
        let message = text(other, "message")
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        failure.other_errors.push(format!(
            "{step}{}{message}",
            text(other, "error").unwrap_or_default()
        ));
    }
    Ok(failure)
}

/// `<Error><Code>…</Code><Message>…</Message><BucketName>…</BucketName>…</Error>`.
fn from_xml(text: &str) -> Result<Failure, Unrecognised> {
    let document = roxmltree::Document::parse(text).map_err(|e| {
        unrecognised(format!(
            "the input looks like XML but is not valid XML ({e})"
        ))
    })?;
    let root = document.root_element();
    if root.tag_name().name() != "Error" {
        return Err(unrecognised(format!(
            "the XML's root element is <{}>, not S3's <Error>",
            root.tag_name().name()
        )));
    }
    let child = |name: &str| {
        root.children()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    };
    let mut failure = Failure::new(InputKind::S3Xml);
    if let Some(code) = child("Code") {
        set_code(&mut failure, &code);
    }
    failure.message = child("Message");
    failure.bucket = child("BucketName").or_else(|| child("Bucket"));
    failure.key = child("Key");
    // AuthorizationHeaderMalformed names the bucket's region; PermanentRedirect its endpoint.
    failure.region = child("Region");
    if let Some(endpoint) = child("Endpoint") {
        failure.region = failure.region.or_else(|| region_of_host(&endpoint));
        failure.endpoint = Some(endpoint);
    }
    if let Some(message) = failure.message.clone() {
        scan(&mut failure, &message);
    }
    Ok(failure)
}

/// The SDK's `API error (HTTP 403) CODE: message URL`, an AccessDenied message, a bare code,
/// or any text that names one.
fn from_text(text: &str) -> Failure {
    const SDK_PREFIX: &str = "API error (HTTP ";
    let mut failure = Failure::new(InputKind::Text);
    if let Some(at) = text.find(SDK_PREFIX) {
        failure.kind = InputKind::SdkError;
        let rest = &text[at + SDK_PREFIX.len()..];
        if let Some((status, rest)) = rest.split_once(')') {
            failure.http_status = status.trim().parse().ok();
            let rest = rest.trim_start();
            let (code, message) = rest.split_once(':').unwrap_or((rest, ""));
            set_code(&mut failure, code.trim());
            let mut message = message.trim().to_owned();
            // The SDK ends the line with the Assembly's URL.
            if let Some(url_at) = message.rfind("http") {
                let url = message[url_at..].trim();
                if !url.contains(char::is_whitespace) && url.contains("/assemblies/") {
                    failure.assembly_url = Some(url.to_owned());
                    message.truncate(url_at);
                }
            }
            let message = message.trim().to_owned();
            if !message.is_empty() {
                failure.message = Some(message);
            }
        }
    } else if !text.contains(char::is_whitespace) {
        failure.kind = InputKind::Code;
    } else if text.contains(" is not authorized to perform: ") {
        failure.kind = InputKind::AccessDeniedMessage;
        failure.message = Some(text.to_owned());
    } else {
        failure.message = Some(text.to_owned());
    }
    scan(&mut failure, text);
    failure
}

/// Records `code` as a Transloadit code or an AWS code, whichever it is.
fn set_code(failure: &mut Failure, code: &str) {
    let code = code.trim().trim_matches(|c: char| !c.is_alphanumeric());
    if code.is_empty() {
        return;
    }
    if find_store_code(code).is_some() {
        failure
            .transloadit_code
            .get_or_insert_with(|| code.to_ascii_uppercase());
    } else if let Some(known) = error_codes::find(code) {
        failure
            .aws_code
            .get_or_insert_with(|| known.code.to_owned());
    } else if code.contains('_')
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
    {
        // An Assembly code this tool has no causes for: kept, so the report can name it.
        failure.unknown_code.get_or_insert_with(|| code.to_owned());
    }
}

/// Picks out of free text what it names: codes, an enhanced AccessDenied, a region.
fn scan(failure: &mut Failure, text: &str) {
    if failure.denial.is_none() {
        if let Some(at) = text.find("User: ") {
            failure.denial = Denial::parse(text[at..].trim_end());
        }
    }
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')) {
        let word = word.trim_matches('.');
        if word.len() < 5 {
            continue;
        }
        if find_store_code(word).is_some() && word.contains('_') {
            failure
                .transloadit_code
                .get_or_insert_with(|| word.to_ascii_uppercase());
        } else if let Some(known) = error_codes::find(word) {
            // Codes are CamelCase: a lower-case word in a sentence is not one.
            if word.chars().next().is_some_and(char::is_uppercase) {
                failure
                    .aws_code
                    .get_or_insert_with(|| known.code.to_owned());
            }
        }
    }
    // S3's own text for a bare denial is "Access Denied". Behind a Transloadit code the same
    // words may be Transloadit's, covering bad keys and refused ACLs too: not read as S3's.
    if failure.aws_code.is_none()
        && failure.transloadit_code.is_none()
        && text.to_ascii_lowercase().contains("access denied")
    {
        failure.aws_code = Some("AccessDenied".to_owned());
    }
    if failure.aws_code.is_none() && failure.denial.is_some() {
        failure.aws_code = Some("AccessDenied".to_owned());
    }
    if failure.region.is_none() {
        failure.region = region_in_text(text);
    }
}

/// The bucket's region as S3's messages name it: `expecting 'eu-west-1'` (AuthorizationHeader
/// Malformed), `The eu-west-1 location constraint` (IllegalLocationConstraintException), an
/// endpoint host `BUCKET.s3.eu-west-1.amazonaws.com` (PermanentRedirect), `x-amz-bucket-region:`.
fn region_in_text(text: &str) -> Option<String> {
    let quoted_after = |marker: &str| {
        let rest = &text[text.find(marker)? + marker.len()..];
        let rest = rest.trim_start_matches(['\'', '"', ' ']);
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))?;
        Some(rest[..end].to_owned())
    };
    let candidates = [
        quoted_after("expecting "),
        quoted_after("x-amz-bucket-region:"),
        quoted_after("bucket is in this region:"),
        text.find(" location constraint")
            .and_then(|end| text[..end].rsplit(' ').next().map(str::to_owned)),
    ];
    candidates
        .into_iter()
        .flatten()
        .chain(
            text.split_whitespace().filter_map(|word| {
                region_of_host(word.trim_matches(['.', ',', '"', '\'', '<', '>']))
            }),
        )
        .find(|r| crate::target::is_region_code(r))
}

/// `BUCKET.s3.eu-west-1.amazonaws.com`, `s3-eu-west-1.amazonaws.com`,
/// `s3.dualstack.eu-west-1.amazonaws.com` → `eu-west-1`.
fn region_of_host(host: &str) -> Option<String> {
    let host = host
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()?;
    let labels: Vec<&str> = host.split('.').collect();
    let at = labels
        .iter()
        .position(|l| *l == "s3" || l.starts_with("s3-"))?;
    let label = labels[at];
    let region = match label.strip_prefix("s3-") {
        Some(region) => region,
        None => {
            let next = labels.get(at + 1)?;
            if *next == "dualstack" {
                labels.get(at + 2)?
            } else {
                next
            }
        }
    };
    crate::target::is_region_code(region).then(|| region.to_owned())
}

/// The bucket and key an AccessDenied names in its resource ARN.
fn fill_from_denial(failure: &mut Failure) {
    let Some(resource) = failure.denial.as_ref().and_then(|d| d.resource.clone()) else {
        return;
    };
    let Some((_, path)) = resource.split_once(":s3:::") else {
        return;
    };
    let (bucket, key) = match path.split_once('/') {
        Some((bucket, key)) => (bucket, Some(key)),
        None => (path, None),
    };
    if !bucket.is_empty() && !bucket.contains('*') {
        failure.bucket.get_or_insert_with(|| bucket.to_owned());
    }
    if let Some(key) = key.filter(|k| !k.is_empty() && !k.contains('*')) {
        failure.key.get_or_insert_with(|| key.to_owned());
    }
}
