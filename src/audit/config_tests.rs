//! Config parsing: the documented example, and every way a config can be wrong.

use super::*;

fn parse_ok(text: &str) -> AuditConfig {
    parse(text, "audit.toml", PathBuf::from(".")).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(text: &str) -> String {
    parse(text, "audit.toml", PathBuf::from(".")).expect_err("should be rejected")
}

const EXAMPLE: &str = r#"
[defaults]                # any target field
acl = "bucket-default"

[credentials]             # Template Credential name -> how to get the keys locally
acme_s3 = { profile = "exporter" }

[[target]]
name = "video-exports"    # optional; defaults to the bucket
bucket = "acme-video"
acl = "public"
bucket_region = "eu-west-1"
path = "videos/${unique_prefix}/${file.url_name}"
url_prefix = "https://cdn.acme.com/"
profile = "exporter"

[[target]]
bucket = "acme-archive"
role_arn = "arn:aws:iam::111122223333:role/preflight"
endpoint_url = "http://127.0.0.1:9000"
path_style = true

[[templates]]
path = "templates/*.json"
"#;

#[test]
fn the_documented_example_parses() {
    let config = parse_ok(EXAMPLE);
    assert_eq!(config.defaults.acl, Some(Acl::BucketDefault));
    assert_eq!(
        config.credentials["acme_s3"].profile.as_deref(),
        Some("exporter")
    );
    assert_eq!(config.targets.len(), 2);
    let video = &config.targets[0];
    assert_eq!(
        (video.name.as_str(), video.bucket.as_str(), video.line),
        ("video-exports", "acme-video", 8)
    );
    assert_eq!(video.fields.acl, Some(Acl::Public));
    assert_eq!(
        video.fields.url_prefix.as_deref(),
        Some("https://cdn.acme.com/")
    );
    let archive = &config.targets[1];
    assert_eq!(
        archive.name, "acme-archive",
        "the name defaults to the bucket"
    );
    assert_eq!(archive.line, 17);
    assert_eq!(archive.fields.path_style, Some(true));
    assert_eq!(
        config.templates,
        [TemplateGlob {
            pattern: "templates/*.json".into(),
            line: 23
        }]
    );
}

#[test]
fn an_empty_file_has_no_targets() {
    let config = parse_ok("");
    assert!(config.targets.is_empty() && config.templates.is_empty());
}

#[test]
fn an_unknown_key_in_a_target_names_the_line_and_the_accepted_keys() {
    let err = parse_err(
        "[[target]]\nbucket = \"a\"\n\n[[target]]\nbucket = \"b\"\nbucket_regon = \"eu-west-1\"\n",
    );
    assert!(
        err.starts_with("audit.toml:6: unknown field `bucket_regon`"),
        "{err}"
    );
    assert!(err.contains("`bucket_region`"), "{err}");
    assert!(err.contains("`role_arn`"), "{err}");
}

#[test]
fn an_unknown_top_level_section_names_the_accepted_sections() {
    let err = parse_err("[[targets]]\nbucket = \"a\"\n");
    assert!(
        err.starts_with("audit.toml:1: unknown field `targets`"),
        "{err}"
    );
    assert!(
        err.contains("`target`") && err.contains("`templates`"),
        "{err}"
    );
    assert!(err.contains("singular"), "{err}");
}

#[test]
fn an_unknown_key_in_defaults_and_credentials_is_rejected() {
    let err = parse_err("[defaults]\nregion = \"eu-west-1\"\n");
    assert!(
        err.starts_with("audit.toml:2: unknown field `region`"),
        "{err}"
    );
    let err = parse_err("[credentials]\nacme = { profile = \"x\", secret = \"y\" }\n");
    assert!(
        err.starts_with("audit.toml:2: unknown field `secret`"),
        "{err}"
    );
    assert!(err.contains("`profile`"), "{err}");
    let err = parse_err("[[templates]]\nglob = \"*.json\"\n");
    assert!(
        err.starts_with("audit.toml:2: unknown field `glob`"),
        "{err}"
    );
}

#[test]
fn a_wrong_type_names_the_line_and_what_was_expected() {
    let err = parse_err("[[target]]\nbucket = \"a\"\npath_style = \"yes\"\n");
    assert!(err.starts_with("audit.toml:3:"), "{err}");
    assert!(err.contains("bool"), "{err}");
    let err = parse_err("[[target]]\nbucket = 42\n");
    assert!(err.starts_with("audit.toml:2:"), "{err}");
    assert!(err.contains("string"), "{err}");
    let err = parse_err("target = \"acme\"\n");
    assert!(err.starts_with("audit.toml:1:"), "{err}");
}

#[test]
fn a_target_without_bucket_is_rejected_with_the_accepted_keys() {
    let err =
        parse_err("[[target]]\nbucket = \"a\"\n\n[[target]]\nname = \"b\"\nacl = \"private\"\n");
    assert!(
        err.starts_with("audit.toml:4: this [[target]] has no `bucket`"),
        "{err}"
    );
    assert!(err.contains("name, bucket, acl, bucket_region"), "{err}");
    let err = parse_err("[[target]]\nbucket = \" \"\n");
    assert!(err.contains("empty `bucket`"), "{err}");
}

#[test]
fn bad_values_are_rejected_where_they_are() {
    let err = parse_err("[[target]]\nbucket = \"a\"\nacl = \"public-write\"\n");
    assert!(err.starts_with("audit.toml:3:"), "{err}");
    assert!(
        err.contains("public, public-read, private, bucket-default"),
        "{err}"
    );
    let err = parse_err("[[target]]\nbucket = \"a\"\nurl_prefix = \"cdn.acme.com/\"\n");
    assert!(
        err.starts_with("audit.toml:3:") && err.contains("http"),
        "{err}"
    );
    let err = parse_err("[[target]]\nbucket = \"a\"\nrole_arn = \"preflight\"\n");
    assert!(
        err.starts_with("audit.toml:3:") && err.contains("role ARN"),
        "{err}"
    );
    let err = parse_err("[defaults]\nendpoint_url = \"ftp://x\"\n");
    assert!(
        err.starts_with("audit.toml:2:") && err.contains("`ftp:`"),
        "{err}"
    );
    let long = "x".repeat(1025);
    let err = parse_err(&format!("[[target]]\nbucket = \"a\"\npath = \"{long}\"\n"));
    assert!(err.contains("1024 bytes"), "{err}");
}

#[test]
fn name_and_bucket_cannot_be_defaults() {
    let err = parse_err("[defaults]\nacl = \"private\"\nbucket = \"a\"\n");
    assert!(
        err.starts_with("audit.toml:1: `bucket` cannot be a default"),
        "{err}"
    );
}

#[test]
fn two_targets_with_one_name_are_rejected() {
    let err = parse_err("[[target]]\nbucket = \"a\"\n[[target]]\nname = \"a\"\nbucket = \"b\"\n");
    assert!(
        err.starts_with("audit.toml:3: a second target named `a`"),
        "{err}"
    );
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn malformed_toml_names_the_line() {
    let err = parse_err("[[target]]\nbucket = \"a\"\nacl = \n");
    assert!(err.starts_with("audit.toml:3:"), "{err}");
}

#[test]
fn a_missing_file_is_named() {
    let err = load(Path::new("/nonexistent/audit.toml")).unwrap_err();
    assert!(
        err.starts_with("cannot read --config /nonexistent/audit.toml"),
        "{err}"
    );
}
