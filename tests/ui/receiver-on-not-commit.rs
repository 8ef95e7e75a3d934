use clarion::prelude::*;

struct User;

#[receiver(post_save, sender = User, on = rollback)]
fn undo(created: bool) {}

fn main() {}
