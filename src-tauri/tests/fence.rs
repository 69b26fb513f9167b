//! A node hangs up its calls before it can be declared dead. A `switchboard serve` node reaches
//! the shared Postgres through a proxy that the test stalls (bytes held, sockets open), with
//! pipeline calls on the line at the fake Twilio; a second node reaps it and dials the targets
//! again: the stalled node's calls must be over at Twilio before the reaper declares it dead,
//! no callee dialled while still on the line, and the node gone with status 3. And a node
//! that finds at a heartbeat that it was declared dead hangs up at once instead of draining.

#[allow(dead_code)] // Shared with the test that kills nodes, whose campaign this test has no use for.
mod serve_nodes;
mod twilio_fakes;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serve_nodes::{Node, log_tail};
use switchboard_core::{BackendKind, CallState, CallSummary, ContactId, UnixMillis};
use switchboard_engine::campaigns::{CampaignKind, CampaignSpec};
use switchboard_engine::nodes::NODE_DIED;
use switchboard_engine::sample;
use switchboard_fakes::anthropic::Reply;
use switchboard_fakes::twilio::CallTimes;
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_store::{NewNode, NodeEnd, NodeRow, Store};
use twilio_fakes::{TwilioFakes, provider_env};

/// Every node's heartbeat and expiry: a node that cannot beat fences itself 6 s after its last
/// beat reached the database and has 1 s to hang up; another declares it dead 8 s after.
const HEARTBEAT_MS: &str = "2000";
const EXPIRY_MS: &str = "8000";
/// The vendors called at once.
const VENDORS: usize = 2;

/// Forwards TCP connections to a server until stalled: from then on it holds every byte it
/// reads and keeps every socket open, so the client sees a server that stopped answering.
struct StallingProxy {
    address: SocketAddr,
    stalled: Arc<AtomicBool>,
}

impl StallingProxy {
    fn start(server: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let (address, stalled) = (listener.local_addr().unwrap(), Arc::new(AtomicBool::new(false)));
        let held = Arc::clone(&stalled);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(upstream) = TcpStream::connect(server) else { continue };
                let (client_out, upstream_out) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let (up, down) = (Arc::clone(&held), Arc::clone(&held));
                std::thread::spawn(move || pump(client, upstream_out, &up));
                std::thread::spawn(move || pump(upstream, client_out, &down));
            }
        });
        Self { address, stalled }
    }

    fn stall(&self) {
        self.stalled.store(true, Ordering::Release);
    }
}

/// Passes what `from` sends on to `to`, holding it for good once `stalled`.
fn pump(mut from: TcpStream, mut to: TcpStream, stalled: &AtomicBool) {
    let mut buffer = [0; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(read) => read,
        };
        while stalled.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if to.write_all(&buffer[..read]).is_err() {
            return;
        }
    }
}

/// The shared database with a pipeline quote agent and a campaign calling the shipped vendors
/// with it (whose callees stay on until hung up), as a console would launch it.
struct Team {
    url: String,
    store: Store,
    fakes: TwilioFakes,
}

impl Team {
    async fn start() -> Self {
        let url = switchboard_store::testing::postgres_url();
        let store = Store::open_postgres(&url).unwrap();
        // The callee hears the greeting, then stays on in silence; Deepgram hears no words.
        let callee =
            vec![CallerStep::WaitForAgent(Duration::from_millis(300)), CallerStep::Silence(Duration::from_secs(600))];
        let fakes = TwilioFakes::start(Box::new(|_| Reply::text("Sorry?")), &[], callee).await;
        Self { url, store, fakes }
    }

