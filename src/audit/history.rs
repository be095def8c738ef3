//! The audit history (`audit --history FILE`): an SQLite database that records every audit run
//! (time, tool version, and each target's checks with status and summary), marks each finding
//! `new` or `same` against the previous run of that target, and lists the checks that failed or
//! warned last time and pass now as `fixed`, with the time the problem was first seen.
//!
//! Several audits may write one file at once (two cron jobs, N shards on one host): the database
//! runs in WAL mode, each target is recorded in one `BEGIN IMMEDIATE` transaction, and a busy
//! timeout makes writers queue instead of fail. A file that is not such a database (not SQLite,
//! or another program's SQLite) is refused before anything is written to it: exit 2, the file
//! untouched. The read side (the `history` command) lives in `history_cmd.rs`.

use super::model::{Annotator, Change, Fixed, RunEnd, RunHeader, TargetReport};
use preflight::Status;
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// `PRAGMA application_id` of a history database ("BPFH"): tells ours from other SQLite files.
const APPLICATION_ID: i32 = 0x4250_4648;
/// `PRAGMA user_version`: the schema below. A newer one is refused rather than misread.
const SCHEMA_VERSION: i32 = 1;
/// How long a writer waits for another one before giving up: runs record one target at a time,
/// so a wait is short unless a disk is stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

const SCHEMA: &str = "
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    shard TEXT
);
CREATE TABLE target_runs (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    target TEXT NOT NULL,
    bucket TEXT NOT NULL,
    error TEXT,
    pass INTEGER NOT NULL, warn INTEGER NOT NULL, fail INTEGER NOT NULL,
    skip INTEGER NOT NULL, errors INTEGER NOT NULL, muted INTEGER NOT NULL,
    PRIMARY KEY (run_id, target)
);
CREATE TABLE results (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    target TEXT NOT NULL,
    check_id TEXT NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    muted INTEGER NOT NULL,
    change TEXT,
    PRIMARY KEY (run_id, target, check_id)
);
CREATE INDEX results_by_check ON results (target, check_id, run_id);
CREATE TABLE fixed (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    target TEXT NOT NULL,
    check_id TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (run_id, target, check_id)
);
";

/// Why a history file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The file exists but is no history database: bad input, never overwritten.
    #[error("{path} is not a bucket-preflight history database ({why}); it was left untouched: give a new file name or the file an earlier `audit --history` wrote")]
    NotHistory { path: String, why: String },
    /// `history` was asked to read a file that does not exist.
    #[error("no history database at {0}: `audit --history {0}` creates it on its first run")]
    Missing(String),
    #[error("history database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
}

impl HistoryError {
    /// 2 for a wrong or missing file (bad input), 3 when SQLite itself failed (the run could
    /// not be recorded, so `new`/`fixed` are unverified).
    pub fn exit_code(&self) -> u8 {
        match self {
            HistoryError::NotHistory { .. } | HistoryError::Missing(_) => 2,
            HistoryError::Sqlite { .. } => 3,
        }
    }
}

/// An open history database.
pub struct History {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
}

