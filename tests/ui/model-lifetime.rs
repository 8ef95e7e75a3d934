use clarion::prelude::*;

#[derive(Model)]
struct Article<'a> {
    id: Option<i64>,
    title: &'a str,
}

fn main() {}
