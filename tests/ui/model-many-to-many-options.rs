use clarion::prelude::*;

#[derive(Model)]
struct Tag {
    id: Option<i64>,
}

#[derive(Model)]
#[model(many_to_many(tags = Tag, throught = Tagging))]
struct Post {
    id: Option<i64>,
}

#[derive(Model)]
#[model(many_to_many(tags = Tag, through_fields = (page, tag)))]
struct Page {
    id: Option<i64>,
}

fn main() {}
