//! `tests/models_quoting.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_quoting.rs"]
pub mod models_quoting;
