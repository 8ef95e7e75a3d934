//! `tests/reliability_receivers.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "reliability_receivers.rs"]
pub mod reliability_receivers;
