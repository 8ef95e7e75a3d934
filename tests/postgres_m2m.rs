//! `tests/m2m.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "m2m.rs"]
pub mod m2m;
