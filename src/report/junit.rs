//! The JUnit XML audit report (`audit --format junit`, `--report junit=FILE`), the test-report
//! format GitLab, Jenkins and the common GitHub test-report actions read: one `<testsuite>` per
//! target, one `<testcase>` per check (`classname` = target name, `name` = check id). A fail is
//! a `<failure>`, an error an `<error>`, a skip or a muted finding `<skipped>` with its reason;
//! a warning passes, its summary in `<system-out>`. Written as the run streams, one target at a
//! time, so memory stays flat in the number of targets.

use crate::audit::model::{AuditResult, AuditSink, Change, RunEnd, RunHeader, TargetReport};
use preflight::Status;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::io::{self, Write};

/// Streams an audit as JUnit XML into `out`.
pub struct JunitWriter<W: Write> {
    xml: Writer<W>,
    started_at: String,
}

impl<W: Write> JunitWriter<W> {
    pub fn new(out: W) -> Self {
        JunitWriter {
            xml: Writer::new_with_indent(out, b' ', 2),
            started_at: String::new(),
        }
    }

    /// The underlying writer, after `finish`.
    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.xml.into_inner()
    }
}

impl<W: Write + Send> AuditSink for JunitWriter<W> {
    fn begin(&mut self, header: &RunHeader) -> io::Result<()> {
        self.started_at = header.started_at.clone();
        self.xml
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let mut root = BytesStart::new("testsuites");
        root.push_attribute(("name", format!("{} audit", header.tool.name).as_str()));
        root.push_attribute(("timestamp", header.started_at.as_str()));
        self.xml.write_event(Event::Start(root))
    }

    fn target(&mut self, target: &TargetReport) -> io::Result<()> {
        let counts = &target.summary;
        let setup_error = usize::from(target.error.is_some());
        let mut suite = BytesStart::new("testsuite");
        for (key, value) in [
            ("name", xml_text(&target.name)),
            ("tests", (target.results.len() + setup_error).to_string()),
            ("failures", counts.fail.to_string()),
            ("errors", counts.error.to_string()),
            ("skipped", (counts.skip + counts.muted).to_string()),
            ("time", seconds(target.duration_ms)),
            ("timestamp", self.started_at.clone()),
        ] {
            suite.push_attribute((key, value.as_str()));
        }
        self.xml.write_event(Event::Start(suite))?;
        self.write_properties(target)?;
        if let Some(error) = &target.error {
            self.xml
                .create_element("testcase")
                .with_attribute(("classname", xml_text(&target.name).as_str()))
                .with_attribute(("name", "target"))
                .with_attribute(("time", "0.000"))
                .write_inner_content(|xml| {
                    xml.create_element("error")
                        .with_attribute(("message", xml_text(error).as_str()))
                        .with_attribute(("type", "error"))
                        .write_text_content(BytesText::new(&xml_text(error)))?;
                    Ok(())
                })?;
        }
        for result in &target.results {
            self.write_case(&target.name, result)?;
        }
        self.xml.write_event(Event::End(BytesEnd::new("testsuite")))
    }

    fn finish(&mut self, _end: &RunEnd) -> io::Result<()> {
        self.xml
            .write_event(Event::End(BytesEnd::new("testsuites")))?;
        self.xml.get_mut().write_all(b"\n")?;
        self.xml.get_mut().flush()
    }
}

impl<W: Write> JunitWriter<W> {
    /// Where the target came from and what it names, for readers that show suite properties.
    fn write_properties(&mut self, target: &TargetReport) -> io::Result<()> {
        let mut properties = vec![
            ("bucket", target.target.bucket.clone()),
            ("source", target.source.kind.as_str().to_owned()),
        ];
        if let Some(file) = &target.source.file {
            properties.push(("source_file", file.clone()));
        }
        if let Some(step) = &target.source.step {
            properties.push(("source_step", step.clone()));
        }
        self.xml
            .create_element("properties")
            .write_inner_content(|xml| {
                for (name, value) in &properties {
                    xml.create_element("property")
                        .with_attribute(("name", *name))
                        .with_attribute(("value", xml_text(value).as_str()))
                        .write_empty()?;
                }
                Ok(())
            })?;
        Ok(())
    }

