//! `db_column` names the column while the field keeps its name; `table` and `app_label` name
//! the table and the label.

use clarion::db::{self, Database};
use clarion::prelude::*;

#[derive(Model, Debug, PartialEq)]
#[model(table = "legacy_people", app_label = "crm")]
struct Person {
    #[model(db_column = "person_id")]
    id: Option<i64>,
    #[model(db_column = "FullName", max_length = 100)]
    name: String,
}

fn main() -> clarion::Result<()> {
    let meta = Person::META;
    assert_eq!(meta.label, "crm.person");
    assert_eq!(meta.table, "legacy_people");
    assert_eq!(meta.field_names().collect::<Vec<_>>(), ["id", "name"]);
    assert_eq!(meta.fields[0].column, "person_id");
    assert!(meta.fields[0].auto);
    assert_eq!(Person::NAME.meta().column, "FullName");

    db::register(Database::open("sqlite::memory:")?);
    db::atomic(|tx| {
        tx.execute_batch(
            "CREATE TABLE legacy_people (person_id integer PRIMARY KEY AUTOINCREMENT, \
             FullName varchar(100) NOT NULL)",
        )
    })?;
    let mut ada = Person {
        id: None,
        name: "Ada".to_owned(),
    };
    ada.save()?;
    assert_eq!(ada.id, Some(1));
    let stored: String = db::atomic(|tx| {
        tx.query_row("SELECT FullName FROM legacy_people WHERE person_id = 1", (), |row| {
            row.get(0)
        })
    })?;
    assert_eq!(stored, "Ada");
    Ok(())
}
