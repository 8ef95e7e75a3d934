//! Fuzzing the fixture loader (issue #8, "bad input"): `clarion::fixtures::load_using` on
//! arbitrary text, driven by proptest.
//!
//! **The property, for every input.** `load_using` does not panic (proptest turns a panic into a
//! failure and minimises its input; a stack overflow would abort the test binary), and either
//!
//! - returns `Ok` having loaded exactly the records given: [`replay`] plays the records on a
//!   model of the tables (a record whose key exists replaces that row, a record without a key gets
//!   the next `AUTOINCREMENT` id, a field left out gets its default, a many-to-many list replaces
//!   the item's labels), and [`check_load`] compares the model with what `dump_using` gives, field
//!   by field, after normalising each given value to its field's documented JSON form. A value
//!   the docs do not allow (text for an integer, a float for an `i32`, a name over its
//!   `max_length`, a key naming no row) fails the check, as does a count in `Loaded` that is not
//!   the number of records; or
//! - returns an `Error` and leaves the database exactly as it was: [`Snapshot`] reads every row of
//!   every table, `sqlite_sequence` included, through SQLite's `quote()`, before and after. An
//!   `Error::Fixture` must carry the index of a record of the list.
//!
//! Every case reads the database again after the load, so a connection left inside a
//! transaction would fail the next check. Floats are compared exactly (see [`same_json`] and the
//! first finding below).
//!
//! **The inputs**, one test each: arbitrary text (Unicode strings, random bytes read as UTF-8,
//! and a soup of JSON tokens and fixture words); arbitrary JSON values of any shape, with the
//! fixture's key and field names among the keys; nesting from 1 to 4,000 levels, closed or not,
//! bare or inside a record; valid fixtures with one to four mutations (a record dropped or
//! duplicated, a key removed or renamed, a value or a whole record replaced by JSON of another
//! type, a huge number literal such as `1e400` or `18446744073709551616` in place of a value, the
//! text truncated); and valid fixtures alone, which must load, dump back to what was given, and
//! dump to the same text again once the dump is loaded into an empty database.
//!
//! Each case of the first four starts from the same seeded database (two labels, two items with
//! many-to-many rows), so a half-written load would show. The test models, `fuzz.label` and
//! `fuzz.item`, cover every column type but dates, a text key, an auto-increment key, a `unique`
//! field, a `max_length`, defaults, a nullable field, a foreign key and a many-to-many relation.
//! Strings carry quotes, backslashes, NULs, newlines, bidi controls and astral characters.
//!
//! **What a run establishes.** Each test runs proptest's default 256 cases (`CLARION_FUZZ_CASES`
//! sets another number), a few seconds in all in a debug build, and prints how many inputs
//! loaded and how many were refused, by error; it fails if a kind of outcome that its inputs
//! must produce never happened. [`long_fuzz_run`] (`#[ignore]`d: `cargo test --release --test
//! fixtures_fuzz -- --ignored long_fuzz_run --nocapture`) runs all five in turns for
//! `CLARION_FUZZ_SECONDS` (default 300) and prints the totals.
//!
//! **Findings**, kept at the end of the file as tests with their minimal input, all fixed: no
//! panic and no half-written load was found; fixture floats were parsed inexactly
//! ([`a_float_loads_exactly`]); a key naming no row was refused without the record's index
//! ([`a_dangling_key_names_its_record`]), and so was a record left without a key to get
//! ([`running_out_of_keys_names_the_record`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clarion::Error;
use clarion::db::{self, Database};
use clarion::fixtures;
use clarion::prelude::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value as Json, json};

/// A tag: its key is text the user chooses.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "fuzz")]
struct Label {
    #[model(primary_key, max_length = 12)]
    key: String,
    weight: i64,
}

/// An item: every column type but dates, a unique field, defaults, a nullable field, a foreign
/// key and a many-to-many relation.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "fuzz", many_to_many(labels = Label))]
struct Item {
    id: Option<i64>,
    #[model(max_length = 20)]
    name: String,
    #[model(unique)]
    code: String,
    note: Option<String>,
    #[model(default = 0)]
    qty: i32,
    #[model(default = 1.5)]
    price: f64,
    #[model(default = false)]
    active: bool,
    #[model(default = Vec::new())]
    blob: Vec<u8>,
    #[model(default = serde_json::json!({}))]
    data: serde_json::Value,
    #[model(on_delete = set_null)]
    owner: Option<ForeignKey<Label>>,
}

const LABEL: &str = "fuzz.label";
const ITEM: &str = "fuzz.item";

/// The database every case of one test starts from.
const SEED: &str = r#"[
  {"model": "fuzz.label", "pk": "seed-a", "fields": {"weight": 1}},
  {"model": "fuzz.label", "pk": "seed-b", "fields": {"weight": -7}},
  {"model": "fuzz.item", "pk": 500, "fields": {"name": "Seed \"one\"", "code": "seed-1",
   "note": null, "qty": 3, "price": 0.25, "active": true, "blob": "AAEC", "data": {"a": [1, 2.5]},
   "owner": "seed-a", "labels": ["seed-a", "seed-b"]}},
  {"model": "fuzz.item", "pk": 501, "fields": {"name": "Seed two", "code": "seed-2",
   "labels": ["seed-b"]}}
]"#;

// ---------------------------------------------------------------------------------------------
// The database side: fresh databases, snapshots, dumps.

/// Opens, registers and migrates a private in-memory database under `alias` (one per test: the
/// tests run in parallel threads).
fn open(alias: &str) -> Database {
    let database = Database::open_as(alias, "sqlite::memory:").unwrap();
    db::register(database.clone());
    clarion::migrate_using(alias).unwrap();
    database
}

/// The names of every table of the database.
fn tables(alias: &str) -> clarion::Result<Vec<String>> {
    db::atomic_using(alias, |tx| {
        tx.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            (),
            |row| row.get::<_, String>(0),
        )
    })
}

