//! `tests/models_fixtures.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_fixtures.rs"]
pub mod models_fixtures;
