// A log of what receivers did, kept per database alias: link-time receivers are global to a test
// binary and its tests run in parallel, so each test uses its own alias and reads back only the
// events logged under it.

use std::sync::Mutex;

static EVENTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Records `event` under `using`.
pub(crate) fn log(using: &str, event: impl Into<String>) {
    EVENTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((using.to_owned(), event.into()));
}

/// The events recorded under `using`, in order.
pub(crate) fn events(using: &str) -> Vec<String> {
    EVENTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(alias, _)| alias == using)
        .map(|(_, event)| event.clone())
        .collect()
}

/// The events recorded under `using`, forgotten.
#[allow(dead_code)]
pub(crate) fn take(using: &str) -> Vec<String> {
    let mut all = EVENTS.lock().unwrap_or_else(|e| e.into_inner());
    let (taken, kept): (Vec<_>, Vec<_>) = all.drain(..).partition(|(alias, _)| alias == using);
    *all = kept;
    taken.into_iter().map(|(_, event)| event).collect()
}
