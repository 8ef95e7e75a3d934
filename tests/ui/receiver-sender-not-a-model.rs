use clarion::prelude::*;

// Forgot `#[derive(Model)]`: no model named `Author` is ever saved.
struct Author {
    id: Option<i64>,
}

#[receiver(post_save, sender = Author)]
fn on_author_saved(created: bool) {
    let _ = created;
}

fn main() {}
