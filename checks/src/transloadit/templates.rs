//! The JSON shapes a user holds their store step in, read into a list of steps: Assembly
//! Instructions (`{"steps": …}`), a Template as the API returns it (`{"id", "name",
//! "content": …}`, `content` possibly a JSON-encoded string, or `template` as sent on create),
//! and an API list page (`{"items": [templates…], "count"}`). Turning one storage step into a
//! target is `store_step.rs`'s.

use super::robots;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One step of the instructions: its name, its Robot and its parameters as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    /// The Template it came from, on a list page holding several.
    pub template: Option<String>,
    /// The `robot` parameter; `None` when the step has none (Transloadit rejects it).
    pub robot: Option<String>,
    pub params: Map<String, Value>,
}

impl Step {
    /// How `--step` names this step: `STEP`, or `TEMPLATE/STEP` on a list page.
    pub fn label(&self) -> String {
        match &self.template {
            Some(template) => format!("{template}/{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The storage Robot this tool checks the step with, if it is one.
    pub fn storage_robot(&self) -> Option<&'static robots::StorageRobot> {
        self.robot.as_deref().and_then(robots::find)
    }
}

/// Which shape the input had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    AssemblyInstructions,
    Template,
    TemplateList,
}

/// Everything read from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Instructions {
    pub shape: Shape,
    pub steps: Vec<Step>,
    /// The instructions' own `fields` (`${fields.NAME}`); `--field` overrides them.
    pub fields: BTreeMap<String, String>,
}

/// Why the input cannot be read as instructions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("malformed JSON{within} at line {line}, column {column}: {message}")]
    Json {
        within: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Shape(String),
    #[error("{0}")]
    Step(String),
}

const ACCEPTED: &str = "expected Assembly Instructions ({\"steps\": {…}}), a Template ({\"id\", \"name\", \"content\": {\"steps\": …}}) or a Template list page ({\"items\": […], \"count\"})";

/// Reads `text` in whichever shape it has.
pub fn parse(text: &str) -> Result<Instructions, InputError> {
    let value = parse_json(text, "")?;
    let Value::Object(top) = value else {
        return Err(InputError::Shape(format!(
            "the input is JSON but not an object: {ACCEPTED}"
        )));
    };
    if let Some(items) = top.get("items") {
        let Value::Array(items) = items else {
            return Err(InputError::Shape(format!(
                "`items` is not a list: {ACCEPTED}"
            )));
        };
        let mut steps = Vec::new();
        let mut fields = BTreeMap::new();
        for (index, item) in items.iter().enumerate() {
            let Value::Object(template) = item else {
                return Err(InputError::Shape(format!(
                    "`items[{index}]` is not a Template object"
                )));
            };
            let name = template_name(template).unwrap_or_else(|| format!("items[{index}]"));
            let content = template_content(template, &format!(" in `items[{index}]` ({name})"))?;
            let mut read = from_instructions(&content)?;
            for step in &mut read.steps {
                step.template = Some(name.clone());
            }
            steps.append(&mut read.steps);
            fields.append(&mut read.fields);
        }
        return Ok(Instructions {
            shape: Shape::TemplateList,
            steps,
            fields,
        });
    }
    if top.contains_key("content") || top.contains_key("template") {
        let content = template_content(&top, "")?;
        return Ok(Instructions {
            shape: Shape::Template,
            ..from_instructions(&content)?
        });
    }
    if top.contains_key("steps") {
        return from_instructions(&top);
    }
    Err(InputError::Shape(format!(
        "the input has none of `steps`, `content` or `items`: {ACCEPTED}"
    )))
}

fn parse_json(text: &str, within: &str) -> Result<Value, InputError> {
    serde_json::from_str(text).map_err(|err| {
        // serde_json's message ends with " at line L column C": the fields say it already.
        let message = err.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        InputError::Json {
            within: within.to_owned(),
            line: err.line(),
            column: err.column(),
            message,
        }
    })
}

