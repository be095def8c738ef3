//! Where an audit's targets come from, and how they become the list that runs: the config
//! file's `[[target]]`s and `--all-buckets` here; Templates (`--template`, `[[templates]]`) and
//! the Transloadit API (`--transloadit`) plug in as further sources. Each source yields
//! [`Entry`]s; [`group`] folds entries that are the same target (bucket, parameters, identity)
//! into one [`Group`], checked once and reported under each entry.

use super::config::{AuditConfig, TargetFields};
use super::model::{Source, SourceKind};
use preflight::{Acl, Session, Target};
use std::collections::{HashMap, HashSet};

/// Who the checks run as and where requests go: the key sessions are shared by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Connection {
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    /// The region for calls not tied to a bucket (`--region`).
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub path_style: bool,
    /// Keys written into a store step: the identity Transloadit will use.
    pub inline_keys: Option<InlineKeySet>,
}

/// A store step's inline keys, as a session key. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InlineKeySet {
    pub key: String,
    pub secret: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for InlineKeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InlineKeySet { .. }")
    }
}

impl Connection {
    /// How the connection appears in messages: never a secret, only names.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (&self.inline_keys, &self.profile) {
            (Some(_), _) => parts.push("the store step's inline key".to_owned()),
            (None, Some(profile)) => parts.push(format!("profile `{profile}`")),
            (None, None) => parts.push("the default credentials".to_owned()),
        }
        if let Some(role) = &self.role_arn {
            parts.push(format!("assuming {role}"));
        }
        if let Some(endpoint) = &self.endpoint_url {
            parts.push(format!("at {endpoint}"));
        }
        parts.join(", ")
    }
}

/// The store-parameter and connection flags of the command line: defaults for every target.
#[derive(Debug, Clone, Default)]
pub struct CliDefaults {
    pub acl: Option<Acl>,
    pub bucket_region: Option<String>,
    pub path: Option<String>,
    pub url_prefix: Option<String>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub path_style: bool,
}

/// One target as one source names it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub source: Source,
    /// The bucket and store parameters; endpoints are filled in when the session is made.
    pub target: Target,
    pub connection: Connection,
    /// Whether the dry-run probe may write (`--no-write`, `--all-buckets`).
    pub write: bool,
    /// Why this source could not produce its targets (ListBuckets refused): reported as this
    /// entry's error, so every report format shows it.
    pub problem: Option<String>,
    /// The store is not AWS (another Robot's, or a custom `host`): AWS-only checks skip.
    pub other_store: bool,
}

/// Entries that are the same target: checked once, reported under each entry.
#[derive(Debug, Clone)]
pub struct Group {
    pub entries: Vec<(String, Source)>,
    pub target: Target,
    pub connection: Connection,
    pub write: bool,
    pub problem: Option<String>,
    pub other_store: bool,
}

/// The config file's `[[target]]`s: each field from the target, else the command line, else
/// `[defaults]`, else the Robot's default.
pub fn config_entries(config: &AuditConfig, cli: &CliDefaults, write: bool) -> Vec<Entry> {
    config
        .targets
        .iter()
        .map(|t| {
            let fields = layered(&t.fields, cli, &config.defaults);
            let mut source = Source::new(SourceKind::Config);
            source.file = Some(config.file.clone());
            source.line = Some(t.line);
            let mut entry =
                entry_from_fields(t.name.clone(), t.bucket.clone(), &fields, source, write);
            entry.connection.region = cli.region.clone();
            entry
        })
        .collect()
}

/// The fields of `own`, falling back to the command line's, then to `defaults`.
fn layered(own: &TargetFields, cli: &CliDefaults, defaults: &TargetFields) -> TargetFields {
    TargetFields {
        name: own.name.clone(),
        bucket: own.bucket.clone(),
        acl: own.acl.or(cli.acl).or(defaults.acl),
        bucket_region: first(
            &own.bucket_region,
            &cli.bucket_region,
            &defaults.bucket_region,
        ),
        path: first(&own.path, &cli.path, &defaults.path),
        url_prefix: first(&own.url_prefix, &cli.url_prefix, &defaults.url_prefix),
        profile: first(&own.profile, &cli.profile, &defaults.profile),
        role_arn: own.role_arn.clone().or(defaults.role_arn.clone()),
        endpoint_url: first(&own.endpoint_url, &cli.endpoint_url, &defaults.endpoint_url),
        path_style: own
            .path_style
            .or(cli.path_style.then_some(true))
            .or(defaults.path_style),
    }
}

fn first(a: &Option<String>, b: &Option<String>, c: &Option<String>) -> Option<String> {
    a.clone().or_else(|| b.clone()).or_else(|| c.clone())
}

