use clarion::prelude::*;

#[derive(Model)]
struct Article {
    title: String,
}

fn main() {}
