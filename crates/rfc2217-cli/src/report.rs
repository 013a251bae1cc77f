//! What `probe` and `term` report, written once as a `Serialize` struct
//! and printed either as JSON or as aligned `name  value` lines, so the two
//! forms cannot disagree.

use serde::{Serialize, Serializer};
use serde_json::Value;

/// A value the server gave, or why there is none.
#[derive(Debug)]
pub(crate) enum Answer<T> {
    Given(T),
    Missing(&'static str),
}

impl<T> Answer<T> {
    /// The answer to a query, or "unanswered".
    pub(crate) fn asked(answer: Option<T>) -> Self {
        answer.map_or(Answer::Missing("unanswered"), Answer::Given)
    }
}

/// The value itself, or the reason as a string in its place.
impl<T: Serialize> Serialize for Answer<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Answer::Given(value) => value.serialize(serializer),
            Answer::Missing(why) => serializer.serialize_str(why),
        }
    }
}

/// The report as JSON.
pub(crate) fn json(report: &impl Serialize) -> String {
    serde_json::to_string_pretty(report).expect("a report is plain data")
}

/// The report as lines: its fields in order, underscores as spaces, values
/// aligned; a list is its items, or "none".
pub(crate) fn text(report: &impl Serialize) -> String {
    let Value::Object(fields) = serde_json::to_value(report).expect("a report is plain data")
    else {
        unreachable!("a report is a struct");
    };
    let width = fields.keys().map(String::len).max().unwrap_or(0);
    let mut lines = String::new();
    for (name, value) in &fields {
        let name = name.replace('_', " ");
        lines.push_str(&format!("{name:width$}  {}\n", words(value)));
    }
    lines
}

fn words(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        Value::Array(items) => items.iter().map(words).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Sample {
        baud: Answer<u32>,
        modem_lines: Answer<Vec<&'static str>>,
        round_trip_ms: Answer<f64>,
    }

    #[test]
    fn both_forms_show_the_same_fields() {
        let sample = Sample {
            baud: Answer::Given(9600),
            modem_lines: Answer::Given(vec![]),
            round_trip_ms: Answer::asked(None),
        };
        assert_eq!(
            text(&sample),
            "baud           9600\nmodem lines    none\nround trip ms  unanswered\n"
        );
        let json: Value = serde_json::from_str(&json(&sample)).unwrap();
        assert_eq!(json["baud"], 9600);
        assert_eq!(json["modem_lines"], Value::Array(vec![]));
        assert_eq!(json["round_trip_ms"], "unanswered");
    }
}
