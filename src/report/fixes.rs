//! The "How to fix" list: one line per distinct fix. Checks that see one problem from two sides
//! (an invalid bucket name breaks both the name and the result URL; an unreachable endpoint
//! fails every call) often give the same advice: it is said once, under every check it fixes.

use super::ResultEntry;
use preflight::Status;

/// One line of the list: the checks it fixes, and the sentences no earlier line said.
#[derive(Debug, PartialEq, Eq)]
pub struct FixLine {
    pub checks: Vec<(&'static str, Status)>,
    pub text: String,
}

/// Splits a fix into sentences: at `. ` (but not after `e.g.`/`i.e.`), keeping the period.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices(". ") {
        let before = &text[start..i];
        if before.ends_with("e.g") || before.ends_with("i.e") {
            continue;
        }
        out.push(text[start..=i].trim());
        start = i + 2;
    }
    if start < text.len() {
        out.push(text[start..].trim());
    }
    out.retain(|s| !s.is_empty());
    out
}

/// The fixes of `results`, in order, each sentence once.
pub fn distinct(results: &[ResultEntry]) -> Vec<FixLine> {
    let mut lines: Vec<FixLine> = Vec::new();
    // Each sentence said so far, and the line that said it.
    let mut said: Vec<(String, usize)> = Vec::new();
    for result in results {
        let Some(fix) = &result.remediation else {
            continue;
        };
        let parts = sentences(fix);
        let new: Vec<&str> = parts
            .iter()
            .copied()
            .filter(|s| !said.iter().any(|(earlier, _)| earlier == s))
            .collect();
        let check = (result.id, result.status);
        if new.is_empty() {
            // Everything this check would say was said: list it under the line that said the
            // first of it.
            let first = parts.first().copied().unwrap_or_default();
            if let Some((_, line)) = said.iter().find(|(earlier, _)| earlier == first) {
                lines[*line].checks.push(check);
                continue;
            }
        }
        let index = lines.len();
        said.extend(new.iter().map(|s| ((*s).to_owned(), index)));
        lines.push(FixLine {
            checks: vec![check],
            text: new.join(" "),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &'static str, status: Status, fix: &str) -> ResultEntry {
        let mut entry = crate::report::tests::sample().results.remove(0);
        entry.id = id;
        entry.status = status;
        entry.remediation = Some(fix.to_owned());
        entry
    }

    #[test]
    fn sentences_split_at_full_stops_only() {
        assert_eq!(
            sentences("Set `url_prefix` to the URL, e.g. `url_prefix: http://x/b/`. Use https://a.b/ instead."),
            vec!["Set `url_prefix` to the URL, e.g. `url_prefix: http://x/b/`.", "Use https://a.b/ instead."]
        );
    }

    #[test]
    fn a_fix_two_checks_share_is_said_once() {
        let results = vec![
            entry("bucket-exists", Status::Error, "Pass --path-style."),
            entry("bucket-region", Status::Error, "Pass --path-style."),
            entry(
                "bucket-name",
                Status::Fail,
                "Create `acme-exports`. Keep the legacy one with `url_prefix: X`.",
            ),
            entry(
                "result-url",
                Status::Fail,
                "Keep the legacy one with `url_prefix: X`. Use https.",
            ),
        ];
        let lines = distinct(&results);
        assert_eq!(
            lines,
            vec![
                FixLine {
                    checks: vec![
                        ("bucket-exists", Status::Error),
                        ("bucket-region", Status::Error)
                    ],
                    text: "Pass --path-style.".into()
                },
                FixLine {
                    checks: vec![("bucket-name", Status::Fail)],
                    text: "Create `acme-exports`. Keep the legacy one with `url_prefix: X`.".into()
                },
                FixLine {
                    checks: vec![("result-url", Status::Fail)],
                    text: "Use https.".into()
                },
            ]
        );
    }
}
