//! Positions on the wire: a `moved` entry is the array `[email, latitude, longitude]`, and
//! coordinates are rounded to 6 decimal places when a profile is accepted.

use crate::{add_user_with, decoded};
use serde_json::json;
use shared::{ClientMessage, Move, PresenceDelta, ServerMessage};

fn position(text: &str) -> (Option<f64>, Option<f64>) {
    match decoded(text) {
        ClientMessage::AddUser(profile) | ClientMessage::UpdateUser(profile) => {
            (profile.latitude, profile.longitude)
        }
        other => panic!("not a profile: {other:?}"),
    }
}

#[test]
fn a_move_is_an_array_and_reads_back() {
    let entry = Move {
        email: "u1234@load.test".into(),
        latitude: 0.037,
        longitude: -3.123456,
    };
    let text = serde_json::to_string(&entry).unwrap();
    assert_eq!(text, r#"["u1234@load.test",0.037,-3.123456]"#);
    assert_eq!(serde_json::from_str::<Move>(&text).unwrap(), entry);
    let object = json!({"email": "u1234@load.test", "latitude": 0.037, "longitude": -3.123456});
    assert!(
        text.len() * 10 <= object.to_string().len() * 6,
        "{} bytes against the object's {}",
        text.len(),
        object.to_string().len()
    );
}

#[test]
fn a_move_in_another_shape_is_not_read() {
    for moved in [
        r#"[{"email":"a@b","latitude":1.0,"longitude":2.0}]"#,
        r#"[["a@b",1.0]]"#,
        r#"[["a@b",1.0,2.0,3.0]]"#,
        r#"[["a@b","1.0",2.0]]"#,
        r#"[[null,1.0,2.0]]"#,
    ] {
        let text = format!(r#"{{"type":"presence","moved":{moved}}}"#);
        assert!(
            serde_json::from_str::<ServerMessage>(&text).is_err(),
            "{text} was read"
        );
    }
    let read: ServerMessage =
        serde_json::from_str(crate::fixtures::json("presence-integer-move")).unwrap();
    let expected = PresenceDelta {
        moved: vec![Move {
            email: "a@b".into(),
            latitude: 1.0,
            longitude: -2.0,
        }],
        ..PresenceDelta::default()
    };
    assert_eq!(
        read,
        ServerMessage::Presence(expected),
        "integers are numbers"
    );
}

#[test]
fn positions_are_rounded_to_six_decimals() {
    let text = add_user_with(json!({"latitude": 48.85661234567891, "longitude": -2.35220049999}));
    assert_eq!(position(&text), (Some(48.856612), Some(-2.3522)));
    let reserialised = serde_json::to_string(&decoded(&text)).unwrap();
    assert!(
        reserialised.contains(r#""latitude":48.856612,"longitude":-2.3522"#),
        "{reserialised}"
    );
    let update = add_user_with(
        json!({"type": "update-user", "latitude": -89.9999995, "longitude": 179.9999996}),
    );
    assert_eq!(position(&update), (Some(-90.0), Some(180.0)));
}

#[test]
fn rounding_keeps_short_positions_and_bounds() {
    for (latitude, longitude) in [(48.85, 2.35), (0.0, 0.0), (-90.0, 180.0), (90.0, -180.0)] {
        let text = add_user_with(json!({"latitude": latitude, "longitude": longitude}));
        assert_eq!(position(&text), (Some(latitude), Some(longitude)), "{text}");
    }
    let tiny = add_user_with(json!({"latitude": 1e-300, "longitude": -4e-7}));
    assert_eq!(position(&tiny), (Some(0.0), Some(0.0)));
    let reserialised = serde_json::to_string(&decoded(&tiny)).unwrap();
    assert!(
        reserialised.contains(r#""latitude":0.0,"longitude":0.0"#),
        "{reserialised}"
    );
    let without = add_user_with(json!({}));
    assert_eq!(position(&without), (None, None));
}
