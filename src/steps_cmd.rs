//! `steps`: what a Template or Assembly Instructions file holds, as `check --template` sees it:
//! the storage steps and their targets, what cannot be resolved, and the steps not checked.
//! Never prints a key or secret.

use crate::cli::{ListFormat, StepsArgs};
use preflight::transloadit::{self, robots, Instructions, StepCredentials};
use serde::Serialize;
use std::collections::BTreeMap;
use std::process::ExitCode;

#[derive(Debug, Serialize)]
struct StepsReport {
    schema_version: u32,
    file: String,
    shape: transloadit::Shape,
    steps: Vec<StepEntry>,
}

#[derive(Debug, Serialize)]
struct StepEntry {
    step: String,
    robot: Option<String>,
    /// `checked`, `unresolved` (a storage step that cannot become a target) or `not-checked`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<StepTarget>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct StepTarget {
    bucket: String,
    acl: String,
    bucket_region: Option<String>,
    path: String,
    url_prefix: Option<String>,
    endpoint: Option<String>,
    path_style: bool,
    credentials: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_urls_for: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    check_integrity: bool,
}

pub fn run(args: &StepsArgs) -> ExitCode {
    let instructions = match crate::template_input::read_instructions(&args.template) {
        Ok(instructions) => instructions,
        Err(message) => return crate::bad_input(&message),
    };
    let fields = instructions
        .fields
        .clone()
        .into_iter()
        .chain(args.fields.iter().cloned())
        .collect();
    let report = describe(&args.template, &instructions, &fields);
    let text = match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&report).expect("serialises") + "\n",
        ListFormat::Table => render_table(&report, 120),
    };
    crate::print_stdout(&text);
    ExitCode::SUCCESS
}

fn describe(
    file: &str,
    instructions: &Instructions,
    fields: &BTreeMap<String, String>,
) -> StepsReport {
    let steps = instructions
        .steps
        .iter()
        .map(|step| {
            let entry = |status, target, reason, warnings| StepEntry {
                step: step.label(),
                robot: step.robot.clone(),
                status,
                target,
                reason,
                warnings,
            };
            if step.storage_robot().is_none() {
                let reason = robots::not_checked_reason(step.robot.as_deref().unwrap_or_default());
                return entry("not-checked", None, Some(reason), Vec::new());
            }
            match transloadit::resolve(step, fields) {
                Err(err) => entry("unresolved", None, Some(err.message), Vec::new()),
                Ok(store) => {
                    let credentials = match &store.credentials {
                        StepCredentials::Named(name) => format!("Template Credentials `{name}`"),
                        StepCredentials::Inline(_) => {
                            "inline key and secret (not shown)".to_owned()
                        }
                        StepCredentials::None => "none".to_owned(),
                    };
                    let t = store.target;
                    let target = StepTarget {
                        bucket: t.bucket,
                        acl: t.acl.to_string(),
                        bucket_region: t.bucket_region,
                        path: t.path,
                        url_prefix: t.url_prefix,
                        endpoint: t.endpoint,
                        path_style: store.path_style,
                        credentials,
                        headers: t.headers,
                        tags: t.tags,
                        sign_urls_for: t.sign_urls_for,
                        check_integrity: t.check_integrity,
                    };
                    entry("checked", Some(target), None, store.warnings)
                }
            }
        })
        .collect();
    StepsReport {
        schema_version: 1,
        file: file.to_owned(),
        shape: instructions.shape,
        steps,
    }
}

fn render_table(report: &StepsReport, width: u16) -> String {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(width)
        .force_no_tty();
    table.set_header(["Step", "Robot", "Status", "Target / reason"]);
    for entry in &report.steps {
        let mut what = match (&entry.target, &entry.reason) {
            (Some(t), _) => {
                let mut lines = vec![format!("bucket {} · acl {}", t.bucket, t.acl)];
                if let Some(region) = &t.bucket_region {
                    lines.push(format!("bucket_region {region}"));
                }
                lines.push(format!("path {}", t.path));
                if let Some(endpoint) = &t.endpoint {
                    let style = if t.path_style { " (path-style)" } else { "" };
                    lines.push(format!("endpoint {endpoint}{style}"));
                }
                if let Some(prefix) = &t.url_prefix {
                    lines.push(format!("url_prefix {prefix}"));
                }
                let names = |pairs: &[(String, String)]| {
                    pairs
                        .iter()
                        .map(|(name, _)| name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                if !t.headers.is_empty() {
                    lines.push(format!("headers {}", names(&t.headers)));
                }
                if !t.tags.is_empty() {
                    lines.push(format!("tags {}", names(&t.tags)));
                }
                if let Some(seconds) = t.sign_urls_for {
                    lines.push(format!("sign_urls_for {seconds}s"));
                }
                if t.check_integrity {
                    lines.push("check_integrity".to_owned());
                }
                lines.push(format!("credentials: {}", t.credentials));
                lines.join("\n")
            }
            (None, Some(reason)) => reason.clone(),
            (None, None) => String::new(),
        };
        for warning in &entry.warnings {
            what.push_str(&format!("\nwarning: {warning}"));
        }
        // Names come from the file: a control character must not rewrite the terminal.
        let printable_lines = |text: &str| {
            text.lines()
                .map(crate::printable)
                .collect::<Vec<_>>()
                .join("\n")
        };
        table.add_row([
            crate::printable(&entry.step),
            crate::printable(entry.robot.as_deref().unwrap_or("(no robot)")),
            entry.status.to_owned(),
            printable_lines(&what),
        ]);
    }
    let checked = report
        .steps
        .iter()
        .filter(|s| s.status == "checked")
        .count();
    let hint = match checked {
        0 => "No step can be checked.".to_owned(),
        1 => format!(
            "Check it: bucket-preflight check --template {}",
            report.file
        ),
        _ => format!(
            "Check one: bucket-preflight check --template {} --step NAME",
            report.file
        ),
    };
    format!("{table}\n{hint}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_of(name: &str, text: &str) -> String {
        let instructions = transloadit::parse(text).unwrap();
        render_table(&describe(name, &instructions, &BTreeMap::new()), 110)
    }

    #[test]
    fn every_robot_snapshot() {
        insta::assert_snapshot!(table_of(
            "every-robot.json",
            include_str!("../tests/fixtures/templates/every-robot.json")
        ));
    }

    #[test]
    fn template_list_snapshot() {
        insta::assert_snapshot!(table_of(
            "list-page.json",
            include_str!("../tests/fixtures/templates/list-page.json")
        ));
    }

    #[test]
    fn step_names_cannot_rewrite_the_terminal() {
        let table = table_of(
            "hostile.json",
            r#"{"steps": {"a\u001b[2Jb": {"robot": "/s3/store", "bucket": "x\u001b[31my"}}}"#,
        );
        assert!(!table.contains('\u{1b}'), "{table}");
    }

    #[test]
    fn json_never_holds_inline_keys() {
        let text = include_str!("../tests/fixtures/templates/inline-secrets.json");
        let instructions = transloadit::parse(text).unwrap();
        let report = describe("inline-secrets.json", &instructions, &BTreeMap::new());
        let json = serde_json::to_string(&report).unwrap();
        let table = render_table(&report, 110);
        for secret in [
            "AKIAFIXTUREINLINE0001",
            "fixture/Inline+Secret/0001",
            "FIXTURESESSIONTOKEN0001",
        ] {
            assert!(
                !json.contains(secret) && !table.contains(secret),
                "{secret}"
            );
        }
        assert!(json.contains("inline key and secret (not shown)"));
    }
}
