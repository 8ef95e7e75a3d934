//! `tests/db_atomic.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "db_atomic.rs"]
pub mod db_atomic;
