//! `tests/relations.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "relations.rs"]
pub mod relations;
