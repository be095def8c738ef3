//! Mutes (`audit --mute FILE`): known findings an operator has accepted for a while. This module
//! owns the TOML format, its validation (exit 2 with file, line and the accepted keys), matching
//! a finding to a mute by check id and target-name glob, expiry, and the list of mutes that
//! expired or matched nothing, so a stale mute is seen instead of silently hiding things.
//!
//! A muted finding is still reported (as muted, with the reason); it only stops counting for the
//! exit code. Only findings (warn, fail, error) are muted: a pass or skip needs no excuse, so a
//! mute whose check now passes everywhere shows up as matching nothing — time to delete it.

use super::model::{self, Annotator, MuteNotice, RunEnd, TargetReport};
use chrono::NaiveDate;
use globset::{Glob, GlobMatcher};
use preflight::{registry, Status};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The keys a `[[mute]]` entry accepts, named in every error about the file.
const ACCEPTED_KEYS: &str = "check, target, reason, expires";

/// The file as written: every `[[mute]]` table, each key with its place in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MuteFileToml {
    #[serde(default)]
    mute: Vec<toml::Spanned<MuteToml>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MuteToml {
    check: toml::Spanned<String>,
    target: toml::Spanned<String>,
    reason: toml::Spanned<String>,
    expires: Option<toml::Spanned<ExpiresToml>>,
}

/// `expires = "2027-01-31"` or the TOML date literal `expires = 2027-01-31`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ExpiresToml {
    Text(String),
    Date(toml::value::Datetime),
}

/// One accepted finding: which check, on which targets, why, and until when.
#[derive(Debug, Clone)]
pub struct Mute {
    /// A check id (`result-url`) or a glob over check ids.
    pub check: String,
    /// A glob over target names (`legacy-*`).
    pub target: String,
    pub reason: String,
    /// The last day (UTC) the mute applies; from the day after, it no longer mutes.
    pub expires: Option<NaiveDate>,
    /// 1-based line of the `[[mute]]` entry in its file.
    pub line: usize,
    check_glob: GlobMatcher,
    target_glob: GlobMatcher,
}

impl Mute {
    pub fn matches(&self, target: &str, check: &str) -> bool {
        self.check_glob.is_match(check) && self.target_glob.is_match(target)
    }

    pub fn is_expired(&self, today: NaiveDate) -> bool {
        self.expires.is_some_and(|last_day| today > last_day)
    }

    /// What a report shows on a finding this mute covers (`muted` or `expired_mute`).
    pub fn note(&self) -> model::Mute {
        model::Mute {
            reason: self.reason.clone(),
            expires: self.expires.map(|d| d.to_string()),
        }
    }
}

/// Every mute of one file, in file order.
#[derive(Debug, Clone, Default)]
pub struct MuteList {
    pub file: PathBuf,
    pub mutes: Vec<Mute>,
}

/// What a mute list says about one result.
#[derive(Debug, Clone, Copy)]
pub enum MuteDecision<'a> {
    /// No mute applies (or the result is not a finding).
    None,
    /// Muted: stays in the report, does not count for the exit code.
    Muted(&'a Mute),
    /// Only expired mutes match: the finding counts again; the report says the mute expired.
    Expired(&'a Mute),
}

impl MuteList {
    /// Reads and validates a mute file; the error is one line for an exit code 2.
    pub fn load(path: &Path) -> Result<MuteList, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read the mute file {}: {err}", path.display()))?;
        Self::parse(&text, path)
    }

    /// Parses mute-file text; `path` is only used to name the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<MuteList, String> {
        let at = |offset: usize| format!("{}:{}", path.display(), line_of(text, offset));
        let parsed: MuteFileToml = toml::from_str(text).map_err(|err| {
            let place = err
                .span()
                .map(|span| at(span.start))
                .unwrap_or_else(|| path.display().to_string());
            format!(
                "{place}: {}; a mute file holds [[mute]] entries with the keys {ACCEPTED_KEYS} \
                 (check, target and reason required)",
                err.message().trim()
            )
        })?;
        let mut mutes = Vec::with_capacity(parsed.mute.len());
        for entry in parsed.mute {
            let line = line_of(text, entry.span().start);
            let entry = entry.into_inner();
            let reason = entry.reason.get_ref().trim().to_owned();
            if reason.is_empty() {
                return Err(format!(
                    "{}: `reason` is empty: say why this finding is accepted (it is shown in every report)",
                    at(entry.reason.span().start)
                ));
            }
            let check = entry.check.get_ref().trim().to_owned();
            if !has_glob_syntax(&check) && registry::find(&check).is_none() {
                let hint = registry::suggest(&check)
                    .map(|id| format!(" (did you mean `{id}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "{}: `check = \"{check}\"` is no check id{hint}; accepted: {} (or a glob over them)",
                    at(entry.check.span().start),
                    registry::ids().join(", ")
                ));
            }
            let check_glob = compile(&check)
                .map_err(|err| format!("{}: `check`: {err}", at(entry.check.span().start)))?;
            let target = entry.target.get_ref().trim().to_owned();
            if target.is_empty() {
                return Err(format!(
                    "{}: `target` is empty: give a target name or a glob such as \"legacy-*\" (\"*\" for all)",
                    at(entry.target.span().start)
                ));
            }
            let target_glob = compile(&target)
                .map_err(|err| format!("{}: `target`: {err}", at(entry.target.span().start)))?;
            let expires = match entry.expires {
                None => None,
                Some(spanned) => {
                    let place = at(spanned.span().start);
                    Some(parse_date(spanned.into_inner()).map_err(|bad| {
                        format!("{place}: `expires = {bad}` is no date: write it as \"YYYY-MM-DD\" (the last day the mute applies, UTC)")
                    })?)
                }
            };
            mutes.push(Mute {
                check,
                target,
                reason,
                expires,
                line,
                check_glob,
                target_glob,
            });
        }
        Ok(MuteList {
            file: path.to_owned(),
            mutes,
        })
    }

    /// A ledger that decides results of one run and remembers which mutes matched.
    pub fn ledger(self, today: NaiveDate) -> MuteLedger {
        MuteLedger {
            matched: vec![false; self.mutes.len()],
            list: self,
            today,
        }
    }
}

