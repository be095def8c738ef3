//! S3's naming rules for general-purpose buckets: which rules a name breaks, and a compliant name
//! close to it. Shared by the `bucket-name` check and by every fix text that must name the
//! bucket as it should be (see [`crate::corrected`]).

const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// One broken naming rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// A stable name for the rule, shown in evidence.
    pub rule: &'static str,
    pub message: String,
}

fn violation(rule: &'static str, message: impl Into<String>) -> Violation {
    Violation {
        rule,
        message: message.into(),
    }
}

/// Every naming rule `name` breaks, in the order the rules are documented.
pub fn violations(name: &str) -> Vec<Violation> {
    let mut found = Vec::new();
    let length = name.chars().count();
    if !(3..=63).contains(&length) {
        found.push(violation(
            "length",
            format!("is {length} characters long (3 to 63 allowed)"),
        ));
    }
    let uppercase: String = unique_chars(name, |c| c.is_ascii_uppercase());
    if !uppercase.is_empty() {
        found.push(violation(
            "uppercase",
            format!(
                "contains uppercase letters ({})",
                uppercase
                    .chars()
                    .map(String::from)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if name.contains('_') {
        found.push(violation("underscore", "contains underscores (`_`)"));
    }
    let other: String = unique_chars(name, |c| {
        !(c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || c == '.'
            || c == '-'
            || c == '_'
            || c.is_ascii_uppercase())
    });
    if !other.is_empty() {
        found.push(violation(
            "characters",
            format!(
                "contains characters other than a-z, 0-9, `.` and `-` ({})",
                quote_chars(&other)
            ),
        ));
    }
    // Case is the uppercase rule's business: here only whether it is a letter or digit at all.
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if let Some(first) = name.chars().next().filter(|&c| !alnum(c)) {
        found.push(violation(
            "first-character",
            format!("begins with `{first}` (must begin with a letter or digit)"),
        ));
    }
    if let Some(last) = name
        .chars()
        .last()
        .filter(|&c| !alnum(c))
        .filter(|_| length > 1)
    {
        found.push(violation(
            "last-character",
            format!("ends with `{last}` (must end with a letter or digit)"),
        ));
    }
    if name.contains("..") {
        found.push(violation(
            "adjacent-periods",
            "contains two adjacent periods (`..`)",
        ));
    }
    if looks_like_ip_address(name) {
        found.push(violation("ip-address", "is formatted as an IP address"));
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| name.starts_with(*p)) {
        found.push(violation(
            "reserved-prefix",
            format!("begins with the reserved prefix `{prefix}`"),
        ));
    }
    if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| name.ends_with(*s)) {
        found.push(violation(
            "reserved-suffix",
            format!("ends with the reserved suffix `{suffix}`"),
        ));
    }
    found
}

/// Four dot-separated groups of one to three digits: what S3 treats as "formatted as an IP
/// address", whether or not the numbers are in range.
fn looks_like_ip_address(name: &str) -> bool {
    let groups: Vec<&str> = name.split('.').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
}

fn unique_chars(name: &str, keep: impl Fn(char) -> bool) -> String {
    let mut seen = String::new();
    for c in name.chars().filter(|&c| keep(c)) {
        if !seen.contains(c) {
            seen.push(c);
        }
    }
    seen
}

fn quote_chars(chars: &str) -> String {
    chars
        .chars()
        .map(|c| {
            if c == ' ' {
                "space".to_owned()
            } else {
                format!("`{c}`")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A compliant name close to `name`, for the rename hint; `None` when nothing sensible remains.
pub fn suggest_compliant_name(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
            c
        } else {
            '-'
        };
        let previous = out.chars().last();
        if (c == '-' && previous == Some('-')) || (c == '.' && previous == Some('.')) {
            continue;
        }
        out.push(c);
    }
    let mut candidate = out.trim_matches(|c: char| c == '-' || c == '.').to_owned();
    for prefix in RESERVED_PREFIXES {
        if let Some(rest) = candidate.strip_prefix(prefix) {
            candidate = rest.to_owned();
        }
    }
    for suffix in RESERVED_SUFFIXES {
        if let Some(rest) = candidate.strip_suffix(suffix) {
            candidate = rest.to_owned();
        }
    }
    candidate.truncate(63);
    let candidate = candidate
        .trim_matches(|c: char| c == '-' || c == '.')
        .to_owned();
    (violations(&candidate).is_empty() && candidate != name).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(name: &str) -> Vec<&'static str> {
        violations(name).into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn valid_names() {
        let sixty_three = "a".repeat(63);
        for name in [
            "abc",
            "my-bucket-123",
            "1bucket",
            "bucket1",
            "a.b.c",
            "my.dotted.bucket",
            "1.2.3",
            "192.168.5.4a",
            "xn-bucket",
            "s3alias",
            sixty_three.as_str(),
        ] {
            assert_eq!(rules(name), Vec::<&str>::new(), "{name} should be valid");
        }
    }

    #[test]
    fn each_rule_is_named() {
        let sixty_four = "a".repeat(64);
        let cases: &[(&str, &[&str])] = &[
            ("", &["length"]),
            ("ab", &["length"]),
            (&sixty_four, &["length"]),
            ("My_Bucket", &["uppercase", "underscore"]),
            ("my_bucket", &["underscore"]),
            ("MYBUCKET", &["uppercase"]),
            ("_bucket", &["underscore", "first-character"]),
            ("my bucket", &["characters"]),
            ("bücket", &["characters"]),
            ("-bucket", &["first-character"]),
            ("bucket-", &["last-character"]),
            (".bucket", &["first-character"]),
            ("bucket.", &["last-character"]),
            ("a..b", &["adjacent-periods"]),
            ("192.168.5.4", &["ip-address"]),
            ("999.999.999.999", &["ip-address"]),
            ("xn--bucket", &["reserved-prefix"]),
            ("sthree-bucket", &["reserved-prefix"]),
            ("sthree-configurator", &["reserved-prefix"]),
            ("amzn-s3-demo-bucket", &["reserved-prefix"]),
            ("bucket-s3alias", &["reserved-suffix"]),
            ("bucket--ol-s3", &["reserved-suffix"]),
            ("bucket.mrap", &["reserved-suffix"]),
            ("bucket--x-s3", &["reserved-suffix"]),
            ("bucket--table-s3", &["reserved-suffix"]),
        ];
        for (name, expected) in cases {
            assert_eq!(rules(name), *expected, "{name}");
        }
    }

    #[test]
    fn suggestions_are_compliant() {
        assert_eq!(
            suggest_compliant_name("My_Bucket").as_deref(),
            Some("my-bucket")
        );
        assert_eq!(
            suggest_compliant_name("-Exports..2024-").as_deref(),
            Some("exports.2024")
        );
        assert_eq!(
            suggest_compliant_name("xn--Bucket").as_deref(),
            Some("xn-bucket")
        );
        assert_eq!(
            suggest_compliant_name("sthree-Files").as_deref(),
            Some("files")
        );
        assert_eq!(suggest_compliant_name("ok-bucket"), None);
        assert_eq!(suggest_compliant_name("__"), None);
    }
}
