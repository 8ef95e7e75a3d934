//! A receiver that fails or panics, at every point a write sends a signal: the write is rolled
//! back (or, for an after-commit receiver, reported after the commit), the error names the
//! receiver, the database stays usable, and the same operation then succeeds.
//!
//! Each case runs on its own fresh database (in memory on SQLite, a schema of its own on
//! PostgreSQL: see `support/backend.rs`): link-time receivers are global to this binary, so the
//! fault plan (which receiver fails, and how) is kept per database alias.
//!
//! The figures this test prints (`cargo test --test reliability_receivers -- --nocapture`) are
//! recorded in docs/reliability.md.

#[path = "support/backend.rs"]
mod backend;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use clarion::db::{self, Backend, Transaction};
use clarion::models::signals::M2mAction;
use clarion::prelude::*;
use clarion::{Error, Value};

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel", many_to_many(tags = Label))]
pub struct Item {
    pub id: Option<i64>,
    #[model(max_length = 40)]
    pub name: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Label {
    pub id: Option<i64>,
    pub name: String,
}

/// Rows of `Part` go with their item: a failure while deleting them must undo the item's
/// delete too.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "rel")]
pub struct Part {
    pub id: Option<i64>,
    #[model(on_delete = cascade)]
    pub item: ForeignKey<Item>,
}

/// Where a receiver fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Point {
    PreSave,
    PostSave,
    PreDelete,
    PostDelete,
    CascadedPreDelete,
    CascadedPostDelete,
    M2m(M2mAction),
    OnCommit,
}

/// How it fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mode {
    Error,
    Panic,
}

static PLAN: Mutex<Option<HashMap<String, (Point, Mode)>>> = Mutex::new(None);

fn plan(using: &str, point: Point, mode: Mode) {
    PLAN.lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(using.to_owned(), (point, mode));
}

fn clear_plan(using: &str) {
    if let Some(plan) = PLAN.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        plan.remove(using);
    }
}

/// Fails as planned if `point` is this database's planned point.
fn maybe_fail(using: &str, point: Point) -> Result<(), Error> {
    let planned = PLAN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|plan| plan.get(using).copied());
    match planned {
        Some((at, Mode::Error)) if at == point => {
            Err(Error::msg(format!("planned failure at {point:?}")))
        }
        Some((at, Mode::Panic)) if at == point => panic!("planned panic at {point:?}"),
        _ => Ok(()),
    }
}

#[receiver(pre_save, sender = Item)]
fn item_pre_save(using: &str) -> Result<(), Error> {
    maybe_fail(using, Point::PreSave)
}

#[receiver(post_save, sender = Item)]
fn item_post_save(using: &str) -> Result<(), Error> {
    maybe_fail(using, Point::PostSave)
}

#[receiver(pre_delete, sender = Item)]
fn item_pre_delete(using: &str) -> Result<(), Error> {
    maybe_fail(using, Point::PreDelete)
}

#[receiver(post_delete, sender = Item)]
fn item_post_delete(using: &str) -> Result<(), Error> {
    maybe_fail(using, Point::PostDelete)
}

#[receiver(pre_delete, sender = Part)]
fn part_pre_delete(using: &str) -> Result<(), Error> {
    maybe_fail(using, Point::CascadedPreDelete)
}

#[receiver(post_delete, sender = Part)]
fn part_post_delete(using: &str) -> Result<(), Error> {
    maybe_fail(using, Point::CascadedPostDelete)
}

#[receiver(m2m_changed, sender = ItemTags)]
fn item_tags_changed(using: &str, action: M2mAction) -> Result<(), Error> {
    maybe_fail(using, Point::M2m(action))
}

#[receiver(post_save, sender = Item, on = commit)]
fn item_committed(using: &str) -> Result<(), Error> {
    maybe_fail(using, Point::OnCommit)
}

/// What the database holds: every table (on SQLite, `sqlite_sequence` too) and every row of it,
/// sorted by all its columns.
type Contents = BTreeMap<String, Vec<Vec<Value>>>;

/// The text values of a one-column query.
fn names(tx: &Transaction, sql: &str, params: &[Value]) -> clarion::Result<Vec<String>> {
    tx.query_values(sql, params)?
        .into_iter()
        .map(|row| match row.as_slice() {
            [Value::Text(name)] => Ok(name.clone()),
            other => panic!("expected one name, read {other:?}"),
        })
        .collect()
}

fn contents(alias: &str) -> Contents {
    db::atomic_using(alias, |tx| {
        let tables = match backend::backend() {
            Backend::Sqlite => names(
                tx,
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                &[],
            )?,
            _ => names(
                tx,
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() ORDER BY table_name",
                &[],
            )?,
        };
        assert!(
            ["item", "label", "part", "item_tags"]
                .iter()
                .all(|table| tables.iter().any(|t| t == table)),
            "the models' tables are listed: {tables:?}"
        );
        let mut contents = Contents::new();
        for table in tables {
            let columns = match backend::backend() {
                Backend::Sqlite => names(
                    tx,
                    "SELECT name FROM pragma_table_info($1) ORDER BY cid",
                    &[table.as_str().into()],
                )?,
                _ => names(
                    tx,
                    "SELECT column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 \
                     ORDER BY ordinal_position",
                    &[table.as_str().into()],
                )?,
            };
            let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
            let rows = tx.query_values(
                &format!(
                    "SELECT {columns} FROM \"{table}\" ORDER BY {columns}",
                    columns = quoted.join(", ")
                ),
                &[],
            )?;
            contents.insert(table, rows);
        }
        Ok(contents)
    })
    .unwrap()
}

