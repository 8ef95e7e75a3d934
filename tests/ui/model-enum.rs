use clarion::prelude::*;

#[derive(Model)]
enum Article {
    Draft { id: Option<i64> },
}

fn main() {}
