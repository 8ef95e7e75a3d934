//! A small blog on an embedded SQLite file, with Django's model signals:
//! `cargo run --example quickstart`.
//!
//! - saving a new `User` creates its `Profile` in a `post_save` receiver, in the same transaction;
//! - a `pre_save` receiver gives each `Post` a slug from its title;
//! - one receiver without a sender logs every save of every model;
//! - an `on = commit` receiver sends the welcome email only once the user is committed;
//! - a failing receiver rolls the whole save back, and the error names it;
//! - `Staff`, a proxy of `User`, has a method and a manager of its own, and saves through it
//!   reach the receivers for `User` as well as its own.
//!
//! Each step prints what the signals did.

use clarion::db::{self, Database};
use clarion::models::Instance;
use clarion::prelude::*;

/// A user of the blog.
#[derive(Model, Debug)]
pub struct User {
    /// Assigned by the database on the first save.
    pub id: Option<i64>,
    /// Unique, at most 30 characters.
    #[model(unique, max_length = 30)]
    pub username: String,
    /// Where the welcome email goes.
    pub email: String,
    /// Whether the user is on the staff (see [`Staff`]).
    pub is_staff: bool,
}

/// The staff: a proxy of [`User`] (Django's `class Meta: proxy = True`). Same table and rows;
/// its own methods, and a manager that yields only staff users, by username.
#[proxy(of = User, filter = User::IS_STAFF.eq(true), ordering = User::USERNAME)]
#[derive(Debug)]
pub struct Staff;

impl Staff {
    /// Puts `user` on the staff and saves it, through the proxy.
    pub fn promote(user: User) -> clarion::Result<Staff> {
        let mut staff = Staff::from(user);
        staff.is_staff = true;
        staff.save_with(SaveOptions::new().update_fields(&["is_staff"]))?;
        Ok(staff)
    }
}

/// Created for each new user by [`create_profile`].
#[derive(Model, Debug)]
pub struct Profile {
    /// Assigned by the database.
    pub id: Option<i64>,
    /// The user's id (a foreign key once relations land).
    #[model(unique)]
    pub user_id: i64,
    /// Free text.
    #[model(default = String::from("Nothing here yet."))]
    pub bio: String,
}

/// A blog post.
#[derive(Model, Debug)]
pub struct Post {
    /// Assigned by the database.
    pub id: Option<i64>,
    /// The author's user id.
    #[model(index)]
    pub author_id: i64,
    /// At most 80 characters.
    #[model(max_length = 80)]
    pub title: String,
    /// Set from the title by [`slugify`] when empty.
    #[model(unique)]
    pub slug: String,
    /// Whether readers can see it.
    pub published: bool,
}

// Django: @receiver(post_save, sender=User) def create_profile(sender, instance, created, raw, **kw)
#[receiver(post_save, sender = User)]
fn create_profile(instance: &User, created: bool, raw: bool) -> clarion::Result<()> {
    if created && !raw {
        let mut profile = Profile {
            id: None,
            user_id: instance.id.expect("saved users have an id"),
            bio: format!("{} writes here.", instance.username),
        };
        // Runs inside the user's save transaction: if anything fails later, neither is kept.
        profile.save()?;
        println!(
            "  post_save(User)    created profile #{:?}",
            profile.id.unwrap_or_default()
        );
    }
    Ok(())
}

// Django: @receiver(pre_save, sender=Post)
#[receiver(pre_save, sender = Post)]
fn slugify(instance: &mut Post) -> clarion::Result<()> {
    if instance.title.trim().is_empty() {
        return Err("a post needs a title".into());
    }
    if instance.slug.is_empty() {
        instance.slug = instance
            .title
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        println!("  pre_save(Post)     slug set to {:?}", instance.slug);
    }
    Ok(())
}

// No sender: hears every model, through the dynamic view of the instance. Priority 10 runs it
// before the receivers of priority 0 (the default).
#[receiver(post_save, priority = 10)]
fn log_every_save(instance: &dyn Instance, created: bool) {
    let verb = if created { "inserted" } else { "updated" };
    println!(
        "  post_save(*)       {verb} {} pk={}",
        instance.meta().label,
        instance.pk()
    );
}

