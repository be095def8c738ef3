//! The audit's config file (TOML): `[defaults]`, `[credentials]`, `[[target]]` and
//! `[[templates]]`, parsed strictly. Every mistake (an unknown key, a wrong type, a target
//! without `bucket`, a bad URL or ARN) is an error naming the file, the line and what is
//! accepted, never a silently ignored setting.

use crate::cli::parse_http_url;
use preflight::Acl;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The keys a `[[target]]` accepts (`[defaults]` takes the same, except `name` and `bucket`).
pub const TARGET_KEYS: &[&str] = &[
    "name",
    "bucket",
    "acl",
    "bucket_region",
    "path",
    "url_prefix",
    "profile",
    "role_arn",
    "endpoint_url",
    "path_style",
];

/// The store parameters and connection of a target, each optional: a `[[target]]`, or the
/// `[defaults]` every target falls back to.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFields {
    pub name: Option<String>,
    pub bucket: Option<String>,
    #[serde(default, deserialize_with = "acl")]
    pub acl: Option<Acl>,
    pub bucket_region: Option<String>,
    #[serde(default, deserialize_with = "path_template")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "http_url")]
    pub url_prefix: Option<String>,
    pub profile: Option<String>,
    #[serde(default, deserialize_with = "role_arn")]
    pub role_arn: Option<String>,
    #[serde(default, deserialize_with = "http_url")]
    pub endpoint_url: Option<String>,
    pub path_style: Option<bool>,
}

/// How to get the keys a Template's Credential names, locally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSource {
    pub profile: Option<String>,
    #[serde(default, deserialize_with = "role_arn")]
    pub role_arn: Option<String>,
    #[serde(default, deserialize_with = "http_url")]
    pub endpoint_url: Option<String>,
    pub path_style: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatesEntry {
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    defaults: Option<Spanned<TargetFields>>,
    #[serde(default)]
    credentials: BTreeMap<String, CredentialSource>,
    #[serde(default)]
    target: Vec<Spanned<TargetFields>>,
    #[serde(default)]
    templates: Vec<Spanned<TemplatesEntry>>,
}

/// A `[[target]]`: its fields (with `bucket` and `name` set) and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigTarget {
    pub name: String,
    pub bucket: String,
    pub fields: TargetFields,
    /// 1-based line of the `[[target]]` header.
    pub line: u32,
}

/// A `[[templates]]` glob, relative to the config file's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateGlob {
    pub pattern: String,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditConfig {
    /// The file as given on the command line, for messages and report locations.
    pub file: String,
    /// The directory template globs are relative to.
    pub dir: PathBuf,
    pub defaults: TargetFields,
    pub credentials: BTreeMap<String, CredentialSource>,
    pub targets: Vec<ConfigTarget>,
    pub templates: Vec<TemplateGlob>,
}

/// Reads and parses `path`.
pub fn load(path: &Path) -> Result<AuditConfig, String> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read --config {file}: {e}"))?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    parse(&text, &file, dir)
}

