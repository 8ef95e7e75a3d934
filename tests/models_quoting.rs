//! Table and column names holding a `"`, which SQL quotes by doubling it: every statement
//! clarion writes (the tables, their indexes and foreign keys, the join tables, saves, queries,
//! deletes and many-to-many changes) names them correctly.

#[path = "support/memory_db.rs"]
mod memory_db;

use clarion::Value;
use clarion::db::{self, Backend};
use clarion::prelude::*;
use memory_db::{database, save};

/// An `index` field: the index's name is made of the table's and the column's.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "quoting", table = "pa\"rent")]
pub struct Parent {
    pub id: Option<i64>,
    #[model(index, db_column = "na\"me")]
    pub name: String,
}

/// A foreign key (indexed, and a constraint on PostgreSQL) and a many-to-many relation (a join
/// table named after this one, with indexes of its own).
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "quoting", table = "ch\"ild", many_to_many(labels = Label))]
pub struct Child {
    pub id: Option<i64>,
    #[model(on_delete = cascade, db_column = "own\"er_id")]
    pub owner: ForeignKey<Parent>,
    #[model(index, db_column = "ra\"nk")]
    pub rank: i64,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "quoting", table = "la\"bel")]
pub struct Label {
    pub id: Option<i64>,
    pub name: String,
}

/// The indexes of `table`, by name, as the database's catalogue lists them.
fn indexes(alias: &str, table: &str) -> Vec<String> {
    let sql = match memory_db::backend::backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
             AND sql IS NOT NULL ORDER BY name"
        }
        _ => {
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename = $1 AND indexname NOT LIKE '%pkey' ORDER BY indexname"
        }
    };
    db::atomic_using(alias, |tx| tx.query_values(sql, &[table.into()]))
        .unwrap()
        .into_iter()
        .map(|row| match row.as_slice() {
            [Value::Text(name)] => name.clone(),
            other => panic!("not an index name: {other:?}"),
        })
        .collect()
}

#[test]
fn names_with_a_double_quote_are_quoted_in_every_statement() {
    // `database` migrates: the tables, their indexes and constraints, the join table.
    let alias = database("quoting");
    assert!(indexes(alias, "pa\"rent")[0].starts_with("pa\"rent_na\"me_"));
    let child_indexes = indexes(alias, "ch\"ild");
    assert_eq!(child_indexes.len(), 2, "{child_indexes:?}");
    assert!(
        child_indexes
            .iter()
            .any(|i| i.starts_with("ch\"ild_own\"er_id_"))
    );
    assert!(
        child_indexes
            .iter()
            .any(|i| i.starts_with("ch\"ild_ra\"nk_"))
    );
    assert_eq!(indexes(alias, "ch\"ild_labels").len(), 2);
    // Again: every index exists, and is found by its name.
    assert!(clarion::migrate_using(alias).unwrap().created.is_empty());

    let ada = save(
        Parent {
            id: None,
            name: "Ada".into(),
        },
        alias,
    );
    let mut child = save(
        Child {
            id: None,
            owner: ForeignKey::to(&ada).unwrap(),
            rank: 3,
        },
        alias,
    );
    child.rank = 4;
    child
        .save_with(SaveOptions::new().using(alias).update_fields(&["rank"]))
        .unwrap();
    let read = Child::objects()
        .using(alias)
        .filter(Child::RANK.eq(4))
        .get()
        .unwrap();
    assert_eq!(read, child);
    assert_eq!(read.owner.get_using(alias).unwrap(), ada);

    let labels: Vec<Label> = ["a", "b"]
        .map(|name| {
            save(
                Label {
                    id: None,
                    name: name.into(),
                },
                alias,
            )
        })
        .into();
    child.labels().using(alias).add(&labels).unwrap();
    assert_eq!(
        child.labels().using(alias).keys().unwrap(),
        [Value::Int(1), Value::Int(2)]
    );
    assert_eq!(
        child.labels().using(alias).all().unwrap().count().unwrap(),
        2
    );
    // A key given explicitly moves PostgreSQL's sequence past it, naming the table and column.
    let given = save(
        Label {
            id: Some(10),
            name: "c".into(),
        },
        alias,
    );
    let next = save(
        Label {
            id: None,
            name: "d".into(),
        },
        alias,
    );
    assert_eq!((given.id, next.id), (Some(10), Some(11)));

    // The cascade deletes the child and its join rows.
    let deleted = Parent::objects().using(alias).delete().unwrap();
    assert_eq!(deleted.total, 4, "{deleted:?}");
    assert_eq!(Child::objects().using(alias).count().unwrap(), 0);
}
