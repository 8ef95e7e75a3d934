use clarion::prelude::*;

#[derive(Model)]
pub struct Tag {
    id: Option<i64>,
}

#[derive(Model)]
#[model(many_to_many(tags = Tag))]
pub struct Post {
    id: Option<i64>,
}

// A relation is not saved as a model: its changes are sent as `m2m_changed`.
#[receiver(post_save, sender = PostTags)]
fn tagged(created: bool) {
    let _ = created;
}

fn main() {}
