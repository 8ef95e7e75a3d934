//! Two models mapped to one table: `migrate()` refuses, naming both, before it creates anything.
//! A binary of its own: every `migrate()` in it sees the clash.

use clarion::db::{self, Database};
use clarion::prelude::*;
use clarion::{Error, Value};

#[allow(missing_docs)]
#[derive(Model, Debug)]
#[model(app_label = "accounts", table = "user")]
pub struct User {
    pub id: Option<i64>,
    pub username: String,
}

/// Meant to be another model, but given the same table: its saves would fail on the columns the
/// first created.
#[allow(missing_docs)]
#[derive(Model, Debug)]
#[model(app_label = "legacy", table = "USER")]
pub struct Member {
    pub id: Option<i64>,
    pub email: String,
}

#[test]
fn migrate_names_both_models_mapped_to_one_table() {
    db::register(Database::open_as("duplicate", "sqlite::memory:").unwrap());
    let error = clarion::migrate_using("duplicate").unwrap_err();
    match &error {
        Error::DuplicateTable {
            table,
            first,
            second,
        } => {
            assert_eq!(*first, "accounts.user");
            assert_eq!(*second, "legacy.member");
            assert_eq!(*table, "USER");
        }
        other => panic!("expected DuplicateTable, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains("`accounts.user` and `legacy.member`")
            && message.contains("#[model(table = "),
        "{message}"
    );
    // Nothing was created: the clash is reported before the migration starts.
    let created = db::atomic_using("duplicate", |tx| {
        tx.query_values(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            &[],
        )
    })
    .unwrap();
    assert_eq!(created, [[Value::Int(0)]]);
    // And again on a second call: the registry is built once.
    assert!(matches!(
        clarion::migrate(),
        Err(Error::DuplicateTable { .. })
    ));
}
