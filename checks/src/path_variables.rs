//! Which `${...}` variables a `path` may use: Transloadit's documented Assembly Variables, and
//! the slips that make a path store its files under literal text (`${file.url_nam}`,
//! `$unique_prefix`, `{unique_prefix}`), each with the variable that was most likely meant.
//!
//! Source of the list: <https://transloadit.com/docs/topics/assembly-variables/>.

use crate::path_template::{self, Piece};

/// Every documented variable with a fixed name.
pub const KNOWN: [&str; 21] = [
    "assembly.id",
    "assembly.region",
    "assembly.parent_id",
    "date.now",
    "unique_prefix",
    "unique_original_prefix",
    "previous_step.name",
    "file.id",
    "file.original_id",
    "file.original_name",
    "file.original_basename",
    "file.original_path",
    "file.name",
    "file.url_name",
    "file.basename",
    "file.url_basename",
    "file.ext",
    "file.size",
    "file.mime",
    "file.md5hash",
    "file.user_meta",
];

/// Documented families whose members are named by the user's own data: a file's metadata
/// (`${file.meta.width}`), tus upload metadata (`${file.user_meta.customer}`) and the
/// Assembly's fields (`${fields.customer}`).
pub const FAMILIES: [&str; 3] = ["file.meta.", "file.user_meta.", "fields."];

/// A variable the path uses that Transloadit will not expand as intended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableProblem {
    /// `${name}` is not a documented variable; `suggestion` is the closest one, if any is close.
    Unknown {
        name: String,
        suggestion: Option<String>,
    },
    /// Variable-like literal text (`$unique_prefix`, `{unique_prefix}`) that Transloadit stores
    /// as it is: `written` is the text, `meant` the variable it resembles.
    NotAVariable { written: String, meant: String },
}

impl VariableProblem {
    /// The problem as a finding: summary and fix.
    pub fn describe(&self, path: &str) -> (String, String) {
        match self {
            VariableProblem::Unknown {
                name,
                suggestion: Some(meant),
            } => (
                format!("`path` uses `${{{name}}}`, which is not a Transloadit variable: did you mean `${{{meant}}}`?"),
                format!("Set `path: {}`.", path.replace(&format!("${{{name}}}"), &format!("${{{meant}}}"))),
            ),
            VariableProblem::Unknown { name, suggestion: None } => (
                format!("`path` uses `${{{name}}}`, which is not one of Transloadit's documented Assembly Variables: it will not expand to what the template expects"),
                "Use the documented variables (such as `${unique_prefix}`, `${file.url_name}`, `${file.id}`, `${fields.NAME}`, `${file.meta.NAME}`): https://transloadit.com/docs/topics/assembly-variables/".to_owned(),
            ),
            VariableProblem::NotAVariable { written, meant } => (
                format!("`path` contains `{written}`, which is stored as literal text, not expanded: did you mean `{meant}`?"),
                format!("Set `path: {}` (variables are written `${{name}}`).", path.replacen(written.as_str(), meant, 1)),
            ),
        }
    }
}

/// Whether `name` is a documented variable or a member of a documented family.
pub fn is_known(name: &str) -> bool {
    KNOWN.contains(&name)
        || FAMILIES.iter().any(|family| {
            name.strip_prefix(family)
                .is_some_and(|rest| !rest.is_empty())
        })
}