fn entry_from_fields(
    name: String,
    bucket: String,
    fields: &TargetFields,
    source: Source,
    write: bool,
) -> Entry {
    let mut target = Target::new(bucket);
    if let Some(acl) = fields.acl {
        target.acl = acl;
    }
    target.bucket_region = fields.bucket_region.clone();
    if let Some(path) = &fields.path {
        target.path = path.clone();
    }
    target.url_prefix = fields.url_prefix.clone();
    Entry {
        name,
        source,
        target,
        connection: Connection {
            profile: fields.profile.clone(),
            role_arn: fields.role_arn.clone(),
            region: None,
            endpoint_url: fields.endpoint_url.clone(),
            path_style: fields.path_style.unwrap_or(false),
            inline_keys: None,
        },
        write,
        problem: None,
        other_store: false,
    }
}

/// `--all-buckets`: every bucket the command line's credentials can list (ListBuckets, every
/// page), each in the region ListBuckets names, so that no bucket costs a lookup of its own.
pub async fn account_entries(session: &Session, cli: &CliDefaults, write: bool) -> Vec<Entry> {
    let defaults = TargetFields {
        acl: cli.acl,
        bucket_region: cli.bucket_region.clone(),
        path: cli.path.clone(),
        url_prefix: cli.url_prefix.clone(),
        profile: cli.profile.clone(),
        endpoint_url: cli.endpoint_url.clone(),
        path_style: Some(cli.path_style),
        ..TargetFields::default()
    };
    let account = || Source::new(SourceKind::Account);
    let listed = match list_buckets(session).await {
        Ok(listed) => listed,
        Err(why) => {
            let mut entry = entry_from_fields(
                "(all buckets)".into(),
                String::new(),
                &defaults,
                account(),
                write,
            );
            entry.problem = Some(why);
            return vec![entry];
        }
    };
    listed
        .into_iter()
        .map(|(bucket, region)| {
            let mut fields = defaults.clone();
            // The region S3 itself reported is the one a correct store step would name.
            fields.bucket_region = region.or(fields.bucket_region);
            let mut entry = entry_from_fields(bucket.clone(), bucket, &fields, account(), write);
            entry.connection.region = cli.region.clone();
            entry
        })
        .collect()
}

/// Every bucket and its region, following continuation tokens.
async fn list_buckets(session: &Session) -> Result<Vec<(String, Option<String>)>, String> {
    let client = session.s3(None).await.map_err(|e| {
        format!("--all-buckets could not list the buckets: {e}. Configure credentials (--profile, AWS_PROFILE) and run again.")
    })?;
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_buckets()
            .max_buckets(1000)
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(|e| {
                let failure = preflight::api_error::ApiFailure::from_sdk(&e);
                format!(
                    "--all-buckets could not list the buckets: ListBuckets answered {failure}. Grant s3:ListAllMyBuckets to these credentials, or list the buckets in --config."
                )
            })?;
        for bucket in page.buckets() {
            if let Some(name) = bucket.name() {
                found.push((name.to_owned(), bucket.bucket_region().map(str::to_owned)));
            }
        }
        match page.continuation_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    Ok(found)
}

/// Makes every entry's name unique: a later source reusing a name gets its kind appended
/// (`acme-video [account]`), so reports and the history can tell the entries apart.
pub fn unique_names(entries: &mut [Entry]) {
    let mut taken: HashSet<String> = HashSet::new();
    for entry in entries.iter_mut() {
        if !taken.contains(&entry.name) {
            taken.insert(entry.name.clone());
            continue;
        }
        let base = format!("{} [{}]", entry.name, entry.source.kind.as_str());
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base} {n}");
            n += 1;
        }
        taken.insert(name.clone());
        entry.name = name;
    }
}

/// Folds entries that are the same target (bucket, store parameters and connection) into one
/// group, in the order they first appear. The probe is written if any of the entries may write:
/// a bucket someone configured as an export target may receive it.
pub fn group(entries: Vec<Entry>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(String, Connection, bool), usize> = HashMap::new();
    for entry in entries {
        if entry.problem.is_some() {
            groups.push(Group {
                entries: vec![(entry.name, entry.source)],
                target: entry.target,
                connection: entry.connection,
                write: entry.write,
                problem: entry.problem,
                other_store: entry.other_store,
            });
            continue;
        }
        // Target serialises every parameter that shapes the upload: equal JSON, same target.
        let key = (
            serde_json::to_string(&entry.target).expect("a target serialises"),
            entry.connection.clone(),
            entry.other_store,
        );
        match index.get(&key) {
            Some(&at) => {
                let group = &mut groups[at];
                group.entries.push((entry.name, entry.source));
                group.write |= entry.write;
            }
            None => {
                index.insert(key, groups.len());
                groups.push(Group {
                    entries: vec![(entry.name, entry.source)],
                    target: entry.target,
                    connection: entry.connection,
                    write: entry.write,
                    problem: None,
                    other_store: entry.other_store,
                });
            }
        }
    }
    groups
}

#[cfg(test)]
#[path = "sources_tests.rs"]
mod tests;
