//! Many-to-many relations and `m2m_changed`, from both sides, with Django's rules for each
//! action.

#[path = "support/events.rs"]
mod events;
#[path = "support/memory_db.rs"]
mod memory_db;

use std::sync::Mutex;

use clarion::db::{self, Backend};
use clarion::models::signals::{M2mAction, M2mChanged};
use clarion::models::{Instance, ManyToManyRelation, ModelMeta, PkSet};
use clarion::prelude::*;
use clarion::{Error, Value};
use events::{events, log};
use memory_db::{database, save};

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "kitchen", many_to_many(toppings = Topping), many_to_many(extras = Topping))]
pub struct Pizza {
    pub id: Option<i64>,
    pub name: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "kitchen")]
pub struct Topping {
    pub id: Option<i64>,
    pub name: String,
}

/// A relation through a model of its own, with a field the join rows carry.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "kitchen", many_to_many(ingredients = Ingredient, through = Recipe))]
pub struct Dish {
    pub id: Option<i64>,
    pub name: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "kitchen")]
pub struct Ingredient {
    pub id: Option<i64>,
    pub name: String,
}

/// The through model: its rows are saved and deleted as models, with their signals.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "kitchen")]
pub struct Recipe {
    pub id: Option<i64>,
    #[model(on_delete = cascade)]
    pub dish: ForeignKey<Dish>,
    #[model(on_delete = cascade)]
    pub ingredient: ForeignKey<Ingredient>,
    #[model(default = 100)]
    pub grams: i64,
}

/// Django's `sender=Dish.ingredients.through`, which is `Recipe`.
#[receiver(m2m_changed, sender = Recipe)]
fn recipe_changed(action: M2mAction, reverse: bool, pk_set: &Option<PkSet>, using: &str) {
    log(
        using,
        format!(
            "recipe {} reverse={reverse} pk_set={}",
            action.name(),
            keys(pk_set)
        ),
    );
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "kitchen", many_to_many(cheeses = Cheese, through = Pairing))]
pub struct Wine {
    pub id: Option<i64>,
    pub name: String,
}

#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "kitchen")]
pub struct Cheese {
    pub id: Option<i64>,
    pub name: String,
}

/// A through model with a field `add` cannot fill.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "kitchen")]
pub struct Pairing {
    pub id: Option<i64>,
    #[model(on_delete = cascade)]
    pub wine: ForeignKey<Wine>,
    #[model(on_delete = cascade)]
    pub cheese: ForeignKey<Cheese>,
    pub note: String,
}

/// Two relations of a model to itself: `follows`, one-way, and `friends`, symmetrical (Django's
/// default for `ManyToManyField("self")`).
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(
    app_label = "kitchen",
    many_to_many(follows = Cook, symmetrical = false),
    many_to_many(friends = Cook)
)]
pub struct Cook {
    pub id: Option<i64>,
    pub name: String,
}

fn keys(pk_set: &Option<PkSet>) -> String {
    match pk_set {
        None => "None".to_owned(),
        Some(set) => {
            let keys: Vec<String> = set.iter().map(ToString::to_string).collect();
            format!("{{{}}}", keys.join(", "))
        }
    }
}

fn name(instance: &dyn Instance) -> String {
    match instance.get("name") {
        Some(Value::Text(name)) => name,
        other => format!("{other:?}"),
    }
}

/// Hears only `Pizza.toppings`.
#[receiver(m2m_changed, sender = PizzaToppings)]
fn toppings_changed(
    instance: &dyn Instance,
    action: M2mAction,
    reverse: bool,
    model: &ModelMeta,
    pk_set: &Option<PkSet>,
    using: &str,
    raw: bool,
) {
    let raw = if raw { " raw" } else { "" };
    log(
        using,
        format!(
            "toppings {} {} reverse={reverse} model={} pk_set={}{raw}",
            action.name(),
            name(instance),
            model.label,
            keys(pk_set)
        ),
    );
}

/// Hears every relation.
#[receiver(m2m_changed)]
fn any_changed(args: &mut M2mChanged, sender: Sender) {
    if args.using.starts_with("m2m_any") {
        let relation = sender.name().rsplit("::").next().unwrap_or_default();
        log(
            args.using,
            format!(
                "any {relation} {} {}",
                args.relation.name,
                args.action.name()
            ),
        );
    }
}

/// Vetoes and edits: a pizza named "plain" takes no topping named "anchovy" (the key is
/// dropped in `pre_add`), and "forbidden" takes none at all (`pre_add` fails).
#[receiver(m2m_changed, sender = PizzaToppings)]
fn house_rules(
    instance: &dyn Instance,
    action: M2mAction,
    pk_set: &mut Option<PkSet>,
    tx: &clarion::db::Transaction,
) -> Result<(), Error> {
    if action == M2mAction::PreRemove && name(instance) == "sticky" {
        // Cheese stays on a sticky pizza: its key is dropped from what `remove` deletes.
        let cheese = topping_ids(tx, "cheese")?;
        if let (Some(set), Some(&id)) = (pk_set.as_mut(), cheese.first()) {
            set.remove(id);
        }
        return Ok(());
    }
    if action != M2mAction::PreAdd {
        return Ok(());
    }
    match name(instance).as_str() {
        "forbidden" => Err(Error::msg("no toppings on this one")),
        "plain" => {
            let anchovy = topping_ids(tx, "anchovy")?;
            if let (Some(set), Some(&id)) = (pk_set.as_mut(), anchovy.first()) {
                set.remove(id);
            }
            Ok(())
        }
        "failing after" => Ok(()),
        _ => Ok(()),
    }
}

