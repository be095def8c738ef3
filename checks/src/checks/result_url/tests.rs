//! `result-url` offline: the default and https prefixes, dotted and non-DNS buckets, unsafe key
//! characters, custom endpoints, doubled prefixes, and malformed input that must not pass.

use super::*;
use crate::Status;

async fn run(bucket: &str, configure: impl FnOnce(&mut Target)) -> Outcome {
    let mut target = Target::new(bucket);
    configure(&mut target);
    ResultUrl.run(&Context::offline(target)).await
}

#[tokio::test]
async fn default_prefix_warns_about_http_and_recommends_https() {
    let outcome = run("my-bucket", |_| {}).await;
    assert_eq!(outcome.status, Status::Warn);
    assert!(
        outcome.summary.contains("plain http://"),
        "{}",
        outcome.summary
    );
    assert_eq!(
        outcome.remediation.as_deref(),
        Some("Set `url_prefix: https://my-bucket.s3.amazonaws.com/`.")
    );
    assert_eq!(
        outcome.evidence["sample_url"],
        "http://my-bucket.s3.amazonaws.com/f2/d3eeeb67479f11f8b091b04f6181ad/Summer-holiday-_1_.jpg"
    );
}

#[tokio::test]
async fn https_prefix_passes() {
    let outcome = run("my-bucket", |t| {
        t.url_prefix = Some("https://cdn.example.com/".into())
    })
    .await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:?}");
    assert!(outcome.summary.contains("https://cdn.example.com/f2/"));
}

#[tokio::test]
async fn dotted_bucket_behind_https_virtual_host_warns() {
    let outcome = run("my.dotted.bucket", |t| {
        t.url_prefix = Some("https://my.dotted.bucket.s3.eu-west-1.amazonaws.com/".into());
        t.bucket_region = Some("eu-west-1".into());
    })
    .await;
    assert_eq!(outcome.status, Status::Warn);
    assert!(
        outcome.summary.contains("certificate"),
        "{}",
        outcome.summary
    );
    assert_eq!(
        outcome.remediation.as_deref(),
        Some(
            "Set `url_prefix: https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/` (path-style)."
        )
    );
    let default = run("my.dotted.bucket", |_| {}).await;
    assert!(default
        .remediation
        .unwrap()
        .contains("https://s3.<bucket_region>.amazonaws.com/my.dotted.bucket/"));
}

#[tokio::test]
async fn non_dns_bucket_behind_virtual_host_fails() {
    let outcome = run("My_Bucket", |_| {}).await;
    assert_eq!(outcome.status, Status::Fail);
    assert!(outcome.summary.contains("not a valid DNS label"));
}

#[tokio::test]
async fn unsafe_key_characters_warn() {
    let outcome = run("my-bucket", |t| {
        t.url_prefix = Some("https://cdn.example.com/".into());
        t.path = "${unique_prefix}/${file.name}".into();
    })
    .await;
    assert_eq!(outcome.status, Status::Warn);
    assert!(outcome.remediation.unwrap().contains("${file.url_name}"));
}

#[tokio::test]
async fn unsafe_characters_in_the_fixed_text_are_blamed_on_it() {
    let outcome = run("my-bucket", |t| {
        t.url_prefix = Some("https://cdn.example.com/".into());
        t.path = "a|b/${unique_prefix}/${file.url_name}".into();
    })
    .await;
    assert_eq!(outcome.status, Status::Warn);
    assert!(
        outcome
            .summary
            .contains("`path` contains `|` in its fixed text"),
        "{}",
        outcome.summary
    );
    let fix = outcome.remediation.unwrap();
    assert!(
        fix.contains("path: a-b/${unique_prefix}/${file.url_name}"),
        "{fix}"
    );
    assert!(!fix.contains("${file.name}"), "{fix}");
}

#[tokio::test]
async fn custom_endpoint_without_url_prefix_warns() {
    let outcome = run("my-bucket", |t| {
        t.endpoint = Some("http://127.0.0.1:9000".into())
    })
    .await;
    assert_eq!(outcome.status, Status::Warn);
    assert!(outcome
        .remediation
        .unwrap()
        .contains("url_prefix: http://127.0.0.1:9000/my-bucket/"));
}

