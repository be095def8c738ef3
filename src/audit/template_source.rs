//! Templates and Assembly Instructions as audit sources (`--template`, `[[templates]]`,
//! `--transloadit`): every storage step becomes a target, read by the same parser as
//! `check --template`. A step that cannot become a target (a `${…}` in its bucket, a Template
//! Credential's bucket) is that entry's error, so one broken step never hides the others.

use super::config::CredentialSource;
use super::model::{Source, SourceKind};
use super::sources::{CliDefaults, Connection, Entry, InlineKeySet};
use preflight::transloadit::{self, StepCredentials};
use std::collections::BTreeMap;

/// Where the instructions came from: a file (`--template`, `[[templates]]`) or a Template of
/// the Transloadit account (`file` is then its id).
pub struct Origin<'a> {
    pub kind: SourceKind,
    pub file: &'a str,
}

/// Every storage step of `text` as an entry. Unreadable instructions are one error for the
/// caller to report (exit 2 for a file the user named).
pub fn entries(
    origin: &Origin,
    text: &str,
    credentials: &BTreeMap<String, CredentialSource>,
    cli: &CliDefaults,
    write: bool,
) -> Result<Vec<Entry>, String> {
    let instructions =
        transloadit::parse(text).map_err(|e| format!("template {}: {e}", origin.file))?;
    Ok(instructions
        .storage_steps()
        .into_iter()
        .map(|step| {
            let mut source = Source::new(origin.kind);
            source.file = Some(origin.file.to_owned());
            source.step = Some(step.label());
            source.line = line_of(text, &step.name);
            match transloadit::resolve(step, &instructions.fields) {
                Ok(store) => entry(store, source, credentials, cli, write),
                Err(err) => problem_entry(step.label(), source, err.to_string(), write),
            }
        })
        .collect())
}

fn entry(
    store: transloadit::StoreStep,
    mut source: Source,
    credentials: &BTreeMap<String, CredentialSource>,
    cli: &CliDefaults,
    write: bool,
) -> Entry {
    let mut target = store.target;
    // The step's own values win; the command line fills what the step leaves open.
    if target.bucket_region.is_none() {
        target.bucket_region = cli.bucket_region.clone();
    }
    if target.url_prefix.is_none() {
        target.url_prefix = cli.url_prefix.clone();
    }
    let endpoint = target.endpoint.take();
    target.endpoint_source = None;
    target.sts_endpoint = None;
    let other_store = !store.robot.on_aws
        || endpoint
            .as_deref()
            .is_some_and(|url| !preflight::endpoints::is_aws_host(url));
    let mut connection = Connection {
        profile: cli.profile.clone(),
        region: cli.region.clone(),
        endpoint_url: endpoint.or_else(|| cli.endpoint_url.clone()),
        path_style: store.path_style || cli.path_style,
        ..Connection::default()
    };
    source.notes = store.warnings;
    match &store.credentials {
        StepCredentials::Inline(keys) => {
            connection.inline_keys = Some(InlineKeySet {
                key: keys.key.clone(),
                secret: keys.secret.clone(),
                session_token: keys.session_token.clone(),
            });
            source.notes.push("the checks ran with the step's inline key and secret, the identity Transloadit will use; keep keys in Template Credentials instead".to_owned());
        }
        StepCredentials::Named(name) => match credentials.get(name) {
            Some(mapped) => {
                if mapped.profile.is_some() {
                    connection.profile = mapped.profile.clone();
                }
                connection.role_arn = mapped.role_arn.clone();
                if mapped.endpoint_url.is_some() {
                    connection.endpoint_url = mapped.endpoint_url.clone();
                }
                if let Some(path_style) = mapped.path_style {
                    connection.path_style = path_style;
                }
            }
            None => source.notes.push(format!(
                "the step uses the Template Credentials `{name}`, which only Transloadit holds, and the config's [credentials] does not map it: the checks ran with {} and prove THAT identity's permissions, not `{name}`'s",
                connection.describe()
            )),
        },
        StepCredentials::None => source.notes.push(format!(
            "the step names no credentials: the checks ran with {}",
            connection.describe()
        )),
    }
    Entry {
        name: store.step,
        source,
        target,
        connection,
        write,
        problem: None,
        other_store,
    }
}

