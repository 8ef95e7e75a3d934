use clarion::Model;

#[derive(Model)]
pub struct Note {
    pub id: Option<i64>,
    #[model(auto_now_add, default = chrono::DateTime::UNIX_EPOCH)]
    pub created: chrono::DateTime<chrono::Utc>,
}

fn main() {}
