//! Speech-gather sessions: one row per gather call holding its conversation state as JSON,
//! rewritten at every turn; a write carries the version it replaces, so a stale writer (a
//! request Twilio retried while the first still ran) cannot undo a newer turn.

use crate::db::params;
use switchboard_core::{CallId, UnixMillis};

use crate::{Result, Store};

/// A stored gather session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherRow {
    pub call_id: CallId,
    pub call_sid: Option<String>,
    pub version: u32,
    pub state: String,
    pub updated_at: UnixMillis,
}

impl Store {
    /// Writes `state` as version `version` of the session of `call`: inserts the first version
    /// (0), and replaces version `version - 1` with later ones. Returns whether it was written
    /// (`false`: another writer got there first, or the call has no session).
    pub fn save_gather_session(
        &self,
        call: CallId,
        call_sid: Option<&str>,
        version: u32,
        state: &str,
        at: UnixMillis,
    ) -> Result<bool> {
        let mut conn = self.conn()?;
        let written = if version == 0 {
            conn.execute(
                "INSERT INTO gather_sessions (call_id, call_sid, version, state, updated_at)
                 VALUES (?1, ?2, 0, ?3, ?4) ON CONFLICT DO NOTHING",
                params![call.0, call_sid, state, at.0],
            )?
        } else {
            conn.execute(
                "UPDATE gather_sessions SET call_sid = ?2, version = ?3, state = ?4, updated_at = ?5
                 WHERE call_id = ?1 AND version = ?3 - 1",
                params![call.0, call_sid, version, state, at.0],
            )?
        };
        Ok(written == 1)
    }

    /// The session of `call`, if it is a gather call.
    pub fn gather_session(&self, call: CallId) -> Result<Option<GatherRow>> {
        let mut conn = self.conn()?;
        let row = conn.query_opt(
            "SELECT call_id, call_sid, version, state, updated_at FROM gather_sessions WHERE call_id = ?1",
            params![call.0],
            |row| {
                Ok(GatherRow {
                    call_id: CallId(row.get(0)?),
                    call_sid: row.get(1)?,
                    version: row.get(2)?,
                    state: row.get(3)?,
                    updated_at: UnixMillis(row.get(4)?),
                })
            },
        )?;
        Ok(row)
    }

    /// The gather call Twilio knows by `call_sid`.
    pub fn gather_call_by_sid(&self, call_sid: &str) -> Result<Option<CallId>> {
        let mut conn = self.conn()?;
        let id = conn.query_opt(
            "SELECT call_id FROM gather_sessions WHERE call_sid = ?1 ORDER BY call_id DESC LIMIT 1",
            params![call_sid],
            |row| row.get(0),
        )?;
        Ok(id.map(CallId))
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::{AgentId, BackendKind, ContactId, UnixMillis};

    use crate::{NewCall, Store};

    fn store_with_call() -> (Store, switchboard_core::CallId) {
        let store = Store::open_in_memory().unwrap();
        let mut conn = store.conn().unwrap();
        conn.execute_batch(
            "INSERT INTO contacts (kind, name, phone, details, created_at) VALUES ('vendor', 'Acme', '+13125550143', '{\"kind\":\"vendor\",\"item\":\"bolts\"}', 1);
             INSERT INTO agents (name, backend, purpose, config, created_at) VALUES ('a', 'gather', 'generic', '{}', 1);",
        )
        .unwrap();
        drop(conn);
        let call = store
            .insert_call(&NewCall {
                contact_id: ContactId(1),
                agent_id: AgentId(1),
                backend: BackendKind::Gather,
                phone_e164: "+13125550143".into(),
                created_at: UnixMillis(1),
                campaign: None,
            })
            .unwrap();
        (store, call.id)
    }

    #[test]
    fn versions_follow_each_other_and_a_stale_write_is_refused() {
        let (store, call) = store_with_call();
        assert!(store.gather_session(call).unwrap().is_none());
        assert!(store.save_gather_session(call, None, 0, "{\"turn\":0}", UnixMillis(2)).unwrap());
        assert!(!store.save_gather_session(call, None, 0, "{\"turn\":\"again\"}", UnixMillis(2)).unwrap());
        assert!(store.save_gather_session(call, Some("CA1"), 1, "{\"turn\":1}", UnixMillis(3)).unwrap());
        assert!(!store.save_gather_session(call, Some("CA1"), 1, "{\"turn\":\"stale\"}", UnixMillis(4)).unwrap());
        assert!(!store.save_gather_session(call, Some("CA1"), 3, "{\"turn\":3}", UnixMillis(4)).unwrap());
        let row = store.gather_session(call).unwrap().unwrap();
        assert_eq!((row.version, row.state.as_str(), row.call_sid.as_deref()), (1, "{\"turn\":1}", Some("CA1")));
        assert_eq!(store.gather_call_by_sid("CA1").unwrap(), Some(call));
        assert_eq!(store.gather_call_by_sid("CA2").unwrap(), None);
    }
}