    fn launch(&self) -> i64 {
        sample::seed_shipped(&self.store).unwrap();
        let agents = self.store.list_agents().unwrap();
        let mut agent = agents.into_iter().find(|agent| agent.config.name == "Vendor quote").unwrap();
        agent.config.name = "Vendor quote (pipeline)".into();
        agent.config.backend = BackendKind::Pipeline;
        agent.config.backend_settings.pipeline.tts_voice = "voice_test".into();
        (agent.config.max_duration_secs, agent.config.silence_timeout_secs) = (600, 600);
        let agent_id = self.store.insert_agent(&agent.config, UnixMillis(0)).unwrap();
        let contacts: Vec<ContactId> = self.store.list_contacts().unwrap().iter().map(|c| c.id).take(VENDORS).collect();
        let spec = CampaignSpec {
            name: "fence".into(),
            kind: CampaignKind::VendorQuote,
            agent_id,
            negotiation_agent_id: None,
            contacts,
            concurrency: VENDORS as u32,
            max_attempts: 3,
            retry_spacing_ms: 10,
            ignore_calling_windows: true,
            budget_usd: None,
            request: None,
        };
        let json = serde_json::to_string(&spec).unwrap();
        self.store.insert_campaign(&spec.name, spec.kind.as_str(), &json, &spec.contacts, UnixMillis(1)).unwrap()
    }

    /// A serve node reaching the database at `url` and its providers' fakes, reached by them at
    /// its own public URL (`name`), draining up to half a minute when stopped.
    fn node(&self, name: &str, url: &str) -> Node {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
        let public = format!("https://{name}.example");
        self.fakes.twilio.tunnel(&public, &format!("http://127.0.0.1:{port}"));
        Node::start_with(url, tempfile::tempdir().unwrap(), |serve| {
            provider_env(serve, &self.fakes.keys(), &self.fakes.base_urls());
            serve.args(["--port", &port, "--public-url", &public]);
            serve.args(["--heartbeat-ms", HEARTBEAT_MS, "--node-expiry-ms", EXPIRY_MS]);
        })
    }

    /// The registry's row of `node`.
    fn row(&self, node: &Node) -> Option<NodeRow> {
        self.store.nodes().unwrap().into_iter().find(|row| row.pid == node.pid())
    }

