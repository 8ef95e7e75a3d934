//! Runtime support of `#[proxy]`: the sender a proxy model sends its signals by.

use std::sync::OnceLock;

use super::Model;
use crate::sender::Sender;

/// Not public API: the parents of a proxy model's sender (its parent model, then the parent's
/// own parents), computed once. A proxy's signals reach the receivers of every model up its
/// chain, each once.
#[doc(hidden)]
pub struct ProxyParents(OnceLock<Box<[Sender]>>);

impl ProxyParents {
    /// An empty cell, for a `static`.
    pub const fn new() -> Self {
        ProxyParents(OnceLock::new())
    }

    /// The sender of proxy model `P`, whose parent model's sender is `parent()`.
    pub fn sender<P: Model>(&'static self, parent: fn() -> Sender) -> Sender {
        let parents = self.0.get_or_init(|| {
            let parent = parent();
            std::iter::once(parent)
                .chain(parent.parents().iter().copied())
                .collect()
        });
        Sender::with_parents::<P>(parents)
    }
}

impl Default for ProxyParents {
    fn default() -> Self {
        ProxyParents::new()
    }
}
