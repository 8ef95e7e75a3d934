//! Proxy models (`#[proxy(of = …)]`): the parent's table and rows, behaviour of their own, and a
//! dispatch identity that reaches the receivers of every model up the chain.
//!
//! Link-time receivers are global to this test binary and tests run in parallel, so each test
//! uses its own database alias and the receivers log under the alias they ran on.

#[path = "support/backend.rs"]
mod backend;
#[path = "support/events.rs"]
mod events;

use clarion::models::{DeleteOrigin, Instance, models};
use clarion::prelude::*;
use events::{events, log};

/// The concrete model.
#[allow(missing_docs)]
#[derive(Model, Debug, Clone, PartialEq)]
#[model(app_label = "accounts")]
pub struct User {
    pub id: Option<i64>,
    #[model(max_length = 50)]
    pub name: String,
    pub is_staff: bool,
    pub level: i64,
}

/// Staff members: the users with `is_staff`, by name.
#[proxy(of = User, filter = User::IS_STAFF.eq(true), ordering = User::NAME, app_label = "accounts")]
#[derive(Debug, Clone, PartialEq)]
pub struct Staff;

impl Staff {
    /// Behaviour of the proxy's own.
    pub fn promote(&mut self) {
        self.level += 1;
    }
}

/// A proxy of a proxy: senior staff, by level then name.
#[proxy(of = Staff, filter = User::IS_STAFF.eq(true) & User::LEVEL.gte(2), ordering = (User::LEVEL.desc(), User::NAME), app_label = "accounts")]
#[derive(Debug)]
pub struct Senior;

#[receiver(pre_save, sender = User)]
fn user_pre_save(sender: Sender, instance: &mut User, using: &str) {
    log(
        using,
        format!("user pre_save {} by {}", instance.name, short(sender)),
    );
}

#[receiver(post_save, sender = User)]
fn user_post_save(sender: Sender, instance: &User, created: bool, using: &str) {
    log(
        using,
        format!(
            "user post_save {} created={created} by {}",
            instance.name,
            short(sender)
        ),
    );
}

#[receiver(pre_save, sender = Staff)]
fn staff_pre_save(instance: &mut Staff, using: &str) {
    log(using, format!("staff pre_save {}", instance.name));
}

#[receiver(post_save, sender = Staff)]
fn staff_post_save(instance: &Staff, using: &str) {
    log(using, format!("staff post_save {}", instance.name));
}

#[receiver(post_save, sender = Senior)]
fn senior_post_save(instance: &Senior, using: &str) {
    log(using, format!("senior post_save {}", instance.name));
}

#[receiver(pre_delete, sender = User)]
fn user_pre_delete(instance: &User, using: &str, origin: &DeleteOrigin) {
    log(
        using,
        format!(
            "user pre_delete {} id={:?} origin={origin:?}",
            instance.name, instance.id
        ),
    );
}

#[receiver(post_delete, sender = User)]
fn user_post_delete(instance: &User, using: &str) {
    log(using, format!("user post_delete {}", instance.name));
}

/// Every model's saves: the dynamic view sees the proxy's own meta and both types.
#[receiver(post_save)]
fn any_post_save(instance: &dyn Instance, using: &str) {
    if !using.starts_with("proxy_") {
        return;
    }
    log(
        using,
        format!(
            "any post_save {} proxy={} is_user={} is_staff={}",
            instance.meta().label,
            instance.meta().is_proxy(),
            instance.downcast_ref::<User>().is_some(),
            instance.downcast_ref::<Staff>().is_some(),
        ),
    );
}

fn short(sender: Sender) -> &'static str {
    let name = sender.name();
    name.rsplit("::").next().unwrap_or(name)
}

fn database(alias: &str) -> &str {
    backend::register(alias);
    clarion::migrate_using(alias).unwrap();
    alias
}

fn user(name: &str, is_staff: bool, level: i64) -> User {
    User {
        id: None,
        name: name.into(),
        is_staff,
        level,
    }
}

fn save<M: Model>(instance: &mut M, alias: &str) {
    instance.save_with(SaveOptions::new().using(alias)).unwrap();
}

#[test]
fn a_save_through_the_proxy_reaches_its_receivers_and_the_concrete_models() {
    let alias = database("proxy_save");
    let mut staff = Staff::from(user("ada", true, 1));
    save(&mut staff, alias);
    assert!(staff.id.is_some(), "the key is set through the proxy");
    assert_eq!(
        events(alias),
        [
            // Receivers of the proxy and of the concrete model run together, each once, in the
            // usual order (priority, then path): here `proxy::staff_…` before `proxy::user_…`.
            "staff pre_save ada",
            "user pre_save ada by Staff",
            "any post_save accounts.staff proxy=true is_user=true is_staff=true",
            "staff post_save ada",
            "user post_save ada created=true by Staff",
        ],
        "each receiver once, in the documented order, with the instance typed as it asked"
    );
    // The row is the concrete model's.
    let stored = User::objects().using(alias).get().unwrap();
    assert_eq!(stored, staff.0);
}

#[test]
fn a_save_through_the_concrete_model_does_not_reach_the_proxys_receivers() {
    let alias = database("proxy_concrete");
    save(&mut user("bob", true, 1), alias);
    assert_eq!(
        events(alias),
        [
            "user pre_save bob by User",
            "any post_save accounts.user proxy=false is_user=true is_staff=false",
            "user post_save bob created=true by User",
        ]
    );
}

