//! `tests/reliability_input.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "reliability_input.rs"]
pub mod reliability_input;
