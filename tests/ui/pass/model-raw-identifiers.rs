//! Raw identifiers work as field names: the column, the field's name in `META` and its column
//! handle are the keyword itself.

use clarion::db::{self, Database};
use clarion::prelude::*;

#[derive(Model, Debug, PartialEq)]
struct r#Match {
    r#type: String,
    r#fn: bool,
    #[model(primary_key)]
    r#match: i64,
}

fn main() -> clarion::Result<()> {
    let meta = r#Match::META;
    assert_eq!(meta.name, "Match");
    assert_eq!(meta.table, "match");
    assert_eq!(meta.field_names().collect::<Vec<_>>(), ["type", "fn", "match"]);
    assert_eq!(meta.pk_field().column, "match");
    assert_eq!(r#Match::TYPE.index(), 0);
    assert_eq!(r#Match::FN.meta().name, "fn");
    assert_eq!(r#Match::MATCH.meta().column, "match");

    db::register(Database::open("sqlite::memory:")?);
    db::atomic(|tx| {
        tx.execute_batch(
            r#"CREATE TABLE "match" ("type" text NOT NULL, "fn" bool NOT NULL, "match" integer PRIMARY KEY)"#,
        )
    })?;
    let mut saved = r#Match {
        r#type: "loop".to_owned(),
        r#fn: true,
        r#match: 7,
    };
    saved.save()?;
    let mut loaded = r#Match {
        r#type: String::new(),
        r#fn: false,
        r#match: 7,
    };
    loaded.refresh_from_db()?;
    assert_eq!(loaded, saved);
    Ok(())
}
