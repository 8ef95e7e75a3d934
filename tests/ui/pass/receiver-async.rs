// `async fn` receivers: awaited where the signal is sent, checked as plain receivers, their
// errors and returned values treated alike. Here on a plain thread, where clarion awaits them on
// a runtime of the thread's own.

use std::sync::atomic::{AtomicU32, Ordering};

use clarion::prelude::*;

#[derive(SignalArgs)]
struct Saved<'a> {
    size: u32,
    name: &'a str,
}

signal! {
    static SAVED: Signal<Saved>;
}

struct User;

static TOTAL: AtomicU32 = AtomicU32::new(0);

#[receiver(SAVED, sender = User)]
async fn add_size(size: u32, name: &str) {
    tokio::task::yield_now().await;
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    assert_eq!(name, "ada");
    TOTAL.fetch_add(size, Ordering::SeqCst);
}

#[receiver(SAVED, priority = -1)]
async fn refuse_big(size: u32) -> Result<(), clarion::Error> {
    if size > 10 {
        return Err("too big".into());
    }
    Ok(())
}

fn main() {
    SAVED
        .send(Sender::of::<User>(), &mut Saved { size: 3, name: "ada" })
        .unwrap();
    assert_eq!(TOTAL.load(Ordering::SeqCst), 3);
    let error = SAVED
        .send(Sender::of::<User>(), &mut Saved { size: 20, name: "ada" })
        .unwrap_err();
    assert!(error.to_string().contains("refuse_big"), "{error}");
    assert_eq!(TOTAL.load(Ordering::SeqCst), 23);
}
