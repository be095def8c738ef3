//! What the probe left behind and set off, in words for the report: the fate of the probe
//! (never "deleted" where a replica or marker remains), other leftovers, retention, and the
//! ObjectCreated notifications its upload triggered.

use super::{Cleanup, ProbeReport, Retention};
use crate::Context;

/// The probe's footprint.
pub struct Footprint {
    pub sentences: Vec<String>,
    /// Replication or notification settings were unreadable: copies or events are unknown.
    pub side_effects_unknown: bool,
}

impl Context {
    pub async fn probe_footprint(&self, probe: &ProbeReport, location: &str) -> Footprint {
        let copies = replicas(self, &probe.key).await;
        let mut sentences = vec![cleanup_phrase(probe, location, &copies)];
        sentences.extend(footprint(self, probe).await);
        sentences.retain(|s| !s.is_empty());
        Footprint {
            sentences,
            side_effects_unknown: copies.is_none() || self.notifications().await.is_err(),
        }
    }
}

/// Replication destinations that copy `key`; `None` when the configuration is unreadable.
async fn replicas(ctx: &Context, key: &str) -> Option<Vec<String>> {
    let rules = ctx.replication().await.as_ref().ok()?;
    Some(
        rules
            .iter()
            .filter(|r| r.copies(key))
            .map(|r| r.destination.clone())
            .collect(),
    )
}

fn cleanup_phrase(probe: &ProbeReport, location: &str, copies: &Option<Vec<String>>) -> String {
    let deleted = match copies.as_deref() {
        Some([]) => "deleted it again".to_owned(),
        Some(destinations) => format!("deleted it here, but replication has copied it to {} and a deleted version is not deleted in replicas", destinations.join(", ")),
        None => "deleted it again (replicas, if replication is set up, keep their copy)".to_owned(),
    };
    let delete_permission = if probe.upload_version_id().is_some() {
        "s3:DeleteObjectVersion"
    } else {
        "s3:DeleteObject"
    };
    match &probe.cleanup {
        Cleanup::NotNeeded => String::new(),
        Cleanup::Deleted => deleted,
        Cleanup::LeftToAnotherRun => "another run wrote over the probe before it was deleted: left for that run to remove".to_owned(),
        Cleanup::AlreadyGone => "the probe was gone before it was to be deleted: another run had written over it and removed its own write".to_owned(),
        Cleanup::Retained(until) => format!("object lock retains the probe until {until}: it cannot be deleted before then"),
        Cleanup::MarkerLeft(failure) => format!("deleted it, but a delete marker remains at {location} (removing it failed: {failure})"),
        Cleanup::LeftBehind(failure) if failure.is_access_denied() => format!(
            "the probe stays at {location} ({delete_permission} is not granted, which the export does not need); the next run writes over it instead of adding one{}",
            if probe.upload_version_id().is_some() { ", leaving one more noncurrent version each time" } else { "" }
        ),
        Cleanup::LeftBehind(failure) => format!("the probe stays at {location} (deleting it failed: {failure})"),
    }
}

/// What else the write left or set off: other leftovers, retention, notifications.
async fn footprint(ctx: &Context, probe: &ProbeReport) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(first) = probe.other_leftovers.first() {
        notes.push(format!(
            "{} other earlier probe(s) remain under the prefix, e.g. {first}",
            probe.other_leftovers.len()
        ));
    }
    if probe.lock_unread {
        notes.push(match &probe.retention {
            // The cleanup says until when.
            Retention::Retained { .. } => String::new(),
            Retention::NotRetained => "the object lock configuration was unreadable; the probe was not retained".to_owned(),
            Retention::Unknown(why) => format!("the object lock configuration and the probe's retention were unreadable ({why}): under default retention the probe stays until retention ends"),
            Retention::NotChecked => String::new(),
        });
    }
    if let Ok(targets) = ctx.notifications().await {
        let fired: Vec<String> = targets
            .iter()
            .filter(|n| n.fires_on_create(&probe.key))
            .map(|n| n.describe())
            .collect();
        if !fired.is_empty() {
            notes.push(format!(
                "the upload triggered ObjectCreated notifications to {}",
                fired.join(", ")
            ));
        }
    }
    notes.retain(|n| !n.is_empty());
    notes
}
