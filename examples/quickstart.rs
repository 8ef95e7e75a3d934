//! A small blog on an embedded SQLite file, with Django's model signals:
//! `cargo run --example quickstart`.
//!
//! Given a PostgreSQL URL, it runs the same on PostgreSQL, in a schema of its own
//! (`clarion_quickstart`, emptied first): `cargo run --example quickstart --
//! postgres://postgres@127.0.0.1:5432/test` (the `postgres` feature, which the examples have).
//!
//! - saving a new `User` creates its `Profile` in a `post_save` receiver, in the same transaction;
//! - a `pre_save` receiver gives each `Post` a slug from its title;
//! - one receiver without a sender logs every save of every model;
//! - an `on = commit` receiver sends the welcome email only once the user is committed;
//! - a failing receiver rolls the whole save back, and the error names it;
//! - `Staff`, a proxy of `User`, has a method and a manager of its own, and saves through it
//!   reach the receivers for `User` as well as its own;
//! - posts have tags (many-to-many): an `m2m_changed` receiver keeps each tag's post count;
//! - deleting a user cascades to its profile and posts (and their tags' join rows), with every
//!   `pre_delete` first, as Django's collector sends them.
//!
//! Each step prints what the signals did.

use clarion::db::{self, Database, Transaction};
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
    /// Whose profile it is; deleted with the user.
    #[model(unique, on_delete = cascade)]
    pub user: ForeignKey<User>,
    /// Free text.
    #[model(default = String::from("Nothing here yet."))]
    pub bio: String,
}

/// A blog post, with tags (Django: `tags = models.ManyToManyField(Tag)`).
#[derive(Model, Debug)]
#[model(many_to_many(tags = Tag))]
pub struct Post {
    /// Assigned by the database.
    pub id: Option<i64>,
    /// Who wrote it; the posts go when their author does.
    #[model(on_delete = cascade)]
    pub author: ForeignKey<User>,
    /// At most 80 characters.
    #[model(max_length = 80)]
    pub title: String,
    /// Set from the title by [`slugify`] when empty.
    #[model(unique)]
    pub slug: String,
    /// Whether readers can see it.
    pub published: bool,
}

/// A tag, with the number of posts that carry it (kept by [`count_tags`]).
#[derive(Model, Debug)]
pub struct Tag {
    /// Assigned by the database.
    pub id: Option<i64>,
    /// Unique.
    #[model(unique, max_length = 30)]
    pub name: String,
    /// How many posts carry it.
    #[model(default = 0)]
    pub posts: i64,
}

/// Recounts the posts of every tag, in the transaction of the change.
fn recount_tags(tx: &Transaction) -> clarion::Result<()> {
    // Plain SQL that both SQLite and PostgreSQL take.
    tx.execute_batch(
        "UPDATE tag SET posts = (SELECT count(*) FROM post_tags WHERE post_tags.tag_id = tag.id)",
    )
}

// Django: @receiver(m2m_changed, sender=Post.tags.through). `PostTags` is the relation's type.
#[receiver(m2m_changed, sender = PostTags)]
fn count_tags(
    instance: &Post,
    action: M2mAction,
    pk_set: &Option<PkSet>,
    tx: &Transaction,
) -> clarion::Result<()> {
    if !action.is_pre() {
        let keys: Vec<String> = pk_set.iter().flatten().map(ToString::to_string).collect();
        println!(
            "  m2m_changed(tags)  {} on {:?}, tag keys [{}]",
            action.name(),
            instance.slug,
            keys.join(", ")
        );
        recount_tags(tx)?;
    }
    Ok(())
}

// A post's join rows go with it without `m2m_changed` (as in Django), so the counts are also
// refreshed when posts are deleted.
#[receiver(post_delete, sender = Post)]
fn recount_after_delete(tx: &Transaction) -> clarion::Result<()> {
    recount_tags(tx)
}

