//! The Markdown report: something to paste into a support ticket or a pull request.

use super::Report;
use preflight::Status;
use std::fmt::Write;

pub(crate) fn icon(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Warn => "⚠️",
        Status::Fail => "❌",
        Status::Skip => "⏭️",
        Status::Error => "❓",
    }
}

/// Table cells cannot hold `|` or line breaks.
pub(crate) fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The verdict sentence is written for the table, where it closes the report ("the problems
/// above"); here it opens the report and the problems follow it.
fn pointing_down(verdict: &str) -> String {
    verdict.replace(" above", " below")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let t = &report.target;
    let _ = writeln!(out, "## bucket-preflight report for `{}`\n", t.bucket);
    let _ = writeln!(
        out,
        "**{}** — {}\n",
        report.counts_line(),
        pointing_down(&report.conclusion)
    );
    for line in report.scope_lines() {
        let _ = writeln!(out, "{line}\n");
    }
    let _ = writeln!(out, "| Parameter | Value |\n|---|---|");
    let unset = "_(not set)_".to_owned();
    let caller = report
        .caller
        .as_ref()
        .map_or(unset.clone(), |c| format!("`{}`", c.arn));
    let rows = [
        ("started", report.started_at.clone()),
        (
            "tool",
            format!("{} {}", report.tool.name, report.tool.version),
        ),
        ("caller", caller),
        ("bucket", format!("`{}`", t.bucket)),
        ("acl", format!("`{}`", t.acl)),
        (
            "bucket_region",
            t.bucket_region
                .as_ref()
                .map_or(unset.clone(), |r| format!("`{r}`")),
        ),
        ("path", format!("`{}`", t.path)),
        (
            "url_prefix",
            t.url_prefix
                .as_ref()
                .map_or(unset.clone(), |u| format!("`{u}`")),
        ),
        (
            "endpoint",
            match (&t.endpoint, &t.endpoint_source) {
                (Some(e), Some(source)) => format!("`{e}` (from {source})"),
                (Some(e), None) => format!("`{e}`"),
                (None, _) => unset.clone(),
            },
        ),
        (
            "STS endpoint",
            t.sts_endpoint.as_ref().map_or(unset, |e| format!("`{e}`")),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {} |", cell(&value));
    }
    if let Some(source) = &t.source {
        let _ = writeln!(
            out,
            "| source | step `{}` ({}) of `{}` |",
            cell(&source.step),
            cell(&source.robot),
            cell(&source.file)
        );
        for note in &source.notes {
            let _ = writeln!(out, "| note | {} |", cell(note));
        }
    }
    let _ = writeln!(out, "\n| Status | Check | Summary |\n|---|---|---|");
    for r in &report.results {
        let _ = writeln!(
            out,
            "| {} {} | `{}` | {} |",
            icon(r.status),
            r.status,
            r.id,
            cell(&r.summary)
        );
    }
    let findings: Vec<_> = report
        .results
        .iter()
        .filter(|r| !matches!(r.status, Status::Pass | Status::Skip))
        .collect();
    if !findings.is_empty() {
        let _ = writeln!(out, "\n### Findings");
    }
    for r in findings {
        let _ = writeln!(out, "\n#### {} `{}` — {}\n", icon(r.status), r.id, r.title);
        let _ = writeln!(out, "{}\n", r.summary);
        if let Some(detail) = &r.detail {
            let _ = writeln!(out, "{detail}\n");
        }
        if let Some(fix) = &r.remediation {
            let _ = writeln!(out, "**How to fix:** {fix}\n");
        }
        if !r.evidence.is_empty() {
            let evidence = serde_json::to_string_pretty(&r.evidence).unwrap_or_default();
            let _ = writeln!(
                out,
                "<details><summary>Evidence</summary>\n\n```json\n{evidence}\n```\n\n</details>"
            );
        }
    }
    let _ = writeln!(
        out,
        "\n<sub>{} {} · JSON schema {}</sub>",
        report.tool.name, report.tool.version, report.schema_version
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(sample().to_markdown());
    }

    #[test]
    fn the_opening_verdict_points_at_the_problems_below_it() {
        let markdown = sample().to_markdown();
        let verdict = markdown
            .lines()
            .find(|l| l.starts_with("**"))
            .expect("a verdict line");
        assert!(!verdict.contains("above"), "{verdict}");
        assert!(verdict.contains("below"), "{verdict}");
        // And the problems really are below it.
        let problem = markdown.find("❌").expect("a failed check");
        assert!(markdown.find(verdict).unwrap() < problem);
    }
}