/// The keys of the toppings named `name`, read through `tx` (on either backend).
fn topping_ids(tx: &clarion::db::Transaction, name: &str) -> Result<Vec<i64>, Error> {
    tx.query_values("SELECT id FROM topping WHERE name = $1", &[name.into()])?
        .into_iter()
        .map(|row| match row.as_slice() {
            [Value::Int(id)] => Ok(*id),
            other => Err(Error::msg(format!("not a key: {other:?}"))),
        })
        .collect()
}

/// Fails after the rows are written, in `post_add`: everything must be undone.
#[receiver(m2m_changed, sender = PizzaToppings)]
fn fails_after(instance: &dyn Instance, action: M2mAction) -> Result<(), Error> {
    if action == M2mAction::PostAdd && name(instance) == "failing after" {
        return Err(Error::msg("too late"));
    }
    Ok(())
}

/// Join rows are not models: no save or delete signal is ever sent for them.
#[receiver(post_save)]
fn any_save(instance: &dyn Instance, using: &str) {
    if using.starts_with("m2m_") {
        log(using, format!("post_save {}", instance.meta().label));
    }
}

#[receiver(post_delete)]
fn any_delete(instance: &dyn Instance, using: &str) {
    if using.starts_with("m2m_") {
        log(using, format!("post_delete {}", instance.meta().label));
    }
}