/// Empties every table, `sqlite_sequence` included: join rows first, then items (they point at
/// labels), then labels. The test models own every table of the database.
fn clear(alias: &str) -> clarion::Result<()> {
    let tables = tables(alias)?;
    let rank = |table: &str| match table {
        t if t == Item::META.table => 1,
        t if t == Label::META.table => 2,
        "sqlite_sequence" => 3,
        _ => 0,
    };
    let mut ordered: Vec<&String> = tables.iter().collect();
    ordered.sort_by_key(|table| rank(table));
    db::atomic_using(alias, |tx| {
        for table in ordered {
            tx.execute(&format!("DELETE FROM \"{table}\""), ())?;
        }
        Ok(())
    })
}

/// Empties the database and loads [`SEED`].
fn seed(alias: &str) -> Result<(), TestCaseError> {
    clear(alias).map_err(fail)?;
    let loaded = fixtures::load_using(SEED, alias).map_err(fail)?;
    prop_assert_eq!(loaded.count, 4);
    Ok(())
}

/// Every row of every table, each rendered by SQLite's `quote()` (exact: types, bytes, NULLs).
#[derive(Debug, PartialEq, Eq)]
struct Snapshot(BTreeMap<String, Vec<String>>);

impl Snapshot {
    fn take(alias: &str) -> clarion::Result<Snapshot> {
        let tables = tables(alias)?;
        db::atomic_using(alias, |tx| {
            let mut all = BTreeMap::new();
            for table in tables {
                let columns = tx.query(
                    "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
                    [&table],
                    |row| row.get::<_, String>(0),
                )?;
                let row_text = columns
                    .iter()
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect::<Vec<_>>()
                    .join(" || ',' || ");
                let rows = tx.query(
                    &format!("SELECT {row_text} FROM \"{table}\" ORDER BY rowid"),
                    (),
                    |row| row.get::<_, String>(0),
                )?;
                all.insert(table, rows);
            }
            Ok(Snapshot(all))
        })
    }
}

/// The `AUTOINCREMENT` floor of the items' table: its `sqlite_sequence` value.
fn item_sequence(alias: &str) -> clarion::Result<i64> {
    db::atomic_using(alias, |tx| {
        let seq = tx.query(
            "SELECT seq FROM sqlite_sequence WHERE name = ?1",
            [Item::META.table],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(seq.first().copied().unwrap_or(0))
    })
}

/// The tables as `dump_using` gives them, by model and key.
#[derive(Debug, Default, PartialEq)]
struct Tables {
    labels: BTreeMap<String, Map<String, Json>>,
    items: BTreeMap<i64, Map<String, Json>>,
    /// Each item's labels, in ascending order.
    item_labels: BTreeMap<i64, Vec<String>>,
}

fn dumped(alias: &str) -> Result<(String, Tables), TestCaseError> {
    let text = fixtures::dump_using(&["fuzz"], alias).map_err(fail)?;
    let records: Vec<Json> = serde_json::from_str(&text).map_err(|e| {
        fail(format!(
            "dump_using wrote text that is not JSON ({e}): {text}"
        ))
    })?;
    let mut tables = Tables::default();
    for record in records {
        let mut fields = match record.get("fields") {
            Some(Json::Object(fields)) => fields.clone(),
            _ => return Err(fail(format!("dumped record without fields: {record}"))),
        };
        match (record.get("model").and_then(Json::as_str), record.get("pk")) {
            (Some(LABEL), Some(Json::String(key))) => {
                tables.labels.insert(key.clone(), fields);
            }
            (Some(ITEM), Some(Json::Number(id))) if id.is_i64() => {
                let id = id.as_i64().unwrap_or_default();
                let labels = match fields.remove("labels") {
                    Some(Json::Array(keys)) => keys
                        .iter()
                        .map(|k| k.as_str().map(str::to_owned))
                        .collect::<Option<Vec<String>>>(),
                    _ => None,
                }
                .ok_or_else(|| fail(format!("dumped item without a list of labels: {record}")))?;
                tables.item_labels.insert(id, labels);
                tables.items.insert(id, fields);
            }
            _ => return Err(fail(format!("unexpected dumped record: {record}"))),
        }
    }
    Ok((text, tables))
}

fn fail(reason: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(reason.to_string())
}

// ---------------------------------------------------------------------------------------------
// The check of one input.

/// What the inputs of one test did.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    bytes: usize,
    loaded: usize,
    records_loaded: usize,
    /// Refusals, by error variant.
    refused: BTreeMap<String, usize>,
    /// Loads that stored a float a few units in the last place off (see
    /// [`a_float_loads_exactly`]).
    float_slips: usize,
}

impl Tally {
    fn refusals(&self) -> usize {
        self.refused.values().sum()
    }

    fn add(&mut self, other: &Tally) {
        self.cases += other.cases;
        self.bytes += other.bytes;
        self.loaded += other.loaded;
        self.records_loaded += other.records_loaded;
        self.float_slips += other.float_slips;
        for (kind, n) in &other.refused {
            *self.refused.entry(kind.clone()).or_default() += n;
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} inputs ({} KiB): {} loaded ({} records; {} with a float off in its last \
             digits), {} refused {:?}",
            self.cases,
            self.bytes / 1024,
            self.loaded,
            self.records_loaded,
            self.float_slips,
            self.refusals(),
            self.refused
        )
    }
}

