//! Removing what the probe wrote, and only that — even when the run is cut short.
//!
//! - Versioned bucket (the writes have version ids): each version the probe created is deleted
//!   by its id, so no delete marker is added and nothing older is touched
//!   (s3:DeleteObjectVersion).
//! - Suspended versioning (version id `null`): the `null` version is deleted by that id; a plain
//!   DeleteObject would leave a delete marker behind for every run.
//! - Unversioned: DeleteObject with `If-Match` on the ETag the probe got, so an object another
//!   run wrote over it in the meantime survives (412). Conditional deletes also need
//!   s3:GetObject; without it the delete is repeated unconditionally. The key is this run's own,
//!   so only a run that wrote over it in that very instant (taking it for a leftover) can lose
//!   its write, and that run then finds it gone rather than deleting anything itself. Should S3
//!   answer with a delete marker after all (versioning the tool could not read), that marker is
//!   removed by its version id.
//!
//! A timeout aborts a check by dropping its future. [`CleanupGuard`] is armed from the moment the
//! probe exists until its cleanup finished; dropped armed, it hands the cleanup to a task of its
//! own, which [`finish_interrupted_cleanups`] lets the application wait for and report.

use crate::api_error::ApiFailure;
use std::sync::Mutex;
use std::time::Duration;
use tokio::task::JoinHandle;

/// What became of the probe after the run.
#[derive(Debug, Clone)]
pub enum Cleanup {
    NotNeeded,
    /// Every version the probe wrote is gone, and no delete marker was left.
    Deleted,
    /// Another run wrote over the probe before it could be deleted: left for that run.
    LeftToAnotherRun,
    /// Gone before the delete came (another run or a lifecycle rule removed it).
    AlreadyGone,
    /// Object lock retains it until the given time.
    Retained(String),
    /// The data is deleted, but a delete marker remains (removing it failed).
    MarkerLeft(ApiFailure),
    LeftBehind(ApiFailure),
}

/// One write of the probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub version_id: Option<String>,
    pub etag: Option<String>,
}

/// Everything needed to remove the probe, owned, so that it can outlive the check.
#[derive(Clone)]
pub(crate) struct CleanupJob {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub key: String,
    pub expected_owner: Option<String>,
    /// The bucket's versioning is known to be suspended.
    pub suspended: bool,
    /// The probe's writes, oldest first.
    pub writes: Vec<Write>,
}

fn is_real_version(version: &Option<String>) -> bool {
    version.as_deref().is_some_and(|v| v != "null")
}

impl CleanupJob {
    pub async fn run(&self) -> Cleanup {
        if !self.writes.is_empty() && self.writes.iter().all(|w| is_real_version(&w.version_id)) {
            for write in &self.writes {
                if let Err(failure) = self.delete(write.version_id.as_deref(), None).await {
                    return Cleanup::LeftBehind(failure);
                }
            }
            return Cleanup::Deleted;
        }
        let null_version = self
            .writes
            .iter()
            .any(|w| w.version_id.as_deref() == Some("null"));
        if self.suspended || null_version {
            return match self.delete(Some("null"), None).await {
                Ok(_) => Cleanup::Deleted,
                Err(failure) => Cleanup::LeftBehind(failure),
            };
        }
        let etag = self.writes.last().and_then(|w| w.etag.clone());
        let answer = match self.delete(None, etag.as_deref()).await {
            Err(failure)
                if failure.status == Some(412) || failure.code_is("PreconditionFailed") =>
            {
                return Cleanup::LeftToAnotherRun
            }
            Err(failure) if failure.status == Some(404) || failure.code_is("NoSuchKey") => {
                return Cleanup::AlreadyGone
            }
            // Conditional deletes need s3:GetObject as well, and some stores lack them: the
            // key is this run's own, so an unconditional delete is the fallback.
            Err(failure)
                if etag.is_some()
                    && (failure.is_access_denied()
                        || failure.is_not_implemented()
                        || failure.status == Some(400)) =>
            {
                self.delete(None, None).await
            }
            other => other,
        };
        match answer {
            Ok(Some(marker)) => match self.delete(Some(&marker), None).await {
                Ok(_) => Cleanup::Deleted,
                Err(failure) => Cleanup::MarkerLeft(failure),
            },
            Ok(None) => Cleanup::Deleted,
            Err(failure) => Cleanup::LeftBehind(failure),
        }
    }

