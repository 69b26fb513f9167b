//! SQLite migrations (rusqlite_migration, versioned by SQLite's user_version).

use std::path::Path;
use std::sync::LazyLock;

use rusqlite::{Connection, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use crate::{Result, StoreError};

static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/sqlite/0001_initial.sql")),
        M::up_with_hook(include_str!("../../migrations/sqlite/0002_contacts.sql"), backfill_e164),
        M::up(include_str!("../../migrations/sqlite/0003_campaigns.sql")),
        M::up(include_str!("../../migrations/sqlite/0004_people.sql")),
        M::up(include_str!("../../migrations/sqlite/0005_search.sql")),
        M::up(include_str!("../../migrations/sqlite/0006_history.sql")),
        M::up(include_str!("../../migrations/sqlite/0007_inbox.sql")),
        M::up(include_str!("../../migrations/sqlite/0008_gather.sql")),
        M::up(include_str!("../../migrations/sqlite/0009_voicemail.sql")),
        M::up(include_str!("../../migrations/sqlite/0010_provider_refs.sql")),
        M::up(include_str!("../../migrations/sqlite/0011_audio_pacing.sql")),
        M::up(include_str!("../../migrations/sqlite/0012_target_leases.sql")),
        M::up(include_str!("../../migrations/sqlite/0013_campaign_errors.sql")),
        M::up_with_hook(include_str!("../../migrations/sqlite/0014_phone_extensions.sql"), backfill_extensions),
        M::up(include_str!("../../migrations/sqlite/0015_quote_validity.sql")),
        M::up(include_str!("../../migrations/sqlite/0016_call_actions.sql")),
        M::up(include_str!("../../migrations/sqlite/0017_driver_reviews.sql")),
        M::up_with_hook(include_str!("../../migrations/sqlite/0018_call_costs.sql"), backfill_call_costs),
        M::up(include_str!("../../migrations/sqlite/0019_analytics.sql")),
        M::up(include_str!("../../migrations/sqlite/0020_heard_latency.sql")),
        M::up(include_str!("../../migrations/sqlite/0021_latency_buckets.sql")),
        M::up(include_str!("../../migrations/sqlite/0022_rehearsals.sql")),
        M::up(include_str!("../../migrations/sqlite/0023_call_stats_per_state_columns.sql")),
        M::up(include_str!("../../migrations/sqlite/0024_team.sql")),
        M::up(include_str!("../../migrations/sqlite/0025_team_user_phone.sql")),
        M::up(include_str!("../../migrations/sqlite/0026_nodes.sql")),
        M::up(include_str!("../../migrations/sqlite/0027_inbox_claims.sql")),
        M::up(include_str!("../../migrations/sqlite/0028_node_team_servers.sql")),
        M::up(include_str!("../../migrations/sqlite/0029_recording_chunks.sql")),
        M::up(include_str!("../../migrations/sqlite/0030_target_queue.sql")),
    ])
});

/// Version 2 stores each contact's phone in E.164; existing rows are normalised as US numbers
/// (the only region version 1 knew), and numbers that do not parse stay `NULL`.
fn backfill_e164(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    let phones: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, phone FROM contacts")?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare("UPDATE contacts SET phone_e164 = ?2 WHERE id = ?1")?;
    for (id, phone) in phones {
        if let Ok(e164) = switchboard_core::normalize_phone(&phone, "US") {
            update.execute(rusqlite::params![id, e164])?;
        }
    }
    Ok(())
}

/// Version 14 keeps each contact's phone extension; existing numbers are read again in the
/// dispatcher's region (US unless set), and those without one stay `NULL`.
fn backfill_extensions(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    use rusqlite::OptionalExtension as _;
    let region: String = tx
        .query_row("SELECT value FROM settings WHERE key = 'default_region'", [], |row| row.get(0))
        .optional()?
        .unwrap_or_else(|| "US".to_owned());
    let phones: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, phone FROM contacts")?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare("UPDATE contacts SET phone_extension = ?2 WHERE id = ?1")?;
    for (id, phone) in phones {
        if let Ok(switchboard_core::Phone { extension: Some(extension), .. }) =
            switchboard_core::parse_phone(&phone, &region)
        {
            update.execute(rusqlite::params![id, extension])?;
        }
    }
    Ok(())
}

