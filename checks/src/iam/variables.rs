//! Policy variables (`${aws:username}`): found, never resolved. Offline we do not know what
//! they expand to, so statements that use them stay open. `${*}`, `${?}` and `${$}` are not
//! variables but IAM's way of writing a literal `*`, `?` or `$`.

/// The escapes IAM defines for characters that would otherwise be special, and the character
/// each stands for.
const LITERAL_ESCAPES: [(&str, char); 3] = [("${*}", '*'), ("${?}", '?'), ("${$}", '$')];

/// Stand-ins (Unicode private use) for a literal `*` and `?` while wildcard matching: a real
/// wildcard still matches them, but they match nothing but themselves.
const LITERAL_STAR: char = '\u{E000}';
const LITERAL_QUESTION: char = '\u{E001}';

/// The `${...}` variables in a policy value, as written (literal escapes excluded).
pub(crate) fn policy_variables(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        let variable = &rest[start..start + length + 1];
        if !LITERAL_ESCAPES
            .iter()
            .any(|(escape, _)| *escape == variable)
        {
            found.push(variable);
        }
        rest = &rest[start + length + 1..];
    }
    found
}

/// The value with every variable replaced by `*`: if even that does not match, no value of
/// the variables can make it match.
pub(crate) fn widen_variables(text: &str) -> String {
    policy_variables(text)
        .into_iter()
        .fold(text.to_owned(), |widened, variable| {
            widened.replacen(variable, "*", 1)
        })
}

/// Whether `text` uses a literal escape such as `${*}`.
pub(crate) fn has_literal_escapes(text: &str) -> bool {
    LITERAL_ESCAPES
        .iter()
        .any(|(escape, _)| text.contains(escape))
}

/// A wildcard pattern and the value to match it against, rewritten so that `${*}` and `${?}`
/// in the pattern match only a literal `*` or `?` in the value (and `${$}` a `$`).
pub(crate) fn for_wildcard_match(pattern: &str, value: &str) -> (String, String) {
    let pattern = pattern
        .replace("${*}", &LITERAL_STAR.to_string())
        .replace("${?}", &LITERAL_QUESTION.to_string())
        .replace("${$}", "$");
    let value = value
        .replace('*', &LITERAL_STAR.to_string())
        .replace('?', &LITERAL_QUESTION.to_string());
    (pattern, value)
}

/// A value compared exactly, with its literal escapes resolved.
pub(crate) fn resolve_literal_escapes(text: &str) -> String {
    LITERAL_ESCAPES
        .iter()
        .fold(text.to_owned(), |resolved, (escape, character)| {
            resolved.replace(escape, &character.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::arn::arn_matches;

    #[test]
    fn finds_and_widens_variables() {
        let text = "arn:aws:s3:::b/${aws:username}/${aws:userid}/*";
        assert_eq!(
            policy_variables(text),
            vec!["${aws:username}", "${aws:userid}"]
        );
        assert_eq!(widen_variables(text), "arn:aws:s3:::b/*/*/*");
        assert!(policy_variables("arn:aws:s3:::b/${unclosed").is_empty());
    }

    #[test]
    fn literal_escapes_are_not_variables() {
        let text = "arn:aws:s3:::b/${*}/${?}/${$}x/${aws:username}";
        assert_eq!(policy_variables(text), vec!["${aws:username}"]);
        assert!(has_literal_escapes(text));
        assert_eq!(resolve_literal_escapes("a${*}b${?}c${$}"), "a*b?c$");
    }

    #[test]
    fn literal_escapes_match_only_their_character() {
        let matches = |pattern: &str, arn: &str| {
            let (pattern, arn) = for_wildcard_match(pattern, arn);
            arn_matches(&pattern, &arn)
        };
        assert!(matches("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*"));
        assert!(!matches("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/file.jpg"));
        assert!(!matches("arn:aws:s3:::b/a${?}", "arn:aws:s3:::b/ab"));
        assert!(matches("arn:aws:s3:::b/a${?}", "arn:aws:s3:::b/a?"));
        assert!(matches("arn:aws:s3:::b/${$}*", "arn:aws:s3:::b/$x"));
        assert!(matches("arn:aws:s3:::b/*", "arn:aws:s3:::b/*"));
    }
}
