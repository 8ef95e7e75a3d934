use clarion::prelude::*;

#[derive(Model)]
struct Tag {
    id: Option<i64>,
}

#[derive(Model)]
#[model(many_to_many = Tag)]
struct Post {
    id: Option<i64>,
}

#[derive(Model)]
#[model(many_to_many(tags))]
struct Page {
    id: Option<i64>,
}

fn main() {}
