//! A refused frame read again, member by member, so that serde's derived code tells which
//! field it refuses: it names a missing or repeated field through the error type
//! ([`FieldError`]), and the deserializers here know whose value each one reads and what
//! the field's type asked for.

use super::members::Members;
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::value::RawValue;
use std::fmt;

/// Why the fields of a frame were refused.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FieldError {
    /// A field the type needs is not there.
    Missing(&'static str),
    /// A field is there twice.
    Repeated(&'static str),
    /// A value is not of the JSON type its field takes: `expected` is what the field's type
    /// asked for, and `optional` whether `null` would do too.
    WrongType {
        key: String,
        field: Option<&'static str>,
        expected: &'static str,
        optional: bool,
    },
    /// A number larger than any number type holds, in `field` if one is to blame.
    OutOfRange { field: Option<&'static str> },
    /// A value that is not JSON after all: a string with a lone surrogate escape, or
    /// nesting too deep. (The first reading checks the syntax only.)
    NotJson,
    /// Anything else, as serde words it.
    Other(String),
}

impl de::Error for FieldError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::Other(message.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        Self::Missing(field)
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::Repeated(field)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing(field) => write!(f, "missing field `{field}`"),
            Self::Repeated(field) => write!(f, "duplicate field `{field}`"),
            Self::WrongType { key, expected, .. } => write!(f, "'{key}' must be {expected}"),
            Self::OutOfRange { field } => {
                write!(f, "{} is out of range", field.unwrap_or("a number"))
            }
            Self::NotJson => f.write_str("not valid JSON"),
            Self::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for FieldError {}

/// The members as the fields of a message, for its payload type to read.
pub(super) struct Fields<'m, 'a> {
    members: &'m Members<'a>,
    /// The names of a struct that serde reads as a map (one with a flattened field).
    map_fields: &'static [&'static str],
}

impl<'m, 'a> Fields<'m, 'a> {
    pub fn new(members: &'m Members<'a>, map_fields: &'static [&'static str]) -> Self {
        Self {
            members,
            map_fields,
        }
    }

    fn access(&self, fields: &'static [&'static str]) -> Access<'m, 'a> {
        Access {
            members: self.members.iter(),
            fields,
            value: None,
        }
    }
}

impl<'de> Deserializer<'de> for Fields<'_, 'de> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_map(self.access(self.map_fields))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_map(self.access(fields))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The members one by one, each value read by a [`Field`] that knows its key.
struct Access<'m, 'a> {
    members: std::slice::Iter<'m, (String, &'a RawValue)>,
    /// The type's field names, for naming one in an error with the type's own spelling.
    fields: &'static [&'static str],
    value: Option<&'m (String, &'a RawValue)>,
}

impl<'a> MapAccess<'a> for Access<'_, 'a> {
    type Error = FieldError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, FieldError> {
        let Some(member) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(member);
        let key: StrDeserializer<'_, FieldError> = member.0.as_str().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, FieldError> {
        let Some((key, raw)) = self.value.take() else {
            return Err(de::Error::custom("a value asked for before its key"));
        };
        let field = self.fields.iter().copied().find(|field| field == key);
        seed.deserialize(Field {
            key,
            field,
            raw: raw.get(),
            optional: false,
        })
    }
}

/// One member's value, read as its field's type asks.
struct Field<'m, 'a> {
    key: &'m str,
    field: Option<&'static str>,
    raw: &'a str,
    /// Read inside an `Option`: `null` would have done.
    optional: bool,
}

impl Field<'_, '_> {
    fn wrong_type(&self, expected: &'static str) -> FieldError {
        FieldError::WrongType {
            key: self.key.to_owned(),
            field: self.field,
            expected,
            optional: self.optional,
        }
    }

    /// Why the value's syntax reads but the value does not.
    fn unreadable(&self) -> FieldError {
        if holds_number_out_of_range(self.raw) {
            FieldError::OutOfRange { field: self.field }
        } else {
            FieldError::NotJson
        }
    }
}

impl<'de> Deserializer<'de> for Field<'_, 'de> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        let mut json = serde_json::Deserializer::from_str(self.raw);
        json.deserialize_any(visitor)
            .map_err(|error| match error.classify() {
                serde_json::error::Category::Data => self.wrong_type("another type"),
                _ => self.unreadable(),
            })
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        if self.raw == "null" {
            return visitor.visit_none();
        }
        visitor.visit_some(Field {
            optional: true,
            ..self
        })
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        if !self.raw.starts_with('"') {
            return Err(self.wrong_type("a string"));
        }
        match serde_json::from_str::<String>(self.raw) {
            Ok(text) => visitor.visit_string(text),
            Err(_) => Err(self.unreadable()),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        if !self
            .raw
            .starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
        {
            return Err(self.wrong_type("a number"));
        }
        match serde_json::from_str::<f64>(self.raw) {
            Ok(number) => visitor.visit_f64(number),
            Err(_) => Err(self.unreadable()),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        match self.raw {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(self.wrong_type("a boolean")),
        }
    }

    /// Ids, cursors and page sizes.
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        match serde_json::from_str::<u64>(self.raw) {
            Ok(number) => visitor.visit_u64(number),
            Err(_) if holds_number_out_of_range(self.raw) => Err(self.unreadable()),
            Err(_) => Err(self.wrong_type("a whole number from 0")),
        }
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u128 f32 char bytes byte_buf unit unit_struct
        newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Whether `json`, whose syntax is valid, holds a number no `f64` can: serde_json refuses
/// those as it reads them. Strings are skipped; one pass, no recursion.
fn holds_number_out_of_range(json: &str) -> bool {
    let bytes = json.as_bytes();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => {
                at += 1;
                while let Some(&inside) = bytes.get(at) {
                    match inside {
                        b'\\' => at += 2,
                        b'"' => break,
                        _ => at += 1,
                    }
                }
                at += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = at;
                while bytes
                    .get(at)
                    .is_some_and(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                {
                    at += 1;
                }
                let number = json.get(start..at).unwrap_or_default();
                if number.parse::<f64>().map_or(true, f64::is_infinite) {
                    return true;
                }
            }
            _ => at += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::holds_number_out_of_range;

    #[test]
    fn only_numbers_past_f64_are_out_of_range_and_strings_are_skipped() {
        for json in [
            "1e400",
            "-1E+999",
            r#"{"a":[1,{"b":2e308}]}"#,
            &"9".repeat(400),
        ] {
            assert!(holds_number_out_of_range(json), "{json}");
        }
        for json in [
            "1.7976931348623157e308",
            "-0",
            r#""1e400""#,
            r#"{"a\"1e400":"\\","b":[1e300]}"#,
            "[]",
        ] {
            assert!(!holds_number_out_of_range(json), "{json}");
        }
    }
}
