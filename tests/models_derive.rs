//! `#[derive(Model)]` against a real SQLite database: what `META` says, and that every field type
//! makes the round trip through `save` and `refresh_from_db`.
//!
//! Tests run in parallel threads of one process and `save` writes to the default database, so
//! they share one in-memory database ([`db`]) with a table per model, and each test writes only
//! to its own model's table.

#[path = "support/manual_model.rs"]
mod manual_model;

use std::sync::OnceLock;

use clarion::db::{self, Database};
use clarion::models::{FieldMeta, ModelMeta, models};
use clarion::prelude::*;
use clarion::{ColumnType, Error, Value};

/// The derived twin of `manual_model::Article` (its `META` must equal the hand-written one), and
/// `Note`, the query tests' model with a chosen key and renamed columns.
#[path = "support/query_model.rs"]
mod twin;

/// Every supported field type but dates and UUIDs (behind features).
#[derive(Model, Debug, Clone, PartialEq)]
struct Everything {
    id: Option<i64>,
    tiny: i8,
    small: i16,
    int: i32,
    big: i64,
    byte: u8,
    word: u16,
    dword: u32,
    single: f32,
    double: f64,
    flag: bool,
    text: String,
    maybe_text: Option<String>,
    maybe_int: Option<i32>,
    bytes: Vec<u8>,
    json: serde_json::Value,
    maybe_json: Option<serde_json::Value>,
}

/// Options on the struct and on fields, and a primary key chosen by hand.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "posts", app_label = "blog")]
struct BlogPost {
    #[model(primary_key, max_length = 50)]
    slug: String,
    #[model(db_column = "body_text")]
    body: String,
    #[model(default = 3)]
    rating: i32,
    #[model(default = Some(String::from("none")), index)]
    note: Option<String>,
    #[model(unique, index)]
    position: i64,
}

/// No options at all: the defaults.
#[derive(Model, Debug, Clone, PartialEq)]
struct LineItem {
    id: Option<i64>,
    quantity: u32,
}

/// `id: Option<i64>` is an ordinary column when another field is the primary key.
#[derive(Model, Debug, Clone, PartialEq)]
struct Ticket {
    #[model(primary_key)]
    code: String,
    id: Option<i64>,
}

/// Raw identifiers as field names: the column and the name are the keyword.
#[derive(Model, Debug, Clone, PartialEq)]
struct Keyword {
    id: Option<i64>,
    r#type: String,
    r#match: i64,
}

/// The one database of this test binary, registered as the default, with every table.
fn db() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| {
        let database = Database::open("sqlite::memory:").unwrap();
        db::register(database.clone());
        db::atomic(|tx| {
            tx.execute_batch(
                "CREATE TABLE everything (
                     id integer PRIMARY KEY AUTOINCREMENT,
                     tiny integer NOT NULL, small integer NOT NULL, int integer NOT NULL,
                     big integer NOT NULL, byte integer NOT NULL, word integer NOT NULL,
                     dword integer NOT NULL, single real NOT NULL, double real NOT NULL,
                     flag bool NOT NULL, text text NOT NULL, maybe_text text NULL,
                     maybe_int integer NULL, bytes BLOB NOT NULL, json text NOT NULL,
                     maybe_json text NULL
                 );
                 CREATE TABLE posts (
                     slug varchar(50) PRIMARY KEY, body_text text NOT NULL,
                     rating integer NOT NULL DEFAULT 3, note text NULL,
                     position integer NOT NULL UNIQUE
                 );
                 CREATE TABLE line_item (
                     id integer PRIMARY KEY AUTOINCREMENT, quantity integer NOT NULL
                 );
                 CREATE TABLE ticket (code text PRIMARY KEY, id integer NULL);
                 CREATE TABLE keyword (
                     id integer PRIMARY KEY AUTOINCREMENT, \"type\" text NOT NULL,
                     \"match\" integer NOT NULL
                 );",
            )
        })
        .unwrap();
        database
    })
}

