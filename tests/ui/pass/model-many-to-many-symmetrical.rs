//! `symmetrical` spelled out: `false` on a relation of a model to itself (with or without a
//! `through` model), `true` where it is the default anyway.
use clarion::prelude::*;

#[derive(Model)]
#[model(
    many_to_many(friends = Person, symmetrical = true),
    many_to_many(idols = Person, symmetrical = false),
    many_to_many(blocks = Person, through = Block, through_fields = (from_person, to_person), symmetrical = false),
    many_to_many(knows = Person)
)]
struct Person {
    id: Option<i64>,
}

#[derive(Model)]
struct Block {
    id: Option<i64>,
    #[model(on_delete = cascade)]
    from_person: ForeignKey<Person>,
    #[model(on_delete = cascade)]
    to_person: ForeignKey<Person>,
}

fn main() {
    let symmetrical: Vec<(&str, bool)> = Person::META
        .many_to_many()
        .iter()
        .map(|relation| (relation.name, relation.symmetrical()))
        .collect();
    assert_eq!(
        symmetrical,
        [("friends", true), ("idols", false), ("blocks", false), ("knows", true)]
    );
}
