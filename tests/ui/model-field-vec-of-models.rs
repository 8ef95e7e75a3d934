use clarion::prelude::*;

#[derive(Model)]
struct Tag {
    id: Option<i64>,
}

// A list of related models is a many-to-many relation, not a field.
#[derive(Model)]
struct Post {
    id: Option<i64>,
    tags: Vec<Tag>,
}

fn main() {}
