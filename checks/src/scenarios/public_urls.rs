//! `public-url` over a whole replayed bucket, with its result URL on a loopback server: what the
//! run reads, and how the check judges it.

use super::{assert_status, run};
use crate::checks::public_url::PublicUrl;
use crate::loopback_http::serve;
use crate::probe::PROBE_BODY;
use crate::public_read::read_anonymously;
use crate::replay::Replay;
use crate::{Acl, Check, Context, Outcome, SessionOptions, Status, Target};
use std::sync::Arc;

const KEY: &str = "bucket-preflight-probe.txt";

fn assert_outcome(outcome: &Outcome, status: Status, needle: &str) {
    let text = format!(
        "{} {}",
        outcome.summary,
        outcome.remediation.as_deref().unwrap_or_default()
    );
    assert_eq!(outcome.status, status, "{outcome:#?}");
    assert!(text.contains(needle), "{text:?} lacks {needle:?}");
}

#[tokio::test]
async fn every_run_reads_a_url_no_cache_has_seen() {
    let (base, seen) = serve("200 OK", &[], PROBE_BODY).await;
    let url = format!("{base}{KEY}");
    read_anonymously(&url).await;
    read_anonymously(&url).await;
    let lines = seen.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_ne!(lines[0], lines[1]);
    for line in &lines {
        assert!(
            line.starts_with(&format!("GET /{KEY}?x-bucket-preflight=")),
            "{line}"
        );
    }
}

/// Runs `public-url` against a replayed bucket whose result URL is a loopback server.
async fn run_check(replay: Replay, url_prefix: String, acl: Acl) -> Outcome {
    let mut target = Target::new("my-bucket");
    target.bucket_region = Some("eu-west-1".into());
    target.url_prefix = Some(url_prefix);
    target.acl = acl;
    let (session, _) = replay.session(SessionOptions::default()).await;
    let ctx = Context::online(target, Arc::new(session));
    PublicUrl.run(&ctx).await
}

#[tokio::test]
async fn a_cdn_refusing_private_files_is_no_pass() {
    // `url_prefix` at a CDN (a loopback host is not the bucket's endpoint) answering 403:
    // the users Transloadit hands the URL to cannot open the file.
    let (cdn, _) = serve("403 Forbidden", &[], b"").await;
    let outcome = run_check(Replay::new().healthy_bucket("eu-west-1"), cdn, Acl::Private).await;
    assert_outcome(&outcome, Status::Fail, "does not serve the file");
    assert_eq!(outcome.evidence["url_prefix_at_bucket_endpoint"], false);
}

#[tokio::test]
async fn the_answer_says_whether_a_cache_gave_it() {
    let (cdn, _) = serve(
        "200 OK",
        &["X-Cache: Hit from cloudfront", "Age: 86399"],
        PROBE_BODY,
    )
    .await;
    let outcome = run_check(Replay::new().healthy_bucket("eu-west-1"), cdn, Acl::Public).await;
    assert_outcome(&outcome, Status::Error, "from a cache (Age: 86399)");
    let detail = outcome.detail.as_deref().unwrap_or_default();
    assert!(
        detail.contains("the answer came from a cache (Age: 86399, X-Cache: Hit from cloudfront)"),
        "{detail}"
    );
    assert_eq!(outcome.evidence["cached"], true);
    let (cdn, _) = serve("200 OK", &["X-Cache: Miss from cloudfront"], PROBE_BODY).await;
    let outcome = run_check(Replay::new().healthy_bucket("eu-west-1"), cdn, Acl::Public).await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
    assert!(outcome
        .detail
        .unwrap()
        .contains("not from a cache (X-Cache: Miss from cloudfront)"));
}

#[tokio::test]
async fn ignored_public_acls_with_a_public_bucket_policy_pass() {
    // `acl: public`, IgnorePublicAcls on, BlockPublicAcls off, and a bucket policy that
    // lets anyone read: the upload works and the file is served.
    let replay = Replay::new()
        .on("GET", "?publicAccessBlock", 200, &[], r#"<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>false</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#)
        .on("GET", "?policy", 200, &[], r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#)
        .healthy_bucket("eu-west-1");
    let (server, _) = serve("200 OK", &[], PROBE_BODY).await;
    let outcome = run_check(replay, format!("{server}my-bucket/"), Acl::Public).await;
    assert_outcome(&outcome, Status::Pass, "anyone can read stored files");
}

/// Answers every request on loopback with 200 and a page that is not the stored file.
fn website_answering_everything() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4).flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = "<html>Welcome</html>";
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}/")
}

#[tokio::test]
async fn a_200_that_is_not_the_file_proves_nothing() {
    // A website in front of the bucket answering every path: the URL does not serve the file.
    let url_prefix = website_answering_everything();
    let (outcomes, _) = run(
        Replay::new().healthy_bucket("eu-west-1"),
        SessionOptions::default(),
        |t| t.url_prefix = Some(url_prefix),
    )
    .await;
    assert_status(
        &outcomes,
        "public-url",
        Status::Fail,
        "not with the stored file",
    );
}
