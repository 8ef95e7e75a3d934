//! `tests/models_migrate.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_migrate.rs"]
pub mod models_migrate;