/// Loads `input` into `alias` and checks the outcome (see the file's docs).
fn check_load(alias: &str, input: &str, tally: &mut Tally) -> Result<(), TestCaseError> {
    let before = Snapshot::take(alias).map_err(fail)?;
    let (_, tables_before) = dumped(alias)?;
    let sequence = item_sequence(alias).map_err(fail)?;

    let result = fixtures::load_using(input, alias);

    let after = Snapshot::take(alias)
        .map_err(|e| fail(format!("the database is unusable after the load: {e}")))?;
    tally.cases += 1;
    tally.bytes += input.len();
    match result {
        Err(error) => {
            let kind = format!("{error:?}");
            let kind = kind.split([' ', '{', '(']).next().unwrap_or_default();
            *tally.refused.entry(kind.to_owned()).or_default() += 1;
            prop_assert!(!error.to_string().is_empty());
            if before != after {
                return Err(fail(format!(
                    "refused with `{error}` but changed the database:\nbefore {before:#?}\nafter {after:#?}"
                )));
            }
            if let Error::Fixture { index, .. } = &error {
                // A record-level error names a record of the list; a syntax error the record the
                // JSON broke off in, which is at most one past the last complete one.
                if let Ok(records) = serde_json::from_str::<Vec<Json>>(input) {
                    prop_assert!(
                        *index < records.len(),
                        "error index {} for a list of {} records: {}",
                        index,
                        records.len(),
                        error
                    );
                }
            }
            Ok(())
        }
        Ok(loaded) => {
            tally.loaded += 1;
            tally.records_loaded += loaded.count;
            let records: Vec<Json> = serde_json::from_str(input).map_err(|e| {
                fail(format!(
                    "loaded text that is not a JSON list ({e}): {input:?}"
                ))
            })?;
            prop_assert_eq!(loaded.count, records.len(), "records counted");
            let mut per_model: BTreeMap<String, usize> = BTreeMap::new();
            for record in &records {
                let label = record.get("model").and_then(Json::as_str).unwrap_or("?");
                *per_model.entry(label.to_owned()).or_default() += 1;
            }
            let counted: BTreeMap<String, usize> = loaded
                .per_model
                .iter()
                .map(|(label, n)| ((*label).to_owned(), *n))
                .collect();
            prop_assert_eq!(counted, per_model, "records counted per model");
            let expected = replay(tables_before, sequence, &records)
                .map_err(|reason| fail(format!("{reason}; input: {input}")))?;
            let (_, actual) = dumped(alias)?;
            check_constraints(&actual)?;
            if actual != expected {
                prop_assert!(
                    same_tables(&actual, &expected),
                    "the tables after loading {}:\nactual {:#?}\nexpected {:#?}",
                    input,
                    actual,
                    expected
                );
                tally.float_slips += 1;
            }
            Ok(())
        }
    }
}

/// What the tables must hold after `records` are loaded over `tables`; an `Err` for a record the
/// loader should have refused.
fn replay(mut tables: Tables, sequence: i64, records: &[Json]) -> Result<Tables, String> {
    let mut high = tables
        .items
        .keys()
        .copied()
        .max()
        .unwrap_or(0)
        .max(sequence);
    for (index, record) in records.iter().enumerate() {
        let at = |reason: String| format!("record {index} loaded although {reason}: {record}");
        let Json::Object(record) = record else {
            return Err(at("it is not an object".into()));
        };
        let fields = match record.get("fields") {
            None => Map::new(),
            Some(Json::Object(fields)) => fields.clone(),
            Some(other) => return Err(at(format!("\"fields\" is {other}"))),
        };
        match record.get("model").and_then(Json::as_str) {
            Some(LABEL) => {
                let key = match primary_key(record, &fields, "key").map_err(&at)? {
                    Some(Json::String(key)) => key,
                    other => return Err(at(format!("the label's key is {other:?}"))),
                };
                let mut row = Map::new();
                for (name, value) in &fields {
                    if name != "key" && name != "weight" {
                        return Err(at(format!("it has the field {name:?} = {value}")));
                    }
                }
                let weight = fields
                    .get("weight")
                    .ok_or_else(|| at("\"weight\" is missing".into()))?;
                row.insert("weight".into(), integer(weight).map_err(&at)?);
                tables.labels.insert(key, row);
            }
            Some(ITEM) => {
                let id = match primary_key(record, &fields, "id").map_err(&at)? {
                    None => {
                        high += 1;
                        high
                    }
                    Some(pk) => {
                        let id = integer(&pk).map_err(&at)?.as_i64().unwrap_or_default();
                        high = high.max(id);
                        id
                    }
                };
                let mut row = Map::new();
                for (name, default) in [
                    ("name", None),
                    ("code", None),
                    ("note", Some(Json::Null)),
                    ("qty", Some(json!(0))),
                    ("price", Some(json!(1.5))),
                    ("active", Some(json!(false))),
                    ("blob", Some(json!(""))),
                    ("data", Some(json!({}))),
                    ("owner", Some(Json::Null)),
                ] {
                    let value = match (fields.get(name), default) {
                        (Some(given), _) => item_field(name, given).map_err(&at)?,
                        (None, Some(default)) => default,
                        (None, None) => return Err(at(format!("{name:?} is missing"))),
                    };
                    row.insert(name.into(), value);
                }
                if let Some(name) = fields.keys().find(|name| {
                    !row.contains_key(name.as_str()) && !matches!(name.as_str(), "id" | "labels")
                }) {
                    return Err(at(format!("it has the unknown field {name:?}")));
                }
                match fields.get("labels") {
                    Some(Json::Array(keys)) => {
                        let mut keys = keys
                            .iter()
                            .map(|key| match key {
                                Json::String(key) => Ok(key.clone()),
                                other => Err(at(format!("a label key is {other}"))),
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        keys.sort();
                        keys.dedup();
                        tables.item_labels.insert(id, keys);
                    }
                    Some(other) => return Err(at(format!("\"labels\" is {other}"))),
                    None => {
                        tables.item_labels.entry(id).or_default();
                    }
                }
                tables.items.insert(id, row);
            }
            other => return Err(at(format!("its model is {other:?}"))),
        }
    }
    Ok(tables)
}

/// The record's key: `"pk"`, or else the key field in `"fields"`; `None` when neither is given
/// (or both are `null`). Both given and different is refused.
fn primary_key(
    record: &Map<String, Json>,
    fields: &Map<String, Json>,
    name: &str,
) -> Result<Option<Json>, String> {
    let pk = record.get("pk").filter(|pk| !pk.is_null());
    let field = fields.get(name).filter(|field| !field.is_null());
    match (pk, field) {
        (Some(pk), Some(field)) if pk != field => Err(format!("\"pk\" {pk} != {name:?} {field}")),
        (Some(pk), _) => Ok(Some(pk.clone())),
        (None, field) => Ok(field.cloned()),
    }
}

/// An integer field's value in its dumped form: a JSON integer in `i64` (or `true`/`false`, which
/// Django's `IntegerField` also reads as 1/0).
fn integer(json: &Json) -> Result<Json, String> {
    match json {
        Json::Number(n) if n.is_i64() => Ok(json.clone()),
        Json::Bool(b) => Ok(json!(i64::from(*b))),
        other => Err(format!("an integer field was given {other}")),
    }
}

/// An item field's given value in its dumped form, as the documented table of JSON forms says.
fn item_field(name: &str, json: &Json) -> Result<Json, String> {
    let refuse = || Err(format!("{name:?} was given {json}"));
    match (name, json) {
        ("name", Json::String(s)) if s.chars().count() <= 20 => Ok(json.clone()),
        ("code", Json::String(_)) | ("note", Json::String(_) | Json::Null) => Ok(json.clone()),
        ("owner", Json::String(_) | Json::Null) => Ok(json.clone()),
        ("qty", _) => {
            let value = integer(json)?;
            match value.as_i64().map(i32::try_from) {
                Some(Ok(_)) => Ok(value),
                _ => refuse(),
            }
        }
        ("price", Json::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(json!(i as f64)),
            (None, Some(f)) if !n.is_u64() => Ok(json!(f)),
            _ => refuse(),
        },
        ("active", Json::Bool(_)) => Ok(json.clone()),
        ("active", Json::Number(n)) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
            Ok(Json::Bool(n.as_i64() == Some(1)))
        }
        ("blob", Json::String(s)) => match base64::decode(s) {
            Some(bytes) => Ok(Json::String(base64::encode(&bytes))),
            None => refuse(),
        },
        ("data", _) => Ok(json.clone()),
        _ => refuse(),
    }
}

/// `a == b`, with two numbers equal when they are the same `f64` however they are written. Exact:
/// serde_json parses with its `float_roundtrip` feature (its default parsing was not correctly
/// rounded: `7e23` read as `6.999999999999999e23`; see [`a_float_loads_exactly`]).
fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) if x != y => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if x.is_sign_negative() == y.is_sign_negative() => {
                x.to_bits() == y.to_bits()
            }
            _ => false,
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| same_json(x, y)))
        }
        (x, y) => x == y,
    }
}