/// An `m2m_changed` as `extras_at_scale` records it: the action's name and the keys.
type Reported = (&'static str, Option<Vec<Value>>);

/// What `m2m_changed` reported for `Pizza.extras` on the database of
/// `a_hundred_thousand_keys_…`: each action and its keys, in order (too many to log as text).
static AT_SCALE: Mutex<Vec<Reported>> = Mutex::new(Vec::new());

#[receiver(m2m_changed, sender = PizzaExtras)]
fn extras_at_scale(action: M2mAction, pk_set: &Option<PkSet>, using: &str) {
    if using == "m2m_scale" {
        AT_SCALE.lock().unwrap().push((
            action.name(),
            pk_set.as_ref().map(|set| set.as_slice().to_vec()),
        ));
    }
}

fn pizza(name: &str, alias: &str) -> Pizza {
    save(
        Pizza {
            id: None,
            name: name.into(),
        },
        alias,
    )
}

fn toppings(alias: &str, names: &[&str]) -> Vec<Topping> {
    names
        .iter()
        .map(|name| {
            save(
                Topping {
                    id: None,
                    name: (*name).into(),
                },
                alias,
            )
        })
        .collect()
}

/// The events after the setup's saves.
fn changes(alias: &str) -> Vec<String> {
    events(alias)
        .into_iter()
        .filter(|e| !e.starts_with("post_save"))
        .collect()
}

fn related(pizza: &mut Pizza, alias: &str) -> Vec<Value> {
    pizza.toppings().using(alias).keys().unwrap()
}

#[test]
fn add_reports_only_the_keys_not_yet_related_and_is_sent_even_when_there_are_none() {
    let alias = database("m2m_add");
    let mut margherita = pizza("margherita", alias);
    let t = toppings(alias, &["basil", "tomato", "mozzarella"]);
    margherita.toppings().using(alias).add(&t[..2]).unwrap();
    // Duplicates collapse; what is related already is not reported again.
    margherita
        .toppings()
        .using(alias)
        .add([&t[1], &t[2], &t[2]])
        .unwrap();
    // Everything related already: an empty set, still sent.
    margherita.toppings().using(alias).add(&t).unwrap();
    // No objects at all: nothing sent.
    margherita.toppings().using(alias).add(&[]).unwrap();
    margherita.toppings().using(alias).add_keys([]).unwrap();
    assert_eq!(
        changes(alias),
        [
            "toppings pre_add margherita reverse=false model=kitchen.topping pk_set={1, 2}",
            "toppings post_add margherita reverse=false model=kitchen.topping pk_set={1, 2}",
            "toppings pre_add margherita reverse=false model=kitchen.topping pk_set={3}",
            "toppings post_add margherita reverse=false model=kitchen.topping pk_set={3}",
            "toppings pre_add margherita reverse=false model=kitchen.topping pk_set={}",
            "toppings post_add margherita reverse=false model=kitchen.topping pk_set={}",
        ]
    );
    assert_eq!(
        related(&mut margherita, alias),
        [Value::Int(1), Value::Int(2), Value::Int(3)]
    );
}

#[test]
fn remove_reports_every_key_given_and_clear_reports_none_even_on_an_empty_relation() {
    let alias = database("m2m_remove");
    let mut p = pizza("funghi", alias);
    let t = toppings(alias, &["mushroom", "ham", "olive"]);
    p.toppings().using(alias).add(&t[..2]).unwrap();
    events::take(alias);
    // `olive` was never related: still reported.
    p.toppings().using(alias).remove([&t[1], &t[2]]).unwrap();
    p.toppings().using(alias).remove(&[]).unwrap();
    assert_eq!(related(&mut p, alias), [Value::Int(1)]);
    p.toppings().using(alias).clear().unwrap();
    assert!(related(&mut p, alias).is_empty());
    p.toppings().using(alias).clear().unwrap();
    assert_eq!(
        changes(alias),
        [
            "toppings pre_remove funghi reverse=false model=kitchen.topping pk_set={2, 3}",
            "toppings post_remove funghi reverse=false model=kitchen.topping pk_set={2, 3}",
            "toppings pre_clear funghi reverse=false model=kitchen.topping pk_set=None",
            "toppings post_clear funghi reverse=false model=kitchen.topping pk_set=None",
            "toppings pre_clear funghi reverse=false model=kitchen.topping pk_set=None",
            "toppings post_clear funghi reverse=false model=kitchen.topping pk_set=None",
        ]
    );
}

#[test]
fn set_sends_the_removals_then_the_additions_and_nothing_when_nothing_changes() {
    let alias = database("m2m_set");
    let mut p = pizza("capricciosa", alias);
    let t = toppings(alias, &["a", "b", "c", "d"]);
    p.toppings().using(alias).set(&t[..2]).unwrap();
    p.toppings()
        .using(alias)
        .set([&t[1], &t[2], &t[3]])
        .unwrap();
    p.toppings()
        .using(alias)
        .set([&t[3], &t[2], &t[1]])
        .unwrap();
    p.toppings().using(alias).set_with_clear([&t[0]]).unwrap();
    assert_eq!(
        changes(alias),
        [
            "toppings pre_add capricciosa reverse=false model=kitchen.topping pk_set={1, 2}",
            "toppings post_add capricciosa reverse=false model=kitchen.topping pk_set={1, 2}",
            "toppings pre_remove capricciosa reverse=false model=kitchen.topping pk_set={1}",
            "toppings post_remove capricciosa reverse=false model=kitchen.topping pk_set={1}",
            "toppings pre_add capricciosa reverse=false model=kitchen.topping pk_set={3, 4}",
            "toppings post_add capricciosa reverse=false model=kitchen.topping pk_set={3, 4}",
            "toppings pre_clear capricciosa reverse=false model=kitchen.topping pk_set=None",
            "toppings post_clear capricciosa reverse=false model=kitchen.topping pk_set=None",
            "toppings pre_add capricciosa reverse=false model=kitchen.topping pk_set={1}",
            "toppings post_add capricciosa reverse=false model=kitchen.topping pk_set={1}",
        ]
    );
    assert_eq!(related(&mut p, alias), [Value::Int(1)]);
}

#[test]
fn the_reverse_side_reports_reverse_and_the_other_model() {
    let alias = database("m2m_reverse");
    let mut a = pizza("a", alias);
    let b = pizza("b", alias);
    let mut basil = toppings(alias, &["basil"]).remove(0);
    PizzaToppings::reverse(&mut basil)
        .using(alias)
        .add([&a, &b])
        .unwrap();
    PizzaToppings::reverse(&mut basil)
        .using(alias)
        .remove([&b])
        .unwrap();
    PizzaToppings::reverse(&mut basil)
        .using(alias)
        .clear()
        .unwrap();
    assert_eq!(
        changes(alias),
        [
            "toppings pre_add basil reverse=true model=kitchen.pizza pk_set={1, 2}",
            "toppings post_add basil reverse=true model=kitchen.pizza pk_set={1, 2}",
            "toppings pre_remove basil reverse=true model=kitchen.pizza pk_set={2}",
            "toppings post_remove basil reverse=true model=kitchen.pizza pk_set={2}",
            "toppings pre_clear basil reverse=true model=kitchen.pizza pk_set=None",
            "toppings post_clear basil reverse=true model=kitchen.pizza pk_set=None",
        ]
    );
    // Both sides see the same join rows.
    PizzaToppings::reverse(&mut basil)
        .using(alias)
        .add([&a])
        .unwrap();
    let on_a: Vec<String> = a
        .toppings()
        .using(alias)
        .all()
        .unwrap()
        .all()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(on_a, ["basil"]);
    let with_basil = PizzaToppings::reverse(&mut basil)
        .using(alias)
        .all()
        .unwrap()
        .filter(Pizza::NAME.eq("a"))
        .count()
        .unwrap();
    assert_eq!(with_basil, 1);
}

#[test]
fn create_saves_the_object_and_relates_it_in_one_transaction() {
    let alias = database("m2m_create");
    let mut p = pizza("diavola", alias);
    let salami = p
        .toppings()
        .using(alias)
        .create(Topping {
            id: None,
            name: "salami".into(),
        })
        .unwrap();
    assert_eq!(salami.id, Some(1));
    assert_eq!(
        events(alias),
        [
            "post_save kitchen.pizza",
            "post_save kitchen.topping",
            "toppings pre_add diavola reverse=false model=kitchen.topping pk_set={1}",
            "toppings post_add diavola reverse=false model=kitchen.topping pk_set={1}",
        ]
    );
    assert_eq!(related(&mut p, alias), [Value::Int(1)]);
}

#[test]
fn a_pre_add_receiver_may_change_the_keys_or_refuse_and_then_nothing_is_written() {
    let alias = database("m2m_veto");
    let t = toppings(alias, &["anchovy", "caper"]);
    let mut plain = pizza("plain", alias);
    plain.toppings().using(alias).add(&t).unwrap();
    assert_eq!(
        related(&mut plain, alias),
        [Value::Int(2)],
        "anchovy dropped"
    );

    let mut forbidden = pizza("forbidden", alias);
    let error = forbidden.toppings().using(alias).add(&t).unwrap_err();
    assert!(matches!(error, Error::Receiver { .. }), "{error:?}");
    assert!(error.to_string().contains("no toppings on this one"));
    assert!(related(&mut forbidden, alias).is_empty());

    let mut late = pizza("failing after", alias);
    let error = late.toppings().using(alias).add(&t).unwrap_err();
    assert!(error.to_string().contains("too late"), "{error}");
    assert!(
        related(&mut late, alias).is_empty(),
        "post_add's error undid the rows"
    );

    // A set is one transaction: its removal is undone with its refused addition.
    let mut changing = pizza("changing", alias);
    changing.toppings().using(alias).add([&t[0]]).unwrap();
    changing.name = "forbidden".into();
    let error = changing.toppings().using(alias).set([&t[1]]).unwrap_err();
    assert!(
        error.to_string().contains("no toppings on this one"),
        "{error}"
    );
    assert_eq!(related(&mut changing, alias), [Value::Int(1)]);
}

#[test]
fn a_receiver_with_a_sender_hears_only_its_relation_and_one_without_hears_every_relation() {
    let alias = database("m2m_any");
    let mut p = pizza("quattro", alias);
    let t = toppings(alias, &["x"]);
    p.extras().using(alias).add(&t).unwrap();
    p.toppings().using(alias).add(&t).unwrap();
    assert_eq!(
        changes(alias),
        [
            "any PizzaExtras extras pre_add",
            "any PizzaExtras extras post_add",
            "any PizzaToppings toppings pre_add",
            "toppings pre_add quattro reverse=false model=kitchen.topping pk_set={1}",
            "any PizzaToppings toppings post_add",
            "toppings post_add quattro reverse=false model=kitchen.topping pk_set={1}",
        ]
    );
    // Two relations between the same models keep separate rows.
    assert_eq!(p.extras().using(alias).keys().unwrap(), [Value::Int(1)]);
    p.extras().using(alias).clear().unwrap();
    assert_eq!(related(&mut p, alias), [Value::Int(1)]);
}

#[test]
fn join_rows_send_no_signals_and_go_with_either_side() {
    let alias = database("m2m_delete");
    let mut a = pizza("a", alias);
    let mut b = pizza("b", alias);
    let mut t = toppings(alias, &["x", "y"]);
    a.toppings().using(alias).add(&t).unwrap();
    b.toppings().using(alias).add(&t).unwrap();
    events::take(alias);
    let deleted = a.delete_using(alias).unwrap();
    assert_eq!(deleted.per_model["kitchen.pizza"], 1);
    assert_eq!(deleted.per_model["kitchen.pizza_toppings"], 2);
    let deleted = t[0].delete_using(alias).unwrap();
    assert_eq!(deleted.per_model["kitchen.pizza_toppings"], 1);
    assert_eq!(
        events(alias),
        ["post_delete kitchen.pizza", "post_delete kitchen.topping"],
        "no m2m_changed and no delete signal for join rows"
    );
    assert_eq!(related(&mut b, alias), [Value::Int(2)]);
    // A query set delete reaches the join rows too.
    Topping::objects().using(alias).delete().unwrap();
    assert!(related(&mut b, alias).is_empty());
}

#[test]
fn a_relation_to_its_own_model_has_a_column_per_side() {
    let alias = database("m2m_self");
    let mut ann = save(
        Cook {
            id: None,
            name: "ann".into(),
        },
        alias,
    );
    let mut bob = save(
        Cook {
            id: None,
            name: "bob".into(),
        },
        alias,
    );
    ann.follows().using(alias).add([&bob]).unwrap();
    assert_eq!(ann.follows().using(alias).keys().unwrap(), [Value::Int(2)]);
    // Not symmetrical: bob follows nobody, but ann is among his followers.
    assert!(bob.follows().using(alias).keys().unwrap().is_empty());
    assert_eq!(
        CookFollows::reverse(&mut bob).using(alias).keys().unwrap(),
        [Value::Int(1)]
    );
    let meta = CookFollows::META;
    assert_eq!(
        (meta.source_column(), meta.target_column()),
        ("from_cook_id", "to_cook_id")
    );
    assert!(!meta.symmetrical());
}

/// Records the `friends` relation's `m2m_changed`: the instance's name, the action, `reverse`
/// and the keys.
#[receiver(m2m_changed, sender = CookFriends)]
fn friends_changed(
    instance: &Cook,
    action: M2mAction,
    reverse: bool,
    pk_set: &Option<PkSet>,
    using: &str,
) {
    log(
        using,
        format!(
            "{} {} reverse={reverse} {}",
            instance.name,
            action.name(),
            keys(pk_set)
        ),
    );
}

/// Django's `ManyToManyField("self")`: adding bob to ann's friends adds ann to bob's, with one
/// `pre_add`/`post_add` pair whose instance is ann; removing and clearing remove both rows.
#[test]
fn a_symmetrical_relation_relates_both_ways_with_one_pair_of_signals() {
    let alias = database("m2m_symmetrical");
    let cook = |name: &str| {
        save(
            Cook {
                id: None,
                name: name.into(),
            },
            alias,
        )
    };
    let (mut ann, mut bob, mut cy, mut dee) = (cook("ann"), cook("bob"), cook("cy"), cook("dee"));
    assert!(CookFriends::META.symmetrical());
    let friends = |cook: &mut Cook| cook.friends().using(alias).keys().unwrap();
    let join_rows = || {
        db::atomic_using(alias, |tx| {
            tx.query_values(
                "SELECT from_cook_id, to_cook_id FROM cook_friends ORDER BY 1, 2",
                &[],
            )
        })
        .unwrap()
    };

    ann.friends().using(alias).add([&bob, &cy]).unwrap();
    assert_eq!(friends(&mut ann), [Value::Int(2), Value::Int(3)]);
    assert_eq!(friends(&mut bob), [Value::Int(1)]);
    assert_eq!(friends(&mut cy), [Value::Int(1)]);
    assert_eq!(join_rows().len(), 4, "a row each way");
    // Already friends either way round: nothing new, the pair still sent with no keys.
    bob.friends().using(alias).add([&ann]).unwrap();
    assert_eq!(join_rows().len(), 4);

    bob.friends().using(alias).remove([&ann]).unwrap();
    assert!(friends(&mut bob).is_empty());
    assert_eq!(friends(&mut ann), [Value::Int(3)]);
    assert_eq!(join_rows().len(), 2);

    dee.friends().using(alias).set([&ann, &cy]).unwrap();
    assert_eq!(friends(&mut ann), [Value::Int(3), Value::Int(4)]);
    ann.friends().using(alias).clear().unwrap();
    assert!(friends(&mut ann).is_empty());
    assert_eq!(friends(&mut cy), [Value::Int(4)], "cy and dee stay friends");
    assert_eq!(friends(&mut dee), [Value::Int(3)]);

    let signals: Vec<String> = events(alias)
        .into_iter()
        .filter(|e| !e.starts_with("post_save"))
        .collect();
    assert_eq!(
        signals,
        [
            "ann pre_add reverse=false {2, 3}",
            "ann post_add reverse=false {2, 3}",
            "bob pre_add reverse=false {}",
            "bob post_add reverse=false {}",
            "bob pre_remove reverse=false {1}",
            "bob post_remove reverse=false {1}",
            "dee pre_add reverse=false {1, 3}",
            "dee post_add reverse=false {1, 3}",
            "ann pre_clear reverse=false None",
            "ann post_clear reverse=false None",
        ]
    );

    // Deleting a cook deletes its rows both ways.
    dee.delete_using(alias).unwrap();
    assert!(friends(&mut cy).is_empty());
    assert!(join_rows().is_empty());
}

#[test]
fn an_unsaved_instance_has_no_relations_to_change() {
    let alias = database("m2m_unsaved");
    let mut p = Pizza {
        id: None,
        name: "draft".into(),
    };
    let t = toppings(alias, &["x"]);
    let error = p.toppings().using(alias).add(&t).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsaved {
                model: "kitchen.pizza"
            }
        ),
        "{error:?}"
    );
    let unsaved = Topping {
        id: None,
        name: "y".into(),
    };
    let mut saved = pizza("saved", alias);
    let error = saved.toppings().using(alias).add([&unsaved]).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsaved {
                model: "kitchen.topping"
            }
        ),
        "{error:?}"
    );
}

