//! IAM JSON policy documents: the model, and a parser whose errors point at the statement and
//! element a person has to fix.
//!
//! The parser goes through `serde_json::Value` rather than derived structs so that a structural
//! error can name the element and the statement ("statement \"AllowPut\" (#1): Effect ..."),
//! which is what someone editing a bucket policy by hand needs.

use serde_json::{Map, Value};
use std::fmt;

/// The only policy language version in which `${...}` is a variable; in older documents (or
/// without `Version`) it is literal text.
pub const VARIABLES_VERSION: &str = "2012-10-17";

/// A parsed IAM policy (identity policy or bucket policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Whether `${aws:username}` and friends are policy variables in this document.
    pub fn has_policy_variables(&self) -> bool {
        self.version.as_deref() == Some(VARIABLES_VERSION)
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Position in the document, counting from 1 as people do.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` or `NotPrincipal`; only bucket (resource) policies have one.
    pub principal: Option<PrincipalBlock>,
    /// `Action` or `NotAction`: exactly one is always present.
    pub action: PatternList,
    /// `Resource` or `NotResource`.
    pub resource: Option<PatternList>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// How evaluations name the statement: its Sid, or `#index` when it has none.
    pub fn name(&self) -> String {
        statement_name(self.sid.as_deref(), self.index)
    }

    /// Whether the statement's Action (or NotAction, by leaving it out) covers `action`;
    /// action names are case-insensitive in IAM.
    pub fn names_action(&self, action: &str) -> bool {
        let listed = self
            .action
            .patterns
            .iter()
            .any(|pattern| wildmatch::WildMatch::new_case_insensitive(pattern).matches(action));
        listed != self.action.negated
    }

    /// How sentences name the statement: `statement "AllowPut"` or `statement #2`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) => format!("statement {sid:?}"),
            None => format!("statement #{}", self.index),
        }
    }
}

fn statement_name(sid: Option<&str>, index: usize) -> String {
    match sid {
        Some(sid) => sid.to_owned(),
        None => format!("#{index}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: patterns, and whether the element is the
/// `Not` form (the statement covers everything *except* the patterns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternList {
    pub negated: bool,
    pub patterns: Vec<String>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalBlock {
    pub negated: bool,
    pub principal: Principal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`: everyone, including anonymous callers.
    Anyone,
    Listed(PrincipalList),
}

/// The typed entries of a principal object, each kept as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalList {
    /// Account ids, `arn:aws:iam::ACCOUNT:root`, user/role/session ARNs, or `"*"`.
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    pub canonical_user: Vec<String>,
}

/// One `operator → key → values` entry of a `Condition` block. Values are kept as strings
/// because IAM compares them as strings (`true` and `"true"` are the same condition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

/// Why a policy could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON. The caller prefixes the file name: "policy.json is not valid...".
    #[error("is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON is not a policy IAM would accept.
    #[error("{}{field} {message}", statement_prefix(.statement))]
    Invalid {
        /// The policy element at fault: `Effect`, `Action`, `Statement`, ...
        field: String,
        /// `"AllowPut" (#1)` when the statement has a Sid, `#1` when not; `None` for
        /// document-level errors.
        statement: Option<String>,
        message: String,
    },
}

fn statement_prefix(statement: &Option<String>) -> String {
    match statement {
        Some(statement) => format!("statement {statement}: "),
        None => String::new(),
    }
}

const DOCUMENT_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const PRINCIPAL_TYPES: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];

/// Parses an IAM policy document.
pub fn parse_policy(json: &str) -> Result<PolicyDocument, PolicyError> {
    let value: Value = serde_json::from_str(json).map_err(json_error)?;
    let document = value.as_object().ok_or_else(|| PolicyError::Invalid {
        field: "policy".into(),
        statement: None,
        message: format!("must be a JSON object, found {}", describe(&value)),
    })?;
    reject_unknown_elements(document, DOCUMENT_ELEMENTS, None)?;
    Ok(PolicyDocument {
        version: optional_string(document, "Version", None)?,
        id: optional_string(document, "Id", None)?,
        statements: parse_statements(document.get("Statement"))?,
    })
}

fn json_error(error: serde_json::Error) -> PolicyError {
    let (line, column) = (error.line(), error.column());
    // serde_json appends the position to its message; we report it in our own words.
    let full = error.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    PolicyError::Json {
        line,
        column,
        message,
    }
}

fn parse_statements(value: Option<&Value>) -> Result<Vec<Statement>, PolicyError> {
    let document_error = |message: String| PolicyError::Invalid {
        field: "Statement".into(),
        statement: None,
        message,
    };
    let items: Vec<&Value> = match value {
        None => return Err(document_error("is missing".into())),
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(document_error("is an empty array".into()))
        }
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        Some(other) => {
            return Err(document_error(format!(
                "must be an object or an array of objects, found {}",
                describe(other)
            )))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(position, item)| parse_statement(position + 1, item))
        .collect()
}

fn parse_statement(index: usize, value: &Value) -> Result<Statement, PolicyError> {
    let object = value.as_object().ok_or_else(|| PolicyError::Invalid {
        field: "Statement".into(),
        statement: Some(format!("#{index}")),
        message: format!("must be an object, found {}", describe(value)),
    })?;
    // The Sid comes first so that every later error can name the statement by it.
    let sid = optional_string(object, "Sid", Some(&format!("#{index}")))?;
    let at = StatementRef {
        sid: sid.as_deref(),
        index,
    };
    reject_unknown_elements(object, STATEMENT_ELEMENTS, Some(&at))?;
    let action = one_of_pair(object, "Action", "NotAction", &at)?.ok_or_else(|| {
        at.error(
            "Action",
            "is missing: a statement needs Action or NotAction".into(),
        )
    })?;
    Ok(Statement {
        index,
        sid: sid.clone(),
        effect: parse_effect(object.get("Effect"), &at)?,
        principal: parse_principal_block(object, &at)?,
        action,
        resource: one_of_pair(object, "Resource", "NotResource", &at)?,
        conditions: parse_conditions(object.get("Condition"), &at)?,
    })
}

/// Where in the document an error is, for `PolicyError::Invalid`.
struct StatementRef<'a> {
    sid: Option<&'a str>,
    index: usize,
}

impl StatementRef<'_> {
    fn error(&self, field: &str, message: String) -> PolicyError {
        let statement = match self.sid {
            Some(sid) => format!("{sid:?} (#{})", self.index),
            None => format!("#{}", self.index),
        };
        PolicyError::Invalid {
            field: field.into(),
            statement: Some(statement),
            message,
        }
    }
}

