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

// The relation's type is `PostTags`: a misspelt relation does not compile.
#[receiver(m2m_changed, sender = PostTag)]
fn tagged(action: M2mAction) {
    let _ = action;
}

fn main() {}
