//! `tests/models_derive.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_derive.rs"]
pub mod models_derive;
