//! Deletes with cascades, in the order Django's `Collector` gives them.
//!
//! 1. **Collect.** From the rows being deleted, follow every foreign key that points at their
//!    model: `cascade` loads the rows that point at them (sending `post_init`) and collects
//!    those in turn; `protect` notes them; `set_null`/`set_default` note an `UPDATE`;
//!    `do_nothing` does nothing. A model whose rows nobody listens to (no `pre_delete`,
//!    `post_delete` or `post_init` receiver, sender-less ones included) and that nothing
//!    cascades from is deleted by one `DELETE … WHERE key IN (…)` instead of being loaded: a
//!    *fast delete*. The rows of an auto-created many-to-many join table always are.
//! 2. A protected row stops everything: [`Error::Protected`], nothing deleted, no signal sent.
//! 3. **Order.** Models sorted so that a model comes after the models whose rows point at it;
//!    within a model, rows by ascending primary key.
//! 4. `pre_delete` for every collected row; the fast deletes; the `UPDATE`s; then per model its
//!    rows' `DELETE`s and `post_delete` for each, by descending primary key.

use std::cmp::Ordering;
use std::collections::HashSet;

use super::m2m;
use super::origin::DeleteOrigin;
use super::relation::{Incoming, OnDelete, incoming};
use super::signals::{Delete, post_delete, post_init, pre_delete};
use super::{Deleted, Instance, InstanceMut, ModelMeta, sql};
use crate::db::Transaction;
use crate::error::{Error, Result};
use crate::sender::Sender;
use crate::signal::Signal;
use crate::value::{Value, ValueKey};

/// How many keys one `… IN (…)` binds: well under SQLite's limit of 32766 parameters.
pub(crate) const CHUNK: usize = 500;

/// Whether deleting rows of `meta` touches nothing but its own table: no foreign key that does
/// something points at it, and no many-to-many relation joins it.
pub(crate) fn deletes_alone(meta: &'static ModelMeta) -> bool {
    meta.deletes_alone(|| {
        incoming(meta)
            .iter()
            .all(|i| i.on_delete == OnDelete::DoNothing)
            && m2m::joins_of(meta).is_empty()
    })
}

/// Whether nothing observes the deletion of `sender`'s rows, so that they may go by one
/// `DELETE` without being loaded.
pub(crate) fn unobserved(sender: &Sender) -> bool {
    pre_delete.surely_unheard(sender)
        && post_delete.surely_unheard(sender)
        && post_init.surely_unheard(sender)
}

/// A collected row: one the caller gave, or one loaded by a cascade.
enum Item<'r> {
    Given(&'r mut dyn Instance),
    Loaded(Box<dyn Instance>),
}

impl Item<'_> {
    fn get(&self) -> &dyn Instance {
        match self {
            Item::Given(instance) => &**instance,
            Item::Loaded(instance) => &**instance,
        }
    }

    fn get_mut(&mut self) -> &mut dyn Instance {
        match self {
            Item::Given(instance) => &mut **instance,
            Item::Loaded(instance) => &mut **instance,
        }
    }
}

/// The collected rows of one model.
struct Group<'r> {
    meta: &'static ModelMeta,
    sender: Sender,
    items: Vec<Item<'r>>,
}

/// A statement on the rows of a table whose `column` holds one of `keys`.
struct Bulk {
    label: &'static str,
    table: &'static str,
    column: &'static str,
    /// The value to set, for an `UPDATE`; `None` for a `DELETE`.
    set: Option<Value>,
    keys: Vec<Value>,
}

/// Rows whose incoming relations are being followed: the relations of `meta` before `next` have
/// been.
struct Frame {
    meta: &'static ModelMeta,
    keys: Vec<Value>,
    next: usize,
}

