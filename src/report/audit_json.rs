//! The audit's JSON report, written as the run goes: the header first, then each target as it
//! finishes (one per line inside `targets`), then the summary, `fixed` and the verdict. The
//! document is the one [`AuditRun`](crate::audit::model::AuditRun) describes; memory stays
//! flat however many targets there are.

use crate::audit::model::{AuditSink, RunEnd, RunHeader, TargetReport};
use serde::Serialize;
use std::io::{self, Write};

pub struct AuditJson<W: Write + Send> {
    out: W,
    targets: usize,
}

impl<W: Write + Send> AuditJson<W> {
    pub fn new(out: W) -> Self {
        AuditJson { out, targets: 0 }
    }
}

/// `"key": value` lines of an object's fields, indented by two spaces, without the braces.
fn fields(value: &impl Serialize) -> io::Result<Vec<String>> {
    let value = serde_json::to_value(value)?;
    let map = value.as_object().cloned().unwrap_or_default();
    map.into_iter()
        .map(|(key, value)| {
            let key = serde_json::to_string(&key)?;
            let pretty = serde_json::to_string_pretty(&value)?.replace('\n', "\n  ");
            Ok(format!("  {key}: {pretty}"))
        })
        .collect::<Result<_, serde_json::Error>>()
        .map_err(io::Error::from)
}

impl<W: Write + Send> AuditSink for AuditJson<W> {
    fn begin(&mut self, header: &RunHeader) -> io::Result<()> {
        writeln!(self.out, "{{")?;
        for line in fields(header)? {
            writeln!(self.out, "{line},")?;
        }
        write!(self.out, "  \"targets\": [")
    }

    fn target(&mut self, target: &TargetReport) -> io::Result<()> {
        let separator = if self.targets == 0 { "" } else { "," };
        self.targets += 1;
        write!(
            self.out,
            "{separator}\n    {}",
            serde_json::to_string(target).map_err(io::Error::from)?
        )
    }

    fn finish(&mut self, end: &RunEnd) -> io::Result<()> {
        let close = if self.targets == 0 { "]" } else { "\n  ]" };
        write!(self.out, "{close}")?;
        for line in fields(end)? {
            write!(self.out, ",\n{line}")?;
        }
        writeln!(self.out, "\n}}")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::tests::{sample_end, sample_header, sample_targets};

    fn render(targets: &[TargetReport]) -> serde_json::Value {
        let mut out = Vec::new();
        let mut sink = AuditJson::new(&mut out);
        sink.begin(&sample_header()).unwrap();
        for target in targets {
            sink.target(target).unwrap();
        }
        sink.finish(&sample_end(targets)).unwrap();
        serde_json::from_slice(&out)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", String::from_utf8_lossy(&out)))
    }

    #[test]
    fn has_the_documented_shape() {
        let value = render(&sample_targets());
        assert_eq!(value["schema_version"], 1);
        assert_eq!(value["kind"], "audit");
        assert_eq!(value["tool"]["name"], "bucket-preflight");
        for key in [
            "targets",
            "targets_failing",
            "pass",
            "warn",
            "fail",
            "skip",
            "error",
            "muted",
        ] {
            assert!(value["summary"][key].is_u64(), "summary.{key}");
        }
        assert!(value["fixed"].is_array());
        let targets = value["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 2);
        let first = &targets[0];
        assert!(first["name"].is_string());
        for key in ["kind", "file", "step", "line"] {
            assert!(first["source"].get(key).is_some(), "source.{key}");
        }
        assert_eq!(first["target"]["bucket"], "acme-video");
        for key in ["pass", "warn", "fail", "skip", "error", "muted"] {
            assert!(first["summary"][key].is_u64(), "targets[].summary.{key}");
        }
        for result in first["results"].as_array().unwrap() {
            for key in ["id", "status", "summary", "remediation", "muted", "change"] {
                assert!(result.get(key).is_some(), "results[].{key}");
            }
        }
        assert_eq!(value["exit_code"], 1);
        assert_eq!(value["verdict"], "not_ready");
    }

    #[test]
    fn an_empty_run_is_still_a_document() {
        let value = render(&[]);
        assert_eq!(value["targets"], serde_json::json!([]));
        assert_eq!(value["summary"]["targets"], 0);
    }
}