#[test]
fn the_relation_is_described_and_migrated() {
    let alias = database("m2m_meta");
    let meta = Pizza::META.many_to_many();
    assert_eq!(meta.len(), 2);
    assert_eq!(meta[0].name, "toppings");
    assert_eq!(meta[0].table(), "pizza_toppings");
    assert!(meta[0].through().is_none());
    assert_eq!(meta[0].label, "kitchen.pizza_toppings");
    assert_eq!(meta[0].source().label, "kitchen.pizza");
    assert_eq!(meta[0].target().label, "kitchen.topping");
    assert!(meta[0].sender().is::<PizzaToppings>());
    // Each backend lists its tables in a catalogue of its own.
    let catalogue = match memory_db::backend::backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'pizza_%' ORDER BY name"
        }
        _ => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name LIKE 'pizza_%' ORDER BY table_name"
        }
    };
    let tables: Vec<Vec<Value>> =
        db::atomic_using(alias, |tx| tx.query_values(catalogue, &[])).unwrap();
    assert_eq!(
        tables,
        [
            vec![Value::Text("pizza_extras".into())],
            vec![Value::Text("pizza_toppings".into())]
        ]
    );
    // Idempotent.
    assert!(clarion::migrate_using(alias).unwrap().created.is_empty());
}

