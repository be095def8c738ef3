//! Three-valued logic for policy evaluation: offline we often cannot know a condition key's
//! value or who the caller is, and such a test must stay open instead of picking a side.

/// The outcome of one test in a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    /// Not decidable offline. Each entry is a readable phrase that must hold for the test to
    /// be true ("aws:SourceIp is in 203.0.113.0/24"); all of them must hold together.
    Unknown(Vec<String>),
}

impl Truth {
    pub fn from_bool(value: bool) -> Self {
        if value {
            Truth::True
        } else {
            Truth::False
        }
    }

    pub fn unknown(phrase: impl Into<String>) -> Self {
        Truth::Unknown(vec![phrase.into()])
    }

    /// All tests hold: one false test decides, open ones keep every phrase.
    pub fn all(tests: impl IntoIterator<Item = Truth>) -> Truth {
        let mut open = Vec::new();
        for test in tests {
            match test {
                Truth::False => return Truth::False,
                Truth::Unknown(phrases) => open.extend(phrases),
                Truth::True => {}
            }
        }
        if open.is_empty() {
            Truth::True
        } else {
            Truth::Unknown(open)
        }
    }

    /// At least one test holds: one true test decides, open ones become alternatives.
    pub fn any(tests: impl IntoIterator<Item = Truth>) -> Truth {
        let mut alternatives = Vec::new();
        for test in tests {
            match test {
                Truth::True => return Truth::True,
                Truth::Unknown(phrases) => alternatives.push(phrases.join(" and ")),
                Truth::False => {}
            }
        }
        match alternatives.len() {
            0 => Truth::False,
            1 => Truth::Unknown(alternatives),
            _ => Truth::unknown(alternatives.join(" or ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn false_decides_all_and_true_decides_any() {
        let open = || Truth::unknown("k is v");
        assert_eq!(Truth::all([open(), Truth::False]), Truth::False);
        assert_eq!(Truth::all([open(), Truth::True]), open());
        assert_eq!(Truth::all([]), Truth::True);
        assert_eq!(Truth::any([open(), Truth::True]), Truth::True);
        assert_eq!(Truth::any([open(), Truth::False]), open());
        assert_eq!(Truth::any([]), Truth::False);
        assert_eq!(
            Truth::any([open(), Truth::unknown("j is w")]),
            Truth::unknown("k is v or j is w")
        );
    }
}
