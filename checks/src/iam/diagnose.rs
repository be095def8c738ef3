//! The classic mistakes in upload policies, named so a person can fix them: bucket actions
//! granted on object ARNs and the reverse, a resource prefix that misses the export path,
//! another bucket's name, misspelled actions, resources that are not ARNs.

use super::actions::{KMS_ACTIONS, S3_ACTIONS};
use super::arn::{arn_matches, bucket_arn, Arn};
use super::policy::{Effect, PatternList, PolicyDocument, Statement};
use super::variables::widen_variables;
use serde::Serialize;
use wildmatch::WildMatch;

/// One request an upload makes: the action and the exact resource it acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequiredAction {
    pub action: &'static str,
    pub resource: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MistakeKind {
    /// e.g. `s3:ListBucket` granted only on `BUCKET/*`: it acts on the bucket ARN.
    BucketActionOnObjectArn,
    /// e.g. `s3:PutObject` granted only on the bucket ARN: it acts on object ARNs.
    ObjectActionOnBucketArn,
    /// Objects granted under another prefix than the one files are written to.
    PrefixNotCovered,
    /// A resource names another bucket than the export bucket.
    WrongBucket,
    /// An S3/KMS action missing from the service authorization reference's list (often a typo
    /// such as `s3:PutObjects`). Only ever a warning: AWS adds actions.
    UnknownAction,
    /// An action without its service prefix (`ListBucket`), which AWS refuses to save.
    ActionWithoutService,
    /// A resource that is not an ARN, such as `my-bucket/*`.
    ResourceNotArn,
    /// An Allow statement without Resource, which grants nothing.
    MissingResource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mistake {
    pub kind: MistakeKind,
    /// The statement's Sid, or `#index`.
    pub statement: Option<String>,
    /// What is wrong and what to write instead.
    pub message: String,
    /// The export's action this mistake keeps from being granted, when it is about one.
    pub action: Option<&'static str>,
}

/// A misspelling this close to a known action is worth suggesting it.
const SUGGESTION_DISTANCE: usize = 3;

/// Finds the classic mistakes of an upload policy for `bucket`, where files go under
/// `key_prefix`, given the requests the upload makes (see `minimal::required_actions`).
/// Principals and conditions are ignored: this is about what the policy grants on paper.
pub fn diagnose_upload_policy(
    policy: &PolicyDocument,
    bucket: &str,
    key_prefix: &str,
    required: &[RequiredAction],
) -> Vec<Mistake> {
    // The requests name the bucket in its partition; suggestions must use the same one.
    let partition = required
        .first()
        .and_then(|r| crate::partition::of_arn(&r.resource))
        .unwrap_or("aws");
    let target = ExportTarget {
        bucket,
        key_prefix,
        partition,
    };
    let mut mistakes: Vec<Mistake> = policy
        .statements
        .iter()
        .flat_map(|statement| statement_mistakes(statement, &target))
        .collect();
    // `required` may hold one request per sample key. An action granted for some keys only
    // (a grant on `*.jpg`) is not a misplaced grant: its verdict depends on the file name,
    // which the evaluation reports. One explanation per action is enough.
    let granted_somewhere: Vec<&str> = required
        .iter()
        .filter(|needed| is_granted_on_paper(policy, needed))
        .map(|needed| needed.action)
        .collect();
    let mut explained: Vec<&str> = Vec::new();
    for needed in required {
        if explained.contains(&needed.action) || granted_somewhere.contains(&needed.action) {
            continue;
        }
        let before = mistakes.len();
        for statement in allows_naming_action(policy, needed.action) {
            mistakes.extend(
                misplaced_grants(statement, needed, &target)
                    .into_iter()
                    .map(|mistake| Mistake {
                        action: Some(needed.action),
                        ..mistake
                    }),
            );
        }
        if mistakes.len() > before {
            explained.push(needed.action);
        }
    }
    dedup_keeping_order(mistakes)
}

struct ExportTarget<'a> {
    bucket: &'a str,
    key_prefix: &'a str,
    /// The partition of the ARNs the export's requests name.
    partition: &'a str,
}

