//! `tests/observability.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "observability.rs"]
pub mod observability;
