//! `tests/models_serde.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_serde.rs"]
pub mod models_serde;