#[tokio::test]
async fn suggestions_use_the_region_meant() {
    let outcome = run("acme-exports", |t| t.bucket_region = Some("EU".into())).await;
    assert_eq!(
        outcome.remediation.as_deref(),
        Some("Set `url_prefix: https://acme-exports.s3.eu-west-1.amazonaws.com/`.")
    );
}

#[tokio::test]
async fn another_store_gets_one_url_prefix_suggestion() {
    let outcome = run("acme-exports", |t| {
        t.endpoint = Some("http://localhost:9000".into())
    })
    .await;
    assert_eq!(outcome.status, Status::Warn);
    assert_eq!(
        outcome.remediation.as_deref(),
        Some("Set `url_prefix` to the URL your store serves the bucket under, e.g. `url_prefix: http://localhost:9000/acme-exports/`.")
    );
}

#[tokio::test]
async fn each_fix_is_said_once() {
    // A non-DNS name behind the default http URL: two findings, one fix.
    let outcome = run("Acme_Exports", |_| {}).await;
    assert_eq!(outcome.status, Status::Fail);
    assert_eq!(
        outcome.remediation.as_deref(),
        Some("To keep using an existing legacy bucket named `Acme_Exports`, address it path-style: set `no_vhost: true` and `url_prefix: https://s3.<bucket_region>.amazonaws.com/Acme_Exports/`.")
    );
    let outcome = run("my.dotted.bucket", |t| {
        t.url_prefix = Some("http://my.dotted.bucket.s3.eu-west-1.amazonaws.com/".into());
        t.bucket_region = Some("eu-west-1".into());
    })
    .await;
    // https:// on that host would fail certificate validation: the path-style prefix.
    assert_eq!(
        outcome.remediation.as_deref(),
        Some(
            "Set `url_prefix: https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/` (path-style)."
        )
    );
}

#[tokio::test]
async fn a_prefix_written_twice_is_found() {
    // At the bucket's endpoint the URL certainly addresses another key.
    let outcome = run("acme-exports", |t| {
        t.url_prefix = Some("https://s3.eu-west-1.amazonaws.com/acme-exports/exports/".into());
        t.path = "exports/${unique_prefix}/${file.url_name}".into();
    })
    .await;
    assert_eq!(outcome.status, Status::Fail, "{outcome:#?}");
    assert!(
        outcome
            .summary
            .contains("URLs address `exports/exports/…` (`exports/` twice)"),
        "{}",
        outcome.summary
    );
    assert_eq!(
        outcome.remediation.as_deref(),
        Some("Set `url_prefix: https://s3.eu-west-1.amazonaws.com/acme-exports/` (`path` already holds the key prefix).")
    );
    // Behind a CDN an origin path could add it back: a warning.
    let outcome = run("acme-exports", |t| {
        t.url_prefix = Some("https://cdn.example.com/acme-exports/exports/".into());
        t.path = "exports/${unique_prefix}/${file.url_name}".into();
    })
    .await;
    assert_eq!(outcome.status, Status::Warn, "{outcome:#?}");
    assert!(
        outcome.summary.contains("`exports/exports/`"),
        "{}",
        outcome.summary
    );
    // Without the repetition, nothing to say.
    let outcome = run("acme-exports", |t| {
        t.url_prefix = Some("https://cdn.example.com/acme-exports/".into());
        t.path = "exports/${unique_prefix}/${file.url_name}".into();
    })
    .await;
    assert_eq!(outcome.status, Status::Pass, "{outcome:#?}");
}

#[tokio::test]
async fn malformed_inputs_skip_rather_than_pass() {
    assert_eq!(
        run("b-1", |t| t.path = "${oops".into()).await.status,
        Status::Skip
    );
    assert_eq!(
        run("b-1", |t| t.url_prefix = Some("https://x.example".into()))
            .await
            .status,
        Status::Skip
    );
}
