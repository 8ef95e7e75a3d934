use clarion::prelude::*;

#[derive(Model)]
pub struct User {
    id: Option<i64>,
}

// A model signal's instance is a model, or `dyn Instance`.
#[receiver(post_save, sender = User)]
fn greet(instance: &String) {
    let _ = instance;
}

fn main() {}
