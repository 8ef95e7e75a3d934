use clarion::prelude::*;

#[derive(Model)]
struct Tag {
    id: Option<i64>,
}

// `symmetrical` on a relation to another model.
#[derive(Model)]
#[model(many_to_many(tags = Tag, symmetrical = true))]
struct Post {
    id: Option<i64>,
}

// Not a bool.
#[derive(Model)]
#[model(many_to_many(friends = Person, symmetrical = "yes"))]
struct Person {
    id: Option<i64>,
}

// Symmetrical through a model of the user's.
#[derive(Model)]
#[model(many_to_many(follows = Member, through = Follow, through_fields = (from_member, to_member), symmetrical = true))]
struct Member {
    id: Option<i64>,
}

#[derive(Model)]
struct Follow {
    id: Option<i64>,
    #[model(on_delete = cascade)]
    from_member: ForeignKey<Member>,
    #[model(on_delete = cascade)]
    to_member: ForeignKey<Member>,
}

fn main() {}