// Django: @receiver(post_save, sender=User) def create_profile(sender, instance, created, raw, **kw)
#[receiver(post_save, sender = User)]
fn create_profile(instance: &User, created: bool, raw: bool) -> clarion::Result<()> {
    if created && !raw {
        let mut profile = Profile {
            id: None,
            user: ForeignKey::to(instance)?,
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

#[receiver(pre_delete, sender = Profile)]
fn before_profile_delete(instance: &Profile) {
    println!(
        "  pre_delete(Profile) deleting #{}",
        instance.id.unwrap_or_default()
    );
}

#[receiver(pre_delete, sender = User)]
fn before_user_delete(instance: &User) {
    println!("  pre_delete(User)   deleting {}", instance.username);
}

fn main() -> clarion::Result<()> {
    let database = match std::env::args().nth(1) {
        Some(url) if url.starts_with("postgres") => {
            // A schema of the quickstart's own, emptied first, so that it runs again and again.
            Database::open(&url)?.atomic(|tx| {
                tx.execute_batch(
                    "DROP SCHEMA IF EXISTS clarion_quickstart CASCADE; \
                     CREATE SCHEMA clarion_quickstart",
                )
            })?;
            let separator = if url.contains('?') { '&' } else { '?' };
            Database::open(&format!(
                "{url}{separator}options=-c%20search_path%3Dclarion_quickstart"
            ))?
        }
        Some(url) => Database::open(&url)?,
        None => {
            let path = std::env::temp_dir().join("clarion-quickstart.db");
            let _ = std::fs::remove_file(&path);
            Database::open(&format!("sqlite://{}", path.display()))?
        }
    };
    println!("database: {} ({})", database.url(), database.backend());
    db::register(database);

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

    println!("\nsave two tags and two posts, and tag the posts (many-to-many)");
    let mut tags = ["rust", "django"].map(|name| Tag {
        id: None,
        name: name.into(),
        posts: 0,
    });
    for tag in &mut tags {
        tag.save()?;
    }
    let [rust, django] = &tags;
    let mut posts = Vec::new();
    for title in ["Hello, World!", "Signals in Rust"] {
        let mut post = Post {
            id: None,
            author: ForeignKey::to(&ada)?,
            title: title.into(),
            slug: String::new(),
            published: true,
        };
        post.save()?;
        posts.push(post);
    }
    posts[0].tags().add([rust, django])?;
    posts[1].tags().add([rust])?;

    println!("\nupdate one field of the user (update_fields)");
    ada.email = "ada@lovelace.example".into();
    ada.save_with(SaveOptions::new().update_fields(&["email"]))?;

    println!("\na failing receiver rolls the whole save back");
    let mut untitled = Post {
        id: None,
        author: ForeignKey::to(&ada)?,
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

    println!("\nquery: ada's posts (the reverse side of Post.author), and the tags");
    let ada_posts = ada
        .related(Post::AUTHOR)?
        .order_by(Post::TITLE.asc())
        .all()?;
    for post in &ada_posts {
        println!("  {:<20} /{}", post.title, post.slug);
    }
    print_tags()?;

    println!("\nretag a post: set() removes what is no longer wanted, then adds the rest");
    posts[1].tags().set([django])?;
    print_tags()?;

    println!(
        "
delete ada: her profile and posts cascade (on_delete = cascade)"
    );
    let deleted = ada.delete()?;
    println!(
        "  deleted {} row(s): {:?}",
        deleted.total, deleted.per_model
    );
    print_tags()?;

    println!("\nfixture of what is left (Django's dumpdata format)");
    println!("{}", clarion::fixtures::dump(&[])?);
    Ok(())
}

fn print_tags() -> clarion::Result<()> {
    for tag in Tag::objects().order_by(Tag::NAME).all()? {
        println!("  tag {:<8} on {} post(s)", tag.name, tag.posts);
    }
    Ok(())
}
