//! One pass over a frame that refuses what the full decoder refuses for its syntax and
//! values, without building anything: not JSON, a number out of range, a string that is
//! not Unicode (a lone surrogate escape), nesting past the parser's depth limit. The relay
//! reads a signal's payload as raw text; this is what keeps that text to the decoder's
//! rules.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Whether `text` is one JSON value that the full decoder would read, values included.
#[cfg(test)]
fn reads_as_json(text: &str) -> bool {
    serde_json::from_str::<Checked>(text).is_ok()
}

/// Any JSON value, read to the end and dropped.
pub(crate) struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Check)
    }
}

struct Check;

impl<'de> Visitor<'de> for Check {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::reads_as_json;

    #[test]
    fn what_the_value_parser_refuses_is_refused_and_the_rest_read() {
        for text in [
            r#"{"x":[1e400]}"#,
            r#"{"x":"\ud800"}"#,
            r#"{"\ud800":1}"#,
            r#"{"x":1,}"#,
            r#"{"x":1} 2"#,
            "",
        ] {
            assert!(!reads_as_json(text), "{text}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(!reads_as_json(&deep));
        for text in [
            r#"{"x":[1,-2,3.5e10,true,null,"\u00e9\n",{"y":{}}]}"#,
            "123456789012345678901234567890",
            r#"{"a":1,"a":2}"#,
        ] {
            assert!(reads_as_json(text), "{text}");
        }
    }
}
