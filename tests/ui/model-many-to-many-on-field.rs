use clarion::prelude::*;

#[derive(Model)]
struct Tag {
    id: Option<i64>,
}

#[derive(Model)]
struct Post {
    id: Option<i64>,
    #[model(many_to_many(tags = Tag))]
    title: String,
}

fn main() {}
