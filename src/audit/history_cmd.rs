//! The `history` command: reads an audit history database (never writes it) and shows, per
//! target, its recent runs with their counts, the findings that were new in each run and the
//! checks each run found fixed. Table for people, JSON for scripts.

use super::history::{History, HistoryError};
use crate::cli::{HistoryArgs, ListFormat};
use crate::{bad_input, printable};
use rusqlite::params;
use serde::Serialize;
use std::fmt::Write as _;
use std::process::ExitCode;

/// Runs shown per target, newest first: enough to see a trend, short enough to read.
const RUNS_PER_TARGET: usize = 20;

#[derive(Debug, Serialize)]
pub struct HistoryView {
    pub schema_version: u32,
    pub kind: &'static str,
    pub file: String,
    pub targets: Vec<TargetHistory>,
}

#[derive(Debug, Serialize)]
pub struct TargetHistory {
    pub name: String,
    pub bucket: String,
    /// Newest first, at most the last 20.
    pub runs: Vec<RunView>,
}

#[derive(Debug, Serialize)]
pub struct RunView {
    pub run_id: i64,
    pub started_at: String,
    pub tool_version: String,
    pub shard: Option<String>,
    /// Why the target could not be checked in this run, if it could not.
    pub error: Option<String>,
    pub summary: CountsView,
    /// Findings that were not there (with this status) in the previous run.
    pub new: Vec<FindingView>,
    /// Checks that failed or warned in the previous run and passed in this one.
    pub fixed: Vec<FixedView>,
}

#[derive(Debug, Serialize)]
pub struct CountsView {
    pub pass: i64,
    pub warn: i64,
    pub fail: i64,
    pub skip: i64,
    pub error: i64,
    pub muted: i64,
}

#[derive(Debug, Serialize)]
pub struct FindingView {
    pub check: String,
    pub status: String,
    pub summary: String,
    pub muted: bool,
}

#[derive(Debug, Serialize)]
pub struct FixedView {
    pub check: String,
    /// When the problem was first seen.
    pub since: String,
}

pub fn run(args: HistoryArgs) -> ExitCode {
    let history = match History::open_read_only(&args.history) {
        Ok(history) => history,
        Err(err) => return refuse(err),
    };
    let view = match load(&history, args.target.as_deref()) {
        Ok(view) => view,
        Err(err) => return refuse(err),
    };
    if let Some(wanted) = &args.target {
        if view.targets.is_empty() {
            let names = target_names(&history).unwrap_or_default();
            let close = names
                .iter()
                .min_by_key(|name| strsim::levenshtein(name, wanted))
                .filter(|name| strsim::levenshtein(name, wanted) <= 3)
                .map(|name| format!(" (did you mean `{name}`?)"))
                .unwrap_or_default();
            return bad_input(&format!(
                "no target named `{wanted}` in {}{close}; it records: {}",
                args.history.display(),
                if names.is_empty() {
                    "no targets yet".to_owned()
                } else {
                    names.join(", ")
                }
            ));
        }
    }
    let text = match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&view).expect("view serialises") + "\n",
        ListFormat::Table => render_table(&view),
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes());
    ExitCode::SUCCESS
}

fn refuse(err: HistoryError) -> ExitCode {
    if err.exit_code() == 2 {
        return bad_input(&err.to_string());
    }
    eprintln!("error: {}", printable(&err.to_string()));
    ExitCode::from(err.exit_code())
}

fn target_names(history: &History) -> Result<Vec<String>, HistoryError> {
    let mut statement = history
        .conn
        .prepare("SELECT DISTINCT target FROM target_runs ORDER BY target")
        .map_err(|e| history.error(e))?;
    let names = statement
        .query_map([], |row| row.get(0))
        .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
        .map_err(|e| history.error(e))?;
    Ok(names)
}