fn same_rows<K: Ord>(
    a: &BTreeMap<K, Map<String, Json>>,
    b: &BTreeMap<K, Map<String, Json>>,
) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((ka, ra), (kb, rb))| {
            ka == kb && same_json(&Json::Object(ra.clone()), &Json::Object(rb.clone()))
        })
}

fn same_tables(a: &Tables, b: &Tables) -> bool {
    same_rows(&a.labels, &b.labels)
        && same_rows(&a.items, &b.items)
        && a.item_labels == b.item_labels
}

/// What the database guarantees whatever was loaded: keys and names within their `max_length`,
/// unique codes, and keys that point at labels that exist.
fn check_constraints(tables: &Tables) -> Result<(), TestCaseError> {
    for key in tables.labels.keys() {
        prop_assert!(key.chars().count() <= 12, "label key {:?} too long", key);
    }
    let mut codes = Vec::new();
    for (id, row) in &tables.items {
        if let Some(Json::String(name)) = row.get("name") {
            prop_assert!(name.chars().count() <= 20, "item {} name too long", id);
        }
        codes.push(row.get("code").cloned());
        if let Some(Json::String(owner)) = row.get("owner") {
            prop_assert!(
                tables.labels.contains_key(owner),
                "item {} owned by missing label {:?}",
                id,
                owner
            );
        }
    }
    let count = codes.len();
    codes.sort_by_key(|code| code.as_ref().map(Json::to_string));
    codes.dedup();
    prop_assert_eq!(codes.len(), count, "item codes are unique");
    for (id, keys) in &tables.item_labels {
        for key in keys {
            prop_assert!(
                tables.labels.contains_key(key),
                "item {} labelled with missing label {:?}",
                id,
                key
            );
        }
    }
    Ok(())
}

/// Base64 as Python's `b64encode`/`b64decode` (what Django's `BinaryField` uses in fixtures).
mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..4 {
                out.push(if i <= chunk.len() {
                    char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63])
                } else {
                    '='
                });
            }
        }
        out
    }

    /// `None` for text that is not padded base64; extra bits in the last digit are ignored.
    pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
        let bytes = text.as_bytes();
        if !bytes.len().is_multiple_of(4) {
            return None;
        }
        let quads = bytes.len() / 4;
        let mut out = Vec::new();
        for (q, quad) in bytes.chunks(4).enumerate() {
            let padding = quad.iter().rev().take_while(|&&c| c == b'=').count();
            if padding > 2 || (padding > 0 && q + 1 != quads) {
                return None;
            }
            let mut n = 0u32;
            for (i, c) in quad[..4 - padding].iter().enumerate() {
                let sextet = ALPHABET.iter().position(|a| a == c)?;
                n |= (sextet as u32) << (18 - 6 * i);
            }
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..3 - padding]);
        }
        Some(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs.

/// The names a fixture uses, so that random objects sometimes look like records.
const WORDS: &[&str] = &[
    "model",
    "pk",
    "fields",
    "fuzz.item",
    "fuzz.label",
    "id",
    "key",
    "weight",
    "name",
    "code",
    "note",
    "qty",
    "price",
    "active",
    "blob",
    "data",
    "owner",
    "labels",
    "seed-a",
    "seed-b",
];

fn text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        proptest::sample::select(vec![
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            "null",
            "true",
            "false",
            "0",
            "1",
            "-1",
            "500",
            "1.5",
            "1e400",
            "-0",
            "18446744073709551616",
            "\"\\u0000\"",
            "\"\\ud800\"",
            "\"AAEC\"",
            "\"x\"",
            " ",
            "\n",
            "//",
            "/*",
            "\u{feff}",
            "\"",
            "\\",
        ])
        .prop_map(str::to_owned),
        proptest::sample::select(WORDS.to_vec()).prop_map(|w| format!("\"{w}\"")),
    ];
    prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        prop::collection::vec(token, 0..60).prop_map(|tokens| tokens.concat()),
    ]
}