struct Collector<'r, 'u> {
    tx: &'r Transaction,
    using: &'u str,
    groups: Vec<Group<'r>>,
    /// `(concrete model, key)` of every collected row.
    seen: HashSet<(usize, ValueKey)>,
    /// `(a, b)`: the rows of concrete model `b` go before those of `a`. A set: a chain of rows
    /// of one model notes the same pair once per level.
    dependencies: HashSet<(usize, usize)>,
    fast_deletes: Vec<Bulk>,
    updates: Vec<Bulk>,
    /// `(relation, label, key)` of each protecting row.
    protected: Vec<(String, &'static str, Value)>,
}

/// Deletes `given` (rows of the model `meta`, sent by `sender`) and everything that cascades
/// from them, inside `tx`.
pub(crate) fn delete_collected(
    given: Vec<&mut dyn Instance>,
    meta: &'static ModelMeta,
    sender: Sender,
    tx: &Transaction,
    using: &str,
    origin: &DeleteOrigin,
) -> Result<Deleted> {
    let mut collector = Collector {
        tx,
        using,
        groups: Vec::new(),
        seen: HashSet::new(),
        dependencies: HashSet::new(),
        fast_deletes: Vec::new(),
        updates: Vec::new(),
        protected: Vec::new(),
    };
    let concrete = address(meta.concrete_model());
    let mut keys = Vec::with_capacity(given.len());
    let mut items = Vec::with_capacity(given.len());
    for instance in given {
        let key = instance.pk();
        if collector.seen.insert((concrete, ValueKey::of(&key))) {
            keys.push(key);
            items.push(Item::Given(instance));
        }
    }
    collector.groups.push(Group {
        meta,
        sender,
        items,
    });
    collector.collect(meta, keys)?;
    if !collector.protected.is_empty() {
        return Err(collector.protected_error(meta));
    }
    collector.delete(origin)
}

impl<'r> Collector<'r, '_> {
    /// Follows the relations that point at the rows of `meta` with these `keys`, and from the
    /// rows a cascade loads, the relations that point at those, depth first as Django's
    /// `Collector.collect` recurses. The recursion is a stack of frames on the heap: a chain of
    /// rows that cascade into each other is as deep as the chain is long (a self-referencing
    /// tree), and a thread's stack (2 MiB for a spawned thread or a tokio worker) would overflow
    /// after a few thousand levels.
    fn collect(&mut self, meta: &'static ModelMeta, keys: Vec<Value>) -> Result<()> {
        let mut stack = vec![Frame {
            meta,
            keys,
            next: 0,
        }];
        while let Some(frame) = stack.last_mut() {
            let relations = incoming(frame.meta);
            if frame.keys.is_empty() || frame.next == relations.len() {
                let frame = stack.pop().expect("the loop holds a frame");
                if !frame.keys.is_empty() {
                    self.delete_joins(frame.meta, frame.keys);
                }
                continue;
            }
            let relation = &relations[frame.next];
            frame.next += 1;
            let (target, keys) = (frame.meta, &frame.keys);
            match relation.on_delete {
                OnDelete::DoNothing => {}
                OnDelete::Protect => {
                    for key in self.keys_where(relation, keys)? {
                        let source = relation.meta();
                        self.protected.push((
                            format!("{}.{}", source.label, source.fields[relation.field].name),
                            source.label,
                            key,
                        ));
                    }
                }
                OnDelete::SetNull | OnDelete::SetDefault => {
                    let source = relation.meta();
                    let field = &source.fields[relation.field];
                    let value = match (relation.on_delete, field.default) {
                        (OnDelete::SetDefault, Some(default)) => default(),
                        (OnDelete::SetDefault, None) => {
                            return Err(Error::msg(format!(
                                "`{}.{}` is `on_delete = set_default` but has no `default`",
                                source.label, field.name
                            )));
                        }
                        _ => Value::Null,
                    };
                    self.updates.push(Bulk {
                        label: source.label,
                        table: source.table,
                        column: field.column,
                        set: Some(value),
                        keys: keys.clone(),
                    });
                }
                OnDelete::Cascade => {
                    if let Some(next) = self.cascade(target, relation, keys)? {
                        stack.push(next);
                    }
                }
            }
        }
        Ok(())
    }