impl History {
    /// Opens (or creates) a history database for an audit to write.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        refuse_foreign_file(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut history = Self::connect(path, flags)?;
        history.prepare_schema()?;
        // Only now, with the file known to be ours: WAL changes the file's header.
        history
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(|e| history.error(e))?;
        Ok(history)
    }

    /// Opens an existing history database read-only (the `history` command).
    pub fn open_read_only(path: &Path) -> Result<History, HistoryError> {
        if !path.exists() {
            return Err(HistoryError::Missing(path.display().to_string()));
        }
        refuse_foreign_file(path)?;
        let history = Self::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let (application_id, version, tables) = history.identity()?;
        history.accept(application_id, version, tables)?;
        if application_id != APPLICATION_ID {
            return Err(history.not_history("an empty SQLite database".into()));
        }
        Ok(history)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<History, HistoryError> {
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| HistoryError::Sqlite {
                path: path.display().to_string(),
                source,
            })?;
        let history = History {
            conn,
            path: path.to_owned(),
        };
        history
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| history.error(e))?;
        Ok(history)
    }

    /// Creates the schema in a new (empty) database, or checks that an existing one is ours;
    /// in one immediate transaction, so two first runs at once do not both create it.
    fn prepare_schema(&mut self) -> Result<(), HistoryError> {
        let path = self.path.display().to_string();
        let sqlite = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let (application_id, version, tables) = self.identity()?;
        self.accept(application_id, version, tables)?;
        if application_id == APPLICATION_ID {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let (application_id, _, tables): (i32, i32, i64) = tx
            .query_row(IDENTITY_SQL, [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .map_err(sqlite)?;
        if application_id != APPLICATION_ID && tables > 0 {
            return Err(HistoryError::NotHistory {
                path,
                why: format!("an SQLite database of another program, with {tables} table(s)"),
            });
        }
        if application_id != APPLICATION_ID {
            tx.execute_batch(SCHEMA).map_err(sqlite)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sqlite)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)
    }

    /// `(application_id, user_version, number of tables)`.
    fn identity(&self) -> Result<(i32, i32, i64), HistoryError> {
        self.conn
            .query_row(IDENTITY_SQL, [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .map_err(|e| self.error(e))
    }

    /// Refuses another program's database and a newer schema than this tool knows.
    fn accept(&self, application_id: i32, version: i32, tables: i64) -> Result<(), HistoryError> {
        if application_id == APPLICATION_ID {
            if version > SCHEMA_VERSION {
                return Err(self.not_history(format!(
                    "written by a newer bucket-preflight (schema {version}, this one reads {SCHEMA_VERSION})"
                )));
            }
            return Ok(());
        }
        if tables > 0 {
            return Err(self.not_history(format!(
                "an SQLite database of another program, with {tables} table(s)"
            )));
        }
        Ok(())
    }

    fn not_history(&self, why: String) -> HistoryError {
        HistoryError::NotHistory {
            path: self.path.display().to_string(),
            why,
        }
    }

    /// Wraps an SQLite error; a file SQLite cannot read as a database is "not a history".
    pub(super) fn error(&self, source: rusqlite::Error) -> HistoryError {
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                self.not_history(format!("SQLite cannot read it: {source}"))
            }
            _ => HistoryError::Sqlite {
                path: self.path.display().to_string(),
                source,
            },
        }
    }

    /// Starts recording a run; the returned annotator records each target as it finishes.
    pub fn start_run(self, header: &RunHeader) -> Result<HistoryRecorder, HistoryError> {
        self.conn
            .execute(
                "INSERT INTO runs (started_at, tool_version, shard) VALUES (?1, ?2, ?3)",
                params![header.started_at, header.tool.version, header.shard],
            )
            .map_err(|e| self.error(e))?;
        let run_id = self.conn.last_insert_rowid();
        Ok(HistoryRecorder {
            history: self,
            run_id,
            fixed: Vec::new(),
            failure: None,
            failed: Arc::new(AtomicBool::new(false)),
        })
    }
}

const IDENTITY_SQL: &str = "SELECT (SELECT application_id FROM pragma_application_id), \
     (SELECT user_version FROM pragma_user_version), \
     (SELECT count(*) FROM sqlite_master WHERE type = 'table')";

/// Refuses, before SQLite touches it, a path that is a directory or a non-empty file that does
/// not start with SQLite's header. (An empty file is an empty database: SQLite's own view.)
fn refuse_foreign_file(path: &Path) -> Result<(), HistoryError> {
    use std::io::Read;
    let refuse = |why: &str| HistoryError::NotHistory {
        path: path.display().to_string(),
        why: why.to_owned(),
    };
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(());
    };
    if metadata.is_dir() {
        return Err(refuse("a directory"));
    }
    if metadata.len() == 0 {
        return Ok(());
    }
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok();
    if !read || &head != SQLITE_MAGIC {
        return Err(refuse("not an SQLite file"));
    }
    Ok(())
}

/// Records one audit run target by target, marking findings `new`/`same` and collecting the
/// checks fixed since the previous run. As an [`Annotator`] it runs after the mutes.
pub struct HistoryRecorder {
    history: History,
    run_id: i64,
    fixed: Vec<Fixed>,
    failure: Option<String>,
    failed: Arc<AtomicBool>,
}

impl HistoryRecorder {
    #[cfg(test)]
    /// The first error that kept a target from being recorded (then its findings carry no
    /// `change`, and `--fail-on new` cannot be trusted: the caller should exit 3).
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Set once a target could not be recorded; shared so the caller can read it after the
    /// recorder was handed to the run as an annotator.
    pub fn failure_flag(&self) -> Arc<AtomicBool> {
        self.failed.clone()
    }

