//! The expansion of `#[proxy]` is clean under the strictest lints a user may set, including a
//! crate that forbids unsafe code.

#![forbid(unsafe_code)]
#![deny(
    warnings,
    unused,
    missing_docs,
    rust_2018_idioms,
    unreachable_pub,
    clippy::all
)]

use clarion::prelude::*;

/// A model.
#[derive(Model, Debug)]
pub struct User {
    /// The key.
    pub id: Option<i64>,
    /// The name.
    pub name: String,
}

/// A public proxy.
#[proxy(of = User, ordering = User::NAME)]
#[derive(Debug)]
pub struct Staff;

/// A private proxy of a proxy.
#[proxy(of = Staff)]
struct Lead;

fn main() {
    let user = User { id: None, name: "ada".into() };
    let lead = Lead::from(Staff::from(user));
    assert_eq!(lead.name, "ada");
    assert!(Lead::META.is_proxy());
    let _ = Lead::objects();
}