#[test]
fn fixtures_load_and_dump_many_to_many_values_with_raw_signals() {
    let alias = database("m2m_fixture");
    let fixture = r#"[
        {"model": "kitchen.pizza", "pk": 1, "fields": {"name": "marinara", "toppings": [2, 1], "extras": []}},
        {"model": "kitchen.topping", "pk": 1, "fields": {"name": "garlic"}},
        {"model": "kitchen.topping", "pk": 2, "fields": {"name": "oregano"}}
    ]"#;
    clarion::fixtures::load_using(fixture, alias).unwrap();
    let mut marinara = Pizza::objects().using(alias).get().unwrap();
    assert_eq!(
        related(&mut marinara, alias),
        [Value::Int(1), Value::Int(2)]
    );
    assert!(
        changes(alias).contains(
            &"toppings post_add marinara reverse=false model=kitchen.topping pk_set={2, 1} raw"
                .to_owned()
        ),
        "{:?}",
        changes(alias)
    );
    let dumped = clarion::fixtures::dump_using(&["kitchen.pizza"], alias).unwrap();
    let value: serde_json::Value = serde_json::from_str(&dumped).unwrap();
    assert_eq!(
        value[0]["fields"],
        serde_json::json!({"name": "marinara", "toppings": [1, 2], "extras": []})
    );

    let bad =
        r#"[{"model": "kitchen.pizza", "pk": 5, "fields": {"name": "x", "toppings": "garlic"}}]"#;
    let error = clarion::fixtures::load_using(bad, alias).unwrap_err();
    assert!(
        matches!(&error, Error::Fixture { field: Some(field), .. } if field == "toppings"),
        "{error:?}"
    );
    assert_eq!(
        Pizza::objects().using(alias).count().unwrap(),
        1,
        "nothing loaded"
    );

    // A key that names no row is found before the commit, and named.
    let dangling = r#"[
        {"model": "kitchen.topping", "pk": 7, "fields": {"name": "x"}},
        {"model": "kitchen.pizza", "pk": 6, "fields": {"name": "y", "toppings": [7, 99]}}
    ]"#;
    let error = clarion::fixtures::load_using(dangling, alias).unwrap_err();
    assert!(
        matches!(&error, Error::Fixture { index: 1, field: Some(field), .. } if field == "toppings"),
        "{error:?}"
    );
    assert!(error.to_string().contains("99"), "{error}");
    assert_eq!(
        Pizza::objects().using(alias).count().unwrap(),
        1,
        "nothing loaded"
    );
}

