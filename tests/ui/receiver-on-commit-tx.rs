use clarion::db::Transaction;
use clarion::prelude::*;

struct User;

// After the commit there is no transaction to write in.
#[receiver(post_save, sender = User, on = commit)]
fn welcome(created: bool, tx: &Transaction) {}

fn main() {}
