//! Rehearsals: a suite saved in the window survives reopening; the last results of a scenario are
//! its latest rehearsal's runs for that agent version, never another version's, in the order played.

use std::collections::BTreeMap;

use switchboard_core::{
    Check, RehearsalEnding, RehearsalMode, RehearsalRun, Rehearsed, ScenarioResult, Suite, UnixMillis,
};

use crate::{TestDb, seeded};

fn run(scenario: &str, version: &str, passed: bool) -> RehearsalRun {
    RehearsalRun {
        scenario: scenario.into(),
        mode: RehearsalMode::Simulator,
        agent_version: version.into(),
        rehearsed: Rehearsed {
            transcript: Vec::new(),
            fields: BTreeMap::new(),
            ending: RehearsalEnding::Callee,
            do_not_call: false,
            provider_verdict: None,
        },
        checks: vec![Check { expectation: "endsPolitely".into(), passed, reason: "said goodbye".into() }],
        judged: Vec::new(),
    }
}

fn a_saved_suite_survives_reopening_and_a_second_save_replaces_it(db: &TestDb) {
    let mut suite: Suite =
        serde_json::from_str(include_str!("../../../../../assets/suites/vendor-quote.json")).unwrap();
    let agent = {
        let store = db.open();
        seeded(&store);
        let agent = store.list_agents().unwrap()[0].id;
        assert_eq!(store.rehearsal_suite(agent).unwrap(), None);
        store.save_rehearsal_suite(agent, &suite, &[], UnixMillis(5)).unwrap();
        agent
    };
    let store = db.open();
    assert_eq!(store.rehearsal_suite(agent).unwrap().as_ref(), Some(&suite));
    suite.scenarios.truncate(2);
    store.save_rehearsal_suite(agent, &suite, &[], UnixMillis(6)).unwrap();
    assert_eq!(store.rehearsal_suite(agent).unwrap(), Some(suite));
}

fn the_last_results_are_each_scenarios_latest_rehearsal_of_that_version(db: &TestDb) {
    let store = db.open();
    seeded(&store);
    let agent = store.list_agents().unwrap()[0].id;
    let rehearse = |version: &str, mode, runs: &[RehearsalRun], at| {
        let id = store.insert_rehearsal(agent, version, mode, UnixMillis(at)).unwrap();
        for (seq, run) in runs.iter().enumerate() {
            store.add_rehearsal_run(id, seq as u32, run).unwrap();
        }
    };
    let first = [run("Wrong person", "v1", false), run("Voicemail", "v1", true), run("Wrong person", "v1", true)];
    rehearse("v1", RehearsalMode::Simulator, &first, 10);
    // A later rehearsal of one scenario replaces that scenario's results only.
    rehearse("v1", RehearsalMode::Text, &[run("Wrong person", "v1", true)], 11);
    // Another version's rehearsal is not this version's result.
    rehearse("v2", RehearsalMode::Simulator, &[run("Voicemail", "v2", false)], 12);
    let results = store.last_rehearsal_results(agent, "v1").unwrap();
    assert_eq!(
        results,
        vec![
            ScenarioResult { scenario: "Voicemail".into(), runs: vec![run("Voicemail", "v1", true)] },
            ScenarioResult { scenario: "Wrong person".into(), runs: vec![run("Wrong person", "v1", true)] },
        ]
    );
    let v2 = store.last_rehearsal_results(agent, "v2").unwrap();
    assert_eq!(v2.len(), 1);
    assert_eq!(v2[0].pass_rate(), 0.0);
    assert!(store.last_rehearsal_results(agent, "v3").unwrap().is_empty());
}

on_both!(
    a_saved_suite_survives_reopening_and_a_second_save_replaces_it,
    the_last_results_are_each_scenarios_latest_rehearsal_of_that_version,
);
