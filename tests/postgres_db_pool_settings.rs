//! `tests/db_pool_settings.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "db_pool_settings.rs"]
pub mod db_pool_settings;