fn string_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z]{0,8}",
        "[A-Za-z0-9+/]{0,12}={0,2}",
        proptest::sample::select(WORDS.to_vec()).prop_map(str::to_owned),
    ]
}

fn json_leaf() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        (-3i64..600).prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        string_value().prop_map(Json::String),
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    json_leaf().prop_recursive(5, 64, 6, |inner| {
        let key = prop_oneof![
            3 => proptest::sample::select(WORDS.to_vec()).prop_map(str::to_owned),
            1 => any::<String>(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|entries| Json::Object(entries.into_iter().collect())),
        ]
    })
}

/// Any JSON, alone, as the one record of a list, or as the fields of a record.
fn json_text() -> impl Strategy<Value = String> {
    (
        json_value(),
        proptest::sample::select(vec![None, Some(LABEL), Some(ITEM)]),
        0..3u8,
        any::<bool>(),
    )
        .prop_map(|(value, model, wrap, pretty)| {
            let value = match (wrap, model) {
                (0, _) => value,
                (1, _) | (_, None) => Json::Array(vec![value]),
                (_, Some(model)) => json!([{"model": model, "pk": 1, "fields": value}]),
            };
            if pretty {
                serde_json::to_string_pretty(&value).unwrap_or_default()
            } else {
                value.to_string()
            }
        })
}

/// Nesting 1 to 4,000 levels deep, built as text (a `serde_json::Value` that deep would overflow
/// the stack when dropped, which is no finding about the loader).
fn deep_text() -> impl Strategy<Value = String> {
    (1usize..4000, 0..6u8, any::<bool>()).prop_map(|(depth, shape, closed)| {
        let (open, close, leaf) = match shape % 3 {
            0 => ("[", "]", "1"),
            1 => ("{\"a\":", "}", "null"),
            _ => ("[{\"fields\":", "}]", "[]"),
        };
        let mut nested = open.repeat(depth);
        nested.push_str(leaf);
        if closed {
            nested.push_str(&close.repeat(depth));
        }
        match shape / 3 {
            0 => nested,
            _ => format!(
                r#"[{{"model": "fuzz.item", "pk": 7, "fields": {{"name": "deep", "code": "deep", "data": {nested}}}}}]"#
            ),
        }
    })
}

/// A label of a generated fixture; its key is made unique by its index.
#[derive(Clone, Debug)]
struct LabelSpec {
    suffix: String,
    weight: i64,
    /// Give the key as `"fields": {"key": …}` rather than `"pk"`.
    key_in_fields: bool,
}

/// An item of a generated fixture; `None` leaves a field out (it gets its default).
#[derive(Clone, Debug)]
struct ItemSpec {
    /// 0: no key (auto-increment); 1: the seed's item 500 (an update); else a key of its own.
    pk: u8,
    name: String,
    code: String,
    note: Option<Option<String>>,
    qty: Option<i32>,
    price: Option<f64>,
    active: Option<bool>,
    blob: Option<Vec<u8>>,
    data: Option<Json>,
    owner: Option<Index>,
    labels: Option<Vec<Index>>,
}

/// Text that quotes, escapes and NULs make hard to store.
fn hard_string(max: usize) -> impl Strategy<Value = String> {
    let char = prop_oneof![
        3 => any::<char>(),
        1 => proptest::sample::select(vec!['"', '\\', '\0', '\n', '\'', ';', '%', 'é', '😀', '\u{202e}']),
    ];
    prop::collection::vec(char, 0..=max).prop_map(String::from_iter)
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::POSITIVE
            | prop::num::f64::NEGATIVE
            | prop::num::f64::NORMAL
            | prop::num::f64::SUBNORMAL
            | prop::num::f64::ZERO,
        (-1000i32..1000).prop_map(f64::from),
    ]
}

fn label_spec() -> impl Strategy<Value = LabelSpec> {
    (hard_string(9), any::<i64>(), any::<bool>()).prop_map(|(suffix, weight, key_in_fields)| {
        LabelSpec {
            suffix,
            weight,
            key_in_fields,
        }
    })
}

fn item_spec() -> impl Strategy<Value = ItemSpec> {
    (
        (
            0..8u8,
            hard_string(20),
            hard_string(10),
            prop::option::of(prop::option::of(hard_string(40))),
            prop::option::of(any::<i32>()),
            prop::option::of(finite_f64()),
            prop::option::of(any::<bool>()),
        ),
        (
            prop::option::of(prop::collection::vec(any::<u8>(), 0..24)),
            prop::option::of(json_value()),
            prop::option::of(any::<Index>()),
            prop::option::of(prop::collection::vec(any::<Index>(), 0..4)),
        ),
    )
        .prop_map(
            |((pk, name, code, note, qty, price, active), (blob, data, owner, labels))| ItemSpec {
                pk,
                name,
                code,
                note,
                qty,
                price,
                active,
                blob,
                data,
                owner,
                labels,
            },
        )
}

/// A valid fixture: up to 3 labels and 5 items, in a random order, as JSON records.
fn valid_records() -> impl Strategy<Value = Vec<Json>> {
    (
        prop::collection::vec(label_spec(), 0..4),
        prop::collection::vec(item_spec(), 0..6),
    )
        .prop_map(|(labels, items)| build(&labels, &items))
        .prop_shuffle()
}

