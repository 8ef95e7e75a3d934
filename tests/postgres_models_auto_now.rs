//! `tests/models_auto_now.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_auto_now.rs"]
pub mod models_auto_now;