/// A plain dotted name (`file.url_name`), as opposed to an expression (`${Date.now()}`,
/// Transloadit's dynamic evaluation), which this module leaves alone.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// The documented variable closest to an unknown `name`, when it is close enough to be a slip.
pub fn suggest(name: &str) -> Option<String> {
    let mut candidates: Vec<String> = KNOWN.iter().map(|k| (*k).to_owned()).collect();
    // For family members, compare the family part only: `field.customer` → `fields.customer`.
    let segments: Vec<&str> = name.split('.').collect();
    for family in FAMILIES {
        let depth = family.trim_end_matches('.').split('.').count();
        if segments.len() > depth {
            candidates.push(format!("{family}{}", segments[depth..].join(".")));
        }
    }
    let lowered = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .filter(|candidate| candidate != name)
        .map(|candidate| (strsim::damerau_levenshtein(&lowered, &candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 6))
        .min()
        .map(|(_, candidate)| candidate)
}

/// The variable a variable-like literal means: the name itself when documented, else a close one.
fn meant(name: &str) -> Option<String> {
    if is_known(name) {
        Some(name.to_owned())
    } else {
        suggest(name)
    }
}

/// A run of name characters at the start of `text` (`unique_prefix` in `unique_prefix/x`).
fn leading_name(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    text[..end].trim_end_matches('.')
}

/// Variable-like text in a literal part: `$name` without braces, `{name}` without `$`.
fn literal_slips(literal: &str, found: &mut Vec<VariableProblem>) {
    for (i, c) in literal.char_indices() {
        let rest = &literal[i + c.len_utf8()..];
        let (written, name) = match c {
            '$' => {
                let name = leading_name(rest);
                // `$name}` is a `{` short: take the brace along, so that the fix replaces it.
                let written_len = if rest[name.len()..].starts_with('}') {
                    name.len() + 1
                } else {
                    name.len()
                };
                (format!("${}", &rest[..written_len]), name)
            }
            '{' => {
                let name = leading_name(rest);
                if !rest[name.len()..].starts_with('}') {
                    continue;
                }
                (format!("{{{name}}}"), name)
            }
            _ => continue,
        };
        if !is_plain_name(name) {
            continue;
        }
        if let Some(meant) = meant(name) {
            found.push(VariableProblem::NotAVariable {
                written,
                meant: format!("${{{meant}}}"),
            });
        }
    }
}

/// Every variable problem in `template`, in order; nothing for a template that does not parse
/// (the parse error is reported on its own).
pub fn problems(template: &str) -> Vec<VariableProblem> {
    let Ok(pieces) = path_template::parse(template) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Literal(text) => literal_slips(text, &mut found),
            Piece::Variable(name) if is_plain_name(name) && !is_known(name) => {
                found.push(VariableProblem::Unknown {
                    name: name.to_owned(),
                    suggestion: suggest(name),
                })
            }
            Piece::Variable(_) => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(name: &str, suggestion: Option<&str>) -> VariableProblem {
        VariableProblem::Unknown {
            name: name.into(),
            suggestion: suggestion.map(str::to_owned),
        }
    }

    fn slip(written: &str, meant: &str) -> VariableProblem {
        VariableProblem::NotAVariable {
            written: written.into(),
            meant: meant.into(),
        }
    }

    #[test]
    fn documented_variables_are_accepted() {
        for path in [
            crate::target::DEFAULT_PATH,
            "exports/${assembly.id}/${file.id}.${file.ext}",
            "${fields.customer}/${file.meta.width}x${file.meta.height}/${file.url_name}",
            "${file.user_meta.album}/${unique_original_prefix}/${file.original_basename}",
            "${previous_step.name}/${file.md5hash}",
            // Dynamic evaluation is not judged.
            "${Date.now()}/${file.url_name}",
            // A `$` or braces that resemble no variable are ordinary key characters.
            "prices/$5/{draft}/${file.url_name}",
        ] {
            assert_eq!(problems(path), vec![], "{path}");
        }
    }

    #[test]
    fn typos_get_the_variable_that_was_meant() {
        assert_eq!(
            problems("${unique_prefix}/${file.url_nam}"),
            vec![unknown("file.url_nam", Some("file.url_name"))]
        );
        assert_eq!(
            problems("${uniqe_prefix}/${file.url_name}"),
            vec![unknown("uniqe_prefix", Some("unique_prefix"))]
        );
        assert_eq!(
            problems("${field.customer}/${file.url_name}"),
            vec![unknown("field.customer", Some("fields.customer"))]
        );
        assert_eq!(
            problems("${file.colour}/${file.url_name}"),
            vec![unknown("file.colour", None)]
        );
    }

    #[test]
    fn missing_dollar_or_braces_are_named() {
        assert_eq!(
            problems("$unique_prefix/${file.url_name}"),
            vec![slip("$unique_prefix", "${unique_prefix}")]
        );
        assert_eq!(
            problems("{unique_prefix}/${file.url_name}"),
            vec![slip("{unique_prefix}", "${unique_prefix}")]
        );
        assert_eq!(
            problems("exports/$file.url_name}"),
            vec![slip("$file.url_name}", "${file.url_name}")]
        );
    }

    #[test]
    fn fixes_replace_the_slip_in_the_path() {
        let (summary, fix) = problems("$unique_prefix/${file.url_name}")[0]
            .describe("$unique_prefix/${file.url_name}");
        assert!(
            summary.contains("did you mean `${unique_prefix}`"),
            "{summary}"
        );
        assert_eq!(
            fix,
            "Set `path: ${unique_prefix}/${file.url_name}` (variables are written `${name}`)."
        );
        let path = "x/${file.url_nam}";
        let (_, fix) = problems(path)[0].describe(path);
        assert_eq!(fix, "Set `path: x/${file.url_name}`.");
    }
}
