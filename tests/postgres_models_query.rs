//! `tests/models_query.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_query.rs"]
pub mod models_query;
