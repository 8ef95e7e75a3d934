//! `examples/axum_app.rs`, served on a loopback socket and driven as curl would: a POST saves a
//! note and its `post_save` receiver audits it, the `request_finished` receiver records each
//! request's timing, a panicking handler answers 500 and the server goes on.
//!
//! The example is compiled into this test as a module, so the test runs its very routes and
//! receivers; `main` is the example's own and unused here.

#[allow(dead_code)]
#[path = "../examples/axum_app.rs"]
mod axum_app;
#[path = "support/http_client.rs"]
mod http_client;

use std::time::{Duration, Instant};

use axum_app::{TIMINGS, Timing};
use serde_json::{Value, json};

fn json(reply: &http_client::Reply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{e}: {:?}", reply.body))
}

/// Waits until the example's `request_finished` receiver has recorded `count` requests.
async fn timings(count: usize) -> Vec<Timing> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let timings = TIMINGS.lock().unwrap().clone();
        if timings.len() >= count {
            return timings;
        }
        assert!(Instant::now() < deadline, "{timings:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_example_saves_audits_and_times_requests_over_a_socket() {
    axum_app::set_up_database("sqlite::memory:").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum_app::app()).await.unwrap() });
    let json_header = [("content-type", "application/json")];

    // A POST creates a row; the post_save receiver writes the audit entry with it.
    let created = http_client::request(
        addr,
        "POST",
        "/notes",
        &json_header,
        r#"{"text": "from the test"}"#,
    )
    .await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(json(&created), json!({ "id": 1, "text": "from the test" }));

    // A refused POST saves nothing, so nothing is audited.
    let refused =
        http_client::request(addr, "POST", "/notes", &json_header, r#"{"nope": 1}"#).await;
    assert_eq!(refused.status, 422, "{refused:?}");

    let listed = http_client::get(addr, "/notes").await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        json(&listed),
        json!({
            "notes": [{ "id": 1, "text": "from the test" }],
            "audit": ["note #1 created"],
        })
    );

    let panicked = http_client::get(addr, "/panic").await;
    assert_eq!(panicked.status, 500);

    // One timing per request, in order, each with its status, after its body was sent.
    let recorded = timings(4).await;
    let seen: Vec<_> = recorded
        .iter()
        .map(|t| (t.method.as_str(), t.path.as_str(), t.status, t.completed))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST", "/notes", Some(201), true),
            ("POST", "/notes", Some(422), true),
            ("GET", "/notes", Some(200), true),
            ("GET", "/panic", Some(500), true),
        ]
    );
    assert!(recorded.iter().all(|t| t.elapsed > Duration::ZERO));

    // And the example serves them back.
    let served = json(&http_client::get(addr, "/timings").await);
    let served = served.as_array().unwrap();
    assert_eq!(served.len(), 4);
    assert_eq!(served[0]["path"], "/notes");
    assert_eq!(served[0]["status"], 201);
    assert_eq!(served[3]["path"], "/panic");
}
