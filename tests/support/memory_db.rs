// Fresh databases for tests that give each case its own alias (link-time receivers are
// global to a test binary and its tests run in parallel), and saving on them. On the binary's
// backend (see `backend.rs`): in memory on SQLite, a schema of its own on PostgreSQL.

use clarion::Model;
use clarion::models::SaveOptions;

#[path = "backend.rs"]
pub(crate) mod backend;

/// Registers a fresh database as `alias`, with every linked model's table.
pub(crate) fn database(alias: &str) -> &str {
    backend::register(alias);
    clarion::migrate_using(alias).unwrap();
    alias
}

/// Saves `instance` on `alias` and returns it, with its key.
#[allow(dead_code)]
pub(crate) fn save<M: Model>(mut instance: M, alias: &str) -> M {
    instance.save_with(SaveOptions::new().using(alias)).unwrap();
    instance
}
