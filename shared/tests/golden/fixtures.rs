//! The golden JSON both halves of the wire contract read: `shared/tests/fixtures/wire.json`,
//! one entry per frame by name. The Rust tests here and the browser codec's `node --test`
//! (`frontend/tests/js/`) check the same texts, so the two halves cannot drift.

use serde::Deserialize;
use std::sync::LazyLock;

/// Which way a frame goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Server → client: the exact text the server writes (or, `written: false`, reads).
    Server,
    /// Client → server: a frame the server accepts, or refuses with `code`.
    Client,
}

/// One frame of the fixtures file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub name: String,
    pub direction: Direction,
    /// The frame's exact text.
    pub json: String,
    /// A server frame the server only reads back, never writes in this form.
    #[serde(default = "yes")]
    pub written: bool,
    /// A client frame the browser's codec writes exactly (checked on the JS side).
    #[serde(default)]
    pub browser: bool,
    /// The text the decoded client message serialises to, where a test pins it.
    #[serde(default)]
    pub reserialised: Option<String>,
    /// A refused client frame: the error code of the answer.
    #[serde(default)]
    pub code: Option<String>,
    /// A refused client frame: the field the answer names.
    #[serde(default)]
    pub field: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    #[allow(dead_code)]
    about: Vec<String>,
    error_codes: Vec<String>,
    fixtures: Vec<Fixture>,
}

static FILE: LazyLock<File> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../fixtures/wire.json")).expect("fixtures/wire.json reads")
});

/// Every fixture, in the file's order.
pub fn all() -> &'static [Fixture] {
    &FILE.fixtures
}

/// The fixture called `name`.
#[track_caller]
pub fn fixture(name: &str) -> &'static Fixture {
    all()
        .iter()
        .find(|fixture| fixture.name == name)
        .unwrap_or_else(|| panic!("no fixture {name} in fixtures/wire.json"))
}

/// The exact text of the fixture called `name`.
#[track_caller]
pub fn json(name: &str) -> &'static str {
    &fixture(name).json
}

/// The texts of the fixtures whose names start with `group/`, in the file's order; there
/// must be `count` of them (a case lost from the file fails here).
#[track_caller]
pub fn group(group: &str, count: usize) -> Vec<&'static str> {
    let prefix = format!("{group}/");
    let texts: Vec<&str> = all()
        .iter()
        .filter(|fixture| fixture.name.starts_with(&prefix))
        .map(|fixture| fixture.json.as_str())
        .collect();
    assert_eq!(texts.len(), count, "fixtures in {group}/");
    texts
}

/// Every error code the server sends, as the fixtures file lists them.
pub fn error_codes() -> Vec<&'static str> {
    FILE.error_codes.iter().map(String::as_str).collect()
}