#[test]
fn a_through_models_rows_are_saved_and_deleted_as_models_with_their_signals() {
    let alias = database("m2m_through");
    let mut soup = save(
        Dish {
            id: None,
            name: "soup".into(),
        },
        alias,
    );
    let [mut leek, potato] = ["leek", "potato"].map(|name| {
        save(
            Ingredient {
                id: None,
                name: name.into(),
            },
            alias,
        )
    });
    events::take(alias);
    soup.ingredients()
        .using(alias)
        .add([&leek, &potato])
        .unwrap();
    // Already related: not added twice.
    soup.ingredients().using(alias).add([&leek]).unwrap();
    assert_eq!(
        events::take(alias),
        [
            "recipe pre_add reverse=false pk_set={1, 2}",
            "post_save kitchen.recipe",
            "post_save kitchen.recipe",
            "recipe post_add reverse=false pk_set={1, 2}",
            "recipe pre_add reverse=false pk_set={}",
            "recipe post_add reverse=false pk_set={}",
        ]
    );
    let recipes = Recipe::objects()
        .using(alias)
        .order_by(Recipe::ID)
        .all()
        .unwrap();
    assert_eq!(recipes.len(), 2);
    assert!(recipes[0].dish.is(&soup) && recipes[0].ingredient.is(&leek));
    assert_eq!(recipes[1].grams, 100, "the other fields get their default");
    let names: Vec<String> = soup
        .ingredients()
        .using(alias)
        .all()
        .unwrap()
        .order_by(Ingredient::NAME)
        .all()
        .unwrap()
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names, ["leek", "potato"]);

    soup.ingredients().using(alias).remove([&potato]).unwrap();
    DishIngredients::reverse(&mut leek)
        .using(alias)
        .clear()
        .unwrap();
    assert_eq!(
        events::take(alias),
        [
            "recipe pre_remove reverse=false pk_set={2}",
            "post_delete kitchen.recipe",
            "recipe post_remove reverse=false pk_set={2}",
            "recipe pre_clear reverse=true pk_set=None",
            "post_delete kitchen.recipe",
            "recipe post_clear reverse=true pk_set=None",
        ]
    );
    assert_eq!(Recipe::objects().using(alias).count().unwrap(), 0);

    // The through model's own keys cascade, with its delete signals.
    soup.ingredients().using(alias).add([&leek]).unwrap();
    events::take(alias);
    soup.delete_using(alias).unwrap();
    assert_eq!(
        events::take(alias),
        ["post_delete kitchen.recipe", "post_delete kitchen.dish"]
    );

    let meta = Dish::META.many_to_many()[0];
    assert_eq!(meta.through().unwrap().label, "kitchen.recipe");
    assert_eq!(meta.table(), "recipe");
    assert_eq!(
        (meta.source_column(), meta.target_column()),
        ("dish_id", "ingredient_id")
    );
    assert!(meta.sender().reaches(&Sender::of::<Recipe>()));
}