#[test]
fn a_proxy_of_a_proxy_reaches_every_model_up_the_chain_once() {
    let alias = database("proxy_chain");
    let mut senior = Senior::from(Staff::from(user("cy", true, 3)));
    save(&mut senior, alias);
    assert_eq!(
        events(alias),
        [
            "staff pre_save cy",
            "user pre_save cy by Senior",
            "any post_save accounts.senior proxy=true is_user=true is_staff=true",
            "senior post_save cy",
            "staff post_save cy",
            "user post_save cy created=true by Senior",
        ]
    );
    assert_eq!(Senior::META.concrete_model().label, "accounts.user");
    assert_eq!(Senior::sender().parents().len(), 2);
}

#[test]
fn the_proxys_manager_filters_and_orders_while_the_concrete_one_sees_every_row() {
    let alias = database("proxy_manager");
    for (name, is_staff, level) in [
        ("zoe", true, 2),
        ("al", false, 5),
        ("mia", true, 1),
        ("ben", true, 2),
    ] {
        save(&mut user(name, is_staff, level), alias);
    }
    let names = |users: Vec<String>| users;
    let staff: Vec<String> = Staff::objects()
        .using(alias)
        .all()
        .unwrap()
        .into_iter()
        .map(|s| s.0.name)
        .collect();
    assert_eq!(names(staff), ["ben", "mia", "zoe"]);
    let senior: Vec<String> = Senior::objects()
        .using(alias)
        .all()
        .unwrap()
        .into_iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(senior, ["ben", "zoe"]);
    assert_eq!(User::objects().using(alias).count().unwrap(), 4);
    // The concrete model's column handles filter the proxy's query sets further.
    let mia = Staff::objects()
        .using(alias)
        .filter(User::LEVEL.eq(1))
        .get()
        .unwrap();
    assert_eq!(mia.name, "mia");
    // A non-staff user is not found through the proxy.
    assert!(matches!(
        Staff::objects()
            .using(alias)
            .filter(User::NAME.eq("al"))
            .get(),
        Err(clarion::Error::DoesNotExist { .. })
    ));
}

#[test]
fn proxy_methods_and_conversions_work_by_value_and_by_reference() {
    let alias = database("proxy_convert");
    let mut staff = Staff::from(user("dee", true, 1));
    staff.promote();
    save(&mut staff, alias);
    assert_eq!(User::objects().using(alias).get().unwrap().level, 2);

    let mut plain = User::from(staff.clone());
    assert_eq!(plain.level, 2);
    let viewed: &Staff = Staff::from_ref(&plain);
    assert_eq!(viewed.name, "dee");
    assert_eq!(AsRef::<User>::as_ref(viewed), &plain);
    Staff::from_mut(&mut plain).promote();
    assert_eq!(plain.level, 3);
}

#[test]
fn a_delete_through_the_proxy_reaches_the_concrete_models_receivers() {
    let alias = database("proxy_delete");
    let mut staff = Staff::from(user("eve", true, 1));
    save(&mut staff, alias);
    let id = staff.id;
    let deleted = staff.delete_using(alias).unwrap();
    assert_eq!(deleted.total, 1);
    assert_eq!(deleted.per_model.get("accounts.staff"), Some(&1));
    assert_eq!(staff.id, None);
    let tail: Vec<String> = events(alias).into_iter().skip(5).collect();
    assert_eq!(
        tail,
        [
            format!(
                "user pre_delete eve id={id:?} origin=Instance(accounts.staff, pk = {})",
                id.unwrap()
            ),
            "user post_delete eve".to_owned(),
        ]
    );
    assert_eq!(User::objects().using(alias).count().unwrap(), 0);

    // A query set delete through the proxy deletes only the proxy's rows.
    save(&mut user("fay", true, 1), alias);
    save(&mut user("gus", false, 1), alias);
    let deleted = Staff::objects().using(alias).delete().unwrap();
    assert_eq!(deleted.total, 1);
    let left: Vec<String> = User::objects()
        .using(alias)
        .all()
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(left, ["gus"]);
}

#[test]
fn introspection_shows_proxies_and_migrate_creates_no_table_for_them() {
    let staff = models()
        .iter()
        .find(|m| m.meta().label == "accounts.staff")
        .expect("the proxy is registered");
    assert!(staff.meta().is_proxy());
    assert_eq!(staff.meta().concrete_model().label, "accounts.user");
    assert_eq!(staff.meta().table, User::META.table);
    assert_eq!(staff.sender().parents()[0], User::sender());
    assert!(!User::META.is_proxy());
    assert!(std::ptr::eq(User::META.concrete_model(), User::META));

    backend::register("proxy_migrate");
    let migrated = clarion::migrate_using("proxy_migrate").unwrap();
    assert_eq!(migrated.created, ["user"]);
}

#[test]
fn fixtures_name_a_proxys_rows_by_the_concrete_model() {
    let alias = database("proxy_fixtures");
    save(&mut Staff::from(user("hal", true, 1)), alias);
    let dumped = clarion::fixtures::dump_using(&["accounts.staff"], alias).unwrap();
    let records: serde_json::Value = serde_json::from_str(&dumped).unwrap();
    let records = records.as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["model"], "accounts.user");
    assert_eq!(records[0]["fields"]["name"], "hal");
}
