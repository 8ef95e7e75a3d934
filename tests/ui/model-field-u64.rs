use clarion::prelude::*;

#[derive(Model)]
struct Counter {
    id: Option<i64>,
    hits: u64,
}

fn main() {}