impl ExportTarget<'_> {
    fn bucket_arn(&self) -> String {
        bucket_arn(self.partition, self.bucket)
    }

    fn objects_pattern(&self) -> String {
        format!("{}/{}*", self.bucket_arn(), self.key_prefix)
    }
}

fn statement_mistakes(statement: &Statement, target: &ExportTarget) -> Vec<Mistake> {
    let mut mistakes: Vec<Mistake> = statement
        .action
        .patterns
        .iter()
        .filter_map(|action| unknown_action(action))
        .map(|(kind, message)| mistake(kind, statement, message))
        .collect();
    if let Some(resources) = &statement.resource {
        mistakes.extend(
            resources
                .patterns
                .iter()
                .filter(|pattern| *pattern != "*" && Arn::parse(pattern).is_none())
                .map(|pattern| {
                    let message = format!(
                        "Resource {pattern:?} is not an ARN; S3 resources look like {} or {}",
                        target.bucket_arn(),
                        target.objects_pattern()
                    );
                    mistake(MistakeKind::ResourceNotArn, statement, message)
                }),
        );
    } else if statement.effect == Effect::Allow {
        let message = format!(
            "{} has no Resource, so it grants nothing; add the ARNs it is meant for",
            statement.label()
        );
        mistakes.push(mistake(MistakeKind::MissingResource, statement, message));
    }
    mistakes
}

/// Why an action pattern names no real S3/KMS action, or `None` when it is fine. Wildcard
/// patterns and other services' actions are left alone.
fn unknown_action(pattern: &str) -> Option<(MistakeKind, String)> {
    if pattern.contains(['*', '?']) {
        return None;
    }
    let Some((service, _)) = pattern.split_once(':') else {
        let message = match suggested_service_prefix(pattern) {
            Some(known) => format!("{pattern:?} has no service prefix; write {known:?}"),
            None => format!("{pattern:?} has no service prefix such as \"s3:\""),
        };
        return Some((MistakeKind::ActionWithoutService, message));
    };
    let name = &pattern[service.len() + 1..];
    let known = match service.to_ascii_lowercase().as_str() {
        "s3" => S3_ACTIONS,
        "kms" => KMS_ACTIONS,
        _ => return None,
    };
    if known.iter().any(|action| action.eq_ignore_ascii_case(name)) {
        return None;
    }
    let message = match closest_known_action(pattern) {
        Some(suggestion) => {
            format!("{pattern:?} is not an S3 or KMS action; did you mean {suggestion:?}?")
        }
        None => {
            format!("{pattern:?} is not in the S3 or KMS action list this tool knows; check its spelling (a newly added action may be missing from the list)")
        }
    };
    Some((MistakeKind::UnknownAction, message))
}

/// The S3 action closest to an action written without its `s3:` prefix (`ListBucket`).
pub(crate) fn suggested_service_prefix(action: &str) -> Option<String> {
    closest_known_action(&format!("s3:{action}"))
}

/// The real action closest to a misspelled one (same service), as `service:Action`.
fn closest_known_action(pattern: &str) -> Option<String> {
    let (service, name) = pattern.split_once(':')?;
    let (prefix, known) = match service.to_ascii_lowercase().as_str() {
        "s3" => ("s3", S3_ACTIONS),
        "kms" => ("kms", KMS_ACTIONS),
        _ => return None,
    };
    let name = name.to_lowercase();
    known
        .iter()
        .map(|action| (strsim::levenshtein(&name, &action.to_lowercase()), *action))
        .filter(|(distance, _)| *distance <= SUGGESTION_DISTANCE)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, action)| format!("{prefix}:{action}"))
}

/// Whether some Allow statement names the action on the resource, ignoring conditions and
/// principals (and assuming policy variables could resolve favourably).
fn is_granted_on_paper(policy: &PolicyDocument, needed: &RequiredAction) -> bool {
    allows_naming_action(policy, needed.action).any(|statement| {
        statement
            .resource
            .as_ref()
            .is_some_and(|resources| covers_resource(resources, &needed.resource))
    })
}

