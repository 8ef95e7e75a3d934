use clarion::prelude::*;

struct Tag;

#[derive(Model)]
#[model(many_to_many(tags = Tag))]
struct Post {
    id: Option<i64>,
}

fn main() {}
