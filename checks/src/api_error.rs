//! One shape for every failed AWS call, so checks reason about status, code and message instead
//! of each operation's error enum.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use std::fmt;

/// An error and its sources as one readable line: each cause once, without Debug dumps.
pub fn error_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = next {
        let text = current.to_string();
        if !parts.iter().any(|p| p.contains(text.as_str())) {
            parts.push(text);
        }
        next = current.source();
    }
    parts.join(": ")
}

/// How a call failed, as far as the caller can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The service answered with an error status.
    Service,
    /// No answer in time.
    Timeout,
    /// The request never got an answer: DNS, connection refused, TLS.
    Network,
    /// Anything else (request construction, credentials, unparseable response).
    Other,
}

/// A failed AWS call, reduced to what checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub kind: FailureKind,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// `x-amz-bucket-region`, which S3 sends even on 301 and 403 answers.
    pub bucket_region: Option<String>,
    /// What to do, when the failure itself tells (a request that never reached its host).
    pub advice: Option<String>,
}

impl ApiFailure {
    pub fn from_sdk<E>(err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut failure = ApiFailure {
            kind: FailureKind::Other,
            status: None,
            code: None,
            message: None,
            bucket_region: None,
            advice: None,
        };
        if let Some(raw) = err.raw_response() {
            failure.status = Some(raw.status().as_u16());
            failure.bucket_region = raw.headers().get("x-amz-bucket-region").map(str::to_owned);
        }
        match err {
            SdkError::ServiceError(service) => {
                failure.kind = FailureKind::Service;
                let inner = service.err();
                failure.code = inner.code().map(str::to_owned);
                failure.message = inner.message().map(str::to_owned);
            }
            SdkError::TimeoutError(_) => failure.kind = FailureKind::Timeout,
            SdkError::DispatchFailure(dispatch) => {
                failure.kind = if dispatch.is_timeout() {
                    FailureKind::Timeout
                } else {
                    FailureKind::Network
                };
                // The host, what happened and what to do, when the session's interceptor could
                // name the host; else the error chain, each cause once.
                match crate::transport_error::find_in(err) {
                    Some(transport) => {
                        failure.message = Some(transport.what_was_tried());
                        failure.advice = Some(transport.advice());
                    }
                    None => failure.message = Some(error_text(err)),
                }
            }
            _ => failure.message = Some(error_text(err)),
        }
        if failure.status.is_some_and(|s| (200..300).contains(&s)) {
            // A success status with a document the SDK cannot read: the endpoint answered some
            // other API (S3-compatible stores do this for APIs they lack).
            failure.kind = FailureKind::Other;
            failure.code = Some("UnreadableAnswer".into());
            failure.message = Some(format!(
                "the endpoint answered {} with a document this API does not return",
                failure.status.unwrap_or_default()
            ));
        }
        failure
    }

    /// The remediation for a failure to get an answer: the failure's own advice when it has
    /// one (such as `--path-style` for a bucket put in front of a `localhost` endpoint), else
    /// `default`.
    pub fn fix_or(&self, default: &str) -> String {
        match &self.advice {
            Some(advice) => {
                let mut chars = advice.chars();
                let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
                format!("{}{}.", first.unwrap_or_default(), chars.as_str())
            }
            None => default.to_owned(),
        }
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// 403, whatever the body says: some 403s (HEAD requests above all) have no body and no code.
    pub fn is_access_denied(&self) -> bool {
        self.status == Some(403) || self.code_is("AccessDenied")
    }

    /// The endpoint does not implement this API (typical of S3-compatible stores).
    pub fn is_not_implemented(&self) -> bool {
        self.status == Some(501)
            || self.code_is("NotImplemented")
            || self.code_is("MethodNotAllowed")
            || self.code_is("UnreadableAnswer")
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FailureKind::Timeout => {
                return f.write_str(self.message.as_deref().unwrap_or("no answer in time"))
            }
            FailureKind::Network | FailureKind::Other => {
                return f.write_str(self.message.as_deref().unwrap_or("request failed"))
            }
            FailureKind::Service => {}
        }
        let parts: Vec<String> = [
            self.status.map(|s| s.to_string()),
            self.code.clone(),
            self.message.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            f.write_str("service error without details")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

impl ApiFailure {
    /// An answer that arrived but does not say what the API promises: never read as "not
    /// configured".
    pub fn unreadable_answer(message: impl Into<String>) -> Self {
        ApiFailure {
            kind: FailureKind::Other,
            status: None,
            code: Some("UnreadableAnswer".into()),
            message: Some(message.into()),
            bucket_region: None,
            advice: None,
        }
    }

    /// A failure that never reached AWS (no session, no region), with its reason.
    pub fn local(message: impl Into<String>) -> Self {
        ApiFailure {
            kind: FailureKind::Other,
            status: None,
            code: None,
            message: Some(message.into()),
            bucket_region: None,
            advice: None,
        }
    }

    /// The region S3 names in a wrong-region answer: the `x-amz-bucket-region` header, or the
    /// `expecting 'X'` of an `AuthorizationHeaderMalformed` message.
    pub fn redirect_region(&self) -> Option<String> {
        if let Some(region) = &self.bucket_region {
            return Some(region.clone());
        }
        let message = self.message.as_deref()?;
        let rest = message.split("expecting '").nth(1)?;
        rest.split('\'')
            .next()
            .map(str::to_owned)
            .filter(|r| !r.is_empty())
    }

    /// A wrong-region answer: 301 PermanentRedirect, or 400 AuthorizationHeaderMalformed from
    /// regions launched after 2019.
    pub fn is_wrong_region(&self) -> bool {
        self.status == Some(301)
            || self.code_is("PermanentRedirect")
            || self.code_is("AuthorizationHeaderMalformed")
            || (self.status == Some(400) && self.bucket_region.is_some())
    }
}
