use clarion::Model;

#[derive(Model)]
pub struct Note {
    pub id: Option<i64>,
    #[model(auto_now, auto_now_add)]
    pub stamped: chrono::DateTime<chrono::Utc>,
}

fn main() {}
