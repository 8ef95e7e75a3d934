//! The link-time registry of models: every `#[derive(Model)]` in the binary, for `migrate()`,
//! fixtures and introspection.

use std::sync::{Once, OnceLock};

use super::signals::{ClassPrepared, class_prepared};
use super::{Model, ModelMeta};
use crate::db;
use crate::error::Result;
use crate::sender::Sender;
use crate::value::Value;

/// A model registered at link time by `#[derive(Model)]`; listed by [`models`].
pub struct ModelRegistration {
    meta: &'static ModelMeta,
    sender: fn() -> Sender,
    save_raw: fn(Vec<Value>, &str) -> Result<()>,
    all_rows: fn(&str) -> Result<Vec<Vec<Value>>>,
}

impl ModelRegistration {
    /// Not public API: what `#[derive(Model)]` submits.
    #[doc(hidden)]
    pub const fn __new<M: Model>() -> Self {
        ModelRegistration {
            meta: M::META,
            sender: M::sender,
            save_raw: save_raw::<M>,
            all_rows: all_rows::<M>,
        }
    }

    /// The model's description.
    pub fn meta(&self) -> &'static ModelMeta {
        self.meta
    }

    /// The sender its signals are sent by.
    pub fn sender(&self) -> Sender {
        (self.sender)()
    }

    /// Builds an instance from `values` (one per field, in order) and saves it with `raw = true`
    /// in the signals, as fixture loading does.
    pub(crate) fn save_raw(&self, values: Vec<Value>, using: &str) -> Result<()> {
        (self.save_raw)(values, using)
    }

    /// Every row of the model's table, ordered by primary key, as values in field order.
    pub(crate) fn all_rows(&self, using: &str) -> Result<Vec<Vec<Value>>> {
        (self.all_rows)(using)
    }
}

impl std::fmt::Debug for ModelRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ModelRegistration")
            .field(&self.meta.label)
            .finish()
    }
}

inventory::collect!(ModelRegistration);

fn save_raw<M: Model>(values: Vec<Value>, using: &str) -> Result<()> {
    let mut instance = M::__from_row(&values)?;
    instance.save_with(super::SaveOptions::new().using(using).raw())
}

fn all_rows<M: Model>(using: &str) -> Result<Vec<Vec<Value>>> {
    let meta = M::META;
    let sql = format!(
        "{} ORDER BY {}",
        meta.sql().select_all,
        super::sql::quote(meta.pk_field().column)
    );
    db::read_using(using, |tx| {
        tx.query_bound(
            &sql,
            |_| Ok(()),
            |row| {
                (0..meta.fields.len())
                    .map(|i| row.value(i).map(|v| v.to_owned()))
                    .collect()
            },
        )
    })
}

/// Every model linked into the binary, sorted by label.
///
/// The first call builds the registry and sends [`class_prepared`] once per model.
pub fn models() -> &'static [&'static ModelRegistration] {
    static MODELS: OnceLock<Vec<&'static ModelRegistration>> = OnceLock::new();
    static PREPARED: Once = Once::new();
    let models = MODELS.get_or_init(|| {
        let mut all: Vec<_> = inventory::iter::<ModelRegistration>.into_iter().collect();
        all.sort_by_key(|m| (m.meta.label, m.meta.table));
        all
    });
    // Outside the `OnceLock`, so that a `class_prepared` receiver may itself call `models()`.
    PREPARED.call_once(|| {
        for model in models {
            // Django raises from `class_prepared` at import; here a failing receiver cannot stop
            // the binary from having the model, so its error is reported and the rest go on.
            let outcomes = class_prepared
                .send_robust(model.sender(), &mut ClassPrepared { model: model.meta });
            for outcome in outcomes {
                if let Err(error) = outcome.result {
                    eprintln!("clarion: {error}");
                }
            }
        }
    });
    models
}

/// The registered model with this label (`app.model`, any case).
pub(crate) fn model_by_label(label: &str) -> Option<&'static ModelRegistration> {
    models()
        .iter()
        .copied()
        .find(|m| m.meta.label.eq_ignore_ascii_case(label))
}
