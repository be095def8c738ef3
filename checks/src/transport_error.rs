//! Failures to reach a server, said the way a person can act on them: which host was tried,
//! what happened (the name does not resolve, nothing listens, no answer in time, TLS refused),
//! and what to do — never the HTTP stack's debug dump.
//!
//! The SDK's connector errors do not name the host, so [`NameTheHost`] (an interceptor on every
//! client the session builds) notes the host of each attempt and wraps a connector error in a
//! [`TransportFailure`] that does; [`crate::api_error::ApiFailure`] reads it back from there.
//! `public_read` describes its own (reqwest) failures with the same [`TransportFailure`].

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::fmt;
use std::net::IpAddr;

/// What went wrong on the way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportProblem {
    /// The host name does not resolve.
    Dns,
    /// The host answered that nothing listens on the port.
    Refused,
    /// No answer in time.
    Timeout,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// Anything else; the detail says what.
    Other,
}

/// A request that never got an answer: the host it went to, what happened, the underlying text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportFailure {
    /// `host` or `host:port`, as the request addressed it.
    pub host: String,
    pub problem: TransportProblem,
    /// The error chain as text (one line, each cause once), for the reader who wants it.
    pub detail: String,
}

impl TransportFailure {
    /// Classifies an error chain's text; `timed_out` when the caller already knows it timed out.
    pub fn new(host: impl Into<String>, detail: impl Into<String>, timed_out: bool) -> Self {
        let detail = detail.into();
        let lower = detail.to_ascii_lowercase();
        let problem = if timed_out || lower.contains("timed out") || lower.contains("timeout") {
            TransportProblem::Timeout
        } else if lower.contains("dns error")
            || lower.contains("failed to lookup address")
            || lower.contains("name or service not known")
            || lower.contains("nodename nor servname")
            || lower.contains("no such host")
        {
            TransportProblem::Dns
        } else if lower.contains("connection refused") {
            TransportProblem::Refused
        } else if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("ssl")
            || lower.contains("handshake")
        {
            TransportProblem::Tls
        } else {
            TransportProblem::Other
        };
        TransportFailure {
            host: host.into(),
            problem,
            detail,
        }
    }

    /// The host without its port.
    fn host_name(&self) -> &str {
        let host = self.host.trim_start_matches('[');
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
                name.trim_end_matches(']')
            }
            _ => host.trim_end_matches(']'),
        }
    }

    /// Whether the host is a bucket name put in front of a `localhost` or IP endpoint
    /// (`acme.localhost`, `acme.127.0.0.1`): virtual-hosted addressing, which such an endpoint
    /// cannot serve.
    pub fn is_bucket_in_front_of_local_endpoint(&self) -> bool {
        let Some((_, rest)) = self.host_name().split_once('.') else {
            return false;
        };
        rest.eq_ignore_ascii_case("localhost")
            || rest.to_ascii_lowercase().ends_with(".localhost")
            || rest.parse::<IpAddr>().is_ok()
    }

    /// What to do about it.
    pub fn advice(&self) -> String {
        match self.problem {
            TransportProblem::Dns if self.is_bucket_in_front_of_local_endpoint() => format!(
                "the bucket was put in the host name (virtual-hosted addressing), which a `localhost` or IP endpoint cannot serve: pass --path-style so that requests go to {}/BUCKET",
                self.host.split_once('.').map_or(self.host.as_str(), |(_, rest)| rest)
            ),
            TransportProblem::Dns => "check the host name (--endpoint-url, AWS_ENDPOINT_URL, the profile's endpoint_url) and this machine's DNS".to_owned(),
            TransportProblem::Refused => "check that the store is running and listening on that port (--endpoint-url)".to_owned(),
            TransportProblem::Timeout => "check the network path (proxy, firewall, VPN) and run again".to_owned(),
            TransportProblem::Tls => "check the server's certificate (a proxy that inspects TLS needs its CA trusted), or use http:// for a local store".to_owned(),
            TransportProblem::Other => "check the network path (proxy, firewall, --endpoint-url) and run again".to_owned(),
        }
    }

    fn what_happened(&self) -> String {
        match self.problem {
            TransportProblem::Dns => {
                "the host name does not resolve (DNS lookup failed)".to_owned()
            }
            TransportProblem::Refused => {
                "the connection was refused: nothing listens there".to_owned()
            }
            TransportProblem::Timeout => "no answer in time".to_owned(),
            TransportProblem::Tls => format!("the TLS handshake failed ({})", self.detail),
            TransportProblem::Other => self.detail.clone(),
        }
    }
}