#[test]
fn add_cannot_fill_a_through_models_field_that_has_no_default() {
    let alias = database("m2m_through_required");
    let mut wine = save(
        Wine {
            id: None,
            name: "red".into(),
        },
        alias,
    );
    let brie = save(
        Cheese {
            id: None,
            name: "brie".into(),
        },
        alias,
    );
    let error = wine.cheeses().using(alias).add([&brie]).unwrap_err();
    assert!(
        matches!(&error, Error::Validation { model: "kitchen.pairing", field, .. } if field == "note"),
        "{error:?}"
    );
    assert!(error.to_string().contains("give it one"), "{error}");
    assert_eq!(Pairing::objects().using(alias).count().unwrap(), 0);
    // Rows saved by hand relate them.
    save(
        Pairing {
            id: None,
            wine: ForeignKey::to(&wine).unwrap(),
            cheese: ForeignKey::to(&brie).unwrap(),
            note: "classic".into(),
        },
        alias,
    );
    assert_eq!(wine.cheeses().using(alias).keys().unwrap(), [Value::Int(1)]);
}

#[test]
fn fixtures_give_a_through_models_rows_not_the_relations_keys() {
    let alias = database("m2m_through_fixture");
    let fixture =
        r#"[{"model": "kitchen.dish", "pk": 1, "fields": {"name": "x", "ingredients": [1]}}]"#;
    let error = clarion::fixtures::load_using(fixture, alias).unwrap_err();
    assert!(
        error.to_string().contains("goes through `kitchen.recipe`"),
        "{error}"
    );
}

#[test]
fn a_pre_remove_receiver_may_change_the_keys_removed() {
    let alias = database("m2m_pre_remove");
    let mut sticky = pizza("sticky", alias);
    let t = toppings(alias, &["cheese", "ham"]);
    sticky.toppings().using(alias).add(&t).unwrap();
    events::take(alias);
    sticky.toppings().using(alias).remove(&t).unwrap();
    assert_eq!(related(&mut sticky, alias), [Value::Int(1)], "cheese kept");
    assert_eq!(
        changes(alias),
        [
            // `house_rules` runs before the logging receiver (receivers run by path), so the
            // log already sees the changed set.
            "toppings pre_remove sticky reverse=false model=kitchen.topping pk_set={2}",
            "toppings post_remove sticky reverse=false model=kitchen.topping pk_set={2}",
        ],
        "post_remove reports what was removed"
    );
}

#[test]
fn set_set_with_clear_and_create_work_from_the_reverse_side() {
    let alias = database("m2m_reverse_set");
    let [a, b, c] = ["a", "b", "c"].map(|n| pizza(n, alias));
    let mut olive = toppings(alias, &["olive"]).remove(0);
    let mut manager = PizzaToppings::reverse(&mut olive).using(alias);
    manager.set([&a, &b]).unwrap();
    manager.set([&b, &c]).unwrap();
    assert_eq!(manager.keys().unwrap(), [Value::Int(2), Value::Int(3)]);
    manager.set_with_clear([&a]).unwrap();
    assert_eq!(manager.keys().unwrap(), [Value::Int(1)]);
    let created = manager
        .create(Pizza {
            id: None,
            name: "d".into(),
        })
        .unwrap();
    assert_eq!(
        manager.keys().unwrap(),
        [Value::Int(1), Value::Int(created.id.unwrap())]
    );
    assert_eq!(
        changes(alias),
        [
            "toppings pre_add olive reverse=true model=kitchen.pizza pk_set={1, 2}",
            "toppings post_add olive reverse=true model=kitchen.pizza pk_set={1, 2}",
            "toppings pre_remove olive reverse=true model=kitchen.pizza pk_set={1}",
            "toppings post_remove olive reverse=true model=kitchen.pizza pk_set={1}",
            "toppings pre_add olive reverse=true model=kitchen.pizza pk_set={3}",
            "toppings post_add olive reverse=true model=kitchen.pizza pk_set={3}",
            "toppings pre_clear olive reverse=true model=kitchen.pizza pk_set=None",
            "toppings post_clear olive reverse=true model=kitchen.pizza pk_set=None",
            "toppings pre_add olive reverse=true model=kitchen.pizza pk_set={1}",
            "toppings post_add olive reverse=true model=kitchen.pizza pk_set={1}",
            "toppings pre_add olive reverse=true model=kitchen.pizza pk_set={4}",
            "toppings post_add olive reverse=true model=kitchen.pizza pk_set={4}",
        ]
    );
    // The declaring side sees the same rows.
    let mut d = created;
    assert_eq!(related(&mut d, alias), [Value::Int(1)]);
}

