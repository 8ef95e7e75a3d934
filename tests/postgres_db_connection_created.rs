//! `tests/db_connection_created.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "db_connection_created.rs"]
pub mod db_connection_created;
