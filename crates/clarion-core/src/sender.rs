//! Who sent a signal: identity by type.

use std::any::TypeId;
use std::fmt;

/// The sender of a signal, identified by a Rust type (Django's `sender=`).
///
/// Any `'static` type can be a sender: `Sender::of::<User>()`. A sender may name *parents*: a
/// signal sent by it also reaches the receivers connected for each parent, each exactly once. Model
/// proxies use this so that a receiver for the concrete model hears saves made through the proxy.
/// Parents belong to the sender value, not to the type: `Sender::of::<T>()` never reaches the
/// receivers of a parent, whatever `with_parents::<T>` sends happened before. Equality (`==`)
/// compares the types only.
///
/// ```
/// use clarion::Sender;
/// struct Pizzeria;
/// const PIZZERIA: Sender = Sender::of::<Pizzeria>();
/// assert_eq!(PIZZERIA, Sender::of::<Pizzeria>());
/// assert!(PIZZERIA.name().ends_with("Pizzeria"));
/// ```
#[derive(Clone, Copy)]
pub struct Sender {
    id: TypeId,
    name: fn() -> &'static str,
    parents: &'static [Sender],
}

impl Sender {
    /// The sender identified by the type `T`.
    pub const fn of<T: ?Sized + 'static>() -> Sender {
        Sender {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>,
            parents: &[],
        }
    }

    /// The sender `T` that also reaches the receivers of `parents` (nearest first).
    ///
    /// Receivers connected for any of them hear the send once, in their usual order.
    pub const fn with_parents<T: ?Sized + 'static>(parents: &'static [Sender]) -> Sender {
        Sender {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>,
            parents,
        }
    }

    /// The `TypeId` that identifies this sender.
    pub fn type_id(&self) -> TypeId {
        self.id
    }

    /// The sender type's name, as `std::any::type_name` gives it.
    pub fn name(&self) -> &'static str {
        (self.name)()
    }

    /// The parents given to [`Sender::with_parents`], nearest first.
    pub fn parents(&self) -> &'static [Sender] {
        self.parents
    }

    /// Whether this sender is `T`.
    pub fn is<T: ?Sized + 'static>(&self) -> bool {
        self.id == TypeId::of::<T>()
    }

    /// Whether a receiver connected for `other` hears signals sent by `self`.
    pub fn reaches(&self, other: &Sender) -> bool {
        self.id == other.id || self.parents.iter().any(|p| p.reaches(other))
    }

    /// The same type without parents.
    pub(crate) fn plain(sender: &Sender) -> Sender {
        Sender {
            parents: &[],
            ..*sender
        }
    }

    /// Whether two parent lists name the same types, all the way up.
    pub(crate) fn same_parents(a: &[Sender], b: &[Sender]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
    }

    /// Same type and same parents (equality only compares types).
    pub(crate) fn same_as(&self, other: &Sender) -> bool {
        self.id == other.id && Sender::same_parents(self.parents, other.parents)
    }
}

impl PartialEq for Sender {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Sender {}

impl std::hash::Hash for Sender {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Sender").field(&self.name()).finish()
    }
}

impl fmt::Display for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
