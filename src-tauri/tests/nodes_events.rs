//! A console signed in to one node of a team's shared Postgres sees the calls another node runs:
//! two `switchboard serve --team` nodes on one database, and the console's event stream from
//! node A (its WebSocket, signed in over TLS) showing a call node B runs, its transcript, and its
//! end as lost once B is SIGKILLed and A finds it dead.

// Shared with the other tests of nodes and of the team server: each uses some of them.
#[allow(dead_code)]
mod serve_nodes;
#[allow(dead_code)]
mod team_client;
#[allow(dead_code)]
mod team_node;

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::Value;
use switchboard_engine::nodes::NODE_DIED;
use switchboard_store::Store;
use team_client::{Client, Events, open_socket, start_quote_call};
use team_node::{TeamNode, add_user};
use tokio_tungstenite::tungstenite::Message;

/// Reads `events` until an event about call `id` satisfies `wanted`; returns it.
async fn event_about(events: &mut Events, id: i64, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, events.next())
            .await
            .unwrap_or_else(|_| panic!("node A's console never saw {what} of call {id}"))
            .expect("the event stream ended")
            .unwrap();
        let Message::Text(text) = frame else { continue };
        let frame: Value = serde_json::from_str(&text).unwrap();
        let event = &frame["event"];
        let about = event["call"]["id"].as_i64().or(event["callId"].as_i64());
        if about == Some(id) && wanted(event) {
            return event.clone();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_on_one_node_sees_the_calls_another_node_runs_and_their_loss_when_it_dies() {
    let url = switchboard_store::testing::postgres_url();
    switchboard_engine::sample::seed_shipped(&Store::open_postgres(&url).unwrap()).unwrap();
    add_user(&url, "ana", "dispatcher");
    let (a, mut b) = (TeamNode::start(&url), TeamNode::start(&url));

    let a_token = Client::new(&a, a.tls()).sign_in("ana").await;
    let mut events = open_socket(&a, &a.tls(), &a_token, "/api/v1/events").await.unwrap();
    let mut b_client = Client::new(&b, b.tls());
    let b_token = b_client.sign_in("ana").await;
    let call = start_quote_call(&mut b_client, &b_token).await;

    let placed = event_about(&mut events, call, "the call", |event| event["type"] == "callUpdated").await;
    assert_eq!(placed["call"]["agentName"], "Vendor quote", "{placed}");
    event_about(&mut events, call, "a line of the transcript", |event| event["type"] == "transcriptLine").await;

    // B dies with the call on the line; A finds it dead and closes the call as lost.
    b.node.process.kill().unwrap();
    b.node.process.wait().unwrap();
    let lost = event_about(&mut events, call, "the call's loss", |event| {
        event["type"] == "callUpdated" && event["call"]["state"] != "in-progress"
    })
    .await;
    assert_eq!(
        (lost["call"]["state"].as_str(), lost["call"]["endReason"].as_str()),
        (Some("lost"), Some(NODE_DIED)),
        "{lost}"
    );
}
