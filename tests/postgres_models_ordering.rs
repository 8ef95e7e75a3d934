//! `tests/models_ordering.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_ordering.rs"]
pub mod models_ordering;