fn build(labels: &[LabelSpec], items: &[ItemSpec]) -> Vec<Json> {
    let keys: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| format!("k{i}{}", label.suffix))
        .collect();
    let mut records = Vec::new();
    for (label, key) in labels.iter().zip(&keys) {
        records.push(if label.key_in_fields {
            json!({"model": LABEL, "fields": {"key": key, "weight": label.weight}})
        } else {
            json!({"model": LABEL, "pk": key, "fields": {"weight": label.weight}})
        });
    }
    for (i, item) in items.iter().enumerate() {
        let mut fields = Map::new();
        fields.insert("name".into(), json!(item.name));
        fields.insert("code".into(), json!(format!("c{i}-{}", item.code)));
        if let Some(note) = &item.note {
            fields.insert("note".into(), json!(note));
        }
        if let Some(qty) = item.qty {
            fields.insert("qty".into(), json!(qty));
        }
        if let Some(price) = item.price {
            fields.insert("price".into(), json!(price));
        }
        if let Some(active) = item.active {
            fields.insert("active".into(), json!(active));
        }
        if let Some(blob) = &item.blob {
            fields.insert("blob".into(), json!(base64::encode(blob)));
        }
        if let Some(data) = &item.data {
            fields.insert("data".into(), data.clone());
        }
        if let (Some(owner), false) = (&item.owner, keys.is_empty()) {
            fields.insert("owner".into(), json!(keys[owner.index(keys.len())]));
        }
        if let Some(picks) = &item.labels {
            let picked: Vec<&String> = if keys.is_empty() {
                Vec::new()
            } else {
                picks.iter().map(|p| &keys[p.index(keys.len())]).collect()
            };
            fields.insert("labels".into(), json!(picked));
        }
        let mut record = Map::new();
        record.insert("model".into(), json!(ITEM));
        match item.pk {
            0 => {}
            1 if i == 0 => {
                record.insert("pk".into(), json!(500));
            }
            n => {
                record.insert("pk".into(), json!(10 * i as i64 + i64::from(n)));
            }
        }
        record.insert("fields".into(), Json::Object(fields));
        records.push(Json::Object(record));
    }
    records
}

/// One change to a valid fixture.
#[derive(Clone, Debug)]
enum Mutation {
    DropRecord(Index),
    DuplicateRecord(Index, Index),
    ReplaceRecord(Index, Json),
    /// In the record itself (`model`, `pk`, `fields`) or, with `true`, in its fields.
    RemoveKey(Index, bool, Index),
    RenameKey(Index, bool, Index, String),
    ReplaceValue(Index, bool, Index, Json),
    /// A number literal that a JSON value cannot hold as written, in place of a value.
    HugeNumber(Index, bool, Index, &'static str),
}

const HUGE: &[&str] = &[
    "1e400",
    "-1e400",
    "18446744073709551616",
    "9223372036854775808",
    "-9223372036854775809",
    "9223372036854775807",
    "2147483648",
    "123456789012345678901234567890",
    "1e308",
    "4.9e-324",
    "-0",
    "0.1e1",
    "1E2",
    "100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let key = prop_oneof![
        proptest::sample::select(WORDS.to_vec()).prop_map(str::to_owned),
        "[a-z]{1,6}",
    ];
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::DropRecord),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::DuplicateRecord(a, b)),
        1 => (any::<Index>(), json_value()).prop_map(|(a, v)| Mutation::ReplaceRecord(a, v)),
        2 => (any::<Index>(), any::<bool>(), any::<Index>())
            .prop_map(|(a, f, k)| Mutation::RemoveKey(a, f, k)),
        2 => (any::<Index>(), any::<bool>(), any::<Index>(), key)
            .prop_map(|(a, f, k, n)| Mutation::RenameKey(a, f, k, n)),
        3 => (any::<Index>(), any::<bool>(), any::<Index>(), json_value())
            .prop_map(|(a, f, k, v)| Mutation::ReplaceValue(a, f, k, v)),
        2 => (any::<Index>(), any::<bool>(), any::<Index>(), proptest::sample::select(HUGE.to_vec()))
            .prop_map(|(a, f, k, h)| Mutation::HugeNumber(a, f, k, h)),
    ]
}

/// Stands in for a huge number literal until the fixture is text.
const HUGE_MARK: &str = "\u{1}huge\u{1}";

/// The object a mutation edits: the record, or its fields.
fn target(record: &mut Json, in_fields: bool) -> Option<&mut Map<String, Json>> {
    let record = record.as_object_mut()?;
    if in_fields {
        record.get_mut("fields")?.as_object_mut()
    } else {
        Some(record)
    }
}

fn nth_key(map: &Map<String, Json>, pick: &Index) -> Option<String> {
    (!map.is_empty()).then(|| map.keys().nth(pick.index(map.len())).cloned())?
}

