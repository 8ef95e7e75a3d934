use clarion::prelude::*;

#[derive(Model)]
#[model(many_to_many(follows = Person, through = Follow))]
struct Person {
    id: Option<i64>,
}

#[derive(Model)]
struct Follow {
    id: Option<i64>,
    #[model(on_delete = cascade)]
    from_person: ForeignKey<Person>,
    #[model(on_delete = cascade)]
    to_person: ForeignKey<Person>,
}

fn main() {}
