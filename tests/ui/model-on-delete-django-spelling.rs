use clarion::prelude::*;

#[derive(Model)]
struct Author {
    id: Option<i64>,
}

// Django writes `on_delete=models.CASCADE`; the rule's name here is `cascade`.
#[derive(Model)]
struct Book {
    id: Option<i64>,
    #[model(on_delete = CASCADE)]
    author: ForeignKey<Author>,
    #[model(on_delete = OnDelete::Protect)]
    editor: ForeignKey<Author>,
}

fn main() {}