/// Applies `mutations` to `records`, then writes them as text, maybe truncated; returns the text
/// and the huge literal it holds, if any.
fn mutate(mut records: Vec<Json>, mutations: &[Mutation], truncate: Option<Index>) -> String {
    let mut huge = None;
    for mutation in mutations {
        if records.is_empty() {
            break;
        }
        let len = records.len();
        match mutation {
            Mutation::DropRecord(at) => {
                records.remove(at.index(len));
            }
            Mutation::DuplicateRecord(from, to) => {
                let record = records[from.index(len)].clone();
                records.insert(to.index(len + 1), record);
            }
            Mutation::ReplaceRecord(at, value) => records[at.index(len)] = value.clone(),
            Mutation::RemoveKey(at, in_fields, key) => {
                if let Some(map) = target(&mut records[at.index(len)], *in_fields)
                    && let Some(key) = nth_key(map, key)
                {
                    map.remove(&key);
                }
            }
            Mutation::RenameKey(at, in_fields, key, name) => {
                if let Some(map) = target(&mut records[at.index(len)], *in_fields)
                    && let Some(key) = nth_key(map, key)
                    && let Some(value) = map.remove(&key)
                {
                    map.insert(name.clone(), value);
                }
            }
            Mutation::ReplaceValue(at, in_fields, key, value) => {
                if let Some(map) = target(&mut records[at.index(len)], *in_fields)
                    && let Some(key) = nth_key(map, key)
                {
                    map.insert(key, value.clone());
                }
            }
            Mutation::HugeNumber(at, in_fields, key, literal) => {
                if huge.is_none()
                    && let Some(map) = target(&mut records[at.index(len)], *in_fields)
                    && let Some(key) = nth_key(map, key)
                {
                    map.insert(key, json!(HUGE_MARK));
                    huge = Some(*literal);
                }
            }
        }
    }
    let mut text = serde_json::to_string_pretty(&records).unwrap_or_default();
    if let Some(literal) = huge {
        text = text.replacen(&json!(HUGE_MARK).to_string(), literal, 1);
    }
    if let Some(cut) = truncate {
        let ends: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        if !ends.is_empty() {
            text.truncate(ends[cut.index(ends.len())]);
        }
    }
    text
}

fn mutated_text() -> impl Strategy<Value = String> {
    (
        valid_records(),
        prop::collection::vec(mutation(), 1..5),
        prop::option::weighted(0.2, any::<Index>()),
    )
        .prop_map(|(records, mutations, truncate)| mutate(records, &mutations, truncate))
}

// ---------------------------------------------------------------------------------------------
// Running the properties.

/// The cases of each property: `CLARION_FUZZ_CASES`, or proptest's default (256, or
/// `PROPTEST_CASES`).
fn config() -> Config {
    let mut config = Config {
        // Only the files named by the suite are written; a failure prints its minimal input.
        failure_persistence: None,
        ..Config::default()
    };
    if let Some(cases) = std::env::var("CLARION_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        config.cases = cases;
    }
    config
}

/// Runs `check` on `cases` inputs of `strategy` (or the configured number), panicking with the
/// minimal failing input.
fn run<S: Strategy>(
    name: &str,
    strategy: S,
    cases: Option<u32>,
    check: impl Fn(S::Value, &mut Tally) -> Result<(), TestCaseError>,
) -> Tally
where
    S::Value: std::fmt::Debug,
{
    let mut config = config();
    if let Some(cases) = cases {
        config.cases = cases;
    }
    let tally = std::cell::RefCell::new(Tally::default());
    let started = Instant::now();
    let result = TestRunner::new(config).run(&strategy, |input| {
        let mut case = Tally::default();
        check(input, &mut case)?;
        tally.borrow_mut().add(&case);
        Ok(())
    });
    if let Err(error) = result {
        panic!("{name}: {error}");
    }
    let tally = tally.into_inner();
    eprintln!("{name}: {tally}, in {:.2?}", started.elapsed());
    tally
}

/// The property on inputs that start from the seeded database.
fn seeded(alias: &str) -> impl Fn(String, &mut Tally) -> Result<(), TestCaseError> + '_ {
    move |input, tally| {
        seed(alias)?;
        check_load(alias, &input, tally)
    }
}

/// The round-trip property: a valid fixture loads into an empty database, dumps to what was
/// given, and its dump loaded into another empty database dumps to the same text.
fn round_trip<'a>(
    alias: &'a str,
    copy: &'a str,
) -> impl Fn(Vec<Json>, &mut Tally) -> Result<(), TestCaseError> + 'a {
    move |records, tally| {
        clear(alias).map_err(fail)?;
        clear(copy).map_err(fail)?;
        let input = serde_json::to_string_pretty(&records).map_err(fail)?;
        check_load(alias, &input, tally)?;
        prop_assert_eq!(
            tally.loaded,
            1,
            "a valid fixture was refused: {:?}",
            tally.refused
        );
        let (dump, tables) = dumped(alias)?;
        let reloaded = fixtures::load_using(&dump, copy).map_err(fail)?;
        // One dumped record per row: fewer than the fixture's records when a record without a
        // key got an id that a later record names, which then updated that row.
        prop_assert_eq!(reloaded.count, tables.labels.len() + tables.items.len());
        let (again, _) = dumped(copy)?;
        if again != dump {
            let (first, second): (Json, Json) = (
                serde_json::from_str(&dump).map_err(fail)?,
                serde_json::from_str(&again).map_err(fail)?,
            );
            prop_assert!(
                same_json(&first, &second),
                "dump → load → dump changed the text:\n{}\n{}",
                dump,
                again
            );
            tally.float_slips += 1;
        }
        Ok(())
    }
}

fn refused(tally: &Tally, kind: &str) -> usize {
    tally.refused.get(kind).copied().unwrap_or(0)
}

#[test]
fn arbitrary_text_loads_or_changes_nothing() {
    let _db = open("fuzz-text");
    let tally = run("arbitrary text", text(), None, seeded("fuzz-text"));
    assert!(refused(&tally, "Fixture") > 0, "{tally}");
}

#[test]
fn arbitrary_json_loads_or_changes_nothing() {
    let _db = open("fuzz-json");
    let tally = run("arbitrary JSON", json_text(), None, seeded("fuzz-json"));
    assert!(refused(&tally, "Fixture") > 0, "{tally}");
}

#[test]
fn deep_nesting_is_refused_or_loaded_without_overflow() {
    let _db = open("fuzz-deep");
    let tally = run("deep nesting", deep_text(), None, seeded("fuzz-deep"));
    assert!(refused(&tally, "Fixture") > 0, "{tally}");
}

#[test]
fn mutated_fixtures_load_or_change_nothing() {
    let _db = open("fuzz-mutated");
    let tally = run(
        "mutated fixtures",
        mutated_text(),
        None,
        seeded("fuzz-mutated"),
    );
    assert!(
        refused(&tally, "Fixture") > 0 && tally.loaded > 0,
        "{tally}"
    );
}

