//! `tests/models_get_or_create.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_get_or_create.rs"]
pub mod models_get_or_create;
