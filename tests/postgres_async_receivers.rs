//! `tests/async_receivers.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "async_receivers.rs"]
pub mod async_receivers;