/// A database with one item (with two parts and one label) and a second label.
fn setup(alias: &str) -> (Item, Label, Label) {
    backend::register(alias);
    clarion::migrate_using(alias).unwrap();
    let using = SaveOptions::new().using(alias);
    let mut item = Item {
        id: None,
        name: "item".into(),
    };
    item.save_with(using).unwrap();
    for _ in 0..2 {
        Part {
            id: None,
            item: ForeignKey::to(&item).unwrap(),
        }
        .save_with(using)
        .unwrap();
    }
    let mut labels = ["a", "b"].map(|name| Label {
        id: None,
        name: name.into(),
    });
    for label in &mut labels {
        label.save_with(using).unwrap();
    }
    item.tags().using(alias).add([&labels[0]]).unwrap();
    let [a, b] = labels;
    (item, a, b)
}

/// The operation that reaches `point`, on the set-up database.
fn operate(
    point: Point,
    alias: &str,
    item: &mut Item,
    a: &Label,
    b: &Label,
) -> clarion::Result<()> {
    let using = SaveOptions::new().using(alias);
    match point {
        Point::PreSave | Point::PostSave | Point::OnCommit => {
            item.name.push('!');
            item.save_with(using)
        }
        Point::PreDelete
        | Point::PostDelete
        | Point::CascadedPreDelete
        | Point::CascadedPostDelete => item.delete_using(alias).map(drop),
        Point::M2m(M2mAction::PreAdd | M2mAction::PostAdd) => item.tags().using(alias).add([b]),
        Point::M2m(M2mAction::PreRemove | M2mAction::PostRemove) => {
            item.tags().using(alias).remove([a])
        }
        Point::M2m(M2mAction::PreClear | M2mAction::PostClear) => item.tags().using(alias).clear(),
    }
}

const POINTS: [Point; 13] = [
    Point::PreSave,
    Point::PostSave,
    Point::PreDelete,
    Point::PostDelete,
    Point::CascadedPreDelete,
    Point::CascadedPostDelete,
    Point::M2m(M2mAction::PreAdd),
    Point::M2m(M2mAction::PostAdd),
    Point::M2m(M2mAction::PreRemove),
    Point::M2m(M2mAction::PostRemove),
    Point::M2m(M2mAction::PreClear),
    Point::M2m(M2mAction::PostClear),
    Point::OnCommit,
];

/// The receiver that runs at `point`, as errors name it.
fn receiver_name(point: Point) -> &'static str {
    match point {
        Point::PreSave => "item_pre_save",
        Point::PostSave => "item_post_save",
        Point::PreDelete => "item_pre_delete",
        Point::PostDelete => "item_post_delete",
        Point::CascadedPreDelete => "part_pre_delete",
        Point::CascadedPostDelete => "part_post_delete",
        Point::M2m(_) => "item_tags_changed",
        Point::OnCommit => "item_committed",
    }
}

fn check(point: Point, mode: Mode, inside_atomic: bool) {
    let alias = format!("rr_{point:?}_{mode:?}_{inside_atomic}")
        .replace(['(', ')'], "_")
        .to_lowercase();
    let alias = alias.as_str();
    let (mut item, a, b) = setup(alias);
    let before = contents(alias);

    plan(alias, point, mode);
    let result = if inside_atomic {
        // Inside the caller's transaction: the failure rolls the caller's block back too.
        db::atomic_using(alias, |_| operate(point, alias, &mut item, &a, &b))
    } else {
        operate(point, alias, &mut item, &a, &b)
    };
    clear_plan(alias);
    let error = result.expect_err("the planned failure is reported");
    let text = error.to_string();
    assert!(
        text.contains(receiver_name(point)),
        "{point:?} {mode:?}: the error names the receiver: {text}"
    );
    match mode {
        Mode::Error => assert!(text.contains("planned failure"), "{text}"),
        Mode::Panic => assert!(text.contains("planned panic"), "{text}"),
    }
    let after = contents(alias);
    if point == Point::OnCommit {
        // An after-commit receiver runs once the data is committed: the save stands, and its
        // failure is reported as `AfterCommit`.
        assert!(matches!(error, Error::AfterCommit { .. }), "{error:?}");
        assert_eq!(
            after["item"],
            [[
                Value::Int(item.id.unwrap()),
                Value::Text("item!".to_owned())
            ]]
        );
    } else {
        assert_eq!(after, before, "{point:?} {mode:?}: nothing half-written");
    }

    // The database is usable, and the same operation now succeeds.
    let (mut item, a, b) = {
        let item = Item::objects()
            .using(alias.to_owned())
            .filter(Item::ID.eq(item.id))
            .get()
            .unwrap();
        (item, a, b)
    };
    operate(point, alias, &mut item, &a, &b).expect("the operation succeeds once nothing fails");
    assert_ne!(contents(alias), after, "{point:?}: the retry wrote");
}

#[test]
fn every_point_fails_cleanly_by_error_and_by_panic_inside_and_outside_atomic() {
    let mut cases = 0;
    for point in POINTS {
        for mode in [Mode::Error, Mode::Panic] {
            for inside_atomic in [false, true] {
                check(point, mode, inside_atomic);
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 52);
    println!(
        "reliability: {cases} receiver failures ({} points x error/panic x inside/outside atomic): \
         each rolled back, named its receiver, and the retry succeeded",
        POINTS.len()
    );
}
