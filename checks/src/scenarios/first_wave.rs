//! The first wave (`facts/first_wave.rs`): its reads really go out together, and an answer it
//! got from a region the bucket turned out not to be in is never used.

use super::{assert_status, run_checks};
use crate::replay::{s3_error, Replay};
use crate::{Context, SessionOptions, Status, Target};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Which requests (`METHOD URI BODY`) the gate holds back.
type Holds = fn(&str) -> bool;

/// Holds answers until the test opens it, and reports each request as it arrives.
#[derive(Debug)]
struct Gate {
    inner: SharedHttpConnector,
    arrivals: mpsc::UnboundedSender<String>,
    open: watch::Receiver<bool>,
    holds: Holds,
}

impl HttpConnector for Gate {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let line = format!("{} {} {body}", request.method(), request.uri());
        let held = (self.holds)(&line);
        let _ = self.arrivals.send(line);
        let (inner, mut open) = (self.inner.clone(), self.open.clone());
        HttpConnectorFuture::new(async move {
            if held {
                let _ = open.wait_for(|open| *open).await;
            }
            inner.call(request).await
        })
    }
}

fn gated(
    arrivals: mpsc::UnboundedSender<String>,
    open: watch::Receiver<bool>,
    holds: Holds,
) -> impl FnOnce(SharedHttpClient) -> SharedHttpClient {
    move |inner| {
        http_client_fn(move |settings, components| {
            SharedHttpConnector::new(Gate {
                inner: inner.http_connector(settings, components),
                arrivals: arrivals.clone(),
                open: open.clone(),
                holds,
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_wave_sends_every_independent_read_before_any_answer_arrives() {
    let (arrivals_tx, mut arrivals) = mpsc::unbounded_channel();
    let (open_tx, open) = watch::channel(false);
    let (session, _) = Replay::new()
        .healthy_bucket("eu-west-1")
        .session_through(
            gated(arrivals_tx, open, |_| true),
            SessionOptions::default(),
        )
        .await;
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    // The anonymous connection the wave opens stays on loopback (a closed port).
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    let ctx = Arc::new(Context::online(target, Arc::new(session)));
    let wave = tokio::spawn({
        let ctx = ctx.clone();
        async move { ctx.prefetch().await }
    });
    // Identity, existence, every configuration read, the export's listing and the probe's
    // listing of leftovers: all of them must
    // be on the wire while not one answer has been let through.
    let expected = [
        "GetCallerIdentity",
        "HEAD ",
        "?publicAccessBlock",
        "?ownershipControls",
        "?versioning",
        "?encryption",
        "?policy",
        "?requestPayment",
        "?object-lock",
        "?replication",
        "?notification",
        "prefix=bucket-preflight-probe-",
        "max-keys=1",
    ];
    let mut seen: Vec<String> = Vec::new();
    let all_arrived = tokio::time::timeout(Duration::from_secs(20), async {
        while !expected.iter().all(|e| seen.iter().any(|s| s.contains(e))) {
            match arrivals.recv().await {
                Some(request) => seen.push(request),
                None => break,
            }
        }
    })
    .await;
    assert!(
        all_arrived.is_ok() && expected.iter().all(|e| seen.iter().any(|s| s.contains(e))),
        "with every answer held back, only these requests were sent: {seen:#?}"
    );
    assert_eq!(seen.len(), expected.len(), "{seen:#?}");
    open_tx.send(true).unwrap();
    wave.await.unwrap();
    // The owner's HeadBucket needs the caller's account, so it comes after the wave.
    let later: Vec<String> = std::iter::from_fn(|| arrivals.try_recv().ok()).collect();
    assert!(later.iter().any(|r| r.starts_with("HEAD ")), "{later:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upload_waits_only_for_the_reads_that_shape_it() {
    // Existence, the listing, object lock and the policy decide whether and how to write; every
    // other read (versioning only decides how to delete) is held back, and the PUT must go out
    // all the same: each read it waited for would cost a round trip on the critical path.
    let shaping = [
        "GetCallerIdentity",
        "HEAD ",
        "list-type=2",
        "?object-lock",
        "?policy",
    ];
    let (arrivals_tx, mut arrivals) = mpsc::unbounded_channel();
    let (open_tx, open) = watch::channel(false);
    let (session, _) = Replay::new()
        .healthy_bucket("eu-west-1")
        .session_through(
            gated(arrivals_tx, open, |line| {
                line.starts_with("GET ")
                    && line.contains("/?")
                    && !["?list-type", "?object-lock", "?policy"]
                        .iter()
                        .any(|shaping| line.contains(shaping))
            }),
            SessionOptions::default(),
        )
        .await;
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    let ctx = Arc::new(Context::online(target, Arc::new(session)));
    let run = tokio::spawn({
        let ctx = ctx.clone();
        async move {
            futures::join!(ctx.prefetch(), ctx.probe());
        }
    });
    let mut seen: Vec<String> = Vec::new();
    let put_sent = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(request) = arrivals.recv().await {
            let is_put = request.starts_with("PUT ");
            seen.push(request);
            if is_put {
                return;
            }
        }
    })
    .await;
    assert!(
        put_sent.is_ok(),
        "with only {shaping:?} answered, the probe's PUT did not go out; sent: {seen:#?}"
    );
    open_tx.send(true).unwrap();
    run.await.unwrap();
    let report = ctx.probe().await;
    assert!(
        matches!(report.cleanup, crate::probe::Cleanup::Deleted),
        "the probe is still removed: {:?}",
        report.cleanup
    );
}

#[tokio::test]
async fn answers_from_the_region_the_bucket_is_not_in_are_discarded() {
    // The wave asks us-east-1 (no bucket_region, the session's region) while HeadBucket is
    // under way. That region answers with a configuration unlike the bucket's own — answers
    // that must never reach a check once HeadBucket names eu-west-1.
    let wrong = "s3.us-east-1.amazonaws.com";
    let replay = Replay::new()
        .on("HEAD", wrong, 301, &[("x-amz-bucket-region", "eu-west-1")], "")
        .on("GET", &format!("{wrong}/?versioning"), 200, &[], r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#)
        .on("GET", &format!("{wrong}/?requestPayment"), 200, &[], r#"<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Payer>Requester</Payer></RequestPaymentConfiguration>"#)
        .on("GET", wrong, 301, &[("x-amz-bucket-region", "eu-west-1")], &s3_error("PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint."))
        .healthy_bucket("eu-west-1");
    let (session, log) = replay.session(SessionOptions::default()).await;
    let mut target = Target::new("my-bucket");
    target.url_prefix = Some("http://127.0.0.1:9/my-bucket/".into());
    let ctx = Context::online(target, Arc::new(session));
    ctx.prefetch().await;
    let requests = log.lock().unwrap().clone();
    assert!(
        requests
            .iter()
            .any(|r| r.contains(&format!("{wrong}/?versioning"))),
        "the wave asked the region known so far: {requests:#?}"
    );
    assert_eq!(
        ctx.versioning().await.as_ref().unwrap(),
        &crate::facts::Versioning::NeverEnabled
    );
    assert!(!ctx.requester_pays().await.as_ref().unwrap());
    let outcomes = run_checks(&ctx).await;
    assert_status(&outcomes, "requester-pays", Status::Pass, "");
    assert_status(&outcomes, "list-objects", Status::Pass, "allowed");
    assert_status(&outcomes, "dry-run-put", Status::Pass, "");
    let requests = log.lock().unwrap().clone();
    for fact in ["?versioning", "?requestPayment", "?policy", "list-type=2"] {
        assert!(
            requests
                .iter()
                .any(|r| r.contains("s3.eu-west-1.amazonaws.com") && r.contains(fact)),
            "{fact} asked again in the bucket's region: {requests:#?}"
        );
    }
}
