//! The history database: new/same/fixed across runs, foreign files refused untouched, and two
//! writers at once.

use super::*;
use crate::audit::sample;
use std::sync::{Arc, Barrier};

fn header(started_at: &str) -> RunHeader {
    RunHeader::new(started_at.to_owned(), None)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "bucket-preflight-history-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Records one run of `targets` and returns them (annotated) with the run's fixed list.
fn run(path: &Path, at: &str, mut targets: Vec<TargetReport>) -> (Vec<TargetReport>, Vec<Fixed>) {
    let mut recorder = History::open(path).unwrap().start_run(&header(at)).unwrap();
    for target in &mut targets {
        recorder.annotate(target);
    }
    assert_eq!(recorder.failure(), None);
    let mut end = sample::end(&targets);
    recorder.finish(&mut end);
    (targets, end.fixed)
}

fn change(target: &TargetReport, check: &str) -> Option<Change> {
    target
        .results
        .iter()
        .find(|r| r.result.id == check)
        .and_then(|r| r.change)
}

#[test]
fn findings_are_new_then_same_and_a_passing_check_is_fixed_since_it_first_failed() {
    let dir = temp_dir("changes");
    let db = dir.join("h.db");
    let (first, fixed) = run(
        &db,
        "2026-11-01T00:00:00Z",
        vec![sample::target(
            "video",
            1,
            &[("result-url", Status::Fail), ("bucket-name", Status::Pass)],
        )],
    );
    assert_eq!(change(&first[0], "result-url"), Some(Change::New));
    assert_eq!(
        change(&first[0], "bucket-name"),
        None,
        "a pass is no finding"
    );
    assert_eq!(first[0].summary.new_fail, 1);
    assert!(fixed.is_empty());

    let (second, _) = run(
        &db,
        "2026-11-02T00:00:00Z",
        vec![sample::target(
            "video",
            1,
            &[("result-url", Status::Fail), ("bucket-name", Status::Fail)],
        )],
    );
    assert_eq!(change(&second[0], "result-url"), Some(Change::Same));
    assert_eq!(change(&second[0], "bucket-name"), Some(Change::New));
    assert_eq!(
        second[0].summary.new_fail, 1,
        "only the new fail counts for --fail-on new"
    );

    let (third, fixed) = run(
        &db,
        "2026-11-03T00:00:00Z",
        vec![sample::target(
            "video",
            1,
            &[("result-url", Status::Pass), ("bucket-name", Status::Warn)],
        )],
    );
    assert_eq!(
        fixed,
        [Fixed {
            target: "video".into(),
            check: "result-url".into(),
            since: "2026-11-01T00:00:00Z".into(),
        }]
    );
    assert_eq!(
        change(&third[0], "bucket-name"),
        Some(Change::New),
        "fail -> warn is a different finding"
    );
}

#[test]
fn each_target_is_compared_with_its_own_previous_run() {
    let dir = temp_dir("per-target");
    let db = dir.join("h.db");
    run(
        &db,
        "2026-11-01T00:00:00Z",
        vec![sample::target("a", 1, &[("result-url", Status::Warn)])],
    );
    // A shard that only covers b in between.
    run(
        &db,
        "2026-11-02T00:00:00Z",
        vec![sample::target("b", 1, &[("result-url", Status::Pass)])],
    );
    let (third, _) = run(
        &db,
        "2026-11-03T00:00:00Z",
        vec![
            sample::target("a", 1, &[("result-url", Status::Warn)]),
            sample::target("b", 1, &[("result-url", Status::Warn)]),
        ],
    );
    assert_eq!(change(&third[0], "result-url"), Some(Change::Same));
    assert_eq!(change(&third[1], "result-url"), Some(Change::New));
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = temp_dir("foreign-text");
    let path = dir.join("notes.db");
    let text = b"these are my notes, not a database\n".repeat(200);
    std::fs::write(&path, &text).unwrap();
    let err = History::open(&path).err().expect("refused");
    assert!(matches!(err, HistoryError::NotHistory { .. }), "{err}");
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("not an SQLite file"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), text);
    assert!(!dir.join("notes.db-wal").exists());
}

#[test]
fn another_programs_sqlite_database_is_refused_and_left_untouched() {
    let dir = temp_dir("foreign-sqlite");
    let path = dir.join("app.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE accounts (id INTEGER); INSERT INTO accounts VALUES (1);")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = History::open(&path).err().expect("refused");
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("another program"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let err = History::open_read_only(&path).err().expect("refused");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn a_corrupt_database_is_refused() {
    let dir = temp_dir("corrupt");
    let path = dir.join("h.db");
    run(
        &path,
        "2026-11-01T00:00:00Z",
        vec![sample::target("a", 1, &[("result-url", Status::Warn)])],
    );
    // Keep SQLite's header, overwrite the rest with garbage.
    let mut bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(dir.join("h.db-wal"));
    let _ = std::fs::remove_file(dir.join("h.db-shm"));
    for byte in bytes.iter_mut().skip(16) {
        *byte = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = History::open(&path).err().expect("refused");
    assert_eq!(err.exit_code(), 2, "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn reading_a_missing_file_is_bad_input_and_creates_nothing() {
    let dir = temp_dir("missing");
    let path = dir.join("nothing.db");
    let err = History::open_read_only(&path).err().expect("missing");
    assert!(matches!(err, HistoryError::Missing(_)));
    assert_eq!(err.exit_code(), 2);
    assert!(!path.exists());
}

#[test]
fn two_writers_at_once_both_land_and_the_database_stays_sound() {
    let dir = temp_dir("concurrent");
    let db = Arc::new(dir.join("h.db"));
    let start = Arc::new(Barrier::new(2));
    let writers: Vec<_> = ["one", "two"]
        .into_iter()
        .map(|who| {
            let (db, start) = (db.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                // Both open (and so both may try to create the schema) at the same moment.
                let history = History::open(&db).unwrap();
                let mut recorder = history.start_run(&header("2026-11-29T00:00:00Z")).unwrap();
                for i in 0..40 {
                    let mut target = sample::target(
                        &format!("{who}-{i}"),
                        1,
                        &[("result-url", Status::Fail), ("bucket-name", Status::Pass)],
                    );
                    recorder.record(&mut target).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let history = History::open_read_only(&db).unwrap();
    let count = |sql: &str| -> i64 { history.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM runs"), 2);
    assert_eq!(count("SELECT count(*) FROM target_runs"), 80);
    assert_eq!(count("SELECT count(*) FROM results"), 160);
    let integrity: String = history
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mode: String = history
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
