//! Where a node's team server is: published in its registry row, and named to another node
//! asking about a call it runs.

use switchboard_core::UnixMillis;
use switchboard_store::{NewNode, RunningNode, Store};

use crate::TestDb;
use crate::campaigns::{campaign, campaign_call};

fn node(store: &Store, pid: u32) -> i64 {
    store.register_node(&NewNode { host: "test-host", pid, max_calls: 10, now: UnixMillis(1_000) }).unwrap()
}

fn a_call_open_on_another_node_names_that_nodes_team_server(db: &TestDb) {
    let (a, b) = (db.open(), db.open());
    let (id, contacts) = campaign(&a);
    let (_, node_b) = (node(&a, 1), node(&b, 2));
    let call = campaign_call(&b, id, contacts[0]).id;
    let unpublished = RunningNode { id: node_b, team_url: None, cert_sha256: None, ended: false };
    assert_eq!(a.call_running_elsewhere(call).unwrap(), Some(unpublished), "B has not said where it is yet");

    b.publish_team_server(node_b, Some("https://10.0.0.2:8443"), "AB:CD").unwrap();
    let published = RunningNode {
        id: node_b,
        team_url: Some("https://10.0.0.2:8443".into()),
        cert_sha256: Some("AB:CD".into()),
        ended: false,
    };
    assert_eq!(a.call_running_elsewhere(call).unwrap(), Some(published.clone()));
    assert_eq!(b.call_running_elsewhere(call).unwrap(), None, "B runs it itself");

    // A node ended while its call is open (the call passing to another node, say) is told apart.
    db.execute(&format!("UPDATE nodes SET ended_at = 2000 WHERE id = {node_b}"));
    assert_eq!(a.call_running_elsewhere(call).unwrap(), Some(RunningNode { ended: true, ..published }));
    // A call over is no node's to reach.
    db.execute(&format!("UPDATE calls SET state = 'completed', ended_at = 3000 WHERE id = {}", call.0));
    assert_eq!(a.call_running_elsewhere(call).unwrap(), None);
}

on_both!(a_call_open_on_another_node_names_that_nodes_team_server);