/// Parses a config file's `text`; `file` names it in errors.
pub fn parse(text: &str, file: &str, dir: PathBuf) -> Result<AuditConfig, String> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        let mut message = e.message().trim_end().to_owned();
        if message.contains("expected one of") {
            message = format!("{message}{}", hint_for(&message));
        } else if let Some(section) = section_at(text, e.span().map(|s| s.start).unwrap_or(0)) {
            message = format!(
                "{message} (in {section}; it accepts {})",
                accepted(&section)
            );
        }
        format!("{file}:{line}: {message}")
    })?;
    let mut defaults = TargetFields::default();
    if let Some(spanned) = raw.defaults {
        let line = line_of(text, spanned.span().start);
        let fields = spanned.into_inner();
        for (key, set) in [
            ("name", fields.name.is_some()),
            ("bucket", fields.bucket.is_some()),
        ] {
            if set {
                return Err(format!(
                    "{file}:{line}: `{key}` cannot be a default: set it in each [[target]] ([defaults] accepts {})",
                    accepted("[defaults]")
                ));
            }
        }
        defaults = fields;
    }
    let mut targets: Vec<ConfigTarget> = Vec::new();
    for spanned in raw.target {
        let line = line_of(text, spanned.span().start);
        let fields = spanned.into_inner();
        let bucket = match fields.bucket.as_deref().map(str::trim) {
            Some(bucket) if !bucket.is_empty() => bucket.to_owned(),
            Some(_) => {
                return Err(format!(
                    "{file}:{line}: this [[target]] has an empty `bucket`: give the bucket's name, such as \"acme-exports\""
                ))
            }
            None => {
                return Err(format!(
                    "{file}:{line}: this [[target]] has no `bucket`: every target names its bucket (a [[target]] accepts {})",
                    accepted("[[target]]")
                ))
            }
        };
        let name = fields.name.clone().unwrap_or_else(|| bucket.clone());
        if name.trim().is_empty() {
            return Err(format!(
                "{file}:{line}: this [[target]] has an empty `name`: leave it out to use the bucket's name"
            ));
        }
        if let Some(earlier) = targets.iter().find(|t| t.name == name) {
            return Err(format!(
                "{file}:{line}: a second target named `{name}` (the first is at line {}): names identify targets in reports and history; give one of them another `name`",
                earlier.line
            ));
        }
        targets.push(ConfigTarget {
            name,
            bucket,
            fields,
            line,
        });
    }
    let templates = raw
        .templates
        .into_iter()
        .map(|spanned| TemplateGlob {
            line: line_of(text, spanned.span().start),
            pattern: spanned.into_inner().path,
        })
        .collect();
    Ok(AuditConfig {
        file: file.to_owned(),
        dir,
        defaults,
        credentials: raw.credentials,
        targets,
        templates,
    })
}

/// 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> u32 {
    let before = &text.as_bytes()[..offset.min(text.len())];
    u32::try_from(before.iter().filter(|b| **b == b'\n').count() + 1).unwrap_or(u32::MAX)
}

/// The `[section]` or `[[section]]` header above byte `offset`, if any.
fn section_at(text: &str, offset: usize) -> Option<String> {
    text[..offset.min(text.len())]
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.starts_with('['))
        .map(|header| {
            let end = header.rfind(']').map(|i| i + 1).unwrap_or(header.len());
            header[..end].to_owned()
        })
}

/// The keys a section accepts, for messages.
fn accepted(section: &str) -> String {
    let keys: Vec<&str> = match section {
        "[[target]]" => TARGET_KEYS.to_vec(),
        "[defaults]" => TARGET_KEYS[2..].to_vec(),
        "[[templates]]" => vec!["path"],
        s if s.starts_with("[credentials") => {
            vec!["profile", "role_arn", "endpoint_url", "path_style"]
        }
        _ => vec!["[defaults]", "[credentials]", "[[target]]", "[[templates]]"],
    };
    keys.join(", ")
}

/// A near miss for the most common slip: `[[targets]]` for `[[target]]`.
fn hint_for(message: &str) -> &'static str {
    if message.contains("unknown field `targets`") {
        " (write [[target]], singular)"
    } else if message.contains("unknown field `template`") {
        " (write [[templates]], plural)"
    } else {
        ""
    }
}

fn acl<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Acl>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    raw.parse::<Acl>()
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn http_url<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    parse_http_url(&raw)
        .map(Some)
        .map_err(|why| serde::de::Error::custom(format!("invalid URL '{raw}': {why}")))
}

fn path_template<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    const MAX_PATH_BYTES: usize = 1024;
    let raw = String::deserialize(deserializer)?;
    if raw.len() > MAX_PATH_BYTES {
        return Err(serde::de::Error::custom(format!(
            "the path template is {} bytes long; S3 object keys are at most {MAX_PATH_BYTES} bytes",
            raw.len()
        )));
    }
    Ok(Some(raw))
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/NAME`.
fn role_arn<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let raw = String::deserialize(deserializer)?;
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty());
    if valid {
        Ok(Some(raw))
    } else {
        Err(serde::de::Error::custom(format!(
            "invalid role_arn '{raw}': expected an IAM role ARN, such as arn:aws:iam::111122223333:role/preflight"
        )))
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
