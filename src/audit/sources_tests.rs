//! Layering of defaults, unique names, and dedup of the same target from several sources.

use super::*;
use crate::audit::config::parse;
use std::path::PathBuf;

fn config(text: &str) -> AuditConfig {
    parse(text, "audit.toml", PathBuf::from(".")).unwrap()
}

fn entry(name: &str, bucket: &str, kind: SourceKind) -> Entry {
    Entry {
        name: name.into(),
        source: Source::new(kind),
        target: Target::new(bucket),
        connection: Connection::default(),
        write: kind != SourceKind::Account,
        problem: None,
        other_store: false,
    }
}

#[test]
fn a_targets_own_values_win_then_the_command_line_then_defaults() {
    let config = config(
        "[defaults]\nacl = \"bucket-default\"\npath = \"d/${file.url_name}\"\nprofile = \"dflt\"\n\
         [[target]]\nbucket = \"own\"\nacl = \"private\"\n\
         [[target]]\nbucket = \"plain\"\n",
    );
    let cli = CliDefaults {
        path: Some("cli/${file.url_name}".into()),
        region: Some("eu-west-1".into()),
        path_style: true,
        ..Default::default()
    };
    let entries = config_entries(&config, &cli, true);
    assert_eq!(entries[0].target.acl, Acl::Private, "the target's own acl");
    assert_eq!(entries[1].target.acl, Acl::BucketDefault, "[defaults] acl");
    assert_eq!(
        entries[1].target.path, "cli/${file.url_name}",
        "the flag beats [defaults]"
    );
    assert_eq!(entries[1].connection.profile.as_deref(), Some("dflt"));
    assert_eq!(entries[1].connection.region.as_deref(), Some("eu-west-1"));
    assert!(entries[1].connection.path_style);
    assert_eq!(entries[0].source.line, Some(5));
    assert_eq!(entries[0].source.file.as_deref(), Some("audit.toml"));
    let bare = config_entries(
        &self::config("[[target]]\nbucket = \"b\"\n"),
        &CliDefaults::default(),
        true,
    );
    assert_eq!(bare[0].target, Target::new("b"), "the Robot's defaults");
}

#[test]
fn the_same_target_from_two_sources_is_one_group_reported_under_both() {
    let groups = group(vec![
        entry("video", "acme-video", SourceKind::Config),
        entry("acme-video", "acme-video", SourceKind::Account),
        entry("other", "acme-other", SourceKind::Config),
    ]);
    assert_eq!(groups.len(), 2);
    let names: Vec<&str> = groups[0].entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["video", "acme-video"]);
    assert!(
        groups[0].write,
        "a configured export target may receive the probe"
    );
    assert_eq!(groups[1].entries.len(), 1);
}

#[test]
fn different_parameters_or_identities_are_different_targets() {
    let mut private = entry("private", "acme", SourceKind::Config);
    private.target.acl = Acl::Private;
    let mut other_profile = entry("as-other", "acme", SourceKind::Config);
    other_profile.connection.profile = Some("other".into());
    let mut elsewhere = entry("elsewhere", "acme", SourceKind::Config);
    elsewhere.connection.endpoint_url = Some("http://127.0.0.1:9000".into());
    let groups = group(vec![
        entry("public", "acme", SourceKind::Config),
        private,
        other_profile,
        elsewhere,
    ]);
    assert_eq!(groups.len(), 4);
}

#[test]
fn a_source_that_failed_is_never_merged() {
    let mut failed = entry("(all buckets)", "", SourceKind::Account);
    failed.problem = Some("ListBuckets answered AccessDenied".into());
    let groups = group(vec![failed.clone(), failed]);
    assert_eq!(groups.len(), 2);
    assert!(groups[0].problem.is_some());
}

#[test]
fn names_are_made_unique_across_sources() {
    let mut entries = vec![
        entry("acme", "acme", SourceKind::Config),
        entry("acme", "acme", SourceKind::Account),
        entry("acme", "acme-2", SourceKind::Account),
    ];
    unique_names(&mut entries);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["acme", "acme [account]", "acme [account] 2"]);
}

