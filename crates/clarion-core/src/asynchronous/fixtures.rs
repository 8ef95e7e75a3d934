//! The awaitable forms of fixture loading and dumping, re-exported by [`crate::fixtures`].

use std::path::Path;

use super::run::run;
use crate::Result;
use crate::db::DEFAULT_ALIAS;
use crate::fixtures::{Loaded, dump_using, load_file_using, load_using};

/// As [`load`](crate::fixtures::load), awaitable: loads a JSON fixture into the default
/// database, in one transaction, with `raw` saves.
pub async fn aload(json: &str) -> Result<Loaded> {
    aload_using(json, DEFAULT_ALIAS).await
}

/// As [`load_using`](crate::fixtures::load_using), awaitable.
pub async fn aload_using(json: &str, using: &str) -> Result<Loaded> {
    let (json, using) = (json.to_owned(), using.to_owned());
    run(move || load_using(&json, &using)).await
}

/// As [`load_file`](crate::fixtures::load_file), awaitable.
pub async fn aload_file(path: impl AsRef<Path>) -> Result<Loaded> {
    aload_file_using(path, DEFAULT_ALIAS).await
}

/// As [`load_file_using`](crate::fixtures::load_file_using), awaitable.
pub async fn aload_file_using(path: impl AsRef<Path>, using: &str) -> Result<Loaded> {
    let (path, using) = (path.as_ref().to_owned(), using.to_owned());
    run(move || load_file_using(&path, &using)).await
}

/// As [`dump`](crate::fixtures::dump), awaitable.
pub async fn adump(labels: &[&str]) -> Result<String> {
    adump_using(labels, DEFAULT_ALIAS).await
}

/// As [`dump_using`](crate::fixtures::dump_using), awaitable.
pub async fn adump_using(labels: &[&str], using: &str) -> Result<String> {
    let labels: Vec<String> = labels.iter().map(|&label| label.to_owned()).collect();
    let using = using.to_owned();
    run(move || {
        let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
        dump_using(&labels, &using)
    })
    .await
}
