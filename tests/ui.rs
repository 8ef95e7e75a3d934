//! Compile-fail and compile-pass tests of `#[receiver]`, `#[derive(SignalArgs)]` and `signal!`.
//!
//! Each `tests/ui/<macro>-<mistake>.rs` must fail to compile with exactly the error in its
//! `.stderr` snapshot; each `tests/ui/pass/*.rs` must compile and run. The snapshots depend on the
//! rustc release pinned in `rust-toolchain.toml`; after a deliberate change to a message, refresh
//! them with `TRYBUILD=overwrite cargo test --test ui` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