/// An entry that could not be made: reported as that entry's error.
pub fn problem_entry(name: String, source: Source, problem: String, write: bool) -> Entry {
    Entry {
        target: preflight::Target::new(""),
        name,
        source,
        connection: Connection::default(),
        write,
        problem: Some(problem),
        other_store: false,
    }
}

/// The 1-based line where the step's name first appears as a JSON key, for report locations
/// (SARIF); `None` when the text does not show it (a JSON-encoded `content`).
fn line_of(text: &str, step: &str) -> Option<u32> {
    let key = serde_json::to_string(step).ok()?;
    text.lines()
        .position(|line| line.contains(&key))
        .and_then(|index| u32::try_from(index + 1).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_STEPS: &str = r#"{
  "steps": {
    ":original": {"robot": "/upload/handle"},
    "exported": {"robot": "/s3/store", "use": ":original", "bucket": "acme-exports",
                 "acl": "private", "credentials": "prod_s3"},
    "spaces": {"robot": "/digitalocean/store", "use": ":original", "space": "acme",
               "region": "fra1", "key": "AKIAEXAMPLEINLINE", "secret": "inline-secret-value"},
    "broken": {"robot": "/s3/store", "use": ":original", "bucket": "${assembly.id}",
               "credentials": "prod_s3"}
  }
}"#;

    fn origin() -> Origin<'static> {
        Origin {
            kind: SourceKind::Template,
            file: "t.json",
        }
    }

    #[test]
    fn every_storage_step_is_an_entry_with_its_source_line_and_identity() {
        let mut credentials = BTreeMap::new();
        credentials.insert(
            "prod_s3".to_owned(),
            CredentialSource {
                profile: Some("exporter".into()),
                ..CredentialSource::default()
            },
        );
        let entries = entries(
            &origin(),
            TWO_STEPS,
            &credentials,
            &CliDefaults::default(),
            true,
        )
        .unwrap();
        assert_eq!(entries.len(), 3, "{entries:?}");
        let exported = entries.iter().find(|e| e.name == "exported").unwrap();
        assert_eq!(exported.target.bucket, "acme-exports");
        assert_eq!(exported.target.acl, preflight::Acl::Private);
        assert_eq!(exported.connection.profile.as_deref(), Some("exporter"));
        assert_eq!(exported.source.line, Some(4));
        assert!(!exported.other_store);
        let spaces = entries.iter().find(|e| e.name == "spaces").unwrap();
        assert!(spaces.other_store);
        assert!(spaces.connection.inline_keys.is_some());
        assert!(spaces
            .connection
            .endpoint_url
            .as_deref()
            .is_some_and(|u| u.contains("fra1.digitaloceanspaces.com")));
        let debug = format!("{entries:?}");
        assert!(!debug.contains("inline-secret-value") && !debug.contains("AKIAEXAMPLEINLINE"));
        let broken = entries.iter().find(|e| e.name == "broken").unwrap();
        assert!(broken
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("bucket")));
    }

    #[test]
    fn an_unmapped_template_credential_is_named_as_another_identity() {
        let entries = entries(
            &origin(),
            TWO_STEPS,
            &BTreeMap::new(),
            &CliDefaults::default(),
            true,
        )
        .unwrap();
        let exported = entries.iter().find(|e| e.name == "exported").unwrap();
        assert!(
            exported
                .source
                .notes
                .iter()
                .any(|n| n.contains("prod_s3") && n.contains("THAT identity")),
            "{:?}",
            exported.source.notes
        );
    }

    #[test]
    fn unreadable_instructions_are_one_error_naming_the_file() {
        let err = entries(
            &origin(),
            "{\"steps\": ",
            &BTreeMap::new(),
            &CliDefaults::default(),
            true,
        )
        .unwrap_err();
        assert!(err.contains("t.json") && err.contains("line"), "{err}");
    }
}
