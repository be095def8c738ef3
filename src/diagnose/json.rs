//! `diagnose --format json`: the diagnosis as a stable, versioned document (`schema_version`).

use super::Diagnosis;

pub fn render(diagnosis: &Diagnosis) -> String {
    // Plain structs with string keys: serialising cannot fail.
    serde_json::to_string_pretty(diagnosis).expect("diagnosis serialises") + "\n"
}