fn reject_unknown_elements(
    object: &Map<String, Value>,
    known: &[&str],
    at: Option<&StatementRef>,
) -> Result<(), PolicyError> {
    let Some(unknown) = object.keys().find(|key| !known.contains(&key.as_str())) else {
        return Ok(());
    };
    // IAM rejects unknown elements; a typo such as "Resources" would otherwise silently drop
    // the resource restriction.
    let message = format!(
        "is not a policy element (expected one of {})",
        known.join(", ")
    );
    Err(match at {
        Some(at) => at.error(unknown, message),
        None => PolicyError::Invalid {
            field: unknown.clone(),
            statement: None,
            message,
        },
    })
}

fn optional_string(
    object: &Map<String, Value>,
    field: &str,
    statement: Option<&str>,
) -> Result<Option<String>, PolicyError> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(PolicyError::Invalid {
            field: field.into(),
            statement: statement.map(str::to_owned),
            message: format!("must be a string, found {}", describe(other)),
        }),
    }
}

fn parse_effect(value: Option<&Value>, at: &StatementRef) -> Result<Effect, PolicyError> {
    match value {
        // Exact case on purpose: IAM rejects "allow" and "Allow " alike.
        Some(Value::String(text)) if text == "Allow" => Ok(Effect::Allow),
        Some(Value::String(text)) if text == "Deny" => Ok(Effect::Deny),
        Some(other) => Err(at.error(
            "Effect",
            format!("must be \"Allow\" or \"Deny\", found {}", describe(other)),
        )),
        None => Err(at.error("Effect", "is missing".into())),
    }
}

/// Reads `Action`/`NotAction` (or the Resource pair): at most one of the two may be present.
fn one_of_pair(
    object: &Map<String, Value>,
    positive: &str,
    negative: &str,
    at: &StatementRef,
) -> Result<Option<PatternList>, PolicyError> {
    match (object.get(positive), object.get(negative)) {
        (Some(_), Some(_)) => {
            Err(at.error(positive, format!("and {negative} cannot both be present")))
        }
        (Some(value), None) => Ok(Some(PatternList {
            negated: false,
            patterns: string_list(value, positive, at)?,
        })),
        (None, Some(value)) => Ok(Some(PatternList {
            negated: true,
            patterns: string_list(value, negative, at)?,
        })),
        (None, None) => Ok(None),
    }
}

fn string_list(value: &Value, field: &str, at: &StatementRef) -> Result<Vec<String>, PolicyError> {
    let wrong_type = || {
        at.error(
            field,
            format!(
                "must be a string or an array of strings, found {}",
                describe(value)
            ),
        )
    };
    match value {
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(items) if items.is_empty() => Err(at.error(field, "is an empty array".into())),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong_type))
            .collect(),
        _ => Err(wrong_type()),
    }
}