/// Every target (or the one named), each with its newest runs.
pub fn load(history: &History, only: Option<&str>) -> Result<HistoryView, HistoryError> {
    let sqlite = |e| history.error(e);
    let names: Vec<String> = match only {
        Some(name) => target_names(history)?
            .into_iter()
            .filter(|n| n == name)
            .collect(),
        None => target_names(history)?,
    };
    let mut runs_of = history
        .conn
        .prepare(
            "SELECT t.run_id, r.started_at, r.tool_version, r.shard, t.bucket, t.error, \
                    t.pass, t.warn, t.fail, t.skip, t.errors, t.muted \
             FROM target_runs t JOIN runs r ON r.id = t.run_id \
             WHERE t.target = ?1 ORDER BY t.run_id DESC LIMIT ?2",
        )
        .map_err(sqlite)?;
    let mut new_in = history
        .conn
        .prepare(
            "SELECT check_id, status, summary, muted FROM results \
             WHERE run_id = ?1 AND target = ?2 AND change = 'new' ORDER BY check_id",
        )
        .map_err(sqlite)?;
    let mut fixed_in = history
        .conn
        .prepare(
            "SELECT check_id, since FROM fixed WHERE run_id = ?1 AND target = ?2 ORDER BY check_id",
        )
        .map_err(sqlite)?;
    let mut targets = Vec::new();
    for name in names {
        let mut bucket = String::new();
        let rows = runs_of
            .query_map(params![name, RUNS_PER_TARGET as i64], |row| {
                Ok((
                    row.get::<_, String>(4)?,
                    RunView {
                        run_id: row.get(0)?,
                        started_at: row.get(1)?,
                        tool_version: row.get(2)?,
                        shard: row.get(3)?,
                        error: row.get(5)?,
                        summary: CountsView {
                            pass: row.get(6)?,
                            warn: row.get(7)?,
                            fail: row.get(8)?,
                            skip: row.get(9)?,
                            error: row.get(10)?,
                            muted: row.get(11)?,
                        },
                        new: Vec::new(),
                        fixed: Vec::new(),
                    },
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(sqlite)?;
        let mut runs = Vec::with_capacity(rows.len());
        for (run_bucket, mut run) in rows {
            if bucket.is_empty() {
                bucket = run_bucket;
            }
            run.new = new_in
                .query_map(params![run.run_id, name], |row| {
                    Ok(FindingView {
                        check: row.get(0)?,
                        status: row.get(1)?,
                        summary: row.get(2)?,
                        muted: row.get(3)?,
                    })
                })
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(sqlite)?;
            run.fixed = fixed_in
                .query_map(params![run.run_id, name], |row| {
                    Ok(FixedView {
                        check: row.get(0)?,
                        since: row.get(1)?,
                    })
                })
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(sqlite)?;
            runs.push(run);
        }
        targets.push(TargetHistory { name, bucket, runs });
    }
    Ok(HistoryView {
        schema_version: 1,
        kind: "history",
        file: history.path.display().to_string(),
        targets,
    })
}

/// Per target: one line per run (newest first) with its counts, then what changed in it.
pub fn render_table(view: &HistoryView) -> String {
    let mut out = String::new();
    if view.targets.is_empty() {
        return format!("{} records no audit runs yet.\n", view.file);
    }
    for target in &view.targets {
        let _ = writeln!(
            out,
            "{} (bucket {})",
            printable(&target.name),
            printable(&target.bucket)
        );
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header(["Run", "Started", "Version", "Result", "Changes"]);
        for run in &target.runs {
            let s = &run.summary;
            let result = match &run.error {
                Some(error) => format!("not checked: {}", printable(error)),
                None => format!(
                    "{} fail, {} error, {} warn, {} pass, {} skip{}",
                    s.fail,
                    s.error,
                    s.warn,
                    s.pass,
                    s.skip,
                    if s.muted > 0 {
                        format!(", {} muted", s.muted)
                    } else {
                        String::new()
                    }
                ),
            };
            let mut changes: Vec<String> = run
                .new
                .iter()
                .map(|f| {
                    format!(
                        "new {} {}{}",
                        f.status,
                        f.check,
                        if f.muted { " (muted)" } else { "" }
                    )
                })
                .collect();
            changes.extend(
                run.fixed
                    .iter()
                    .map(|f| format!("fixed {} (since {})", f.check, f.since)),
            );
            table.add_row([
                run.run_id.to_string(),
                run.started_at.clone(),
                run.tool_version.clone(),
                result,
                if changes.is_empty() {
                    "—".to_owned()
                } else {
                    changes.join("\n")
                },
            ]);
        }
        let _ = writeln!(out, "{table}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::{Annotator, RunHeader};
    use crate::audit::sample;
    use preflight::Status;

    #[test]
    fn shows_each_runs_new_findings_and_fixes() {
        let dir = std::env::temp_dir().join(format!("bp-history-view-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("h.db");
        for (at, status) in [
            ("2026-11-01T00:00:00Z", Status::Fail),
            ("2026-11-02T00:00:00Z", Status::Pass),
        ] {
            let mut recorder = History::open(&db)
                .unwrap()
                .start_run(&RunHeader::new(at.into(), None))
                .unwrap();
            recorder.annotate(&mut sample::target("video", 1, &[("result-url", status)]));
            recorder.annotate(&mut sample::target(
                "audio",
                1,
                &[("bucket-name", Status::Pass)],
            ));
        }
        let history = History::open_read_only(&db).unwrap();
        let view = load(&history, Some("video")).unwrap();
        assert_eq!(view.targets.len(), 1);
        let runs = &view.targets[0].runs;
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].started_at, "2026-11-02T00:00:00Z", "newest first");
        assert_eq!(runs[0].fixed[0].check, "result-url");
        assert_eq!(runs[0].fixed[0].since, "2026-11-01T00:00:00Z");
        assert_eq!(runs[1].new[0].check, "result-url");
        assert_eq!(runs[1].new[0].status, "fail");
        let table = render_table(&view);
        assert!(
            table.contains("fixed result-url (since 2026-11-01T00:00:00Z)"),
            "{table}"
        );
        assert!(table.contains("new fail result-url"), "{table}");
        assert_eq!(load(&history, None).unwrap().targets.len(), 2);
    }
}
