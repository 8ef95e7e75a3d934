// In-memory databases for tests that give each case its own alias (link-time receivers are
// global to a test binary and its tests run in parallel), and saving on them.

use clarion::Model;
use clarion::db::{self, Database};
use clarion::models::SaveOptions;

/// Registers a fresh in-memory database as `alias`, with every linked model's table.
pub(crate) fn database(alias: &str) -> &str {
    db::register(Database::open_as(alias, "sqlite::memory:").unwrap());
    clarion::migrate_using(alias).unwrap();
    alias
}

/// Saves `instance` on `alias` and returns it, with its key.
#[allow(dead_code)]
pub(crate) fn save<M: Model>(mut instance: M, alias: &str) -> M {
    instance.save_with(SaveOptions::new().using(alias)).unwrap();
    instance
}
