//! The terminal report: one row per check, then what to fix, then the verdict.

use super::Report;
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
use preflight::Status;
use std::fmt::Write;

/// How to draw the table.
#[derive(Debug, Clone)]
pub struct TableStyle {
    pub colour: bool,
    /// Total width; `None` uses the terminal's.
    pub width: Option<u16>,
    /// 1: details and evidence of every check; 2: also per-check timings.
    pub verbose: u8,
    pub strict: bool,
    /// Only the rows that need attention (warn, fail, error).
    pub quiet: bool,
}

impl TableStyle {
    /// No colour and a fixed width, for tests.
    #[cfg(test)]
    pub fn plain(verbose: u8) -> Self {
        TableStyle {
            colour: false,
            width: Some(100),
            verbose,
            strict: false,
            quiet: false,
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

use crate::runner::OFFLINE_SKIP;

pub fn render(report: &Report, style: &TableStyle) -> String {
    let mut out = String::new();
    let target = &report.target;
    let mut heading = format!(
        "{} {} · bucket {} · acl {}",
        report.tool.name, report.tool.version, target.bucket, target.acl
    );
    if let Some(region) = &target.bucket_region {
        let _ = write!(heading, " · bucket_region {region}");
    }
    let _ = write!(heading, " · path {}", target.path);
    if let Some(endpoint) = &target.endpoint {
        let _ = write!(heading, " · endpoint {endpoint}");
        if let Some(source) = target
            .endpoint_source
            .as_deref()
            .filter(|s| !s.starts_with("--"))
        {
            let _ = write!(heading, " (from {source})");
        }
    }
    if target.sts_endpoint != target.endpoint {
        let sts = target.sts_endpoint.as_deref().unwrap_or("AWS");
        let _ = write!(heading, " · STS at {sts}");
    }
    let _ = writeln!(out, "{heading}");
    if let Some(source) = &target.source {
        let _ = writeln!(
            out,
            "from step {} ({}) of {}",
            source.step, source.robot, source.file
        );
        for note in &source.notes {
            let _ = writeln!(out, "note: {note}");
        }
    }

    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = style.width {
        table.set_width(width);
    }
    if style.colour {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let mut header = vec!["Status", "Check", "Summary"];
    if style.verbose >= 2 {
        header.push("Time");
    }
    table.set_header(header);
    // Checks --offline left out are one line under the table, not a row each.
    let left_out: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.status == Status::Skip && r.summary == OFFLINE_SKIP)
        .map(|r| r.id)
        .collect();
    let needs_attention =
        |status: Status| matches!(status, Status::Warn | Status::Fail | Status::Error);
    for result in report
        .results
        .iter()
        .filter(|r| !left_out.contains(&r.id))
        .filter(|r| !style.quiet || needs_attention(r.status))
    {
        let mut row = vec![
            status_cell(result.status, style.colour),
            Cell::new(result.id),
            Cell::new(&result.summary),
        ];
        if style.verbose >= 2 {
            row.push(Cell::new(format!("{} ms", result.duration_ms)));
        }
        table.add_row(row);
    }
    if table.row_count() > 0 {
        let _ = writeln!(out, "{table}");
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "Not run with --offline ({} online checks): {}.",
            left_out.len(),
            left_out.join(", ")
        );
    }

    let fixes = super::fixes::distinct(&report.results);
    if !fixes.is_empty() {
        let _ = writeln!(out, "\nHow to fix:");
        for line in fixes {
            let checks: Vec<String> = line
                .checks
                .iter()
                .map(|(id, status)| format!("{id} [{status}]"))
                .collect();
            let _ = writeln!(out, "  {}: {}", checks.join(", "), line.text);
        }
    }
    if style.verbose >= 1 {
        let _ = writeln!(out, "\nDetails:");
        // A check that saw nothing to say (left out, or no detail and no evidence) gets no
        // empty heading.
        for result in report
            .results
            .iter()
            .filter(|r| r.detail.is_some() || !r.evidence.is_empty())
        {
            let _ = writeln!(out, "  {} — {}", result.id, result.title);
            if let Some(detail) = &result.detail {
                let _ = writeln!(out, "    {detail}");
            }
            for (key, value) in &result.evidence {
                let _ = writeln!(out, "    {key}: {value}");
            }
        }
    }
    if style.verbose >= 2 {
        if let Some(timings) = report.timings.as_deref().filter(|t| !t.is_empty()) {
            let _ = writeln!(out, "\nRequests (ms since the run started):");
            for t in timings {
                let status = t.status.map_or("no answer".to_owned(), |s| s.to_string());
                let _ = writeln!(
                    out,
                    "  {:>6} → {:>6}  {} {} ({status})",
                    t.start_ms, t.end_ms, t.operation, t.host
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} — {}",
        report.counts_line(),
        report.verdict_line(style.strict)
    );
    for line in report.scope_lines() {
        let _ = writeln!(out, "{line}");
    }
    let worst_first = [Status::Fail, Status::Error, Status::Warn];
    let explain = worst_first
        .iter()
        .find_map(|status| report.results.iter().find(|r| r.status == *status));
    if let Some(first) = explain {
        let _ = writeln!(
            out,
            "Run `bucket-preflight explain {}` for the why and how of a check.",
            first.id
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::TableStyle;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(sample().to_table(&TableStyle::plain(0)));
    }

    #[test]
    fn snapshot_verbose() {
        insta::assert_snapshot!(sample().to_table(&TableStyle::plain(2)));
    }

    #[test]
    fn no_escape_codes_without_colour() {
        assert!(!sample().to_table(&TableStyle::plain(2)).contains('\u{1b}'));
    }
}