    fn write_case(&mut self, target: &str, result: &AuditResult) -> io::Result<()> {
        let entry = &result.result;
        let case = self
            .xml
            .create_element("testcase")
            .with_attribute(("classname", xml_text(target).as_str()))
            .with_attribute(("name", entry.id))
            .with_attribute(("time", seconds(entry.duration_ms).as_str()));
        let body = finding_text(result);
        if let Some(mute) = &result.muted {
            let until = mute
                .expires
                .as_ref()
                .map(|day| format!(" (until {day})"))
                .unwrap_or_default();
            let message = format!("muted: {}{until}", mute.reason);
            return case
                .write_inner_content(|xml| {
                    xml.create_element("skipped")
                        .with_attribute(("message", xml_text(&message).as_str()))
                        .write_text_content(BytesText::new(&xml_text(&body)))?;
                    Ok(())
                })
                .map(|_| ());
        }
        let message = xml_text(&headline(result));
        match entry.status {
            Status::Pass => case.write_empty().map(|_| ()),
            Status::Warn => case
                .write_inner_content(|xml| {
                    xml.create_element("system-out")
                        .write_text_content(BytesText::new(&xml_text(&body)))?;
                    Ok(())
                })
                .map(|_| ()),
            Status::Skip => case
                .write_inner_content(|xml| {
                    xml.create_element("skipped")
                        .with_attribute(("message", message.as_str()))
                        .write_empty()?;
                    Ok(())
                })
                .map(|_| ()),
            Status::Fail | Status::Error => {
                let element = if entry.status == Status::Fail {
                    "failure"
                } else {
                    "error"
                };
                case.write_inner_content(|xml| {
                    xml.create_element(element)
                        .with_attribute(("message", message.as_str()))
                        .with_attribute(("type", entry.status.as_str()))
                        .write_text_content(BytesText::new(&xml_text(&body)))?;
                    Ok(())
                })
                .map(|_| ())
            }
        }
    }
}

/// The summary, marked when the history says it is new or an expired mute no longer covers it.
fn headline(result: &AuditResult) -> String {
    let mut line = result.result.summary.clone();
    if result.change == Some(Change::New) {
        line = format!("[new] {line}");
    }
    if let Some(expired) = &result.expired_mute {
        line += &format!(
            " (mute expired {}: {})",
            expired.expires.as_deref().unwrap_or("?"),
            expired.reason
        );
    }
    line
}

/// Summary, detail and the fix, as the body of a failure, error, skipped or system-out.
fn finding_text(result: &AuditResult) -> String {
    let entry = &result.result;
    let mut text = headline(result);
    if let Some(detail) = &entry.detail {
        text += &format!("\n\n{detail}");
    }
    if let Some(fix) = &entry.remediation {
        text += &format!("\n\nHow to fix: {fix}");
    }
    text
}

fn seconds(millis: u64) -> String {
    format!("{}.{:03}", millis / 1000, millis % 1000)
}

/// `text` with the characters XML 1.0 cannot carry at all (control characters other than tab,
/// newline and carriage return; escaping does not help) replaced by U+FFFD.
fn xml_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c.is_control() && (c as u32) < 0x20 => '\u{FFFD}',
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// The whole audit as JUnit XML, for tests and callers that hold the run.
#[cfg(test)]
pub fn render(run: &crate::audit::model::AuditRun) -> String {
    let mut writer = JunitWriter::new(Vec::new());
    writer.begin(&run.header).unwrap();
    for target in &run.targets {
        writer.target(target).unwrap();
    }
    writer.finish(&run.end).unwrap();
    String::from_utf8(writer.into_inner()).unwrap()
}

#[cfg(test)]
#[path = "junit_tests.rs"]
mod tests;
