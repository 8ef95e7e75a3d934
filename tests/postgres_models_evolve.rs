//! `tests/models_evolve.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_evolve.rs"]
pub mod models_evolve;
