//! The senders and instances a receiver may name: a model, a proxy of it, `dyn Instance`, a
//! relation or its custom `through` model for `m2m_changed`, any type for a signal of the user's.

use clarion::models::Instance;
use clarion::prelude::*;

#[derive(Model)]
pub struct User {
    id: Option<i64>,
    is_staff: bool,
}

#[proxy(of = User)]
pub struct Staff;

#[derive(Model)]
pub struct Tag {
    id: Option<i64>,
}

#[derive(Model)]
#[model(many_to_many(tags = Tag), many_to_many(labels = Tag, through = Labelling))]
pub struct Post {
    id: Option<i64>,
}

#[derive(Model)]
pub struct Labelling {
    id: Option<i64>,
    #[model(on_delete = cascade)]
    post: ForeignKey<Post>,
    #[model(on_delete = cascade)]
    tag: ForeignKey<Tag>,
}

#[receiver(post_save, sender = User)]
fn user_saved(instance: &User) {
    let _ = instance;
}

#[receiver(pre_save, sender = User)]
fn user_to_save(instance: &mut User) {
    instance.is_staff = false;
}

#[receiver(post_save, sender = User)]
fn user_as_staff(instance: &Staff) {
    let _ = instance;
}

#[receiver(post_save, sender = Staff)]
fn staff_as_user(instance: &User) {
    let _ = instance;
}

#[receiver([pre_delete, post_delete], sender = Staff)]
fn staff_any(instance: &dyn Instance) {
    let _ = instance;
}

#[receiver(post_save, sender = User, on = commit)]
fn user_committed(instance: &User) {
    let _ = instance;
}

#[receiver(m2m_changed, sender = PostTags)]
fn tags_changed(instance: &Post, action: M2mAction) {
    let _ = (instance, action);
}

#[receiver(m2m_changed, sender = Labelling)]
fn labels_changed(action: M2mAction) {
    let _ = action;
}

#[receiver(m2m_changed, sender = PostLabels)]
fn labels_changed_by_relation(action: M2mAction) {
    let _ = action;
}

#[derive(SignalArgs)]
pub struct Shipped<'a> {
    instance: &'a String,
}

signal! {
    static SHIPPED: Signal<Shipped>;
}

pub struct Warehouse;

#[receiver(SHIPPED, sender = Warehouse)]
fn shipped(instance: &String) {
    let _ = instance;
}

#[receiver(class_prepared, sender = User)]
fn prepared(model: &clarion::models::ModelMeta) {
    let _ = model;
}

fn main() {}