impl TransportFailure {
    /// The host and what happened, without the advice: "could not reach HOST: …".
    pub fn what_was_tried(&self) -> String {
        format!("could not reach {}: {}", self.host, self.what_happened())
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.what_was_tried(), self.advice())
    }
}

impl std::error::Error for TransportFailure {}

/// The host of a URL, with its port when it has one.
pub fn host_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// The host an attempt went to, noted before it was sent.
#[derive(Debug, Clone)]
struct AttemptedHost(String);

impl Storable for AttemptedHost {
    type Storer = StoreReplace<Self>;
}

/// Interceptor for every client the session builds: connector errors name the host tried.
#[derive(Debug, Clone, Copy, Default)]
pub struct NameTheHost;

impl Intercept for NameTheHost {
    fn name(&self) -> &'static str {
        "NameTheHost"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(host) = host_of(context.request().uri()) {
            cfg.interceptor_state().store_put(AttemptedHost(host));
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(AttemptedHost(host)) = cfg.load::<AttemptedHost>().cloned() else {
            return Ok(());
        };
        let Some(Err(error)) = context.output_or_error_mut() else {
            return Ok(());
        };
        let Some(connector) = error.as_connector_error() else {
            return Ok(());
        };
        let failure = TransportFailure::new(
            host,
            crate::api_error::error_text(connector),
            connector.is_timeout(),
        );
        // The same kind of connector error, so that retries and timeouts are judged as before.
        let source: BoxError = Box::new(failure);
        let named = if connector.is_timeout() {
            ConnectorError::timeout(source)
        } else if connector.is_io() {
            ConnectorError::io(source)
        } else if connector.is_user() {
            ConnectorError::user(source)
        } else {
            ConnectorError::other(source, connector.as_other())
        };
        *error = OrchestratorError::connector(named);
        Ok(())
    }
}

/// The [`TransportFailure`] somewhere in an error's chain of sources, if any.
pub fn find_in<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a TransportFailure> {
    let mut next: Option<&'a (dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = next {
        if let Some(found) = current.downcast_ref::<TransportFailure>() {
            return Some(found);
        }
        next = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_told_apart() {
        let cases = [
            ("io error: client error (Connect): dns error: failed to lookup address information: Name or service not known", false, TransportProblem::Dns),
            ("io error: client error (Connect): tcp connect error: Connection refused (os error 111)", false, TransportProblem::Refused),
            ("io error: client error (Connect): invalid peer certificate: UnknownIssuer", false, TransportProblem::Tls),
            ("anything", true, TransportProblem::Timeout),
            ("connection reset by peer", false, TransportProblem::Other),
        ];
        for (text, timed_out, problem) in cases {
            assert_eq!(
                TransportFailure::new("h", text, timed_out).problem,
                problem,
                "{text}"
            );
        }
    }

    #[test]
    fn a_bucket_in_front_of_a_local_endpoint_asks_for_path_style() {
        let dns = "dns error: failed to lookup address information";
        for host in [
            "acme.localhost:9000",
            "acme.127.0.0.1:9000",
            "acme.localhost",
        ] {
            let failure = TransportFailure::new(host, dns, false);
            let text = failure.to_string();
            assert!(text.contains(host), "{text}");
            assert!(text.contains("--path-style"), "{text}");
            assert!(text.contains("does not resolve"), "{text}");
        }
        let elsewhere = TransportFailure::new("s3.eu-wst-1.amazonaws.com", dns, false);
        assert!(!elsewhere.to_string().contains("--path-style"));
        let refused = TransportFailure::new(
            "127.0.0.1:9",
            "tcp connect error: Connection refused (os error 111)",
            false,
        );
        assert!(refused.to_string().contains("nothing listens"), "{refused}");
    }
}
