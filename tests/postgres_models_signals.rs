//! `tests/models_signals.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_signals.rs"]
pub mod models_signals;