    /// DeleteObject; `Ok(Some(version))` when S3 answered by adding a delete marker.
    async fn delete(
        &self,
        version_id: Option<&str>,
        if_match: Option<&str>,
    ) -> Result<Option<String>, ApiFailure> {
        let out = self
            .s3
            .delete_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_version_id(version_id.map(str::to_owned))
            .set_if_match(if_match.map(str::to_owned))
            .set_expected_bucket_owner(self.expected_owner.clone())
            .send()
            .await
            .map_err(|e| ApiFailure::from_sdk(&e))?;
        Ok(match (version_id, out.delete_marker()) {
            (None, Some(true)) => out.version_id().map(str::to_owned),
            _ => None,
        })
    }
}

/// Cleanups handed to tasks of their own because their check was cut short, with the probe's
/// location for the note when one does not finish in time.
static INTERRUPTED: Mutex<Vec<(String, JoinHandle<String>)>> = Mutex::new(Vec::new());

/// Holds the cleanup while the probe exists; see the module comment.
pub(crate) struct CleanupGuard(Option<CleanupJob>);

impl CleanupGuard {
    pub fn arm(job: CleanupJob) -> Self {
        CleanupGuard(Some(job))
    }

    pub fn job(&mut self) -> &mut CleanupJob {
        self.0.as_mut().expect("armed until disarmed")
    }

    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        let Some(job) = self.0.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let location = format!("s3://{}/{}", job.bucket, job.key);
        let at = location.clone();
        let handle = runtime.spawn(async move {
            let location = at;
            let what = match job.run().await {
                Cleanup::Deleted => "it was deleted afterwards".to_owned(),
                Cleanup::LeftToAnotherRun => {
                    "another run has written over it and removes it".to_owned()
                }
                Cleanup::AlreadyGone => "it was already gone".to_owned(),
                Cleanup::MarkerLeft(f) => {
                    format!("its data was deleted, but a delete marker remains ({f})")
                }
                Cleanup::LeftBehind(f) => {
                    format!("it could not be deleted ({f}): delete it by hand")
                }
                Cleanup::Retained(until) => format!("object lock retains it until {until}"),
                Cleanup::NotNeeded => "nothing was left".to_owned(),
            };
            format!("dry-run-put was cut short after uploading its probe to {location}; {what}")
        });
        INTERRUPTED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((location, handle));
    }
}

/// Waits (at most `limit` in all) for cleanups of probes whose check was cut short, and says
/// what became of each probe; the application prints these lines. A cleanup still waiting for
/// an answer at the limit is abandoned and its probe named, so an endpoint that never answers
/// cannot hold the run past its own limits (the application passes one check's time).
pub async fn finish_interrupted_cleanups(limit: Duration) -> Vec<String> {
    let handles: Vec<_> =
        std::mem::take(&mut *INTERRUPTED.lock().unwrap_or_else(|e| e.into_inner()));
    let mut notes = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    for (location, mut handle) in handles {
        match tokio::time::timeout_at(deadline, &mut handle).await {
            Ok(Ok(note)) => notes.push(note),
            Ok(Err(_)) => notes.push(format!(
                "dry-run-put was cut short after uploading its probe to {location}, and its cleanup failed: delete that object by hand"
            )),
            Err(_) => {
                handle.abort();
                notes.push(format!(
                    "dry-run-put was cut short after uploading its probe to {location}, and its delete got no answer within {} s: delete that object by hand",
                    limit.as_secs_f64()
                ));
            }
        }
    }
    notes
}