/// What `extras_at_scale` recorded since the last call.
fn reported_at_scale() -> Vec<Reported> {
    std::mem::take(&mut *AT_SCALE.lock().unwrap())
}

fn ints(keys: impl IntoIterator<Item = i64>) -> Vec<Value> {
    keys.into_iter().map(Value::Int).collect()
}

/// Each step of `add`, `remove` and `set` is linear in the keys: 100,000 of them once took an
/// `add` seconds (twice that to add them again), comparing every key with every other. At that
/// scale each key is still reported once, in the order first given, and related once.
#[test]
fn a_hundred_thousand_keys_are_added_removed_and_set_each_once_in_the_order_given() {
    const N: i64 = 100_000;
    let alias = database("m2m_scale");
    let mut p = pizza("everything", alias);
    // In one statement, keys 1 to N: saving them one by one would take most of the test's time.
    db::atomic_using(alias, |tx| {
        tx.execute_batch(&format!(
            "INSERT INTO topping (name) WITH RECURSIVE n(i) AS \
             (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {N}) \
             SELECT 'topping ' || i FROM n"
        ))
    })
    .unwrap();
    let all = ints(1..=N);
    assert_eq!(Topping::objects().using(alias).count().unwrap(), N as usize);
    // Every key once, in an order that is neither ascending nor descending (7,919 is prime to
    // N), then the first thousand again.
    let shuffled: Vec<i64> = (0..N).map(|i| i * 7_919 % N + 1).collect();
    let given: Vec<i64> = shuffled.iter().chain(&shuffled[..1_000]).copied().collect();

    p.extras().using(alias).add_keys(given.clone()).unwrap();
    let once = ints(shuffled.iter().copied());
    assert!(
        reported_at_scale() == [("pre_add", Some(once.clone())), ("post_add", Some(once))],
        "pre_add and post_add report each key once, as first given"
    );
    assert!(p.extras().using(alias).keys().unwrap() == all);

    // All related already: reported as none, and no join row is written twice.
    p.extras().using(alias).add_keys(given).unwrap();
    assert_eq!(
        reported_at_scale(),
        [("pre_add", Some(vec![])), ("post_add", Some(vec![]))]
    );
    assert_eq!(p.extras().using(alias).keys().unwrap().len(), N as usize);

    // `remove` reports every key given, in its order.
    let odd: Vec<i64> = shuffled.iter().copied().filter(|k| k % 2 == 1).collect();
    p.extras().using(alias).remove_keys(odd.clone()).unwrap();
    let removed = ints(odd);
    assert!(
        reported_at_scale()
            == [
                ("pre_remove", Some(removed.clone())),
                ("post_remove", Some(removed))
            ]
    );
    assert!(p.extras().using(alias).keys().unwrap() == ints((2..=N).step_by(2)));

    // `set` to every key, descending: nothing to remove, the odd keys added in that order.
    p.extras().using(alias).set_keys((1..=N).rev()).unwrap();
    let added = ints((1..=N).rev().filter(|k| k % 2 == 1));
    assert!(reported_at_scale() == [("pre_add", Some(added.clone())), ("post_add", Some(added))]);
    assert!(p.extras().using(alias).keys().unwrap() == all);

    // `set` to the first half: the second half removed, ascending as it was related.
    p.extras().using(alias).set_keys(1..=N / 2).unwrap();
    let stale = ints(N / 2 + 1..=N);
    assert!(
        reported_at_scale()
            == [
                ("pre_remove", Some(stale.clone())),
                ("post_remove", Some(stale))
            ]
    );
    assert!(p.extras().using(alias).keys().unwrap() == ints(1..=N / 2));
}

/// Records `raw` of every `m2m_changed` of the pizzas' toppings on the `m2m_raw` database.
#[receiver(m2m_changed, sender = PizzaToppings)]
fn raw_changes(action: M2mAction, raw: bool, using: &str) {
    if using == "m2m_raw" {
        log(using, format!("{} raw={raw}", action.name()));
    }
}

/// Django 6.1's `raw` argument of the manager's methods: `m2m_changed` says `raw = true`, as while
/// fixtures load, so receivers that honour it can be tested directly.
#[test]
fn a_raw_manager_sends_raw_changes() {
    let alias = "m2m_raw";
    database(alias);
    let mut p = pizza("raw", alias);
    let t = toppings(alias, &["x", "y"]);
    p.toppings().using(alias).raw(true).add(&t).unwrap();
    p.toppings().using(alias).raw(true).remove(&t[..1]).unwrap();
    p.toppings().using(alias).clear().unwrap();
    let raw: Vec<String> = events(alias)
        .into_iter()
        .filter(|e| e.contains(" raw="))
        .collect();
    assert_eq!(
        raw,
        [
            "pre_add raw=true",
            "post_add raw=true",
            "pre_remove raw=true",
            "post_remove raw=true",
            "pre_clear raw=false",
            "post_clear raw=false",
        ]
    );
}
