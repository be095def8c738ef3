//! The run's request timeline: when each HTTP request started and ended, relative to the
//! session's start, with its operation and host — so that `-vv` shows what waited on what.
//!
//! An SDK interceptor registered on every client records each attempt; the anonymous GET of the
//! result URL (not an SDK call) is recorded by [`Timeline::record`]. Only operation names,
//! hosts and status codes are kept: no header, no query, nothing secret.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One request (one attempt, when the SDK retries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestTiming {
    /// The API operation (`HeadBucket`), or `GET` for the anonymous read.
    pub operation: String,
    pub host: String,
    /// Milliseconds since the session started.
    pub start_ms: u64,
    pub end_ms: u64,
    /// The HTTP status; `None` when no answer came (timeout, refused connection).
    pub status: Option<u16>,
}

/// Every request of a session, in the order they ended.
#[derive(Debug, Clone)]
pub struct Timeline {
    origin: Instant,
    /// `None` when recording is off ([`Timeline::off`]).
    entries: Option<Arc<Mutex<Vec<RequestTiming>>>>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            origin: Instant::now(),
            entries: Some(Arc::default()),
        }
    }
}

impl Timeline {
    /// A timeline that records nothing: for a session shared by a long run that never shows
    /// its timeline (an audit of thousands of targets would otherwise hold every request's
    /// timing until it ends).
    pub fn off() -> Self {
        Timeline {
            origin: Instant::now(),
            entries: None,
        }
    }

    fn ms_since_origin(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.origin).as_millis() as u64
    }

    /// Records a request made outside the SDK.
    pub fn record(
        &self,
        operation: &str,
        host: &str,
        started: Instant,
        ended: Instant,
        status: Option<u16>,
    ) {
        let Some(entries) = &self.entries else {
            return;
        };
        let entry = RequestTiming {
            operation: operation.to_owned(),
            host: host.to_owned(),
            start_ms: self.ms_since_origin(started),
            end_ms: self.ms_since_origin(ended),
            status,
        };
        entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }

    /// The requests so far, by start time.
    pub fn requests(&self) -> Vec<RequestTiming> {
        let Some(entries) = &self.entries else {
            return Vec::new();
        };
        let mut all = entries.lock().unwrap_or_else(|e| e.into_inner()).clone();
        all.sort_by_key(|r| (r.start_ms, r.end_ms));
        all
    }

    /// The interceptor that records every attempt of a client it is registered on.
    pub fn interceptor(&self) -> RecordTimings {
        RecordTimings(self.clone())
    }
}

/// When the current attempt was handed to the HTTP client, and to which host.
#[derive(Debug)]
struct AttemptStarted(Option<(Instant, String)>);

impl Storable for AttemptStarted {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug)]
pub struct RecordTimings(Timeline);

impl Intercept for RecordTimings {
    fn name(&self) -> &'static str {
        "RecordTimings"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.0.entries.is_none() {
            return Ok(()); // recording is off: not even the host is worth parsing
        }
        // The request is gone by the time the attempt ends: take its host now.
        let host = url::Url::parse(context.request().uri())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        cfg.interceptor_state()
            .store_put(AttemptStarted(Some((Instant::now(), host))));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some((started, host)) = cfg.load::<AttemptStarted>().and_then(|s| s.0.clone()) else {
            return Ok(());
        };
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_owned())
            .unwrap_or_default();
        let status = context.response().map(|r| r.status().as_u16());
        self.0
            .record(&operation, &host, started, Instant::now(), status);
        cfg.interceptor_state().store_put(AttemptStarted(None));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::replay::Replay;
    use crate::session::SessionOptions;

    /// HeadBucket through a replayed session; returns the operations its timeline kept.
    async fn recorded(options: SessionOptions) -> Vec<String> {
        let (session, log) = Replay::new()
            .healthy_bucket("eu-west-1")
            .session(options)
            .await;
        let s3 = session.s3(Some("eu-west-1")).await.expect("credentials");
        s3.head_bucket()
            .bucket("my-bucket")
            .send()
            .await
            .expect("a 200");
        assert_eq!(log.lock().unwrap().len(), 1, "the request was sent");
        let started = std::time::Instant::now();
        session.timeline().record(
            "GET",
            "my-bucket.s3.amazonaws.com",
            started,
            started,
            Some(403),
        );
        session
            .timeline()
            .requests()
            .into_iter()
            .map(|r| r.operation)
            .collect()
    }

    #[tokio::test]
    async fn a_session_without_timeline_keeps_no_request_and_others_keep_each() {
        assert_eq!(
            recorded(SessionOptions::default()).await,
            ["HeadBucket", "GET"]
        );
        let off = SessionOptions {
            without_timeline: true,
            ..SessionOptions::default()
        };
        assert!(recorded(off).await.is_empty());
    }
}
