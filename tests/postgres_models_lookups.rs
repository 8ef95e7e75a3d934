//! `tests/models_lookups.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_lookups.rs"]
pub mod models_lookups;
