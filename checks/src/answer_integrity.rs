//! Refuses answers that cannot have come whole from the service, before any check reads them.
//!
//! The SDK's XML reader takes what it can: an answer cut short, whose length header agrees with
//! the cut, still deserialises into an output with the missing fields absent — and "absent" reads
//! as "not configured" or "not found" (no Block Public Access, no bucket policy, a free probe
//! key). A captive portal or a misconfigured proxy answering `200` with an HTML page to a PUT or
//! a HEAD deserialises into a success. Either would let a check pass on something it never
//! verified. This interceptor turns such answers into errors that name what was wrong, so the
//! checks report them as unverifiable.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Interceptor for every client the session builds (S3, S3 Control, STS, IAM).
#[derive(Debug, Clone, Copy, Default)]
pub struct RejectIncompleteAnswers;

/// Why an answer is not the service's, if it is not.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ForeignAnswer {
    #[error("the answer was cut short: its XML document ends before the closing </{0}>")]
    TruncatedXml(String),
    #[error("the endpoint answered with an HTML page, not the service's answer (a captive portal, proxy or website in the way?)")]
    HtmlPage,
}

/// Object reads return the object's own bytes and type, which may well be HTML or anything else.
fn returns_object_content(operation: &str) -> bool {
    matches!(operation, "GetObject" | "HeadObject")
}

/// Judges one answer: its `Content-Type`, declared `Content-Length` and body, for the named
/// operation. Empty answers labelled `text/html` are normal (some stores label every empty
/// answer so); a page announced by the length of a HEAD answer, or sent as the body, is not.
pub fn judge(
    operation: &str,
    content_type: Option<&str>,
    declared_length: Option<u64>,
    body: &[u8],
) -> Result<(), ForeignAnswer> {
    if returns_object_content(operation) {
        return Ok(());
    }
    let html_type =
        content_type.is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("text/html"));
    let announces_content = declared_length.is_some_and(|n| n > 0) || !body.is_empty();
    match root_element(body) {
        Some(root) if root.eq_ignore_ascii_case("html") => Err(ForeignAnswer::HtmlPage),
        Some(root) if !closes(body, &root) => Err(ForeignAnswer::TruncatedXml(root)),
        Some(_) => Ok(()),
        None if html_type && announces_content => Err(ForeignAnswer::HtmlPage),
        None => Ok(()),
    }
}

/// The name of the document's first element, if the body is markup at all (a bucket policy,
/// for one, is JSON and is left alone).
fn root_element(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim_start();
    if !text.starts_with('<') {
        return None;
    }
    let mut rest = text;
    // Skip the prolog: <?xml …?>, comments and <!DOCTYPE …>.
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").map(|(_, r)| r).unwrap_or("");
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map(|(_, r)| r).unwrap_or("");
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after.split_once('>').map(|(_, r)| r).unwrap_or("");
        } else {
            break;
        }
    }
    let name: String = rest
        .strip_prefix('<')?
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Whether the document ends with its root element closed (`</Root>`, or `<Root …/>` alone).
fn closes(body: &[u8], root: &str) -> bool {
    let text = String::from_utf8_lossy(body);
    let text = text.trim_end();
    if text.ends_with(&format!("</{root}>")) {
        return true;
    }
    let Some(start) = text.find(&format!("<{root}")) else {
        return false;
    };
    // A self-closing root is the whole document: nothing follows its `/>`.
    match text[start..].find('>') {
        Some(end) => start + end + 1 == text.len() && text[..start + end].ends_with('/'),
        None => false,
    }
}

impl Intercept for RejectIncompleteAnswers {
    fn name(&self) -> &'static str {
        "RejectIncompleteAnswers"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(response) = context.response() else {
            return Ok(());
        };
        // A streaming body has not been read here; only object reads stream, and they are exempt.
        let Some(body) = response.body().bytes() else {
            return Ok(());
        };
        let operation = cfg
            .load::<Metadata>()
            .map(Metadata::name)
            .unwrap_or_default();
        let headers = response.headers();
        let declared_length = headers
            .get("content-length")
            .and_then(|v| v.trim().parse().ok());
        judge(
            operation,
            headers.get("content-type"),
            declared_length,
            body,
        )
        .map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_documents_pass() {
        let whole = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>\n";
        assert_eq!(
            judge("GetPublicAccessBlock", Some("application/xml"), None, whole),
            Ok(())
        );
        assert_eq!(
            judge("HeadBucket", Some("application/xml"), Some(0), b""),
            Ok(())
        );
        assert_eq!(
            judge(
                "GetBucketLocation",
                None,
                None,
                b"<LocationConstraint xmlns=\"x\"/>"
            ),
            Ok(())
        );
        assert_eq!(
            judge(
                "GetBucketPolicy",
                Some("application/json"),
                None,
                b"{\"Version\":\"2012-10-17\""
            ),
            Ok(())
        );
    }

    #[test]
    fn empty_answers_labelled_html_pass() {
        // moto (werkzeug) labels every empty answer text/html, PutObject's and HeadBucket's too.
        assert_eq!(
            judge("PutObject", Some("text/html; charset=utf-8"), Some(0), b""),
            Ok(())
        );
        assert_eq!(judge("DeleteObject", Some("text/html"), None, b""), Ok(()));
    }

    #[test]
    fn a_document_cut_short_is_refused() {
        let cut = b"<?xml version=\"1.0\"?><GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:sts::123";
        assert_eq!(
            judge("GetCallerIdentity", Some("text/xml"), None, cut),
            Err(ForeignAnswer::TruncatedXml(
                "GetCallerIdentityResponse".into()
            ))
        );
        assert!(judge(
            "GetBucketPolicy",
            None,
            None,
            b"<Error><Code>NoSuchBucketPolicy</Code><Mess"
        )
        .is_err());
        assert!(judge(
            "GetBucketLocation",
            None,
            None,
            b"<LocationConstraint xmlns=\"x\""
        )
        .is_err());
    }

    #[test]
    fn html_pages_are_refused_except_as_object_content() {
        let page = b"<!DOCTYPE html>\n<html><body>Sign in</body></html>";
        assert_eq!(
            judge("PutObject", Some("text/html; charset=utf-8"), None, page),
            Err(ForeignAnswer::HtmlPage)
        );
        assert_eq!(
            judge("HeadBucket", Some("text/html"), Some(131), b""),
            Err(ForeignAnswer::HtmlPage)
        );
        assert_eq!(
            judge("ListObjectsV2", None, None, page),
            Err(ForeignAnswer::HtmlPage)
        );
        assert_eq!(
            judge("HeadObject", Some("text/html"), Some(131), b""),
            Ok(())
        );
        assert_eq!(judge("GetObject", Some("text/html"), None, page), Ok(()));
    }
}
