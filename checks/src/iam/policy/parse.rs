//! Reading a policy document's JSON into the model of `policy.rs`, through `serde_json::Value`
//! so that every structural error names the statement and the element to fix.

use super::{
    Condition, Effect, PatternList, PolicyDocument, PolicyError, Principal, PrincipalBlock,
    PrincipalList, Statement,
};
use serde_json::{Map, Value};

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