/// Version 18 keeps each call's cost in dollars: a provider figure in dollars is taken as it is,
/// ElevenLabs credits are converted at the default credit rate (no rate could be set before).
fn backfill_call_costs(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    use switchboard_core::{BackendKind, CallPrice, CostRates};
    let reported: Vec<(i64, String, f64, String)> = {
        let mut stmt = tx.prepare(
            "SELECT id, backend, cost_amount, cost_currency FROM calls
             WHERE cost_amount IS NOT NULL AND cost_currency IS NOT NULL",
        )?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let rates = CostRates::default();
    for (id, backend, amount, currency) in reported {
        let Some(backend) = BackendKind::parse(&backend) else { continue };
        if let Some(price) = CallPrice::reported(backend, amount, &currency, &rates) {
            crate::call_cost::write_price(&mut &**tx, switchboard_core::CallId(id), &price)
                .map_err(|err| rusqlite_migration::HookError::Hook(err.to_string()))?;
        }
    }
    Ok(())
}

/// Brings the schema up to date, safely while another process opens the same file: each run takes
/// the write lock when it begins (waiting behind the busy timeout rather than failing), and a run
/// that planned from a version another opener has since moved past is planned again from the
/// version now on disk, so every migration is applied exactly once.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    let migrated = migrate_to_latest(conn);
    conn.set_transaction_behavior(TransactionBehavior::Deferred);
    migrated.map_err(|source| StoreError::Migrate { path: path.to_owned(), source })
}

