use clarion::prelude::*;

#[derive(Model)]
pub struct Author {
    id: Option<i64>,
}

#[derive(Model)]
pub struct Post {
    id: Option<i64>,
}

// Only `Author`s are sent to this receiver: a `&Post` would never match.
#[receiver(post_save, sender = Author)]
fn on_saved(instance: &Post) {
    let _ = instance;
}

fn main() {}
