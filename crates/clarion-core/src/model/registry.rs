//! The link-time registry of models: every `#[derive(Model)]` in the binary, for `migrate()`,
//! fixtures and introspection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::thread::ThreadId;

use super::signals::{ClassPrepared, class_prepared};
use super::{Instance, Model, ModelMeta};
use crate::db::{self, Transaction};
use crate::error::{Error, Result};
use crate::sender::Sender;
use crate::value::Value;

/// A model registered at link time by `#[derive(Model)]`; listed by [`models`].
pub struct ModelRegistration {
    meta: &'static ModelMeta,
    sender: fn() -> Sender,
    save_values: SaveValues,
    all_rows: fn(&str) -> Result<Vec<Vec<Value>>>,
    load_where: LoadWhere,
}

type SaveValues = fn(Vec<Value>, &str, bool) -> Result<Box<dyn Instance>>;
type LoadWhere = fn(&Transaction, &'static str, &[Value], &str) -> Result<Vec<Box<dyn Instance>>>;

impl ModelRegistration {
    /// Not public API: what `#[derive(Model)]` submits.
    #[doc(hidden)]
    pub const fn __new<M: Model>() -> Self {
        ModelRegistration {
            meta: M::META,
            sender: M::sender,
            save_values: save_values::<M>,
            all_rows: all_rows::<M>,
            load_where: load_where::<M>,
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

    /// Builds an instance from `values` (one per field, in order) and saves it, with `raw` in
    /// the signals (`true` as fixture loading does); returns it, with its key.
    pub(crate) fn save_values(
        &self,
        values: Vec<Value>,
        using: &str,
        raw: bool,
    ) -> Result<Box<dyn Instance>> {
        (self.save_values)(values, using, raw)
    }

    /// Loads the rows whose `column` holds one of `keys`, in `tx`, sending `post_init` for each.
    pub(crate) fn load_where(
        &self,
        tx: &Transaction,
        column: &'static str,
        keys: &[Value],
        using: &str,
    ) -> Result<Vec<Box<dyn Instance>>> {
        (self.load_where)(tx, column, keys, using)
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

fn save_values<M: Model>(values: Vec<Value>, using: &str, raw: bool) -> Result<Box<dyn Instance>> {
    let mut instance = M::__from_row(&values)?;
    let options = super::SaveOptions::new().using(using);
    instance.save_with(options.raw(raw))?;
    Ok(Box::new(instance))
}

fn load_where<M: Model>(
    tx: &Transaction,
    column: &'static str,
    keys: &[Value],
    using: &str,
) -> Result<Vec<Box<dyn Instance>>> {
    let meta = M::META;
    let mut out: Vec<Box<dyn Instance>> = Vec::new();
    for chunk in keys.chunks(super::collector::CHUNK) {
        let sql = format!(
            "{} WHERE {} IN ({})",
            meta.sql(tx.backend()).select_all,
            super::sql::quote(column),
            tx.backend().placeholders(1, chunk.len())
        );
        let rows = tx.query_bound(
            &sql,
            |binder| chunk.iter().try_for_each(|key| binder.bind(key.as_ref())),
            M::__from_row,
        )?;
        for mut instance in rows {
            super::loaded(&mut instance, using)?;
            out.push(Box::new(instance));
        }
    }
    Ok(out)
}

fn all_rows<M: Model>(using: &str) -> Result<Vec<Vec<Value>>> {
    let meta = M::META;
    db::read_using(using, |tx| {
        let sql = format!(
            "{} ORDER BY {}",
            meta.sql(tx.backend()).select_all,
            super::sql::quote(meta.pk_field().column)
        );
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
/// The first call builds the registry and sends [`class_prepared`] once per model; every call
/// returns once that is done. A `class_prepared` receiver may itself reach the registry (call
/// `models()`, save, delete, migrate): on the thread that is sending the signal, such a call
/// returns the registry at once, while the remaining models are still being announced. Another
/// thread waits until every model has been announced, so a receiver must not wait for another
/// thread that uses the registry.
pub fn models() -> &'static [&'static ModelRegistration] {
    let models = &registry().models;
    PREPARED.announce(models);
    models
}

/// The models, sorted, and the first two mapped to one table, found as the registry is built.
struct Registry {
    models: Vec<&'static ModelRegistration>,
    clash: Option<Error>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut models: Vec<_> = inventory::iter::<ModelRegistration>.into_iter().collect();
        models.sort_by_key(|m| (m.meta.label, m.meta.table));
        let clash = table_clash(&models);
        Registry { models, clash }
    })
}

/// [`Error::DuplicateTable`] if two models (or a model and a join table) are mapped to one
/// table; `migrate()` checks it before creating anything.
pub(crate) fn check_tables() -> Result<()> {
    match &registry().clash {
        Some(Error::DuplicateTable {
            table,
            first,
            second,
        }) => Err(Error::DuplicateTable {
            table,
            first,
            second,
        }),
        _ => Ok(()),
    }
}

/// The first two tables of `models` with the same name (SQLite's names are case-insensitive):
/// each model's own (a proxy has none), and each join table clarion creates for a relation.
fn table_clash(models: &[&'static ModelRegistration]) -> Option<Error> {
    let mut owners: HashMap<String, &'static str> = HashMap::new();
    let tables = models
        .iter()
        .map(|model| model.meta)
        .filter(|meta| !meta.is_proxy())
        .flat_map(|meta| {
            let joins = meta
                .many_to_many()
                .iter()
                .filter(|relation| relation.through().is_none())
                .map(|relation| (relation.table(), relation.label));
            std::iter::once((meta.table, meta.label)).chain(joins)
        });
    for (table, label) in tables {
        // The same label twice is one model declared twice alike (as separate doctests merged
        // into one binary are): one table fits both.
        if let Some(first) = owners.insert(table.to_ascii_lowercase(), label)
            && first != label
        {
            return Some(Error::DuplicateTable {
                table,
                first,
                second: label,
            });
        }
    }
    None
}

/// Whether [`class_prepared`] has been sent for every model. Not a `Once`: a receiver that
/// reaches the registry re-enters it on the same thread, which a `Once` answers with a deadlock
/// (or, as its documentation allows, a panic).
struct Prepared {
    done: AtomicBool,
    state: Mutex<Announcing>,
    finished: Condvar,
}

enum Announcing {
    NotYet,
    By(ThreadId),
    Done,
}

static PREPARED: Prepared = Prepared {
    done: AtomicBool::new(false),
    state: Mutex::new(Announcing::NotYet),
    finished: Condvar::new(),
};

impl Prepared {
    fn announce(&self, models: &[&'static ModelRegistration]) {
        if self.done.load(Ordering::Acquire) {
            return;
        }
        let me = std::thread::current().id();
        // A receiver that panicked while the lock was held cannot have left the state
        // inconsistent: every change to it is a single assignment.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match *state {
                Announcing::Done => return,
                Announcing::By(thread) if thread == me => return,
                Announcing::By(_) => {
                    state = self
                        .finished
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Announcing::NotYet => break,
            }
        }
        *state = Announcing::By(me);
        drop(state);
        // Marks the announcement done even if sending unwinds, so that no thread waits forever.
        struct Finish<'p>(&'p Prepared);
        impl Drop for Finish<'_> {
            fn drop(&mut self) {
                *self.0.state.lock().unwrap_or_else(PoisonError::into_inner) = Announcing::Done;
                self.0.done.store(true, Ordering::Release);
                self.0.finished.notify_all();
            }
        }
        let _finish = Finish(self);
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
    }
}

/// The registered model with this label (`app.model`, any case).
pub(crate) fn model_by_label(label: &str) -> Option<&'static ModelRegistration> {
    models()
        .iter()
        .copied()
        .find(|m| m.meta.label.eq_ignore_ascii_case(label))
}
