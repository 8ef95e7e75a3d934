//! `tests/reliability_concurrency.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "reliability_concurrency.rs"]
pub mod reliability_concurrency;
