//! `tests/models_manual.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_manual.rs"]
pub mod models_manual;