/// ListBuckets as S3 documents it: `BucketRegion` per bucket, `ContinuationToken` while more
/// pages follow. (The emulator sends neither.)
fn list_buckets_page(buckets: &[(&str, &str)], token: Option<&str>) -> String {
    let buckets: String = buckets
        .iter()
        .map(|(name, region)| {
            format!("<Bucket><BucketRegion>{region}</BucketRegion><CreationDate>2019-12-11T23:32:47+00:00</CreationDate><Name>{name}</Name></Bucket>")
        })
        .collect();
    let token = token
        .map(|t| format!("<ContinuationToken>{t}</ContinuationToken>"))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets>{buckets}</Buckets><Owner><DisplayName>exports</DisplayName><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner>{token}</ListAllMyBucketsResult>"#
    )
}

async fn replayed_session(
    answer: impl Fn(&str) -> (u16, String) + Send + Sync + 'static,
) -> (Session, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use aws_smithy_types::body::SdkBody;
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let log = seen.clone();
    let client = aws_smithy_http_client::test_util::infallible_client_fn(
        move |request: http::Request<SdkBody>| {
            let uri = request.uri().to_string();
            log.lock().unwrap().push(uri.clone());
            let (status, body) = answer(&uri);
            http::Response::builder()
                .status(status)
                .body(SdkBody::from(body))
                .unwrap()
        },
    );
    let credentials = aws_credential_types::Credentials::new(
        "AKIDREPLAYEXAMPLE",
        "replaySecretKeyThatMustNeverBeShown",
        None,
        None,
        "replay",
    );
    let session = Session::new(preflight::SessionOptions {
        region: Some("us-east-1".into()),
        credentials_provider: Some(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        ),
        http_client: Some(client),
        ..Default::default()
    })
    .await;
    (session, seen)
}

#[tokio::test]
async fn all_buckets_follows_every_page_and_keeps_the_region_s3_names() {
    let (session, seen) = replayed_session(|uri| {
        if uri.contains("continuation-token=page-2") {
            (
                200,
                list_buckets_page(&[("acme-logs", "ap-southeast-2")], None),
            )
        } else {
            (
                200,
                list_buckets_page(
                    &[("acme-video", "eu-west-1"), ("acme-archive", "us-east-1")],
                    Some("page-2"),
                ),
            )
        }
    })
    .await;
    let cli = CliDefaults {
        bucket_region: Some("us-west-2".into()),
        acl: Some(Acl::Private),
        ..Default::default()
    };
    let entries = account_entries(&session, &cli, false).await;
    let found: Vec<(&str, Option<&str>)> = entries
        .iter()
        .map(|e| (e.name.as_str(), e.target.bucket_region.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("acme-video", Some("eu-west-1")),
            ("acme-archive", Some("us-east-1")),
            ("acme-logs", Some("ap-southeast-2")),
        ]
    );
    assert!(entries
        .iter()
        .all(|e| !e.write && e.target.acl == Acl::Private));
    assert!(entries.iter().all(|e| e.source.kind == SourceKind::Account));
    let requests = seen.lock().unwrap().clone();
    assert_eq!(
        requests.len(),
        2,
        "one request per page, none per bucket: {requests:?}"
    );
}

#[tokio::test]
async fn a_refused_listing_is_one_entry_with_the_reason_and_the_permission() {
    let (session, _) = replayed_session(|_| {
        (
            403,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>vjhDA6Mt5bCJ1ERDZyWuDe+Iqfq2BhJKx8CG/SsRE5TwZ5Etd5zIlOxaTjMmGvwzwbVeHwFAXE4=</HostId></Error>"#
                .to_owned(),
        )
    })
    .await;
    let entries = account_entries(&session, &CliDefaults::default(), false).await;
    assert_eq!(entries.len(), 1);
    let problem = entries[0].problem.as_deref().unwrap();
    assert!(problem.contains("AccessDenied"), "{problem}");
    assert!(problem.contains("s3:ListAllMyBuckets"), "{problem}");
    assert!(!problem.contains("replaySecretKey"), "{problem}");
}
