//! Policy variables (`${aws:username}`): found, never resolved. Offline we do not know what
//! they expand to, so statements that use them stay open.

/// The `${...}` variables in a policy value, as written.
pub(crate) fn policy_variables(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        found.push(&rest[start..start + length + 1]);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