fn parse_principal_block(
    object: &Map<String, Value>,
    at: &StatementRef,
) -> Result<Option<PrincipalBlock>, PolicyError> {
    let (field, negated, value) = match (object.get("Principal"), object.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(at.error(
                "Principal",
                "and NotPrincipal cannot both be present".into(),
            ))
        }
        (Some(value), None) => ("Principal", false, value),
        (None, Some(value)) => ("NotPrincipal", true, value),
        (None, None) => return Ok(None),
    };
    Ok(Some(PrincipalBlock {
        negated,
        principal: parse_principal(value, field, at)?,
    }))
}

fn parse_principal(
    value: &Value,
    field: &str,
    at: &StatementRef,
) -> Result<Principal, PolicyError> {
    match value {
        Value::String(text) if text == "*" => Ok(Principal::Anyone),
        Value::Object(entries) => {
            let mut list = PrincipalList::default();
            for (kind, ids) in entries {
                let ids = string_list(ids, &format!("{field}.{kind}"), at)?;
                match kind.as_str() {
                    "AWS" => list.aws = ids,
                    "Service" => list.service = ids,
                    "Federated" => list.federated = ids,
                    "CanonicalUser" => list.canonical_user = ids,
                    _ => {
                        return Err(at.error(
                            field,
                            format!(
                                "has unknown principal type {kind:?} (expected one of {})",
                                PRINCIPAL_TYPES.join(", ")
                            ),
                        ))
                    }
                }
            }
            Ok(Principal::Listed(list))
        }
        other => Err(at.error(
            field,
            format!(
                "must be \"*\" or an object such as {{\"AWS\": \"arn:...\"}}, found {}",
                describe(other)
            ),
        )),
    }
}

fn parse_conditions(
    value: Option<&Value>,
    at: &StatementRef,
) -> Result<Vec<Condition>, PolicyError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let operators = value.as_object().ok_or_else(|| {
        at.error(
            "Condition",
            format!("must be an object, found {}", describe(value)),
        )
    })?;
    let mut conditions = Vec::new();
    for (operator, keys) in operators {
        let keys = keys.as_object().ok_or_else(|| {
            at.error(
                "Condition",
                format!(
                    "{operator} must map condition keys to values, found {}",
                    describe(keys)
                ),
            )
        })?;
        for (key, values) in keys {
            conditions.push(Condition {
                operator: operator.clone(),
                key: key.clone(),
                values: condition_values(values, operator, key, at)?,
            });
        }
    }
    Ok(conditions)
}