    /// The rows of the join tables of `meta`'s many-to-many relations that hold these `keys`.
    fn delete_joins(&mut self, meta: &'static ModelMeta, keys: Vec<Value>) {
        for join in m2m::joins_of(meta) {
            self.fast_deletes.push(Bulk {
                label: join.relation.label,
                table: join.relation.table(),
                column: join.column,
                set: None,
                keys: keys.clone(),
            });
        }
    }

    /// Follows a `cascade` relation from the rows of `target` with these `keys`: either notes
    /// one `DELETE` of the source's rows, or loads them and returns the frame that collects
    /// from them in turn.
    fn cascade(
        &mut self,
        target: &'static ModelMeta,
        relation: &Incoming,
        keys: &[Value],
    ) -> Result<Option<Frame>> {
        let source = relation.meta();
        let sender = relation.source.sender();
        if deletes_alone(source) && unobserved(&sender) {
            self.fast_deletes.push(Bulk {
                label: source.label,
                table: source.table,
                column: relation.column(),
                set: None,
                keys: keys.to_vec(),
            });
            return Ok(None);
        }
        let loaded = relation
            .source
            .load_where(self.tx, relation.column(), keys, self.using)?;
        if loaded.is_empty() {
            return Ok(None);
        }
        // The source's rows must go before the target's.
        self.dependencies
            .insert((address(target.concrete_model()), address(source)));
        let concrete = address(source);
        let mut new_keys = Vec::new();
        let mut new_items = Vec::new();
        for instance in loaded {
            let key = instance.pk();
            if self.seen.insert((concrete, ValueKey::of(&key))) {
                new_keys.push(key);
                new_items.push(Item::Loaded(instance));
            }
        }
        match self
            .groups
            .iter_mut()
            .find(|g| std::ptr::eq(g.meta, source))
        {
            Some(group) => group.items.extend(new_items),
            None => self.groups.push(Group {
                meta: source,
                sender,
                items: new_items,
            }),
        }
        Ok(Some(Frame {
            meta: source,
            keys: new_keys,
            next: 0,
        }))
    }

    /// The primary keys of the rows of `relation`'s model whose key is one of `keys`.
    fn keys_where(&self, relation: &Incoming, keys: &[Value]) -> Result<Vec<Value>> {
        let source = relation.meta();
        let mut found = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT {} FROM {} WHERE {} IN ({}) ORDER BY 1",
                sql::quote(source.pk_field().column),
                sql::quote(source.table),
                sql::quote(relation.column()),
                self.tx.backend().placeholders(1, chunk.len())
            );
            found.extend(self.tx.query_bound(
                &sql,
                |binder| chunk.iter().try_for_each(|key| binder.bind(key.as_ref())),
                |row| row.value(0).map(|v| v.to_owned()),
            )?);
        }
        Ok(found)
    }

    fn protected_error(&self, meta: &'static ModelMeta) -> Error {
        let mut relations: Vec<String> = self.protected.iter().map(|p| p.0.clone()).collect();
        relations.sort();
        relations.dedup();
        Error::Protected {
            model: meta.label,
            relations,
            objects: self
                .protected
                .iter()
                .map(|(_, label, key)| (*label, key.clone()))
                .collect(),
        }
    }

    /// Django's `Collector.sort`: repeatedly takes the models whose rows nothing left still
    /// needs deleted first; a cycle keeps the order of collection.
    fn sort(&mut self) {
        let mut sorted: Vec<usize> = Vec::with_capacity(self.groups.len());
        let mut done: HashSet<usize> = HashSet::new();
        let collected: HashSet<usize> = self
            .groups
            .iter()
            .map(|g| address(g.meta.concrete_model()))
            .collect();
        while sorted.len() < self.groups.len() {
            let mut found = false;
            for (index, group) in self.groups.iter().enumerate() {
                if sorted.contains(&index) {
                    continue;
                }
                let concrete = address(group.meta.concrete_model());
                let waiting = self.dependencies.iter().any(|&(a, b)| {
                    a == concrete && b != concrete && collected.contains(&b) && !done.contains(&b)
                });
                if !waiting {
                    sorted.push(index);
                    done.insert(concrete);
                    found = true;
                }
            }
            if !found {
                return;
            }
        }
        let mut groups: Vec<Option<Group<'r>>> = self.groups.drain(..).map(Some).collect();
        self.groups = sorted
            .into_iter()
            .filter_map(|index| groups[index].take())
            .collect();
    }

    fn delete(mut self, origin: &DeleteOrigin) -> Result<Deleted> {
        self.sort();
        for group in &mut self.groups {
            group
                .items
                .sort_by(|a, b| compare_keys(&a.get().pk(), &b.get().pk()));
        }
        let (tx, using) = (self.tx, self.using);
        for group in &mut self.groups {
            announce(&pre_delete, group, tx, using, origin)?;
        }
        let mut deleted = Deleted::default();
        for bulk in self.fast_deletes.iter().chain(&self.updates) {
            let rows = bulk.run(tx)?;
            if bulk.set.is_none() {
                deleted.add(bulk.label, rows);
            }
        }
        for group in &mut self.groups {
            group.items.reverse();
            let statement = &group.meta.sql(tx.backend()).delete;
            let mut rows = 0;
            for item in &group.items {
                rows += tx.execute_static(statement, |b| b.bind(item.get().pk().as_ref()))?;
            }
            deleted.add(group.meta.label, rows);
            announce(&post_delete, group, tx, using, origin)?;
        }
        Ok(deleted)
    }
}

