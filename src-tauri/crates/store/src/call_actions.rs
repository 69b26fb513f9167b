//! The dispatcher's actions on live calls: written when asked for (`running` by the process that
//! carries them out, `pending` by another process asking it to), taken up once by a
//! compare-and-swap, and finished with the outcome.

use crate::db::{Row, params};
use switchboard_core::{ActionStatus, CallAction, CallId, ControlAction, UnixMillis};

use crate::{Result, Store, StoreError};

const COLUMNS: &str = "id, call_id, action, text, status, result, requested_at, done_at";

impl Store {
    /// Writes a new action on `call` with `status` (`Pending` or `Running`); returns it.
    pub fn insert_call_action(
        &self,
        call: CallId,
        action: ControlAction,
        text: &str,
        status: ActionStatus,
        at: UnixMillis,
    ) -> Result<CallAction> {
        let mut conn = self.conn()?;
        let id = conn.query_row(
            "INSERT INTO call_actions (call_id, action, text, status, requested_at) VALUES (?1, ?2, ?3, ?4, ?5)
             RETURNING id",
            params![call.0, action.as_str(), text, status.as_str(), at.0],
            |row| row.get::<i64>(0),
        )?;
        Ok(CallAction {
            id,
            call_id: call,
            action,
            text: text.to_owned(),
            status,
            result: None,
            requested_at: at,
            done_at: None,
        })
    }

    /// Takes up the oldest pending action, if any: it moves to `running` here, so only one
    /// process carries it out. Looking is a read; the write lock is asked for only when an
    /// action waits, so polling never holds up the writers.
    pub fn take_pending_call_action(&self) -> Result<Option<CallAction>> {
        let mut conn = self.conn()?;
        let waiting =
            conn.query_opt("SELECT id FROM call_actions WHERE status = 'pending' ORDER BY id LIMIT 1", &[], |row| {
                row.get::<i64>(0)
            })?;
        let Some(id) = waiting else { return Ok(None) };
        let sql = format!(
            "UPDATE call_actions SET status = 'running' WHERE id = ?1 AND status = 'pending' RETURNING {COLUMNS}"
        );
        let taken = conn.query_opt(&sql, params![id], read)?;
        Ok(taken)
    }

    /// Records how a running action ended: `Done`, or `Refused` with why. Returns it.
    pub fn finish_call_action(
        &self,
        id: i64,
        status: ActionStatus,
        result: Option<&str>,
        at: UnixMillis,
    ) -> Result<Option<CallAction>> {
        let mut conn = self.conn()?;
        let sql =
            format!("UPDATE call_actions SET status = ?2, result = ?3, done_at = ?4 WHERE id = ?1 RETURNING {COLUMNS}");
        let finished = conn.query_opt(&sql, params![id, status.as_str(), result, at.0], read)?;
        Ok(finished)
    }

    /// One action.
    pub fn call_action(&self, id: i64) -> Result<Option<CallAction>> {
        let mut conn = self.conn()?;
        let sql = format!("SELECT {COLUMNS} FROM call_actions WHERE id = ?1");
        conn.query_opt(&sql, params![id], read)
    }

    /// The actions taken on `call`, oldest first.
    pub fn call_actions(&self, call: CallId) -> Result<Vec<CallAction>> {
        let mut conn = self.conn()?;
        let sql = format!("SELECT {COLUMNS} FROM call_actions WHERE call_id = ?1 ORDER BY id");
        let rows = conn.query_map(&sql, params![call.0], read)?;
        Ok(rows)
    }
}

fn read(row: &Row<'_>) -> Result<CallAction> {
    let (action, status): (String, String) = (row.get(2)?, row.get(4)?);
    let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("call action {what} {value:?} is unknown"));
    let Some(action_kind) = ControlAction::parse(&action) else { return Err(corrupt("kind", &action)) };
    let Some(status_kind) = ActionStatus::parse(&status) else { return Err(corrupt("status", &status)) };
    Ok(CallAction {
        id: row.get(0)?,
        call_id: CallId(row.get(1)?),
        action: action_kind,
        text: row.get(3)?,
        status: status_kind,
        result: row.get(5)?,
        requested_at: UnixMillis(row.get(6)?),
        done_at: row.get::<Option<i64>>(7)?.map(UnixMillis),
    })
}