// Runs after the outermost transaction commits, never after a rollback.
#[receiver(post_save, sender = User, on = commit)]
fn send_welcome_email(instance: &User, created: bool) {
    if created {
        println!(
            "  on commit          welcome email sent to {}",
            instance.email
        );
    }
}

// A receiver for `User` hears updates made through `User` and through its proxy `Staff`; the
// sender says which.
#[receiver(post_save, sender = User)]
fn user_updated(sender: Sender, instance: &User, created: bool) {
    if !created {
        let by = sender.name().rsplit("::").next().unwrap_or_default();
        println!(
            "  post_save(User)    {} updated (sent by {by})",
            instance.username
        );
    }
}

// Hears saves made through the proxy only; receivers for `User` hear them too (unlike Django,
// where a receiver for the concrete model never hears a proxy's saves: ticket #9318).
#[receiver(post_save, sender = Staff)]
fn staff_saved(instance: &Staff, update_fields: Option<&[&str]>) {
    println!(
        "  post_save(Staff)   {} is on the staff (update_fields {:?})",
        instance.username,
        update_fields.unwrap_or_default()
    );
}

#[receiver(pre_delete, sender = Post)]
fn before_delete(instance: &Post) {
    println!("  pre_delete(Post)   deleting {:?}", instance.title);
}

fn main() -> clarion::Result<()> {
    let path = std::env::temp_dir().join("clarion-quickstart.db");
    let _ = std::fs::remove_file(&path);
    db::register(Database::open(&format!("sqlite://{}", path.display()))?);

    println!("migrate()");
    let migrated = clarion::migrate()?;
    println!("  created tables {:?}", migrated.created);

    println!("\nsave a new user");
    let mut ada = User {
        id: None,
        username: "ada".into(),
        email: "ada@example.com".into(),
        is_staff: false,
    };
    ada.save()?;

    println!("\nsave two posts");
    let author_id = ada.id.expect("saved");
    for title in ["Hello, World!", "Signals in Rust"] {
        let mut post = Post {
            id: None,
            author_id,
            title: title.into(),
            slug: String::new(),
            published: true,
        };
        post.save()?;
    }

    println!("\nupdate one field of the user (update_fields)");
    ada.email = "ada@lovelace.example".into();
    ada.save_with(SaveOptions::new().update_fields(&["email"]))?;

    println!("\na failing receiver rolls the whole save back");
    let mut untitled = Post {
        id: None,
        author_id,
        title: "   ".into(),
        slug: String::new(),
        published: false,
    };
    match untitled.save() {
        Ok(()) => unreachable!("slugify refuses posts without a title"),
        Err(error) => println!("  error: {error}"),
    }

    println!("\nthe user and the profile are one transaction: a later failure undoes both");
    let grace = db::atomic(|_| {
        let mut grace = User {
            id: None,
            username: "grace".into(),
            email: "grace@example.com".into(),
            is_staff: false,
        };
        grace.save()?;
        Err::<User, _>(clarion::Error::msg("changed our mind"))
    });
    println!("  atomic returned: {}", grace.unwrap_err());

    println!("\npromote a user to the staff, through the proxy");
    let mut linus = User {
        id: None,
        username: "linus".into(),
        email: "linus@example.com".into(),
        is_staff: false,
    };
    linus.save()?;
    Staff::promote(linus)?;
    let staff: Vec<String> = Staff::objects()
        .all()?
        .into_iter()
        .map(|s| s.0.username)
        .collect();
    println!(
        "  Staff::objects(): {staff:?} (User::objects() counts {})",
        User::objects().count()?
    );

    println!("\nquery");
    let posts = Post::objects()
        .filter(Post::AUTHOR_ID.eq(author_id))
        .order_by(Post::TITLE.asc())
        .all()?;
    for post in &posts {
        println!("  {:<20} /{}", post.title, post.slug);
    }
    println!(
        "  users: {}, profiles: {}",
        User::objects().count()?,
        Profile::objects().count()?
    );

    println!("\ndelete the posts (a query set delete sends the signals per post)");
    let deleted = Post::objects()
        .filter(Post::AUTHOR_ID.eq(author_id))
        .delete()?;
    println!("  deleted {} row(s)", deleted.total);

    println!("\nfixture of what is left (Django's dumpdata format)");
    println!("{}", clarion::fixtures::dump(&[])?);
    Ok(())
}
