use clarion::prelude::*;

#[derive(Model)]
struct Tag {
    id: Option<i64>,
}

#[derive(Model)]
#[model(many_to_many(title = Tag), many_to_many(tags = Tag), many_to_many(tags = Tag))]
struct Post {
    id: Option<i64>,
    title: String,
}

fn main() {}
