use clarion::prelude::*;

#[derive(Model)]
struct Article
where
    i64: Copy,
{
    id: Option<i64>,
}

fn main() {}
