use clarion::prelude::*;

#[derive(Model)]
struct Author {
    id: Option<i64>,
    name: String,
}

// The default ordering names a column of another model.
#[derive(Model)]
#[model(ordering = Author::NAME)]
struct Post {
    id: Option<i64>,
    title: String,
}

// `ordering` without a value.
#[derive(Model)]
#[model(ordering)]
struct Page {
    id: Option<i64>,
}

fn main() {}
