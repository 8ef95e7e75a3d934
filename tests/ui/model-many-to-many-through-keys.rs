use clarion::prelude::*;

#[derive(Model)]
struct Tag {
    id: Option<i64>,
}

#[derive(Model)]
struct Other {
    id: Option<i64>,
}

// `Tagging` has no key named `post`, and its `tag` points at another model.
#[derive(Model)]
#[model(many_to_many(tags = Tag, through = Tagging))]
struct Post {
    id: Option<i64>,
}

#[derive(Model)]
struct Tagging {
    id: Option<i64>,
    #[model(on_delete = cascade)]
    article: ForeignKey<Post>,
    #[model(on_delete = cascade)]
    tag: ForeignKey<Other>,
}

fn main() {}