fn field(meta: &'static ModelMeta, name: &str) -> &'static FieldMeta {
    meta.field(name)
        .unwrap_or_else(|| panic!("`{}` has no field `{name}`", meta.label))
        .1
}

#[test]
fn the_derived_twin_has_the_hand_written_meta() {
    let manual = <manual_model::Article as Model>::META;
    let derived = <twin::Article as Model>::META;
    assert_eq!(derived.name, manual.name);
    assert_eq!(derived.app_label, manual.app_label);
    assert_eq!(derived.label, manual.label);
    assert_eq!(derived.table, manual.table);
    assert_eq!(derived.pk, manual.pk);
    assert_eq!(derived.fields.len(), manual.fields.len());
    for (derived, manual) in derived.fields.iter().zip(manual.fields) {
        assert_eq!(derived.name, manual.name);
        assert_eq!(derived.column, manual.column);
        assert_eq!(derived.ty, manual.ty, "{}", manual.name);
        assert_eq!(derived.rust_type, manual.rust_type, "{}", manual.name);
        assert_eq!(derived.nullable, manual.nullable, "{}", manual.name);
        assert_eq!(derived.primary_key, manual.primary_key, "{}", manual.name);
        assert_eq!(derived.auto, manual.auto, "{}", manual.name);
        assert_eq!(derived.unique, manual.unique, "{}", manual.name);
        assert_eq!(derived.index, manual.index, "{}", manual.name);
        assert_eq!(derived.max_length, manual.max_length, "{}", manual.name);
        assert_eq!(derived.default.is_some(), manual.default.is_some());
    }
}

#[test]
fn names_default_to_the_crate_and_the_struct() {
    let meta = LineItem::META;
    assert_eq!(meta.name, "LineItem");
    assert_eq!(meta.app_label, "models_derive");
    assert_eq!(meta.label, "models_derive.lineitem");
    assert_eq!(meta.table, "line_item");
    assert_eq!(meta.field_names().collect::<Vec<_>>(), ["id", "quantity"]);
}

#[test]
fn struct_options_set_the_table_and_app_label() {
    let meta = BlogPost::META;
    assert_eq!(meta.name, "BlogPost");
    assert_eq!(meta.app_label, "blog");
    assert_eq!(meta.label, "blog.blogpost");
    assert_eq!(meta.table, "posts");
}

#[test]
fn id_option_i64_is_the_automatic_primary_key() {
    let meta = LineItem::META;
    assert_eq!(meta.pk, 0);
    let id = meta.pk_field();
    assert_eq!(id.name, "id");
    assert!(id.primary_key && id.auto && id.nullable);
    assert_eq!(id.ty, ColumnType::Integer);
    assert_eq!(id.rust_type, "Option<i64>");
    let quantity = field(meta, "quantity");
    assert!(!quantity.primary_key && !quantity.auto && !quantity.nullable);
}

#[test]
fn a_marked_primary_key_wins_over_id() {
    let meta = Ticket::META;
    assert_eq!(meta.pk, 0);
    assert_eq!(meta.pk_field().name, "code");
    assert!(!meta.pk_field().auto);
    let id = field(meta, "id");
    assert!(!id.primary_key && !id.auto && id.nullable);
}

#[test]
fn field_options_are_in_meta() {
    let meta = BlogPost::META;
    assert_eq!(meta.pk, 0);

    let slug = field(meta, "slug");
    assert!(slug.primary_key && !slug.auto && !slug.nullable);
    assert_eq!(slug.max_length, Some(50));
    assert_eq!(slug.ty, ColumnType::Text);

    let body = field(meta, "body");
    assert_eq!(body.column, "body_text");
    assert_eq!(body.max_length, None);
    assert!(!body.unique && !body.index && body.default.is_none());

    let rating = field(meta, "rating");
    assert_eq!(rating.ty, ColumnType::Integer);
    assert_eq!(rating.rust_type, "i32");
    assert_eq!(rating.default.map(|f| f()), Some(Value::Int(3)));

    let note = field(meta, "note");
    assert!(note.nullable && note.index && !note.unique);
    assert_eq!(note.rust_type, "Option<String>");
    assert_eq!(
        note.default.map(|f| f()),
        Some(Value::Text("none".to_owned()))
    );

    let position = field(meta, "position");
    assert!(position.unique && position.index);
}

#[test]
fn column_types_follow_the_field_types() {
    let meta = Everything::META;
    let expected = [
        ("tiny", ColumnType::Integer, false),
        ("small", ColumnType::Integer, false),
        ("int", ColumnType::Integer, false),
        ("big", ColumnType::Integer, false),
        ("byte", ColumnType::Integer, false),
        ("word", ColumnType::Integer, false),
        ("dword", ColumnType::Integer, false),
        ("single", ColumnType::Float, false),
        ("double", ColumnType::Float, false),
        ("flag", ColumnType::Bool, false),
        ("text", ColumnType::Text, false),
        ("maybe_text", ColumnType::Text, true),
        ("maybe_int", ColumnType::Integer, true),
        ("bytes", ColumnType::Bytes, false),
        ("json", ColumnType::Json, false),
        ("maybe_json", ColumnType::Json, true),
    ];
    for (name, ty, nullable) in expected {
        let field = field(meta, name);
        assert_eq!((field.ty, field.nullable), (ty, nullable), "{name}");
    }
    assert_eq!(field(meta, "bytes").rust_type, "Vec<u8>");
    assert_eq!(field(meta, "json").rust_type, "serde_json::Value");
}

fn everything() -> Everything {
    Everything {
        id: None,
        tiny: i8::MIN,
        small: i16::MAX,
        int: -7,
        big: i64::MAX,
        byte: u8::MAX,
        word: u16::MAX,
        dword: u32::MAX,
        single: 1.5,
        double: -0.25,
        flag: true,
        text: "héllo, wörld".to_owned(),
        maybe_text: None,
        maybe_int: Some(42),
        bytes: vec![0, 1, 254, 255],
        json: serde_json::json!({"tags": ["a", "b"], "n": 1}),
        maybe_json: None,
    }
}

#[test]
fn every_field_type_round_trips() -> clarion::Result<()> {
    db();
    let mut saved = everything();
    saved.save()?;
    assert!(saved.id.is_some());

    let mut loaded = Everything {
        id: saved.id,
        ..everything()
    };
    loaded.flag = false;
    loaded.text.clear();
    loaded.refresh_from_db()?;
    assert_eq!(loaded, saved);

    // The other side of every `Option`, and an update.
    saved.maybe_text = Some(String::new());
    saved.maybe_int = None;
    saved.maybe_json = Some(serde_json::json!(null));
    saved.flag = false;
    saved.save()?;
    let mut reloaded = Everything {
        id: saved.id,
        ..everything()
    };
    reloaded.refresh_from_db()?;
    assert_eq!(reloaded, saved);
    Ok(())
}

#[test]
fn a_hand_chosen_key_and_db_column_round_trip() -> clarion::Result<()> {
    db();
    let mut post = BlogPost {
        slug: "hello".to_owned(),
        body: "first".to_owned(),
        rating: 5,
        note: None,
        position: 1,
    };
    post.save()?;
    post.body = "edited".to_owned();
    post.save()?;
    let mut loaded = BlogPost {
        slug: "hello".to_owned(),
        body: String::new(),
        rating: 0,
        note: Some("stale".to_owned()),
        position: 0,
    };
    loaded.refresh_from_db()?;
    assert_eq!(loaded, post);
    // The column is `body_text`, as `db_column` said.
    let body: String = db::atomic(|tx| {
        tx.query_row(
            "SELECT body_text FROM posts WHERE slug = 'hello'",
            (),
            |row| row.get(0),
        )
    })?;
    assert_eq!(body, "edited");
    Ok(())
}

#[test]
fn max_length_is_checked_before_writing() {
    db();
    let mut post = BlogPost {
        slug: "x".repeat(51),
        body: String::new(),
        rating: 0,
        note: None,
        position: 2,
    };
    let error = post.save().unwrap_err();
    assert!(
        matches!(&error, Error::Validation { model: "blog.blogpost", field, .. } if field == "slug"),
        "{error}"
    );
}

#[test]
fn raw_identifiers_are_plain_names_in_meta_and_sql() -> clarion::Result<()> {
    db();
    let meta = Keyword::META;
    assert_eq!(
        meta.field_names().collect::<Vec<_>>(),
        ["id", "type", "match"]
    );
    assert_eq!(field(meta, "type").column, "type");
    assert_eq!(Keyword::TYPE.meta().name, "type");
    assert_eq!(Keyword::MATCH.index(), 2);

    let mut keyword = Keyword {
        id: None,
        r#type: "fn".to_owned(),
        r#match: 3,
    };
    keyword.save()?;
    let mut loaded = Keyword {
        id: keyword.id,
        r#type: String::new(),
        r#match: 0,
    };
    loaded.refresh_from_db()?;
    assert_eq!(loaded, keyword);
    assert_eq!(
        Instance::get(&loaded, "type"),
        Some(Value::Text("fn".to_owned()))
    );
    Ok(())
}

#[test]
fn column_handles_name_their_field() {
    assert_eq!(twin::Article::ID.index(), 0);
    assert_eq!(twin::Article::TITLE.index(), 1);
    assert_eq!(twin::Article::TITLE.meta().max_length, Some(20));
    assert_eq!(twin::Article::VIEWS.meta().name, "views");
    // A key the user chooses is not auto-increment, and `db_column` renames the column only.
    let note = <twin::Note as Model>::META;
    assert!(note.pk_field().primary_key && !note.pk_field().auto);
    assert_eq!(twin::Note::SCORE.meta().column, "order");
    assert_eq!(twin::Note::SCORE.meta().name, "score");
    assert_eq!(BlogPost::BODY.meta().column, "body_text");
    assert_eq!(format!("{:?}", BlogPost::NOTE), "blog.blogpost.note");
    // Typed: the handle's value type is the field's.
    let _: clarion::query::Column<Everything, Option<serde_json::Value>> = Everything::MAYBE_JSON;
}

#[test]
fn dynamic_access_names_the_model_and_field_on_a_bad_value() -> clarion::Result<()> {
    let mut item = LineItem {
        id: None,
        quantity: 1,
    };
    Instance::set(&mut item, "quantity", Value::Int(7))?;
    assert_eq!(item.quantity, 7);
    let error = Instance::set(&mut item, "quantity", Value::Int(-1)).unwrap_err();
    assert!(
        matches!(&error, Error::Validation { model: "models_derive.lineitem", field, .. } if field == "quantity"),
        "{error}"
    );
    Ok(())
}

#[test]
fn the_registry_lists_the_derived_models() {
    let labels: Vec<&str> = models().iter().map(|m| m.meta().label).collect();
    for label in [
        "blog.blogpost",
        "models_derive.everything",
        "models_derive.keyword",
        "models_derive.lineitem",
        "models_derive.ticket",
    ] {
        assert!(labels.contains(&label), "{label} not in {labels:?}");
    }
    let post = models()
        .iter()
        .find(|m| m.meta().label == "blog.blogpost")
        .unwrap();
    // With the prelude in scope, `sender()` and `pk()` name one method each.
    assert_eq!(post.sender(), BlogPost::sender());
}
