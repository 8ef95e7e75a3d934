use clarion::Model;

#[derive(Model)]
pub struct Note {
    pub id: Option<i64>,
    #[model(auto_now)]
    pub updated: String,
}

fn main() {}
