use clarion::prelude::*;

struct User;

// A model signal's instance is a model, or `dyn Instance`.
#[receiver(post_save, sender = User)]
fn greet(instance: &String) {}

fn main() {}
