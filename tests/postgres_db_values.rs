//! `tests/db_values.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "db_values.rs"]
pub mod db_values;