fn allows_naming_action<'p>(
    policy: &'p PolicyDocument,
    action: &'p str,
) -> impl Iterator<Item = &'p Statement> {
    policy.statements.iter().filter(move |statement| {
        statement.effect == Effect::Allow && names_action(&statement.action, action)
    })
}

fn names_action(actions: &PatternList, action: &str) -> bool {
    let listed = actions
        .patterns
        .iter()
        .any(|pattern| WildMatch::new_case_insensitive(pattern).matches(action));
    listed != actions.negated
}

fn covers_resource(resources: &PatternList, resource: &str) -> bool {
    let listed = resources
        .patterns
        .iter()
        .any(|pattern| arn_matches(&widen_variables(pattern), resource));
    listed != resources.negated
}

/// Why a statement that names the action still does not grant it on the needed resource.
fn misplaced_grants(
    statement: &Statement,
    needed: &RequiredAction,
    target: &ExportTarget,
) -> Vec<Mistake> {
    let Some(needed_key) = Arn::parse(&needed.resource)
        .and_then(|arn| arn.s3_location())
        .map(|(_, key)| key)
    else {
        return Vec::new();
    };
    let Some(resources) = statement.resource.as_ref().filter(|list| !list.negated) else {
        return Vec::new();
    };
    resources
        .patterns
        .iter()
        .filter_map(|pattern| {
            let (bucket, key) = Arn::parse(pattern)?.s3_location()?;
            let grant = Grant {
                pattern,
                bucket,
                key,
            };
            misplaced_grant(&grant, needed, needed_key, target)
                .map(|(kind, message)| mistake(kind, statement, message))
        })
        .collect()
}

/// One S3 resource pattern of a statement, split into its bucket and key parts.
struct Grant<'a> {
    pattern: &'a str,
    bucket: &'a str,
    key: Option<&'a str>,
}

fn misplaced_grant(
    grant: &Grant,
    needed: &RequiredAction,
    needed_key: Option<&str>,
    target: &ExportTarget,
) -> Option<(MistakeKind, String)> {
    let action = needed.action;
    let bucket_arn = target.bucket_arn();
    if !WildMatch::new(grant.bucket).matches(target.bucket) {
        return Some((
            MistakeKind::WrongBucket,
            format!(
                "Resource {} names bucket {:?}, but the export bucket is {:?}",
                grant.pattern, grant.bucket, target.bucket
            ),
        ));
    }
    match (needed_key, grant.key) {
        (None, Some(_)) => Some((
            MistakeKind::BucketActionOnObjectArn,
            format!(
                "{action} is granted only on {}, an object ARN, but it acts on the bucket itself: add {bucket_arn} to Resource",
                grant.pattern
            ),
        )),
        (Some(_), None) => Some((
            MistakeKind::ObjectActionOnBucketArn,
            format!(
                "{action} is granted only on the bucket ARN {}, but it acts on objects: grant it on {}",
                grant.pattern,
                target.objects_pattern()
            ),
        )),
        (Some(_), Some(_)) => Some((
            MistakeKind::PrefixNotCovered,
            format!(
                "{action} is granted on {}, which does not cover {} where files are written: grant it on {}",
                grant.pattern,
                needed.resource,
                target.objects_pattern()
            ),
        )),
        (None, None) => None,
    }
}

fn mistake(kind: MistakeKind, statement: &Statement, message: String) -> Mistake {
    Mistake {
        kind,
        statement: Some(statement.name()),
        message,
        action: None,
    }
}

/// The same misplaced resource shows up once per required action it blocks; report it once.
fn dedup_keeping_order(mistakes: Vec<Mistake>) -> Vec<Mistake> {
    let mut unique: Vec<Mistake> = Vec::with_capacity(mistakes.len());
    for mistake in mistakes {
        let same = |other: &Mistake| {
            other.kind == mistake.kind
                && other.statement == mistake.statement
                && other.message == mistake.message
        };
        if !unique.iter().any(same) {
            unique.push(mistake);
        }
    }
    unique
}

#[cfg(test)]
#[path = "diagnose_tests.rs"]
mod tests;
