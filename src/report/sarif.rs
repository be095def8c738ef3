//! The SARIF 2.1.0 audit report (`audit --format sarif`, `--report sarif=FILE`) for GitHub code
//! scanning and other SARIF viewers: one rule per check (its `explain` text as `help`), one
//! result per warn, fail and error, located in the config or template file at the line of the
//! target or step (line 1 when unknown), with a `partialFingerprints` entry made from the target
//! name and the check id only, so a re-upload updates the same alert instead of adding one.
//! Muted findings stay in, with a SARIF suppression carrying the mute's reason.
//!
//! Streamed: the rules (every registered check) are known before the first target, results are
//! written one target at a time, and the invocation (exit code) closes the document.

use crate::audit::model::{
    AuditResult, AuditSink, Change, RunEnd, RunHeader, SourceKind, TargetReport,
};
use preflight::{registry, Status};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// The rule for a target that could not be checked at all (no session, a crash): not a check,
/// but a finding a scan must not drop.
const TARGET_RULE: &str = "audit-target";

/// The `partialFingerprints` key; bump the version if the fingerprint's input ever changes.
pub const FINGERPRINT_KEY: &str = "bucketPreflightTargetCheck/v1";

/// Streams an audit as SARIF 2.1.0 into `out`.
pub struct SarifWriter<W: Write> {
    out: W,
    started_at: String,
    results_written: usize,
}

impl<W: Write> SarifWriter<W> {
    pub fn new(out: W) -> Self {
        SarifWriter {
            out,
            started_at: String::new(),
            results_written: 0,
        }
    }

    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_result(&mut self, result: Value) -> io::Result<()> {
        let separator = if self.results_written == 0 {
            "\n"
        } else {
            ",\n"
        };
        self.results_written += 1;
        let text = serde_json::to_string(&result).map_err(io::Error::other)?;
        write!(self.out, "{separator}        {text}")
    }
}

impl<W: Write + Send> AuditSink for SarifWriter<W> {
    fn begin(&mut self, header: &RunHeader) -> io::Result<()> {
        self.started_at = header.started_at.clone();
        let driver = json!({
            "name": header.tool.name,
            "version": header.tool.version,
            "semanticVersion": header.tool.version,
            "informationUri": env!("CARGO_PKG_REPOSITORY"),
            "rules": rules(),
        });
        let driver = serde_json::to_string(&driver).map_err(io::Error::other)?;
        write!(
            self.out,
            "{{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": {{\"driver\": {driver}}},\n      \"results\": ["
        )
    }

    fn target(&mut self, target: &TargetReport) -> io::Result<()> {
        if let Some(error) = &target.error {
            let result = json!({
                "ruleId": TARGET_RULE,
                "ruleIndex": registry::ALL.len(),
                "level": "warning",
                "message": {"text": format!("{}: the target could not be checked: {error}", target.name)},
                "locations": [location(target)],
                "partialFingerprints": {FINGERPRINT_KEY: fingerprint(&target.name, TARGET_RULE)},
                "properties": {"target": target.name, "bucket": target.target.bucket, "status": "error"},
            });
            self.write_result(result)?;
        }
        for result in target.results.iter().filter(|r| r.is_finding()) {
            let value = result_json(target, result);
            self.write_result(value)?;
        }
        Ok(())
    }

    fn finish(&mut self, end: &RunEnd) -> io::Result<()> {
        let invocation = json!({
            // The tool ran to the end; findings are results, not a failed execution.
            "executionSuccessful": true,
            "exitCode": end.exit_code,
            "exitCodeDescription": end.verdict,
            "startTimeUtc": self.started_at,
        });
        let invocation = serde_json::to_string(&invocation).map_err(io::Error::other)?;
        let close = if self.results_written == 0 {
            ""
        } else {
            "\n      "
        };
        write!(
            self.out,
            "{close}],\n      \"invocations\": [{invocation}]\n    }}\n  ]\n}}\n"
        )?;
        self.out.flush()
    }
}

/// One rule per registered check, in registry order (`ruleIndex` points into it), then the
/// rule for targets that could not be checked.
fn rules() -> Vec<Value> {
    let mut rules: Vec<Value> = registry::ALL
        .iter()
        .map(|check| {
            let info = check.info();
            json!({
                "id": info.id,
                "name": camel_case(info.id),
                "shortDescription": {"text": info.title},
                "fullDescription": {"text": first_paragraph(info.docs)},
                "help": {"text": info.docs, "markdown": info.docs},
                "defaultConfiguration": {"level": "error"},
                "properties": {"category": info.category.as_str(), "tags": ["s3", info.category.as_str()]},
            })
        })
        .collect();
    rules.push(json!({
        "id": TARGET_RULE,
        "name": "AuditTarget",
        "shortDescription": {"text": "Target could not be checked"},
        "fullDescription": {"text": "The audit could not check this target at all (its credentials or role could not be used, or its run failed), so nothing about it is verified."},
        "help": {"text": "Run `bucket-preflight check` against the bucket with the same profile or role to see the error, fix the access, and run the audit again."},
        "defaultConfiguration": {"level": "warning"},
    }));
    rules
}

fn result_json(target: &TargetReport, result: &AuditResult) -> Value {
    let entry = &result.result;
    let level = match entry.status {
        Status::Fail => "error",
        // A warning, or a check that could not verify: neither is a pass.
        _ => "warning",
    };
    let mut text = format!("{}: {}", target.name, entry.summary);
    if entry.status == Status::Error {
        text = format!("{}: could not verify: {}", target.name, entry.summary);
    }
    if let Some(fix) = &entry.remediation {
        text += &format!("\nHow to fix: {fix}");
    }
    if let Some(expired) = &result.expired_mute {
        text += &format!(
            "\nA mute for this finding expired on {} ({}).",
            expired.expires.as_deref().unwrap_or("?"),
            expired.reason
        );
    }
    let mut value = json!({
        "ruleId": entry.id,
        "ruleIndex": rule_index(entry.id),
        "level": level,
        "message": {"text": text},
        "locations": [location(target)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(&target.name, entry.id)},
        "properties": {
            "target": target.name,
            "bucket": target.target.bucket,
            "status": entry.status.as_str(),
            "change": result.change.map(|c| match c { Change::New => "new", Change::Same => "same" }),
        },
    });
    if let Some(mute) = &result.muted {
        let mut justification = mute.reason.clone();
        if let Some(day) = &mute.expires {
            justification += &format!(" (muted until {day})");
        }
        value["suppressions"] = json!([{"kind": "external", "justification": justification}]);
    }
    value
}

/// Where GitHub shows the result: the file and line the target came from.
fn location(target: &TargetReport) -> Value {
    let uri = artifact_uri(target);
    let line = target.source.line.unwrap_or(1).max(1);
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {"startLine": line},
        },
        "logicalLocations": [{"name": target.name, "kind": "resource"}],
    })
}

