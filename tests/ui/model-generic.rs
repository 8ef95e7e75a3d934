use clarion::prelude::*;

#[derive(Model)]
struct Article<T> {
    id: Option<i64>,
    body: T,
}

fn main() {}
