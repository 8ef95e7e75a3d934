use clarion::Model;

#[derive(Model)]
pub struct Note {
    #[model(primary_key, auto_now_add)]
    pub created: chrono::NaiveDateTime,
}

fn main() {}