#[test]
fn valid_fixtures_round_trip() {
    let _db = open("fuzz-valid");
    let _copy = open("fuzz-valid-copy");
    let tally = run(
        "valid fixtures",
        valid_records(),
        None,
        round_trip("fuzz-valid", "fuzz-valid-copy"),
    );
    assert_eq!(tally.loaded, tally.cases, "{tally}");
    assert!(tally.records_loaded > tally.cases, "{tally}");
}

/// The long run, out of CI: every property, in turns of 256 cases, for `CLARION_FUZZ_SECONDS`
/// (default 300). Run it with `--release --ignored --nocapture`.
#[test]
#[ignore = "long fuzzing run, out of CI: `--release --ignored long_fuzz_run`, CLARION_FUZZ_SECONDS"]
fn long_fuzz_run() {
    let seconds = std::env::var("CLARION_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let aliases = ["fuzz-long", "fuzz-long-copy"];
    let _dbs = aliases.map(open);
    let mut totals: BTreeMap<&str, Tally> = BTreeMap::new();
    let started = Instant::now();
    while Instant::now() < deadline {
        let turn = [
            (
                "arbitrary text",
                run("arbitrary text", text(), Some(256), seeded(aliases[0])),
            ),
            (
                "arbitrary JSON",
                run("arbitrary JSON", json_text(), Some(256), seeded(aliases[0])),
            ),
            (
                "deep nesting",
                run("deep nesting", deep_text(), Some(64), seeded(aliases[0])),
            ),
            (
                "mutated fixtures",
                run(
                    "mutated fixtures",
                    mutated_text(),
                    Some(256),
                    seeded(aliases[0]),
                ),
            ),
            (
                "valid fixtures",
                run(
                    "valid fixtures",
                    valid_records(),
                    Some(256),
                    round_trip(aliases[0], aliases[1]),
                ),
            ),
        ];
        for (name, tally) in turn {
            totals.entry(name).or_default().add(&tally);
        }
    }
    let mut all = Tally::default();
    for (name, tally) in &totals {
        eprintln!("TOTAL {name}: {tally}");
        all.add(tally);
    }
    eprintln!("TOTAL: {all}, in {:.0?}", started.elapsed());
    assert!(all.cases > 0);
}

/// Found by `valid_fixtures_round_trip` and `mutated_fixtures_load_or_change_nothing`, minimised
/// by hand to the shortest number: fixtures are parsed with serde_json's default float parsing,
/// which is not correctly rounded, so `7e23` is stored as `6.999999999999999e23`, one unit in the
/// last place off. A row saved with `7e23` therefore dumped as `7e23` and loaded back as another
/// number: "loading a dump into an empty database and dumping again gives the same text" failed.
/// Fixed by serde_json's `float_roundtrip` feature, which makes parsing exact.
#[test]
fn a_float_loads_exactly() {
    let alias = "fuzz-bug-float";
    let _db = open(alias);
    let fixture = r#"[{"model": "fuzz.item", "pk": 1, "fields": {"name": "", "code": "x", "price": 7e23, "data": [7e23]}}]"#;

    fixtures::load_using(fixture, alias).unwrap();

    let (price, data) = db::atomic_using(alias, |tx| {
        tx.query_row("SELECT price, data FROM item WHERE id = 1", (), |row| {
            Ok((row.get::<_, f64>(0)?, row.get::<_, String>(1)?))
        })
    })
    .unwrap();
    assert_eq!(price, 7e23);
    // The JSON document holds the same number (serde_json writes it `7e+23`).
    let data: Json = serde_json::from_str(&data).unwrap();
    assert_eq!(data[0].as_f64(), Some(7e23));
    // And a dump loads back to the same text.
    let dumped = fixtures::dump_using(&["fuzz.item"], alias).unwrap();
    let copy = "fuzz-bug-float-copy";
    let _copy = open(copy);
    fixtures::load_using(&dumped, copy).unwrap();
    assert_eq!(fixtures::dump_using(&["fuzz.item"], copy).unwrap(), dumped);
}

/// Found by `mutated_fixtures_load_or_change_nothing` (a label dropped or a key renamed): a
/// foreign key or a many-to-many key naming a row that does not exist is only caught when the
/// transaction commits (the constraints are deferred, as Django declares them), and comes back as
/// `Error::Integrity` with no record index, model or field, where every other bad record gets an
/// `Error::Fixture` naming it. Nothing is written either way (the properties check that).
#[test]
fn a_dangling_key_names_its_record() {
    let alias = "fuzz-gap-dangling";
    let _db = open(alias);
    let fixture = r#"[{"model": "fuzz.item", "pk": 1, "fields": {"name": "", "code": "x", "owner": "nope"}}]"#;

    let error = fixtures::load_using(fixture, alias).unwrap_err();

    assert!(
        matches!(
            &error,
            Error::Fixture { index: 0, field: Some(field), .. } if field == "owner"
        ),
        "{error:?}"
    );
}

/// Found by the long run of `mutated_fixtures_load_or_change_nothing` (a huge number in place of
/// a key): after a record with the largest key, `9223372036854775807`, a record without a key
/// cannot get one (`AUTOINCREMENT` never reuses keys), and the load fails with SQLite's
/// "database or disk is full" as `Error::Database`, naming no record, rather than as an
/// `Error::Fixture` saying that record 1 has no key left to get. Nothing is written.
#[test]
fn running_out_of_keys_names_the_record() {
    let alias = "fuzz-gap-keys";
    let _db = open(alias);
    let fixture = r#"[
        {"model": "fuzz.item", "pk": 9223372036854775807, "fields": {"name": "", "code": "a"}},
        {"model": "fuzz.item", "fields": {"name": "", "code": "b"}}
    ]"#;

    let error = fixtures::load_using(fixture, alias).unwrap_err();

    assert!(
        matches!(&error, Error::Fixture { index: 1, .. }),
        "{error:?}: {error}"
    );
}