    /// Waits up to `within` for `ready`, failing with what `node` logged.
    async fn wait(&self, node: &Node, within: Duration, what: &str, ready: impl Fn() -> bool) {
        let deadline = Instant::now() + within;
        while !ready() {
            assert!(
                Instant::now() < deadline,
                "{what} not within {within:?}; node log:\n{}",
                log_tail(node.dir.path())
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The campaign's calls on the line, as the database has them.
    fn on_line(&self, campaign: i64) -> Vec<CallSummary> {
        let calls = self.store.calls_in_campaign(campaign).unwrap();
        calls.into_iter().filter(|call| call.state == CallState::InProgress).collect()
    }
}

fn unix_ms(at: SystemTime) -> i64 {
    i64::try_from(at.duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// Fails when a number was dialled while an earlier call to it was still up at Twilio.
fn assert_never_dialled_while_up(calls: &[CallTimes]) {
    let mut by_number: BTreeMap<&str, Vec<&CallTimes>> = BTreeMap::new();
    for call in calls {
        by_number.entry(&call.to).or_default().push(call);
    }
    for (number, calls) in by_number {
        for pair in calls.windows(2) {
            let up_until = pair[0].ended_at.map_or(i64::MAX, unix_ms);
            assert!(
                up_until <= unix_ms(pair[1].placed_at),
                "{number} was dialled again while its earlier call was still up: {pair:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_cut_off_from_postgres_hangs_up_its_calls_before_another_declares_it_dead() {
    let team = Team::start().await;
    let campaign = team.launch();
    let server: SocketAddr = team.url["postgres://postgres@".len()..].split('/').next().unwrap().parse().unwrap();
    let proxy = StallingProxy::start(server);
    let proxied = team.url.replace(&server.to_string(), &proxy.address.to_string());
    let mut stalled = team.node("stalled", &proxied);
    team.wait(&stalled, Duration::from_secs(30), "both vendors on the line", || {
        team.on_line(campaign).len() == VENDORS
    })
    .await;
    let reaper = team.node("reaper", &team.url);
    team.wait(&reaper, Duration::from_secs(30), "the second node registered", || team.row(&reaper).is_some()).await;

    proxy.stall();
    let cut = unix_ms(SystemTime::now());
    let twilio = &team.fakes.twilio;
    // The reaper declares the stalled node dead, its targets go back and it dials them again.
    let dialled_again =
        || team.row(&stalled).is_some_and(|row| row.ended_at.is_some()) && twilio.call_times().len() > VENDORS;
    team.wait(&reaper, Duration::from_secs(40), "the targets dialled again", dialled_again).await;

    let calls = twilio.call_times();
    assert_never_dialled_while_up(&calls);
    let declared_dead = team.row(&stalled).unwrap().ended_at.unwrap();
    let first_calls = &calls[..VENDORS];
    for call in first_calls {
        let ended = call.ended_at.map(unix_ms);
        assert!(
            ended.is_some_and(|ended| ended < declared_dead.0),
            "{call:?} still up when declared dead at {declared_dead:?}"
        );
    }
    let over = first_calls.iter().filter_map(|call| call.ended_at.map(unix_ms)).max().unwrap_or(i64::MAX);
    eprintln!("after the cut: calls over at +{} ms, declared dead at +{} ms", over - cut, declared_dead.0 - cut);
    // Each was hung up through Twilio's API, by the node itself: the reaper cannot reach them.
    let hung_up: Vec<String> = twilio.updates().into_iter().map(|(sid, _)| sid).collect();
    assert!(first_calls.iter().all(|call| hung_up.contains(&call.sid)), "{hung_up:?}");
    let status = stalled.exited_within(Duration::from_secs(10));
    assert_eq!(status.and_then(|status| status.code()), Some(3), "{}", log_tail(stalled.dir.path()));
    let lost = team.store.calls_in_campaign(campaign).unwrap();
    assert_eq!(lost.iter().filter(|call| call.end_reason.as_deref() == Some(NODE_DIED)).count(), VENDORS, "{lost:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_that_finds_itself_declared_dead_hangs_up_at_once_instead_of_draining() {
    let team = Team::start().await;
    let campaign = team.launch();
    let mut node = team.node("fenced", &team.url);
    team.wait(&node, Duration::from_secs(30), "both vendors on the line", || team.on_line(campaign).len() == VENDORS)
        .await;

    // Another node declares it dead (as one whose clock or expiry disagrees would): its calls
    // are closed as lost, and their targets go back.
    let other = Store::open_postgres(&team.url).unwrap();
    let now = UnixMillis(unix_ms(SystemTime::now()));
    other.register_node(&NewNode { host: "test", pid: 0, max_calls: 1, now }).unwrap();
    let end = NodeEnd { reason: NODE_DIED, kept: &[], adopter: other.node(), now };
    let ended = other.reap_nodes(UnixMillis(i64::MAX), &end).unwrap();
    assert_eq!(ended.len(), 1, "{ended:?}");

    // At its next heartbeat it hangs them up: not after the half minute its drain would wait.
    let twilio = &team.fakes.twilio;
    let all_over = || twilio.call_times().iter().all(|call| call.ended_at.is_some());
    team.wait(&node, Duration::from_secs(15), "its calls hung up", all_over).await;
    let status = node.exited_within(Duration::from_secs(10));
    assert_eq!(status.and_then(|status| status.code()), Some(3), "{}", log_tail(node.dir.path()));
    let calls = twilio.call_times();
    assert_eq!(calls.len(), VENDORS, "{calls:?}");
    let hung_up: Vec<String> = twilio.updates().into_iter().map(|(sid, _)| sid).collect();
    assert!(calls.iter().all(|call| hung_up.contains(&call.sid)), "{hung_up:?}");
    // The fenced node wrote nothing: the calls stay as the node that ended it closed them.
    let lost = team.store.calls_in_campaign(campaign).unwrap();
    assert!(lost.iter().all(|call| call.end_reason.as_deref() == Some(NODE_DIED)), "{lost:?}");
}

#[test]
fn an_expiry_without_room_for_a_slow_beat_is_refused_naming_both_flags() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = Node::start_with("postgres://nobody@127.0.0.1:1/none", dir, |serve| {
        serve.args(["--port", "0", "--heartbeat-ms", "1000", "--node-expiry-ms", "2500"]);
    });
    let status = serve.exited_within(Duration::from_secs(30));
    let said = log_tail(serve.dir.path());
    assert!(status.is_some_and(|status| !status.success()), "{status:?}: {said}");
    assert!(said.contains("--node-expiry-ms (2500) must be at least 3 times --heartbeat-ms (1000)"), "{said}");
}