/// Decides results against a mute list during one run, then lists the mutes to report. As an
/// [`Annotator`] it marks each target's results `muted` / `expired_mute` and recounts them.
#[derive(Debug)]
pub struct MuteLedger {
    list: MuteList,
    today: NaiveDate,
    matched: Vec<bool>,
}

impl MuteLedger {
    /// Whether the result of `check` on `target` is muted. The first live mute in file order
    /// wins; an expired one is only named when no live one matches.
    pub fn decide(&mut self, target: &str, check: &str, status: Status) -> MuteDecision<'_> {
        if !matches!(status, Status::Warn | Status::Fail | Status::Error) {
            return MuteDecision::None;
        }
        let mut decision = MuteDecision::None;
        for (index, mute) in self.list.mutes.iter().enumerate() {
            if !mute.matches(target, check) {
                continue;
            }
            self.matched[index] = true;
            if !mute.is_expired(self.today) {
                return MuteDecision::Muted(mute);
            }
            if matches!(decision, MuteDecision::None) {
                decision = MuteDecision::Expired(mute);
            }
        }
        decision
    }

    /// The mutes to tell the operator about after the run: every expired one (it no longer
    /// mutes), then every live one that matched no finding (stale, or a typo in its glob).
    pub fn notices(&self) -> Vec<MuteNotice> {
        let notice = |state, mute: &Mute| MuteNotice {
            state,
            check: mute.check.clone(),
            target: mute.target.clone(),
            reason: mute.reason.clone(),
            expires: mute.expires.map(|d| d.to_string()),
            file: self.list.file.display().to_string(),
            line: mute.line,
        };
        let expired = self
            .list
            .mutes
            .iter()
            .filter(|mute| mute.is_expired(self.today))
            .map(|mute| notice("expired", mute));
        let unmatched = self
            .list
            .mutes
            .iter()
            .zip(&self.matched)
            .filter(|(mute, matched)| !**matched && !mute.is_expired(self.today))
            .map(|(mute, _)| notice("unmatched", mute));
        expired.chain(unmatched).collect()
    }
}

impl Annotator for MuteLedger {
    fn annotate(&mut self, target: &mut TargetReport) {
        let name = target.name.clone();
        for result in &mut target.results {
            let (muted, expired) = match self.decide(&name, result.result.id, result.status()) {
                MuteDecision::None => (None, None),
                MuteDecision::Muted(mute) => (Some(mute.note()), None),
                MuteDecision::Expired(mute) => (None, Some(mute.note())),
            };
            result.muted = muted;
            result.expired_mute = expired;
        }
        target.recount();
    }

    fn finish(&mut self, end: &mut RunEnd) {
        end.mutes = self.notices();
    }
}

/// Today's date in UTC: what `expires` is compared with.
pub fn today_utc() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// One line per notice, for stderr or the end of a table report.
pub fn describe(notice: &MuteNotice) -> String {
    let what = format!(
        "mute `{}` on `{}` ({}:{})",
        notice.check, notice.target, notice.file, notice.line
    );
    match notice.state {
        "expired" => format!(
            "{what} expired on {}: its findings count again; renew `expires` or fix them",
            notice.expires.as_deref().unwrap_or("?")
        ),
        _ => {
            format!("{what} matched no finding: it is stale or its glob is wrong; delete or fix it")
        }
    }
}

fn compile(pattern: &str) -> Result<GlobMatcher, String> {
    Glob::new(pattern)
        .map(|glob| glob.compile_matcher())
        .map_err(|err| format!("`{pattern}` is not a valid glob: {}", err.kind()))
}

fn has_glob_syntax(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

fn parse_date(raw: ExpiresToml) -> Result<NaiveDate, String> {
    match raw {
        ExpiresToml::Text(text) => {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| format!("\"{text}\""))
        }
        ExpiresToml::Date(datetime) => match (datetime.date, datetime.time) {
            (Some(date), None) => NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
            .ok_or_else(|| datetime.to_string()),
            _ => Err(datetime.to_string()),
        },
    }
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
#[path = "mute_tests.rs"]
mod tests;
