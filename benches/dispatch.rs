//! Placeholder until the dispatch benchmark lands.
fn main() {}
