//! The audit as Markdown, for a pull-request comment, a wiki page or a ticket: the run's
//! header, one table row per target as it finishes (streamed: nothing is held per target),
//! then every finding with its fix, and the totals with the verdict.

use super::markdown::{cell, icon};
use crate::audit::model::{AuditSink, Change, RunEnd, RunHeader, TargetReport};
use preflight::Status;
use std::io::{self, Write};

pub struct AuditMarkdown<W: Write + Send> {
    out: W,
    /// The findings' section, written after the table (a Markdown table cannot be
    /// interrupted); one line per finding, never the targets' whole results.
    findings: Vec<String>,
}

impl<W: Write + Send> AuditMarkdown<W> {
    pub fn new(out: W) -> Self {
        AuditMarkdown {
            out,
            findings: Vec::new(),
        }
    }
}

impl<W: Write + Send> AuditSink for AuditMarkdown<W> {
    fn begin(&mut self, header: &RunHeader) -> io::Result<()> {
        writeln!(self.out, "## bucket-preflight audit\n")?;
        writeln!(self.out, "| | |\n|---|---|")?;
        writeln!(
            self.out,
            "| tool | {} {} |",
            header.tool.name, header.tool.version
        )?;
        writeln!(self.out, "| started | {} |", header.started_at)?;
        if let Some(shard) = &header.shard {
            writeln!(self.out, "| shard | {shard} |")?;
        }
        writeln!(
            self.out,
            "\n| target | source | worst | counts | first problem |\n|---|---|---|---|---|"
        )
    }

    fn target(&mut self, target: &TargetReport) -> io::Result<()> {
        let worst = target.worst();
        let s = &target.summary;
        let counts = format!(
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
        );
        let first = match (&target.error, target.first_worst()) {
            (Some(error), _) => format!("error: {error}"),
            (None, Some(result))
                if matches!(worst, Status::Warn | Status::Fail | Status::Error) =>
            {
                format!("`{}`: {}", result.result.id, result.result.summary)
            }
            _ => String::new(),
        };
        let source = match (&target.source.file, &target.source.step) {
            (Some(file), Some(step)) => {
                format!("{} `{file}` step `{step}`", target.source.kind.as_str())
            }
            (Some(file), None) => format!("{} `{file}`", target.source.kind.as_str()),
            _ => target.source.kind.as_str().to_owned(),
        };
        writeln!(
            self.out,
            "| `{}` | {} | {} {} | {} | {} |",
            cell(&target.name),
            cell(&source),
            icon(worst),
            worst.as_str(),
            counts,
            cell(&first)
        )?;
        for result in target.results.iter().filter(|r| r.is_finding()) {
            let mut line = format!(
                "- {} `{}` — `{}`: {}",
                icon(result.status()),
                target.name,
                result.result.id,
                result.result.summary
            );
            if let Some(mute) = &result.muted {
                line += &format!(" *(muted: {})*", mute.reason);
            }
            if matches!(result.change, Some(Change::New)) {
                line += " **(new)**";
            }
            if let Some(fix) = &result.result.remediation {
                line += &format!("\n  - Fix: {}", fix.replace('\n', "\n    "));
            }
            self.findings.push(line);
        }
        Ok(())
    }

    fn finish(&mut self, end: &RunEnd) -> io::Result<()> {
        if !self.findings.is_empty() {
            writeln!(self.out, "\n### Findings\n")?;
            for line in &self.findings {
                writeln!(self.out, "{line}")?;
            }
        }
        if !end.fixed.is_empty() {
            writeln!(self.out, "\n### Fixed since the last run\n")?;
            for fixed in &end.fixed {
                writeln!(
                    self.out,
                    "- `{}` — `{}` (failing since {})",
                    fixed.target, fixed.check, fixed.since
                )?;
            }
        }
        let s = &end.summary;
        writeln!(
            self.out,
            "\n**{} targets, {} failing** — {} fail, {} error, {} warn, {} pass, {} skip, {} muted. Verdict: `{}` (exit {}).",
            s.targets,
            s.targets_failing,
            s.counts.fail,
            s.counts.error,
            s.counts.warn,
            s.counts.pass,
            s.counts.skip,
            s.counts.muted,
            end.verdict,
            end.exit_code
        )?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::tests::{sample_end, sample_header, sample_targets};

    #[test]
    fn every_target_is_a_row_and_every_finding_is_listed_with_its_fix() {
        let mut out = Vec::new();
        {
            let mut sink = AuditMarkdown::new(&mut out);
            sink.begin(&sample_header()).unwrap();
            let targets = sample_targets();
            for target in &targets {
                sink.target(target).unwrap();
            }
            sink.finish(&sample_end(&targets)).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let targets = sample_targets();
        for target in &targets {
            assert!(text.contains(&format!("| `{}` |", target.name)), "{text}");
            for finding in target.results.iter().filter(|r| r.is_finding()) {
                assert!(
                    text.contains(&format!("`{}` — `{}`", target.name, finding.result.id)),
                    "{text}"
                );
            }
        }
        assert!(text.contains("Verdict: `"), "{text}");
    }
}
