use clarion::prelude::*;

// Without a sender, too: a model signal's instance is a model, or `dyn Instance`.
#[receiver(pre_save)]
fn stamp(instance: &mut String) {
    instance.push('!');
}

fn main() {}