fn condition_values(
    value: &Value,
    operator: &str,
    key: &str,
    at: &StatementRef,
) -> Result<Vec<String>, PolicyError> {
    let scalars: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        scalar => vec![scalar],
    };
    scalars
        .into_iter()
        .map(|scalar| {
            scalar_text(scalar).ok_or_else(|| {
                at.error(
                    "Condition",
                    format!(
                        "{operator} {key} must be a string, number, boolean or an array of them, found {}",
                        describe(scalar)
                    ),
                )
            })
        })
        .collect()
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A short rendering of a JSON value for error messages: scalars as JSON, containers by kind,
/// so a message never quotes a whole statement back.
fn describe(value: &Value) -> String {
    match value {
        Value::Object(_) => "an object".into(),
        Value::Array(_) => "an array".into(),
        Value::Null => "null".into(),
        scalar => scalar.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_field(json: &str) -> (String, Option<String>, String) {
        match parse_policy(json) {
            Err(PolicyError::Invalid {
                field,
                statement,
                message,
            }) => (field, statement, message),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_single_statement_object_with_every_element() {
        let policy = parse_policy(
            r#"{
              "Version": "2012-10-17",
              "Id": "ExportPolicy",
              "Statement": {
                "Sid": "AllowPut",
                "Effect": "Allow",
                "Principal": {"AWS": ["111122223333", "arn:aws:iam::111122223333:role/Exporter"],
                              "Service": "s3.amazonaws.com"},
                "NotAction": "s3:DeleteObject",
                "Resource": "arn:aws:s3:::my-bucket/*",
                "Condition": {"Bool": {"aws:SecureTransport": true},
                              "NumericLessThan": {"s3:max-keys": [10, "20"]}}
              }
            }"#,
        )
        .unwrap();
        assert_eq!(policy.id.as_deref(), Some("ExportPolicy"));
        assert!(policy.has_policy_variables());
        let statement = &policy.statements[0];
        assert_eq!(statement.name(), "AllowPut");
        assert_eq!(statement.effect, Effect::Allow);
        assert_eq!(
            statement.action,
            PatternList {
                negated: true,
                patterns: vec!["s3:DeleteObject".into()]
            }
        );
        let Some(PrincipalBlock {
            negated: false,
            principal: Principal::Listed(list),
        }) = &statement.principal
        else {
            panic!("principal not parsed: {:?}", statement.principal);
        };
        assert_eq!(list.aws.len(), 2);
        assert_eq!(list.service, vec!["s3.amazonaws.com".to_owned()]);
        assert_eq!(statement.conditions.len(), 2);
        assert!(statement.conditions.contains(&Condition {
            operator: "Bool".into(),
            key: "aws:SecureTransport".into(),
            values: vec!["true".into()],
        }));
        assert!(statement.conditions.contains(&Condition {
            operator: "NumericLessThan".into(),
            key: "s3:max-keys".into(),
            values: vec!["10".into(), "20".into()],
        }));
    }

    #[test]
    fn statements_without_sid_are_named_by_position() {
        let policy = parse_policy(
            r#"{"Statement": [
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
                {"Effect": "Deny", "Principal": "*", "Action": ["s3:*"], "NotResource": ["arn:aws:s3:::b"]}
            ]}"#,
        )
        .unwrap();
        assert_eq!(policy.statements[1].name(), "#2");
        assert_eq!(policy.statements[1].label(), "statement #2");
        assert_eq!(
            policy.statements[1].principal,
            Some(PrincipalBlock {
                negated: false,
                principal: Principal::Anyone
            })
        );
        assert!(policy.statements[1].resource.as_ref().unwrap().negated);
        assert!(!policy.has_policy_variables());
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let error =
            parse_policy("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [,]\n}").unwrap_err();
        let PolicyError::Json { line, column, .. } = &error else {
            panic!("expected Json, got {error:?}");
        };
        assert_eq!((*line, *column), (3, 17));
        assert_eq!(
            error.to_string(),
            "is not valid JSON at line 3, column 17: expected value"
        );
    }

    #[test]
    fn effect_must_match_exactly() {
        let json = r#"{"Statement": [{"Sid": "AllowPut", "Effect": "allow ", "Action": "s3:PutObject", "Resource": "*"}]}"#;
        let error = parse_policy(json).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"statement "AllowPut" (#1): Effect must be "Allow" or "Deny", found "allow ""#
        );
        let (field, statement, _) = invalid_field(json);
        assert_eq!(field, "Effect");
        assert_eq!(statement.as_deref(), Some(r#""AllowPut" (#1)"#));
        let (field, _, message) = invalid_field(
            r#"{"Statement": [{"Effect": "allow", "Action": "s3:PutObject", "Resource": "*"}]}"#,
        );
        assert_eq!(field, "Effect");
        assert!(message.contains(r#"found "allow""#), "{message}");
    }

    #[test]
    fn a_statement_needs_exactly_one_of_action_and_not_action() {
        let (field, statement, message) = invalid_field(
            r#"{"Statement": [{"Effect": "Allow", "Resource": "*"},
                              {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#,
        );
        assert_eq!(field, "Action");
        assert_eq!(statement.as_deref(), Some("#1"));
        assert!(message.contains("missing"), "{message}");

        let (field, _, message) = invalid_field(
            r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*"}}"#,
        );
        assert_eq!(field, "Action");
        assert!(message.contains("NotAction"), "{message}");
    }

    #[test]
    fn structural_errors_name_the_element() {
        let cases = [
            (r#"[]"#, "policy"),
            (r#"{"Version": "2012-10-17"}"#, "Statement"),
            (r#"{"Statement": "Allow"}"#, "Statement"),
            (r#"{"Statement": []}"#, "Statement"),
            (r#"{"Statement": [42]}"#, "Statement"),
            (r#"{"Statement": {"Action": "s3:*"}}"#, "Effect"),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": 5}}"#,
                "Action",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": []}}"#,
                "Action",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resources": "*"}}"#,
                "Resources",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "NotResource": "*"}}"#,
                "Resource",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Principal": "me", "Action": "s3:*"}}"#,
                "Principal",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Principal": {"User": "x"}, "Action": "s3:*"}}"#,
                "Principal",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Condition": {"Bool": true}}}"#,
                "Condition",
            ),
            (
                r#"{"Statement": {"Effect": "Allow", "Action": "s3:*", "Condition": {"Null": {"k": null}}}}"#,
                "Condition",
            ),
            (
                r#"{"Statement": {"Sid": 1, "Effect": "Allow", "Action": "s3:*"}}"#,
                "Sid",
            ),
        ];
        for (json, expected_field) in cases {
            let (field, _, _) = invalid_field(json);
            assert_eq!(field, expected_field, "{json}");
        }
    }
}
