// A model with a mistake still implements `Model` and has its column handles, so the code that
// uses it reports nothing more: the one error is the mistake.

use clarion::prelude::*;

#[derive(Model)]
#[model(tabel = "articles")]
pub struct Article {
    pub id: Option<i64>,
    pub title: String,
}

#[receiver(post_save, sender = Article)]
fn on_save(instance: &Article) {
    let _ = instance.title.len();
}

fn main() {
    let mut article = Article { id: None, title: String::new() };
    let _ = article.save();
    let _ = Article::TITLE.index();
    let _ = Article::objects();
}