fn migrate_to_latest(conn: &mut Connection) -> rusqlite_migration::Result<()> {
    loop {
        let planned_from = MIGRATIONS.current_version(conn)?;
        match MIGRATIONS.to_latest(conn) {
            Err(_) if MIGRATIONS.current_version(conn)? != planned_from => continue,
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::MIGRATIONS.validate().unwrap();
    }

    #[test]
    fn version_14_reads_the_extension_of_every_saved_number() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::MIGRATIONS.to_version(&mut conn, 11).unwrap();
        conn.execute_batch(
            r#"INSERT INTO contacts (kind, name, phone, details, created_at)
                 VALUES ('vendor', 'Acme', '(415) 230-0134 x12', '{"kind":"vendor","item":"bolts"}', 1),
                        ('vendor', 'Lakes', '(216) 555-0187', '{"kind":"vendor","item":"bolts"}', 1);"#,
        )
        .unwrap();
        super::MIGRATIONS.to_latest(&mut conn).unwrap();
        let extensions: Vec<Option<String>> = conn
            .prepare("SELECT phone_extension FROM contacts ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(extensions, [Some("12".to_owned()), None]);
    }

    #[test]
    fn version_18_prices_the_costs_providers_reported_in_dollars() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::MIGRATIONS.to_version(&mut conn, 17).unwrap();
        conn.execute_batch(
            r#"INSERT INTO contacts (kind, name, phone, details, created_at) VALUES ('vendor', 'Acme', '+13125550143', '{"kind":"vendor"}', 1);
               INSERT INTO agents (name, backend, purpose, config, created_at) VALUES ('a', 'vapi', 'generic', '{}', 1);
               INSERT INTO calls (contact_id, agent_id, backend, phone_e164, state, created_at, ended_at, cost_amount, cost_currency)
                 VALUES (1, 1, 'vapi', '+13125550143', 'completed', 1, 2, 0.25, 'USD'),
                        (1, 1, 'eleven-labs', '+13125550143', 'completed', 1, 2, 1000, 'credits'),
                        (1, 1, 'simulator', '+13125550143', 'completed', 1, 2, NULL, NULL);"#,
        )
        .unwrap();
        super::MIGRATIONS.to_latest(&mut conn).unwrap();
        let costs: Vec<(Option<f64>, i64, i64)> = conn
            .prepare(
                "SELECT cost_usd, cost_estimate, (SELECT COUNT(*) FROM call_cost_items i WHERE i.call_id = calls.id)
                 FROM calls ORDER BY id",
            )
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        // 1,000 credits at the default $0.00022 a credit.
        assert_eq!(costs, [(Some(0.25), 0, 1), (Some(1000.0 * 0.000_22), 0, 1), (None, 0, 0)]);
    }

    #[test]
    fn versions_19_and_23_tally_the_calls_and_turns_already_there() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        super::MIGRATIONS.to_version(&mut conn, 18).unwrap();
        conn.execute_batch(
            r#"INSERT INTO contacts (kind, name, phone, details, created_at) VALUES ('vendor', 'Acme', '+13125550143', '{"kind":"vendor"}', 1);
               INSERT INTO agents (name, backend, purpose, config, created_at) VALUES ('a', 'pipeline', 'generic', '{}', 1);
               INSERT INTO calls (contact_id, agent_id, backend, phone_e164, state, created_at, answered_at, ended_at, cost_usd)
                 VALUES (1, 1, 'pipeline', '+13125550143', 'completed', 3600000, 3610000, 3670000, 0.25),
                        (1, 1, 'pipeline', '+13125550143', 'completed', 3700000, 3710000, 3730000, NULL),
                        (1, 1, 'pipeline', '+13125550143', 'no-answer', 3800000, NULL, 3830000, 0.05);
               INSERT INTO offers (call_id, contact_id, confidence) VALUES (1, 1, 1.0);
               INSERT INTO turn_latencies (call_id, turn, stt_ms, llm_ms, tts_ms, send_ms) VALUES (1, 0, 100, 500, 200, 50);"#,
        )
        .unwrap();
        super::MIGRATIONS.to_latest(&mut conn).unwrap();
        // Version 23 counts them by hour and by day, in all and per state.
        let stats: Vec<(i64, i64, [i64; 6], [i64; 4])> = conn
            .prepare(
                "SELECT span_hours, hour, calls, answered, talked, talk_ms, quotes, cost_micros,
                        completed_calls, completed_cost_micros, no_answer_calls, no_answer_cost_micros
                 FROM call_stats ORDER BY span_hours",
            )
            .unwrap()
            .query_map([], |row| {
                let figures = [row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?];
                Ok((row.get(0)?, row.get(1)?, figures, [row.get(8)?, row.get(9)?, row.get(10)?, row.get(11)?]))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let figures = [3, 2, 2, 80_000, 1, 300_000];
        let by_state = [2, 250_000, 1, 50_000];
        assert_eq!(stats, [(1, 1, figures, by_state), (24, 0, figures, by_state)]);
        // Version 21 files the turn (100 + 500 + 200 + 50 ms) in its bucket, counted from its hour.
        let running: (String, i64, i64, i64) = conn
            .query_row("SELECT backend, bucket_ms, hour, turns FROM turn_latency_running", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap();
        assert_eq!(running, ("pipeline".into(), 850, 1, 1));
    }

    #[test]
    fn version_4_keeps_every_contacts_kind_and_allows_people() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        super::MIGRATIONS.to_version(&mut conn, 3).unwrap();
        conn.execute_batch(
            r#"INSERT INTO contacts (kind, name, phone, details, created_at)
                 VALUES ('vendor', 'Acme', '+13125550143', '{"kind":"vendor","item":"bolts"}', 1),
                        ('driver', 'Maria', '+13125550100', '{"kind":"driver"}', 1);
               INSERT INTO agents (name, backend, purpose, config, created_at) VALUES ('a', 'simulator', 'generic', '{}', 1);
               INSERT INTO calls (contact_id, agent_id, backend, phone_e164, state, created_at) VALUES (2, 1, 'simulator', '+13125550100', 'queued', 1);"#,
        )
        .unwrap();
        super::MIGRATIONS.to_latest(&mut conn).unwrap();
        let kinds: Vec<String> = conn
            .prepare("SELECT kind FROM contacts ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(kinds, ["vendor", "driver"]);
        conn.execute(
            r#"INSERT INTO contacts (kind, name, phone, details, created_at) VALUES ('person', 'John', '1', '{"kind":"person"}', 2)"#,
            [],
        )
        .unwrap();
        let bad = conn.execute(
            "INSERT INTO contacts (kind, name, phone, details, created_at) VALUES ('robot', 'x', '1', '{}', 2)",
            [],
        );
        assert!(bad.is_err(), "the kind is still checked");
        let call_contact: i64 = conn.query_row("SELECT contact_id FROM calls", [], |row| row.get(0)).unwrap();
        assert_eq!(call_contact, 2, "calls still point at their contact");
    }

    #[test]
    fn version_10_indexes_the_provider_refs_stored_before_it() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        super::MIGRATIONS.to_version(&mut conn, 9).unwrap();
        conn.execute_batch(
            r#"INSERT INTO contacts (kind, name, phone, details, created_at) VALUES ('vendor', 'Acme', '+13125550143', '{"kind":"vendor"}', 1);
               INSERT INTO agents (name, backend, purpose, config, created_at) VALUES ('a', 'ultravox', 'generic', '{}', 1);
               INSERT INTO calls (contact_id, agent_id, backend, phone_e164, state, created_at, provider_refs)
                 VALUES (1, 1, 'ultravox', '+13125550143', 'in-progress', 1, '{"Ultravox call":"uv-1","Twilio call SID":"CA1"}'),
                        (1, 1, 'ultravox', '+13125550143', 'queued', 2, '{}');"#,
        )
        .unwrap();
        super::MIGRATIONS.to_latest(&mut conn).unwrap();
        let refs: Vec<(String, i64)> = conn
            .prepare("SELECT ref, call_id FROM call_provider_refs ORDER BY ref")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(refs, [("CA1".to_owned(), 1), ("uv-1".to_owned(), 1)]);
        let plan: String = conn
            .query_row("EXPLAIN QUERY PLAN SELECT MAX(call_id) FROM call_provider_refs WHERE ref = 'uv-1'", [], |row| {
                row.get(3)
            })
            .unwrap();
        assert!(plan.contains("PRIMARY KEY") || plan.contains("INDEX"), "{plan}");
    }
}