fn template_name(template: &Map<String, Value>) -> Option<String> {
    ["name", "id"]
        .iter()
        .find_map(|key| template.get(*key).and_then(Value::as_str))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// A Template's instructions: `content` (or `template`), an object or a JSON-encoded string.
fn template_content(
    template: &Map<String, Value>,
    within: &str,
) -> Result<Map<String, Value>, InputError> {
    let (key, content) = ["content", "template"]
        .iter()
        .find_map(|key| template.get(*key).map(|v| (*key, v)))
        .ok_or_else(|| InputError::Shape(format!("the Template{within} has no `content`")))?;
    let decoded = match content {
        Value::String(encoded) => parse_json(
            encoded,
            &format!(" in `{key}` (a JSON-encoded string){within}"),
        )?,
        other => other.clone(),
    };
    match decoded {
        Value::Object(map) => Ok(map),
        _ => Err(InputError::Shape(format!(
            "the Template's `{key}`{within} is not an object with `steps`"
        ))),
    }
}

fn from_instructions(instructions: &Map<String, Value>) -> Result<Instructions, InputError> {
    let steps = match instructions.get("steps") {
        Some(Value::Object(steps)) => steps,
        Some(_) => {
            return Err(InputError::Shape(
                "`steps` is not an object of named steps".to_owned(),
            ))
        }
        None => {
            return Err(InputError::Shape(
                "the instructions have no `steps`".to_owned(),
            ))
        }
    };
    let steps = steps
        .iter()
        .map(|(name, step)| match step {
            Value::Object(params) => Ok(Step {
                name: name.clone(),
                template: None,
                robot: params
                    .get("robot")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                params: params.clone(),
            }),
            _ => Err(InputError::Step(format!(
                "step `{name}` is not an object of parameters"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fields = match instructions.get("fields") {
        Some(Value::Object(fields)) => fields
            .iter()
            .filter_map(|(name, value)| scalar_text(value).map(|text| (name.clone(), text)))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(Instructions {
        shape: Shape::AssemblyInstructions,
        steps,
        fields,
    })
}

/// A field value as `${fields.NAME}` would print it.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Instructions {
    /// The steps whose Robot this tool checks.
    pub fn storage_steps(&self) -> Vec<&Step> {
        self.steps
            .iter()
            .filter(|s| s.storage_robot().is_some())
            .collect()
    }

    /// The storage step to check: the one named by `--step`, else the only one.
    pub fn select(&self, wanted: Option<&str>) -> Result<&Step, InputError> {
        let storage = self.storage_steps();
        let names = || {
            if storage.is_empty() {
                "there is none".to_owned()
            } else {
                format!(
                    "the storage steps are {}",
                    storage
                        .iter()
                        .map(|s| format!("`{}`", s.label()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        };
        match wanted {
            Some(wanted) => {
                let matches: Vec<&Step> = self
                    .steps
                    .iter()
                    .filter(|s| s.label() == wanted || s.name == wanted)
                    .collect();
                match matches.as_slice() {
                    [step] if step.storage_robot().is_some() => Ok(step),
                    [step] => Err(InputError::Step(format!(
                        "step `{wanted}` is not a storage step this tool checks ({}: {}); {}",
                        step.robot.as_deref().unwrap_or("no robot"),
                        robots::not_checked_reason(step.robot.as_deref().unwrap_or_default()),
                        names()
                    ))),
                    [] => Err(InputError::Step(format!(
                        "there is no step `{wanted}`; {}",
                        names()
                    ))),
                    _ => Err(InputError::Step(format!(
                        "several Templates have a step `{wanted}`: name it as TEMPLATE/STEP; {}",
                        names()
                    ))),
                }
            }
            None => match storage.as_slice() {
                [step] => Ok(step),
                [] => Err(InputError::Step(format!(
                    "no storage step to check: the steps use {}; the Robots checked are {}",
                    self.steps
                        .iter()
                        .map(|s| s.robot.clone().unwrap_or_else(|| "no robot".into()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    robots::STORAGE_ROBOTS
                        .iter()
                        .map(|r| r.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
                _ => Err(InputError::Step(format!(
                    "{} storage steps: choose one with --step NAME; {}",
                    storage.len(),
                    names()
                ))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &str = r#"{"steps": {":original": {"robot": "/upload/handle"}, "exported": {"robot": "/s3/store", "use": ":original", "bucket": "acme"}}}"#;

    #[test]
    fn every_shape_yields_the_same_steps() {
        let encoded = serde_json::to_string(STEPS).unwrap();
        let template = format!(r#"{{"id": "abc", "name": "export", "content": {STEPS}}}"#);
        let encoded_template =
            format!(r#"{{"id": "abc", "name": "export", "content": {encoded}}}"#);
        let list = format!(r#"{{"items": [{template}], "count": 1}}"#);
        for (text, shape) in [
            (STEPS.to_owned(), Shape::AssemblyInstructions),
            (template, Shape::Template),
            (encoded_template, Shape::Template),
            (list.clone(), Shape::TemplateList),
        ] {
            let read = parse(&text).unwrap();
            assert_eq!(read.shape, shape);
            let step = read.select(None).unwrap();
            assert_eq!(step.name, "exported");
            assert_eq!(step.params["bucket"], "acme");
        }
        assert_eq!(
            parse(&list).unwrap().select(None).unwrap().label(),
            "export/exported"
        );
        assert!(parse(&list)
            .unwrap()
            .select(Some("export/exported"))
            .is_ok());
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = parse("{\n  \"steps\": {\n    \"a\": {,}\n  }\n}").unwrap_err();
        assert!(
            matches!(
                err,
                InputError::Json {
                    line: 3,
                    column: 11,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("line 3, column 11"));
        let encoded = r#"{"content": "{\"steps\": [}"}"#;
        assert!(parse(encoded)
            .unwrap_err()
            .to_string()
            .contains("in `content` (a JSON-encoded string)"));
    }

    #[test]
    fn step_selection_lists_the_storage_steps() {
        let two = r#"{"steps": {"a": {"robot": "/s3/store"}, "b": {"robot": "/wasabi/store"}, "enc": {"robot": "/video/encode"}}}"#;
        let read = parse(two).unwrap();
        let err = read.select(None).unwrap_err().to_string();
        assert!(err.contains("--step") && err.contains("`a`, `b`"), "{err}");
        let err = read.select(Some("zz")).unwrap_err().to_string();
        assert!(
            err.contains("no step `zz`") && err.contains("`a`, `b`"),
            "{err}"
        );
        let err = read.select(Some("enc")).unwrap_err().to_string();
        assert!(
            err.contains("not a storage step") && err.contains("`a`, `b`"),
            "{err}"
        );
        assert_eq!(read.select(Some("b")).unwrap().name, "b");
    }

    #[test]
    fn wrong_shapes_say_what_is_accepted() {
        for text in ["[]", "{\"foo\": 1}", "{\"steps\": []}", "{\"items\": 3}"] {
            assert!(matches!(parse(text), Err(InputError::Shape(_))), "{text}");
        }
    }

    #[test]
    fn instruction_fields_are_read() {
        let read = parse(r#"{"fields": {"bucket": "acme", "n": 3}, "steps": {}}"#).unwrap();
        assert_eq!(read.fields["bucket"], "acme");
        assert_eq!(read.fields["n"], "3");
    }
}
