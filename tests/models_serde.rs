//! `#[derive(Model, Serialize, Deserialize)]`: every field type clarion supports, foreign keys
//! (as their key) and nullable ones (`null`) round-trip through serde_json, loaded from the
//! database and saved back. `tests/postgres_models_serde.rs` runs the same on PostgreSQL.

#[path = "support/backend.rs"]
mod backend;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clarion::models::ForeignKey;
use clarion::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// A text primary key: a foreign key to it serializes as a string.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[model(app_label = "serde_app")]
pub struct Author {
    #[model(primary_key, max_length = 30)]
    pub handle: String,
    pub name: String,
}

/// A UUID primary key: a foreign key to it serializes as the UUID's string.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[model(app_label = "serde_app")]
pub struct Venue {
    #[model(primary_key)]
    pub id: Uuid,
    pub name: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[model(app_label = "serde_app")]
pub struct Label {
    pub id: Option<i64>,
    pub name: String,
}

/// Every field type, relations included (the many-to-many relation is a method, not a field).
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[model(app_label = "serde_app", many_to_many(labels = Label))]
pub struct Talk {
    pub id: Option<i64>,
    #[model(on_delete = cascade)]
    pub author: ForeignKey<Author>,
    #[model(on_delete = set_null)]
    pub editor: Option<ForeignKey<Author>>,
    #[model(on_delete = protect)]
    pub venue: ForeignKey<Venue>,
    #[model(on_delete = set_null)]
    pub previous: Option<ForeignKey<Talk>>,
    #[model(max_length = 80)]
    pub title: String,
    pub summary: Option<String>,
    pub tiny: i8,
    pub small: i16,
    pub medium: i32,
    pub big: i64,
    pub byte: u8,
    pub word: u16,
    pub dword: u32,
    pub ratio: f32,
    pub score: f64,
    pub public: bool,
    pub slides: Vec<u8>,
    pub extra: serde_json::Value,
    pub day: NaiveDate,
    pub starts: NaiveDateTime,
    pub created: DateTime<Utc>,
    pub ends: Option<NaiveDateTime>,
    pub uid: Uuid,
    pub rating: Option<f64>,
}

fn database(alias: &'static str) -> &'static str {
    backend::register(alias);
    clarion::migrate_using(alias).unwrap();
    alias
}

fn save<M: Model>(instance: &mut M, alias: &str) {
    instance.save_with(SaveOptions::new().using(alias)).unwrap();
}

/// Authors `ann` and `bob`, a venue, and a talk by `ann` with every field set.
fn seed(alias: &'static str) -> Talk {
    for (handle, name) in [("ann", "Ann"), ("bob", "Bob")] {
        save(
            &mut Author {
                handle: handle.into(),
                name: name.into(),
            },
            alias,
        );
    }
    let mut venue = Venue {
        id: Uuid::from_u128(0x1234_5678_9abc_def0_0fed_cba9_8765_4321),
        name: "Hall A".into(),
    };
    save(&mut venue, alias);
    let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    let starts = day.and_hms_micro_opt(16, 30, 15, 250_000).unwrap();
    let mut talk = Talk {
        id: None,
        author: ForeignKey::new("ann".to_owned()),
        editor: None,
        venue: ForeignKey::to(&venue).unwrap(),
        previous: None,
        title: "Signals \"in\" Rust — ünïcode".into(),
        summary: Some("line one\nline two".into()),
        tiny: -8,
        small: -1600,
        medium: 320_000,
        big: -9_007_199_254_740_993,
        byte: 255,
        word: 65_535,
        dword: 4_000_000_000,
        ratio: 0.1,
        score: -1_234.567_890_123_456_7,
        public: true,
        slides: vec![0, 1, 127, 128, 255],
        extra: json!({"tags": ["a", "b"], "n": 1.5, "nested": {"ok": true}}),
        day,
        starts,
        created: DateTime::from_naive_utc_and_offset(starts, Utc),
        ends: None,
        uid: Uuid::from_u128(42),
        rating: None,
    };
    save(&mut talk, alias);
    talk
}

fn reloaded(talk: &Talk, alias: &'static str) -> Talk {
    Talk::objects()
        .using(alias)
        .filter(Talk::ID.eq(talk.id))
        .get()
        .unwrap()
}

#[test]
fn foreign_keys_serialize_as_their_key_and_null() {
    let alias = database("serde_shape");
    let talk = reloaded(&seed(alias), alias);
    let value = serde_json::to_value(&talk).unwrap();
    assert_eq!(value["author"], json!("ann"));
    assert_eq!(value["editor"], json!(null));
    assert_eq!(
        value["venue"],
        json!("12345678-9abc-def0-0fed-cba987654321")
    );
    assert_eq!(value["previous"], json!(null));
    assert_eq!(value["id"], json!(talk.id.unwrap()));

    let mut next = talk.clone();
    next.id = None;
    next.editor = Some(ForeignKey::new("bob".to_owned()));
    next.previous = Some(ForeignKey::to(&talk).unwrap());
    save(&mut next, alias);
    let value = serde_json::to_value(reloaded(&next, alias)).unwrap();
    assert_eq!(value["editor"], json!("bob"));
    assert_eq!(value["previous"], json!(talk.id.unwrap()));
}

#[test]
fn every_field_type_round_trips_through_json_and_back_into_the_database() {
    let alias = database("serde_round_trip");
    let talk = reloaded(&seed(alias), alias);

    let text = serde_json::to_string(&talk).unwrap();
    let mut copy: Talk = serde_json::from_str(&text).unwrap();
    assert_eq!(copy, talk, "{text}");

    // Changed through JSON and saved back: the row reads back as sent.
    let mut value = serde_json::to_value(&talk).unwrap();
    value["editor"] = json!("bob");
    value["rating"] = json!(4.25);
    value["ends"] = serde_json::to_value(talk.starts).unwrap();
    copy = serde_json::from_value(value).unwrap();
    save(&mut copy, alias);
    let back = reloaded(&copy, alias);
    assert_eq!(back, copy);
    assert_eq!(back.editor.unwrap().get_using(alias).unwrap().name, "Bob");
    assert_eq!(back.ends, Some(talk.starts));
}

#[test]
fn a_new_instance_deserialized_without_a_key_is_inserted() {
    let alias = database("serde_new");
    let talk = reloaded(&seed(alias), alias);
    let mut value = serde_json::to_value(&talk).unwrap();
    value["id"] = json!(null);
    value["title"] = json!("Second talk");
    value["author"] = json!("bob");
    let mut new: Talk = serde_json::from_value(value).unwrap();
    save(&mut new, alias);
    assert!(new.id.is_some() && new.id != talk.id);
    assert_eq!(new.author.get_using(alias).unwrap().name, "Bob");
    assert_eq!(Talk::objects().using(alias).count().unwrap(), 2);
}

#[test]
fn a_wrong_key_type_is_a_deserialization_error() {
    let alias = database("serde_wrong");
    let talk = reloaded(&seed(alias), alias);
    let mut value = serde_json::to_value(&talk).unwrap();
    value["author"] = json!(7);
    let error = serde_json::from_value::<Talk>(value).unwrap_err();
    assert!(error.to_string().contains("expected a string"), "{error}");
}

#[test]
fn many_to_many_relations_survive_a_round_trip_through_their_key() {
    let alias = database("serde_m2m");
    let talk = reloaded(&seed(alias), alias);
    let mut label = Label {
        id: None,
        name: "rust".into(),
    };
    save(&mut label, alias);
    let mut original = talk.clone();
    original.labels().using(alias).add([&label]).unwrap();

    // The relation is not a field: the JSON holds the key, and the copy reads the same rows.
    let mut copy: Talk = serde_json::from_str(&serde_json::to_string(&talk).unwrap()).unwrap();
    let labels = copy.labels().using(alias).all().unwrap().all().unwrap();
    assert_eq!(labels, [label]);
}