fn announce(
    signal: &Signal<Delete<'static>>,
    group: &mut Group<'_>,
    tx: &Transaction,
    using: &str,
    origin: &DeleteOrigin,
) -> Result<()> {
    if signal.surely_unheard(&group.sender) {
        return Ok(());
    }
    for item in &mut group.items {
        signal.send(
            group.sender,
            &mut Delete {
                instance: InstanceMut::new(item.get_mut()),
                using,
                origin,
                tx,
            },
        )?;
    }
    Ok(())
}

impl Bulk {
    fn run(&self, tx: &Transaction) -> Result<usize> {
        let mut rows = 0;
        for chunk in self.keys.chunks(CHUNK) {
            let backend = tx.backend();
            let first = if self.set.is_some() { 2 } else { 1 };
            let condition = format!(
                "{} IN ({})",
                sql::quote(self.column),
                backend.placeholders(first, chunk.len())
            );
            let statement = match &self.set {
                None => format!("DELETE FROM {} WHERE {condition}", sql::quote(self.table)),
                Some(_) => format!(
                    "UPDATE {} SET {} = {} WHERE {condition}",
                    sql::quote(self.table),
                    sql::quote(self.column),
                    backend.placeholder(1)
                ),
            };
            rows += tx.execute_bound(&statement, |binder| {
                if let Some(value) = &self.set {
                    binder.bind(value.as_ref())?;
                }
                chunk.iter().try_for_each(|key| binder.bind(key.as_ref()))
            })?;
        }
        Ok(rows)
    }
}

fn address(meta: &'static ModelMeta) -> usize {
    meta as *const ModelMeta as usize
}

/// Orders primary keys: numbers by value, text by its characters.
pub(crate) fn compare_keys(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Int(a), Value::Int(b)) => a.cmp(b),
        (Value::Float(a), Value::Float(b)) => a.total_cmp(b),
        (Value::Text(a), Value::Text(b)) => a.cmp(b),
        (Value::Bytes(a), Value::Bytes(b)) => a.cmp(b),
        (a, b) => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_by_value() {
        let mut keys = vec![Value::Int(10), Value::Int(2), Value::Int(-1)];
        keys.sort_by(compare_keys);
        assert_eq!(keys, [Value::Int(-1), Value::Int(2), Value::Int(10)]);
        assert_eq!(
            compare_keys(&Value::Text("b".into()), &Value::Text("a".into())),
            Ordering::Greater
        );
        assert!(ValueKey::of(&Value::Int(1)) != ValueKey::of(&Value::Text("1".into())));
    }
}
