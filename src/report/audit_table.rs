//! The audit's terminal report: one row per target (name, worst status, counts, the first
//! failing check), then the findings grouped by check across targets ("block-public-access:
//! fail on 12 targets: …"), then the totals and the verdict. A table cannot be laid out before
//! its last row, so this sink keeps one short row per target and the names per finding; never
//! the targets' full results.

use super::TableStyle;
use crate::audit::model::{AuditSink, RunEnd, RunHeader, TargetReport};
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
use preflight::{registry, Status};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// How many target names a grouped finding lists before "and N more" (all of them with -v).
const NAMES_SHOWN: usize = 8;

struct Row {
    name: String,
    worst: Status,
    counts: String,
    first: String,
}

/// One finding in full, kept only with -v.
struct Detail {
    target: String,
    check: &'static str,
    status: Status,
    summary: String,
    remediation: Option<String>,
}

pub struct AuditTable<W: Write + Send> {
    out: W,
    style: TableStyle,
    heading: String,
    rows: Vec<Row>,
    /// (check id, status) → the targets with that finding; muted findings under `None`.
    grouped: BTreeMap<(usize, &'static str, Option<Status>), Vec<String>>,
    details: Vec<Detail>,
}

impl<W: Write + Send> AuditTable<W> {
    pub fn new(out: W, style: TableStyle) -> Self {
        AuditTable {
            out,
            style,
            heading: String::new(),
            rows: Vec::new(),
            grouped: BTreeMap::new(),
            details: Vec::new(),
        }
    }
}

fn status_cell(status: Status, colour: bool) -> Cell {
    let cell = Cell::new(status.as_str().to_uppercase());
    if !colour {
        return cell;
    }
    cell.fg(match status {
        Status::Pass => Color::Green,
        Status::Warn => Color::Yellow,
        Status::Fail => Color::Red,
        Status::Skip => Color::DarkGrey,
        Status::Error => Color::Magenta,
    })
}

/// "2 fail, 1 warn, 12 pass, 1 muted", worst first, zero counts left out.
fn counts_line(target: &TargetReport) -> String {
    let s = &target.summary;
    let parts: Vec<String> = [
        ("fail", s.fail),
        ("error", s.error),
        ("warn", s.warn),
        ("pass", s.pass),
        ("skip", s.skip),
        ("muted", s.muted),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(name, n)| format!("{n} {name}"))
    .collect();
    if parts.is_empty() {
        "no checks ran".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Registry position, so findings are grouped in the order `check` lists the checks.
fn position(id: &str) -> usize {
    registry::ALL
        .iter()
        .position(|c| c.info().id == id)
        .unwrap_or(usize::MAX)
}

impl<W: Write + Send> AuditSink for AuditTable<W> {
    fn begin(&mut self, header: &RunHeader) -> io::Result<()> {
        self.heading = format!(
            "{} {} audit · started {}",
            header.tool.name, header.tool.version, header.started_at
        );
        if let Some(shard) = &header.shard {
            let _ = write!(self.heading, " · shard {shard}");
        }
        Ok(())
    }

    fn target(&mut self, target: &TargetReport) -> io::Result<()> {
        let worst = target.worst();
        let first = match (&target.error, target.first_worst()) {
            (Some(error), _) => format!("error: {error}"),
            (None, Some(result)) if worst != Status::Pass && worst != Status::Skip => {
                format!("{}: {}", result.result.id, result.result.summary)
            }
            _ => String::new(),
        };
        self.rows.push(Row {
            name: target.name.clone(),
            worst,
            counts: counts_line(target),
            first,
        });
        for result in target.results.iter().filter(|r| r.is_finding()) {
            let id = result.result.id;
            let status = result.muted.is_none().then_some(result.status());
            self.grouped
                .entry((position(id), id, status))
                .or_default()
                .push(target.name.clone());
            if self.style.verbose > 0 && result.muted.is_none() {
                self.details.push(Detail {
                    target: target.name.clone(),
                    check: id,
                    status: result.status(),
                    summary: result.result.summary.clone(),
                    remediation: result.result.remediation.clone(),
                });
            }
        }
        Ok(())
    }

    fn finish(&mut self, end: &RunEnd) -> io::Result<()> {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.heading);
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS)
            .set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(width) = self.style.width {
            table.set_width(width);
        }
        if self.style.colour {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table.set_header(["Status", "Target", "Checks", "First finding"]);
        // Worst first, then by name: what needs attention is at the top, and the order is
        // stable whatever order the targets finished in.
        let rank = |s: Status| match s {
            Status::Fail => 0,
            Status::Error => 1,
            Status::Warn => 2,
            Status::Skip => 3,
            Status::Pass => 4,
        };
        self.rows
            .sort_by(|a, b| (rank(a.worst), &a.name).cmp(&(rank(b.worst), &b.name)));
        for row in &self.rows {
            table.add_row([
                status_cell(row.worst, self.style.colour),
                Cell::new(&row.name),
                Cell::new(&row.counts),
                Cell::new(&row.first),
            ]);
        }
        if self.rows.is_empty() {
            let _ = writeln!(
                out,
                "No targets: give --config, --template, --transloadit or --all-buckets."
            );
        } else {
            let _ = writeln!(out, "{table}");
        }

        if !self.grouped.is_empty() {
            let _ = writeln!(out, "\nFindings by check:");
            let all = self.style.verbose > 0;
            for ((_, id, status), names) in &mut self.grouped {
                names.sort();
                let label = status.map(Status::as_str).unwrap_or("muted");
                let plural = if names.len() == 1 {
                    "target"
                } else {
                    "targets"
                };
                let shown = if all {
                    names.len()
                } else {
                    NAMES_SHOWN.min(names.len())
                };
                let mut list = names[..shown].join(", ");
                if shown < names.len() {
                    let _ = write!(list, " and {} more (-v lists all)", names.len() - shown);
                }
                let _ = writeln!(out, "  {id}: {label} on {} {plural}: {list}", names.len());
            }
        }

        if !self.details.is_empty() {
            self.details.sort_by(|a, b| {
                (&a.target, position(a.check)).cmp(&(&b.target, position(b.check)))
            });
            let _ = writeln!(out, "\nFindings in full:");
            for d in &self.details {
                let _ = writeln!(
                    out,
                    "  {} · {} [{}]: {}",
                    d.target, d.check, d.status, d.summary
                );
                if let Some(fix) = &d.remediation {
                    let _ = writeln!(out, "    fix: {fix}");
                }
            }
        }

        if !end.fixed.is_empty() {
            let _ = writeln!(out, "\nFixed since the last run:");
            for fixed in &end.fixed {
                let _ = writeln!(
                    out,
                    "  {} · {} (failing since {})",
                    fixed.target, fixed.check, fixed.since
                );
            }
        }

        let s = &end.summary;
        let _ = writeln!(
            out,
            "\n{} targets: {} failing, {} not verified · checks: {} fail, {} error, {} warn, {} pass, {} skip, {} muted",
            s.targets, s.targets_failing, s.targets_unverified, s.counts.fail, s.counts.error, s.counts.warn, s.counts.pass, s.counts.skip, s.counts.muted
        );
        let verdict = match end.verdict {
            "ready" if s.counts.warn > 0 => "Every target is ready, with warnings worth reading.",
            "ready" => "Every target is ready to receive exports.",
            "not_ready" if s.counts.fail == 0 => "Not ready under --strict: warnings count as failures.",
            "not_ready" => "Not ready: some targets will refuse uploads or break their URLs until the findings above are fixed.",
            _ => "Could not verify everything: see the errors above.",
        };
        let _ = writeln!(out, "{verdict}");
        self.out.write_all(out.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::tests::{sample_end, sample_header, sample_targets};

    fn render(verbose: u8) -> String {
        let mut out = Vec::new();
        let mut sink = AuditTable::new(&mut out, TableStyle::plain(verbose));
        let targets = sample_targets();
        sink.begin(&sample_header()).unwrap();
        for target in &targets {
            sink.target(target).unwrap();
        }
        sink.finish(&sample_end(&targets)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_row_per_target_then_findings_grouped_by_check() {
        let text = render(0);
        let video = text.lines().find(|l| l.contains("video-exports")).unwrap();
        assert!(video.contains("FAIL"), "{video}");
        assert!(
            video.contains("block-public-access"),
            "the first failing check: {video}"
        );
        assert!(
            text.contains("block-public-access: fail on 1 target: video-exports"),
            "{text}"
        );
        assert!(
            text.contains("result-url: muted on 1 target: archive"),
            "{text}"
        );
        assert!(text.contains("2 targets: 1 failing"), "{text}");
        assert!(text.contains("Not ready"), "{text}");
        assert!(!text.contains("Findings in full"), "{text}");
    }

    #[test]
    fn verbose_lists_every_finding_with_its_fix() {
        let text = render(1);
        assert!(text.contains("Findings in full"), "{text}");
        assert!(text.contains("fix: Turn off BlockPublicAcls"), "{text}");
    }
}
