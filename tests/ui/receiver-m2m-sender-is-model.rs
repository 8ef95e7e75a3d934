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

// `m2m_changed` is sent by the relation, `PostTags`, not by the model.
#[receiver(m2m_changed, sender = Post)]
fn tagged(action: M2mAction) {
    let _ = action;
}

fn main() {}
