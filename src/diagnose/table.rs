//! `diagnose --format table` (the default): the diagnosis as text for a terminal.

use super::Diagnosis;
use std::fmt::Write;

pub fn render(diagnosis: &Diagnosis) -> String {
    let mut out = String::new();
    let error = &diagnosis.error;
    let _ = writeln!(out, "Diagnosis of {}", error.headline());
    for (name, value) in error.named() {
        let _ = writeln!(out, "  {name:<10} {value}");
    }
    if let Some(message) = error.message.as_deref().or(error.reason.as_deref()) {
        let _ = writeln!(out, "  {:<10} {message}", "message");
    }
    if let Some(code) = &error.unrecognised_code {
        let _ = writeln!(out, "  {code} is not a code this tool knows; the causes below come from the rest of the message.");
    }
    let _ = writeln!(out);
    if diagnosis.causes.is_empty() {
        let _ = writeln!(out, "No likely cause is known for this error.");
    } else {
        let _ = writeln!(out, "Likely causes, most likely first:");
    }
    for (n, diagnosed) in diagnosis.causes.iter().enumerate() {
        let cause = &diagnosed.cause;
        let likelihood = cause.likelihood.as_str();
        let _ = writeln!(
            out,
            "\n{}. {}  [{likelihood} · {}]",
            n + 1,
            cause.kind.title,
            diagnosed.status.as_str()
        );
        for line in &cause.evidence {
            let _ = writeln!(out, "   Evidence: {line}");
        }
        let _ = writeln!(out, "   Checks:   {}", cause.kind.checks.join(", "));
        for line in &diagnosed.check_results {
            let _ = writeln!(
                out,
                "             {} {}: {}",
                line.id, line.status, line.summary
            );
        }
        let _ = writeln!(
            out,
            "   Status:   {} — {}",
            diagnosed.status.as_str(),
            diagnosed.status_reason
        );
        let _ = writeln!(out, "   Fix:      {}", cause.fix);
    }
    if !diagnosis.other_errors.is_empty() {
        let _ = writeln!(out, "\nOther errors in the Assembly:");
        for line in &diagnosis.other_errors {
            let _ = writeln!(out, "  - {line}");
        }
    }
    let checks = &diagnosis.checks;
    let _ = writeln!(out);
    match (&checks.reason, &checks.caller) {
        (Some(reason), _) => {
            let _ = writeln!(out, "Checks: {reason}.");
        }
        (None, Some(caller)) => {
            let _ = writeln!(
                out,
                "Checks ran against {} as {caller}.",
                checks.bucket.as_deref().unwrap_or("the bucket")
            );
        }
        (None, None) => {
            let _ = writeln!(
                out,
                "Checks ran against {}; the caller's identity is unknown.",
                checks.bucket.as_deref().unwrap_or("the bucket")
            );
        }
    }
    let _ = writeln!(
        out,
        "Documentation of a check: bucket-preflight explain CHECK-ID."
    );
    out
}