/// A relative path (as given, or made relative to the working directory, which is the
/// repository root in CI) for config and template files; the Template's API address for
/// `transloadit`; `s3://BUCKET` for buckets found by listing the account.
fn artifact_uri(target: &TargetReport) -> String {
    match (&target.source.kind, &target.source.file) {
        (SourceKind::Transloadit, Some(id)) => {
            format!("https://api2.transloadit.com/templates/{}", encode_path(id))
        }
        (_, Some(file)) => file_uri(file),
        (_, None) => format!("s3://{}", encode_path(&target.target.bucket)),
    }
}

fn file_uri(file: &str) -> String {
    let path = std::path::Path::new(file);
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()));
    match relative {
        Some(relative) => encode_path(&relative.to_string_lossy().replace('\\', "/")),
        None if path.is_absolute() => url::Url::from_file_path(path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| encode_path(file)),
        None => encode_path(&file.replace('\\', "/")),
    }
}

/// Percent-encodes what a URI path may not hold (spaces, `#`, `?`, non-ASCII), keeping `/`.
fn encode_path(text: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(text, KEEP).to_string()
}

fn rule_index(id: &str) -> usize {
    registry::ALL
        .iter()
        .position(|check| check.info().id == id)
        .unwrap_or(registry::ALL.len())
}

/// Stable over runs: depends on the target's name and the check only, never on the status,
/// the message or the line, so the alert follows the finding.
pub fn fingerprint(target: &str, check: &str) -> String {
    let digest = Sha256::digest(format!("{target}\0{check}").as_bytes());
    hex::encode(digest)
}

fn camel_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The first paragraph of a check's "What it checks" section.
fn first_paragraph(docs: &str) -> String {
    docs.lines()
        .skip_while(|line| line.starts_with('#') || line.trim().is_empty())
        .take_while(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The whole audit as SARIF, for tests and callers that hold the run.
#[cfg(test)]
pub fn render(run: &crate::audit::model::AuditRun) -> String {
    let mut writer = SarifWriter::new(Vec::new());
    writer.begin(&run.header).unwrap();
    for target in &run.targets {
        writer.target(target).unwrap();
    }
    writer.finish(&run.end).unwrap();
    String::from_utf8(writer.into_inner()).unwrap()
}

#[cfg(test)]
#[path = "sarif_tests.rs"]
mod tests;
