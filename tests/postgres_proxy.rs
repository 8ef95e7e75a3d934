//! `tests/proxy.rs`, run on PostgreSQL (see `tests/support/backend.rs`).

#[path = "proxy.rs"]
pub mod proxy;
