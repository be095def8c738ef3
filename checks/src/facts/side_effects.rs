//! Bucket facts about what a write sets off beyond the object itself: replication rules (copies
//! in other buckets, which deleting a version here does not remove) and event notifications
//! (ObjectCreated events to Lambda, SQS, SNS, EventBridge). Fetched once, like every fact.

use super::{absent_when, Fetched};
use crate::api_error::ApiFailure;
use crate::context::Context;
use aws_sdk_s3::types::{FilterRuleName, NotificationConfigurationFilter, ReplicationRuleStatus};

/// One enabled replication rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationRule {
    pub id: Option<String>,
    /// The key prefix the rule is limited to; `None` for every key.
    pub prefix: Option<String>,
    /// Whether the rule also filters on tags (the probe carries none, so it is not copied).
    pub needs_tags: bool,
    /// The destination bucket ARN.
    pub destination: String,
}

impl ReplicationRule {
    /// Whether a new object at `key` (without tags) is copied by this rule.
    pub fn copies(&self, key: &str) -> bool {
        !self.needs_tags && self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
    }
}

/// One notification target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// `Lambda`, `SQS`, `SNS` or `EventBridge`.
    pub kind: &'static str,
    /// The function, queue or topic ARN (empty for EventBridge, which gets every event).
    pub target: String,
    pub events: Vec<String>,
    pub prefix: Option<String>,
    pub suffix: Option<String>,
}

impl Notification {
    /// Whether creating `key` sends this notification.
    pub fn fires_on_create(&self, key: &str) -> bool {
        let created = self.kind == "EventBridge"
            || self
                .events
                .iter()
                .any(|e| e.starts_with("s3:ObjectCreated:"));
        created
            && self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
            && self.suffix.as_deref().is_none_or(|s| key.ends_with(s))
    }

    pub fn describe(&self) -> String {
        if self.target.is_empty() {
            self.kind.to_owned()
        } else {
            format!("{} {}", self.kind, self.target)
        }
    }
}

fn key_filter(
    filter: Option<&NotificationConfigurationFilter>,
) -> (Option<String>, Option<String>) {
    let rules = filter
        .and_then(|f| f.key())
        .map(|k| k.filter_rules())
        .unwrap_or_default();
    let value = |wanted: FilterRuleName| {
        rules
            .iter()
            .find(|r| r.name() == Some(&wanted))
            .and_then(|r| r.value())
            .map(str::to_owned)
    };
    (value(FilterRuleName::Prefix), value(FilterRuleName::Suffix))
}

impl Context {
    /// Enabled replication rules; empty when the bucket replicates nothing.
    pub async fn replication(&self) -> &Fetched<Vec<ReplicationRule>> {
        self.facts
            .replication
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.replication, |s3| {
                    self.read_replication(s3)
                })
            })
            .await
    }

    pub(super) async fn read_replication(
        &self,
        s3: aws_sdk_s3::Client,
    ) -> Fetched<Vec<ReplicationRule>> {
        let answer = s3
            .get_bucket_replication()
            .bucket(&self.target.bucket)
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e));
        let Some(out) = absent_when(answer, &["ReplicationConfigurationNotFoundError"])? else {
            return Ok(Vec::new());
        };
        let rules = out
            .replication_configuration()
            .map(|c| c.rules())
            .unwrap_or_default();
        Ok(rules
            .iter()
            .filter(|r| r.status() == &ReplicationRuleStatus::Enabled)
            .map(|r| {
                let filter = r.filter();
                #[allow(deprecated)] // the rule-level prefix of V1 configurations
                let legacy_prefix = r.prefix();
                let prefix = filter
                    .and_then(|f| f.prefix().or_else(|| f.and().and_then(|a| a.prefix())))
                    .or(legacy_prefix)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned);
                let needs_tags = filter.is_some_and(|f| {
                    f.tag().is_some() || f.and().is_some_and(|a| !a.tags().is_empty())
                });
                ReplicationRule {
                    id: r.id().map(str::to_owned),
                    prefix,
                    needs_tags,
                    destination: r
                        .destination()
                        .map(|d| d.bucket().to_owned())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    /// Event notification targets; empty when none are configured.
    pub async fn notifications(&self) -> &Fetched<Vec<Notification>> {
        self.facts
            .notifications
            .get_or_init(|| {
                self.in_bucket_region(&self.facts.early.notifications, |s3| {
                    self.read_notifications(s3)
                })
            })
            .await
    }

    pub(super) async fn read_notifications(
        &self,
        s3: aws_sdk_s3::Client,
    ) -> Fetched<Vec<Notification>> {
        let out = s3
            .get_bucket_notification_configuration()
            .bucket(&self.target.bucket)
            .set_expected_bucket_owner(self.settings.expected_owner.clone())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e))?;
        let events = |events: &[aws_sdk_s3::types::Event]| {
            events.iter().map(|e| e.as_str().to_owned()).collect()
        };
        let mut all = Vec::new();
        for c in out.lambda_function_configurations() {
            let (prefix, suffix) = key_filter(c.filter());
            all.push(Notification {
                kind: "Lambda",
                target: c.lambda_function_arn().to_owned(),
                events: events(c.events()),
                prefix,
                suffix,
            });
        }
        for c in out.queue_configurations() {
            let (prefix, suffix) = key_filter(c.filter());
            all.push(Notification {
                kind: "SQS",
                target: c.queue_arn().to_owned(),
                events: events(c.events()),
                prefix,
                suffix,
            });
        }
        for c in out.topic_configurations() {
            let (prefix, suffix) = key_filter(c.filter());
            all.push(Notification {
                kind: "SNS",
                target: c.topic_arn().to_owned(),
                events: events(c.events()),
                prefix,
                suffix,
            });
        }
        if out.event_bridge_configuration().is_some() {
            all.push(Notification {
                kind: "EventBridge",
                target: String::new(),
                events: Vec::new(),
                prefix: None,
                suffix: None,
            });
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_fire_only_for_created_keys_that_pass_the_filter() {
        let lambda = Notification {
            kind: "Lambda",
            target: "arn:aws:lambda:eu-west-1:111122223333:function:thumbs".into(),
            events: vec!["s3:ObjectCreated:*".into()],
            prefix: Some("exports/".into()),
            suffix: Some(".jpg".into()),
        };
        assert!(lambda.fires_on_create("exports/a.jpg"));
        assert!(!lambda.fires_on_create("exports/a.txt"));
        assert!(!lambda.fires_on_create("other/a.jpg"));
        let removed_only = Notification {
            events: vec!["s3:ObjectRemoved:*".into()],
            suffix: None,
            ..lambda
        };
        assert!(!removed_only.fires_on_create("exports/a.jpg"));
    }

    #[test]
    fn tagged_rules_do_not_copy_the_untagged_probe() {
        let rule = ReplicationRule {
            id: None,
            prefix: Some("exports/".into()),
            needs_tags: false,
            destination: "arn:aws:s3:::replica".into(),
        };
        assert!(rule.copies("exports/x"));
        assert!(!rule.copies("other/x"));
        assert!(!ReplicationRule {
            needs_tags: true,
            ..rule
        }
        .copies("exports/x"));
    }
}
