//! `diagnose --format markdown`: the diagnosis to paste into a support ticket.

use super::Diagnosis;
use std::fmt::Write;

/// Inline code that survives backticks in the text.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

pub fn render(diagnosis: &Diagnosis) -> String {
    let mut out = String::new();
    let error = &diagnosis.error;
    let _ = writeln!(out, "## Diagnosis of {}\n", code(&error.headline()));
    for (name, value) in error.named() {
        let _ = writeln!(out, "- **{name}**: {}", code(&value));
    }
    if let Some(message) = error.message.as_deref().or(error.reason.as_deref()) {
        let _ = writeln!(out, "- **message**: {}", message.replace('\n', " "));
    }
    let _ = writeln!(out);
    for (n, diagnosed) in diagnosis.causes.iter().enumerate() {
        let cause = &diagnosed.cause;
        let likelihood = cause.likelihood.as_str();
        let _ = writeln!(
            out,
            "### {}. {} — {likelihood}, {}\n",
            n + 1,
            cause.kind.title,
            diagnosed.status.as_str()
        );
        for line in &cause.evidence {
            let _ = writeln!(out, "- Evidence: {line}");
        }
        let checks: Vec<String> = cause.kind.checks.iter().map(|c| code(c)).collect();
        let _ = writeln!(out, "- Checks: {}", checks.join(", "));
        for line in &diagnosed.check_results {
            let _ = writeln!(
                out,
                "  - {} {}: {}",
                code(line.id),
                line.status,
                line.summary
            );
        }
        let _ = writeln!(
            out,
            "- Status: {} — {}",
            diagnosed.status.as_str(),
            diagnosed.status_reason
        );
        let _ = writeln!(out, "- Fix: {}\n", cause.fix);
    }
    if !diagnosis.other_errors.is_empty() {
        let _ = writeln!(out, "### Other errors in the Assembly\n");
        for line in &diagnosis.other_errors {
            let _ = writeln!(out, "- {line}");
        }
        let _ = writeln!(out);
    }
    match (&diagnosis.checks.reason, &diagnosis.checks.caller) {
        (Some(reason), _) => {
            let _ = writeln!(out, "_Checks: {reason}._");
        }
        (None, Some(caller)) => {
            let _ = writeln!(out, "_Checks ran as {}._", code(caller));
        }
        (None, None) => {
            let _ = writeln!(out, "_Checks ran; the caller's identity is unknown._");
        }
    }
    out
}
