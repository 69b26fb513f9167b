//! Many nodes, one team: three `switchboard serve --database URL` processes share a 1,000-vendor
//! two-round quote campaign on one Postgres (the simulator, time-compressed) while a driver
//! SIGKILLs a random node every few seconds and starts it again. Whatever the kills hit, the
//! database must show every promise of "never dial twice" kept.

mod serve_nodes;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serve_nodes::{Node, launch, log_tail};
use switchboard_core::ContactId;
use switchboard_engine::nodes::NODE_DIED;
use switchboard_fakes::campaign_checks::assert_campaign_whole;
use switchboard_store::Store;

const NODES: usize = 3;
const VENDORS: usize = 1_000;
const MAX_ATTEMPTS: u32 = 3;
/// The campaign must complete within this, kills included (it takes two and a half to four and
/// a half minutes in the debug build on a loaded 2-core machine; nextest allows this test ten).
const WITHIN: Duration = Duration::from_secs(480);

/// A small xorshift generator: which node dies, and when (the seed is printed to replay a run).
struct Chance(u64);

impl Chance {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn three_nodes_share_a_campaign_through_random_kills_and_dial_no_target_twice() {
    let url = switchboard_store::testing::postgres_url();
    let store = Store::open_postgres(&url).unwrap();
    let (id, spec) = launch(&store, VENDORS, MAX_ATTEMPTS);
    let mut nodes: Vec<Node> = (0..NODES).map(|_| Node::start(&url, tempfile::tempdir().unwrap())).collect();

    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("kill schedule seed {seed}");
    let mut chance = Chance(seed);
    let started = Instant::now();
    let mut kills = 0;
    // Nodes that fenced themselves (their heartbeat late on a loaded machine) and were started again.
    let mut fenced = 0;
    let mut next_report = started;
    let mut next_kill = started + Duration::from_millis(2_500 + chance.next(2_500));
    loop {
        let campaign = store.campaign(id).unwrap().unwrap();
        if campaign.status != "running" {
            assert_eq!(campaign.status, "completed", "{:?}", campaign.status_reason);
            break;
        }
        if started.elapsed() > WITHIN {
            let logs: Vec<String> = nodes.iter().map(|node| log_tail(node.dir.path())).collect();
            panic!(
                "the campaign did not complete in {WITHIN:?} (round {}); nodes' logs:\n{}",
                campaign.round,
                logs.join("\n--\n")
            );
        }
        for node in &mut nodes {
            fenced += usize::from(node.restart_if_exited(&url));
        }
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(10);
            let calls = store.calls_in_campaign(id).unwrap();
            let open = calls.iter().filter(|c| c.ended_at.is_none()).count();
            eprintln!(
                "{:?}: round {}, {} calls, {open} open, {kills} kills, {fenced} fenced",
                started.elapsed(),
                campaign.round,
                calls.len()
            );
        }
        if Instant::now() >= next_kill {
            let victim = chance.next(NODES as u64) as usize;
            nodes[victim].kill_and_restart(&url);
            kills += 1;
            next_kill = Instant::now() + Duration::from_millis(2_500 + chance.next(2_500));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    // SIGTERM drains: every node exits 0 and leaves the registry. (A node restarted a moment
    // ago may not have reached its signal handler yet: each is stopped once it is registered.)
    let registered = |pid: u32| store.nodes().unwrap().iter().any(|n| n.pid == pid && n.ended_at.is_none());
    let give_up = Instant::now() + Duration::from_secs(60);
    while !nodes.iter().all(|node| registered(node.pid())) {
        for node in &mut nodes {
            node.restart_if_exited(&url);
        }
        assert!(Instant::now() < give_up, "a restarted node never registered: {:?}", store.nodes().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    for node in &mut nodes {
        let (clean, log) = node.terminate();
        assert!(clean, "a node did not stop cleanly:\n{log}");
    }
    // A node killed just before the end had no one left to end it: the next node to start does.
    let mut last = Node::start(&url, tempfile::tempdir().unwrap());
    let give_up = Instant::now() + Duration::from_secs(60);
    let only_last_alive = || {
        let alive: Vec<u32> = store.nodes().unwrap().iter().filter(|n| n.ended_at.is_none()).map(|n| n.pid).collect();
        alive == [last.pid()]
    };
    while !only_last_alive() {
        assert!(Instant::now() < give_up, "a dead node was not ended: {:?}", store.nodes().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    let (clean, log) = last.terminate();
    assert!(clean, "the last node did not stop cleanly:\n{log}");
    let calls = store.calls_in_campaign(id).unwrap();
    eprintln!("{} calls in {took:?} with {kills} kills", calls.len());

    assert_campaign_whole(&store, "three nodes with random kills");
    // Each attempt at a vendor in a round was dialled once: a call a dead node left is closed
    // as lost and counts as the attempt it was.
    let mut attempts: BTreeMap<(ContactId, u8, u32), usize> = BTreeMap::new();
    for call in &calls {
        *attempts.entry((call.contact_id, call.round.unwrap(), call.attempt.unwrap())).or_default() += 1;
    }
    let twice: Vec<_> = attempts.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "attempts dialled twice: {twice:?}");
    assert!(attempts.keys().all(|(_, _, attempt)| *attempt <= spec.max_attempts), "{attempts:?}");

    // The kills did hit nodes with calls on the line, and every node has left or was ended.
    let lost_to_kills = calls.iter().filter(|call| call.end_reason.as_deref() == Some(NODE_DIED)).count();
    let registry = store.nodes().unwrap();
    assert!(kills >= 2 && lost_to_kills > 0, "{kills} kills lost {lost_to_kills} calls");
    assert!(registry.iter().all(|node| node.ended_at.is_some()), "{registry:?}");
    assert!(registry.iter().any(|node| node.end_reason.as_deref() == Some(NODE_DIED)), "{registry:?}");
}
