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
