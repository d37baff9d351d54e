//! The contract's user JSON: the body a write sends, and the validation of the user records
//! the API returns.

use serde_json::{Value, json};

use super::super::UserRecord;

/// The contract's user body. A create always names the position (`null` when unknown);
/// an update leaves an unknown one out so the API keeps what it has.
pub(super) fn user_body(record: &UserRecord, create: bool) -> Value {
    let mut body = json!({
        "name": record.name,
        "email": record.email,
        "isConnected": record.is_connected,
    });
    match record.position() {
        Some((latitude, longitude)) => {
            body["latitude"] = json!(latitude);
            body["longitude"] = json!(longitude);
        }
        None if create => {
            body["latitude"] = Value::Null;
            body["longitude"] = Value::Null;
        }
        None => {}
    }
    body
}

/// Reads a user record of the API: `name`, `email` strings, `isConnected` a boolean,
/// `latitude` and `longitude` in range together or both missing/null. Other fields (ids,
/// timestamps) are ignored. The API keeps no last-seen time, so it reads as 0.
pub(super) fn parse_user(value: &Value) -> Result<UserRecord, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("not a JSON object: {}", short(value)))?;
    let text = |field: &str| match object.get(field) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Err(format!("{field} is not a string: {}", short(other))),
        None => Err(format!("{field} is missing")),
    };
    let coordinate = |field: &str, limit: f64| match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number
            .as_f64()
            .filter(|n| n.is_finite() && n.abs() <= limit)
            .map(Some)
            .ok_or_else(|| format!("{field} is out of range: {number}")),
        Some(other) => Err(format!("{field} is not a number: {}", short(other))),
    };
    let email = text("email")?;
    let name = text("name")?;
    let latitude = coordinate("latitude", 90.0)?;
    let longitude = coordinate("longitude", 180.0)?;
    if latitude.is_some() != longitude.is_some() {
        return Err("latitude and longitude must be given together".into());
    }
    let is_connected = match object.get("isConnected") {
        Some(Value::Bool(connected)) => *connected,
        Some(other) => return Err(format!("isConnected is not a boolean: {}", short(other))),
        None => return Err("isConnected is missing".into()),
    };
    Ok(UserRecord {
        email,
        name,
        latitude,
        longitude,
        is_connected,
        last_seen_ms: 0,
    })
}

pub(super) fn short(value: &Value) -> String {
    snippet(value.to_string().as_bytes())
}

/// The start of a body, for logs: at most 200 characters, on one line.
pub(super) fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut short: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(200).is_some() {
        short.push('…');
    }
    if short.trim().is_empty() {
        "(empty body)".into()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_user_is_read_and_extra_fields_ignored() {
        let user = parse_user(&json!({
            "_id": "65f0", "name": "Ada", "email": "ada@example.com",
            "latitude": 51.5, "longitude": -0.12, "isConnected": true, "__v": 0
        }))
        .unwrap();
        assert_eq!(user.email, "ada@example.com");
        assert_eq!((user.latitude, user.longitude), (Some(51.5), Some(-0.12)));
        assert!(user.is_connected);
    }

    #[test]
    fn a_missing_position_is_no_position() {
        let user =
            parse_user(&json!({"name": "Ada", "email": "a@b.c", "isConnected": false})).unwrap();
        assert_eq!((user.latitude, user.longitude), (None, None));
    }

    #[test]
    fn wrong_fields_are_refused_with_the_field_named() {
        let base = json!({"name": "Ada", "email": "a@b.c", "latitude": 1.0, "longitude": 2.0, "isConnected": true});
        for (field, bad, expected) in [
            ("latitude", json!("abc"), "latitude is not a number"),
            ("latitude", json!(91.0), "latitude is out of range"),
            ("longitude", Value::Null, "together"),
            ("name", json!(7), "name is not a string"),
            ("email", Value::Null, "email is not a string"),
            ("isConnected", json!("yes"), "isConnected is not a boolean"),
        ] {
            let mut user = base.clone();
            user[field] = bad;
            let error = parse_user(&user).unwrap_err();
            assert!(error.contains(expected), "{field}: {error}");
        }
        let mut user = base.clone();
        user.as_object_mut().unwrap().remove("isConnected");
        assert!(
            parse_user(&user)
                .unwrap_err()
                .contains("isConnected is missing")
        );
        assert!(
            parse_user(&json!([1, 2]))
                .unwrap_err()
                .contains("not a JSON object")
        );
    }

    #[test]
    fn an_update_without_position_leaves_it_out_and_a_create_sends_null() {
        let record = UserRecord {
            email: "a@b.c".into(),
            name: "Ada".into(),
            latitude: None,
            longitude: None,
            is_connected: true,
            last_seen_ms: 5,
        };
        assert_eq!(
            user_body(&record, false),
            json!({"name": "Ada", "email": "a@b.c", "isConnected": true})
        );
        assert_eq!(
            user_body(&record, true),
            json!({"name": "Ada", "email": "a@b.c", "latitude": null, "longitude": null, "isConnected": true})
        );
    }
}
