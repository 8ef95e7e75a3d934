use clarion::prelude::*;

struct User;

// A `pre_*` receiver can veto the write; it cannot wait for the commit.
#[receiver(pre_save, sender = User, on = commit)]
fn too_late(created: bool) {}

fn main() {}
