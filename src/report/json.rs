//! The JSON report: a stable, documented schema for scripts and dashboards.

use super::Report;

pub fn render(report: &Report) -> String {
    // Serialising plain structs with string keys cannot fail.
    serde_json::to_string_pretty(report).expect("report serialises") + "\n"
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(sample().to_json());
    }

    #[test]
    fn has_the_documented_shape() {
        let value: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(value["schema_version"], 1);
        assert_eq!(value["tool"]["name"], "bucket-preflight");
        for key in [
            "bucket",
            "acl",
            "bucket_region",
            "path",
            "url_prefix",
            "endpoint",
        ] {
            assert!(value["target"].get(key).is_some(), "target.{key}");
        }
        for key in ["pass", "warn", "fail", "skip", "error"] {
            assert!(value["summary"][key].is_u64(), "summary.{key}");
        }
        for result in value["results"].as_array().unwrap() {
            for key in [
                "id",
                "title",
                "status",
                "summary",
                "detail",
                "remediation",
                "evidence",
                "duration_ms",
            ] {
                assert!(result.get(key).is_some(), "results[].{key}");
            }
        }
    }
}
