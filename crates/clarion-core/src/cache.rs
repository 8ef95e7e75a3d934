//! A per-thread cache of published snapshots: the read side of every `send`.
//!
//! Writers publish a new `Arc<Snapshot>` and a process-wide unique *stamp*. Each thread keeps, per
//! signal slot, the stamp and `Arc` it last loaded. A send whose cached stamp equals the signal's
//! current stamp uses the cached snapshot: one atomic load and no read-modify-write, where
//! `ArcSwap::load` costs a guarded RMW (about 5 ns on the reference machine, the whole budget of a
//! one-receiver send).
//!
//! Invariant: a pointer handed out by [`pin`] stays valid until the matching [`unpin`], because a
//! slot refilled while this thread is inside a dispatch (depth > 0, e.g. a receiver that sends the
//! same signal after it changed) parks the old `Arc` in a graveyard that is emptied only when the
//! depth returns to zero.

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

type Keep = Arc<dyn Any + Send + Sync>;

struct Slot {
    stamp: u64,
    ptr: *const (),
    keep: Option<Keep>,
}

struct ThreadCache {
    slots: Vec<Slot>,
    depth: usize,
    graveyard: Vec<Keep>,
}

thread_local! {
    static CACHE: RefCell<ThreadCache> = const {
        RefCell::new(ThreadCache { slots: Vec::new(), depth: 0, graveyard: Vec::new() })
    };
}

/// Stamps are unique across all signals, so a slot reused by a new signal can never match a stamp
/// published by the signal that held the slot before.
static NEXT_STAMP: AtomicU64 = AtomicU64::new(1);
static NEXT_SLOT: AtomicU32 = AtomicU32::new(1);
static FREE_SLOTS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// A fresh stamp for a publication.
pub(crate) fn next_stamp() -> u64 {
    NEXT_STAMP.fetch_add(1, Ordering::Relaxed)
}

/// A slot number (never 0) for a signal.
pub(crate) fn alloc_slot() -> u32 {
    let reused = FREE_SLOTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop();
    reused.unwrap_or_else(|| NEXT_SLOT.fetch_add(1, Ordering::Relaxed))
}

/// Gives a dropped signal's slot back.
pub(crate) fn free_slot(slot: u32) {
    FREE_SLOTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(slot);
}

/// Pins and returns this thread's cached snapshot for `slot` if it carries `stamp`.
///
/// `None` when the cache is stale, empty, or unavailable (thread-local storage being destroyed).
#[inline]
pub(crate) fn pin(slot: u32, stamp: u64) -> Option<*const ()> {
    CACHE
        .try_with(|cache| {
            let mut cache = cache.borrow_mut();
            let hit = match cache.slots.get(slot as usize) {
                Some(s) if s.stamp == stamp => s.ptr,
                _ => return None,
            };
            cache.depth += 1;
            Some(hit)
        })
        .ok()
        .flatten()
}

/// Stores `keep` (whose data `ptr` points into) as this thread's snapshot for `slot` at `stamp`.
///
/// Returns `false` when thread-local storage is unavailable (a send from a thread-local
/// destructor); the caller then dispatches from its own `Arc`.
pub(crate) fn fill(slot: u32, stamp: u64, ptr: *const (), keep: Keep) -> bool {
    CACHE
        .try_with(|cache| {
            let mut cache = cache.borrow_mut();
            let index = slot as usize;
            if cache.slots.len() <= index {
                cache.slots.resize_with(index + 1, || Slot {
                    stamp: 0,
                    ptr: std::ptr::null(),
                    keep: None,
                });
            }
            let old = std::mem::replace(
                &mut cache.slots[index],
                Slot {
                    stamp,
                    ptr,
                    keep: Some(keep),
                },
            );
            // A pinned pointer may point into `old`, and dropping it may run user code: park it
            // until no dispatch runs on this thread.
            if let Some(old) = old.keep {
                cache.graveyard.push(old);
            }
        })
        .is_ok()
}

/// Ends a pin taken by [`pin`].
#[inline]
pub(crate) fn unpin() {
    let _ = CACHE.try_with(|cache| {
        let buried = {
            let mut cache = cache.borrow_mut();
            cache.depth -= 1;
            if cache.depth == 0 && !cache.graveyard.is_empty() {
                std::mem::take(&mut cache.graveyard)
            } else {
                return;
            }
        };
        // Dropped outside the borrow: dropping a receiver may run user code that sends signals.
        drop(buried);
    });
}