    /// Compares `target` with its previous run, marks its findings, and stores it; returns
    /// the checks it fixed. One immediate transaction: concurrent runs queue here.
    pub fn record(&mut self, target: &mut TargetReport) -> Result<Vec<Fixed>, HistoryError> {
        let path = self.history.path.display().to_string();
        let sqlite = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .history
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        // The previous run of this target that checked it (a run where it could not be
        // checked at all says nothing about its findings).
        let previous: Option<i64> = tx
            .query_row(
                "SELECT max(run_id) FROM target_runs WHERE target = ?1 AND run_id < ?2 AND error IS NULL",
                params![target.name, self.run_id],
                |row| row.get(0),
            )
            .optional()
            .map_err(sqlite)?
            .flatten();
        let mut before: HashMap<String, String> = HashMap::new();
        if let Some(previous) = previous {
            let mut statement = tx
                .prepare("SELECT check_id, status FROM results WHERE run_id = ?1 AND target = ?2")
                .map_err(sqlite)?;
            let rows = statement
                .query_map(params![previous, target.name], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(sqlite)?;
            for row in rows {
                let (check, status) = row.map_err(sqlite)?;
                before.insert(check, status);
            }
        }
        let mut fixed = Vec::new();
        for result in &mut target.results {
            let id = result.result.id;
            let was = before.get(id).map(String::as_str);
            if result.is_finding() {
                result.change = Some(if was == Some(result.status().as_str()) {
                    Change::Same
                } else {
                    Change::New
                });
            } else if result.status() == Status::Pass && matches!(was, Some("fail" | "warn")) {
                let since = problem_since(&tx, &target.name, id, self.run_id).map_err(sqlite)?;
                fixed.push(Fixed {
                    target: target.name.clone(),
                    check: id.to_owned(),
                    since,
                });
            }
        }
        target.recount();
        let counts = &target.summary;
        tx.execute(
            "INSERT OR REPLACE INTO target_runs (run_id, target, bucket, error, pass, warn, fail, skip, errors, muted) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                self.run_id,
                target.name,
                target.target.bucket,
                target.error,
                counts.pass as i64,
                counts.warn as i64,
                counts.fail as i64,
                counts.skip as i64,
                counts.error as i64,
                counts.muted as i64
            ],
        )
        .map_err(sqlite)?;
        for result in &target.results {
            tx.execute(
                "INSERT OR REPLACE INTO results (run_id, target, check_id, status, summary, muted, change) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    self.run_id,
                    target.name,
                    result.result.id,
                    result.status().as_str(),
                    result.result.summary,
                    result.muted.is_some(),
                    result.change.map(change_str)
                ],
            )
            .map_err(sqlite)?;
        }
        for fix in &fixed {
            tx.execute(
                "INSERT OR REPLACE INTO fixed (run_id, target, check_id, since) VALUES (?1, ?2, ?3, ?4)",
                params![self.run_id, fix.target, fix.check, fix.since],
            )
            .map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)?;
        Ok(fixed)
    }
}

impl Annotator for HistoryRecorder {
    fn annotate(&mut self, target: &mut TargetReport) {
        match self.record(target) {
            Ok(fixed) => self.fixed.extend(fixed),
            Err(err) => {
                // Unrecorded: no `change` claims about this target.
                for result in &mut target.results {
                    result.change = None;
                }
                target.recount();
                self.failed.store(true, Ordering::Relaxed);
                self.failure.get_or_insert_with(|| err.to_string());
            }
        }
    }

    fn finish(&mut self, end: &mut RunEnd) {
        end.fixed.append(&mut self.fixed);
        if let Some(failure) = &self.failure {
            eprintln!(
                "error: some targets could not be recorded in the history, so they carry no new/same marks: {}",
                crate::printable(failure)
            );
        }
    }
}

pub(super) fn change_str(change: Change) -> &'static str {
    match change {
        Change::New => "new",
        Change::Same => "same",
    }
}

/// When the problem a check just stopped having was first seen: the start of the earliest run
/// in the unbroken series of fail/warn results before `run_id`.
fn problem_since(
    conn: &Connection,
    target: &str,
    check: &str,
    run_id: i64,
) -> rusqlite::Result<String> {
    let mut statement = conn.prepare(
        "SELECT runs.started_at, results.status FROM results JOIN runs ON runs.id = results.run_id \
         WHERE results.target = ?1 AND results.check_id = ?2 AND results.run_id < ?3 \
         ORDER BY results.run_id DESC",
    )?;
    let mut rows = statement.query(params![target, check, run_id])?;
    let mut since = String::new();
    while let Some(row) = rows.next()? {
        let status: String = row.get(1)?;
        if status != "fail" && status != "warn" {
            break;
        }
        since = row.get(0)?;
    }
    Ok(since)
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
