//! `tests/async_models.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "async_models.rs"]
pub mod async_models;
