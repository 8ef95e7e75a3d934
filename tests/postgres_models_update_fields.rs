//! `tests/models_update_fields.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "models_update_fields.rs"]
pub mod models_update_fields;
