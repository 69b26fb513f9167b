//! The Postgres side of the connection layer: a connection on a thread of its own, statements
//! prepared once, placeholders, and values converted to and from the column types the schema uses.

use std::collections::HashMap;
use std::error::Error;
use std::sync::mpsc;

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Row, Statement};

use super::Value;
use super::pg_target::PgTarget;
use crate::{Result, StoreError};

type BoxError = Box<dyn Error + Sync + Send>;

/// Work for the connection's thread.
type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// A Postgres connection and the statements prepared on it, by their SQL as written.
///
/// The `postgres` client runs a runtime of its own for each call, which tokio forbids inside
/// another runtime; so the client lives on a thread of its own and each call is sent to it, and
/// the store may be called from async code as it is on SQLite.
pub(crate) struct PgConn {
    jobs: mpsc::Sender<Job>,
    statements: HashMap<String, Statement>,
    /// The database as errors name it (server and name, never a password).
    database: String,
}

impl PgConn {
    /// Connects to `target` on a new thread and runs `setup` (session settings) there first.
    pub(crate) fn connect(
        target: &PgTarget,
        setup: impl FnOnce(&mut Client) -> Result<()> + Send + 'static,
    ) -> Result<PgConn> {
        let (config, tls, database) = (target.config.clone(), target.tls.clone(), target.database.clone());
        let named = database.clone();
        let (jobs, incoming) = mpsc::channel::<Job>();
        let (ready, opened) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("postgres".into())
            .spawn(move || {
                let client = config.connect(tls).map_err(|source| StoreError::Connect { database, source });
                let mut client = match client.and_then(|mut client| setup(&mut client).map(|()| client)) {
                    Ok(client) => {
                        let _ = ready.send(Ok(()));
                        client
                    }
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return;
                    }
                };
                // Until the store is dropped (and with it the sender).
                for job in incoming {
                    job(&mut client);
                }
            })
            .map_err(|err| StoreError::Corrupt(format!("cannot start the Postgres connection's thread: {err}")))?;
        opened.recv().map_err(|_| gone())??;
        Ok(PgConn { jobs, statements: HashMap::new(), database: named })
    }

    /// Whether the connection is lost (the server closed it, or its thread ended): the pool then
    /// drops it and connects anew.
    pub(crate) fn is_broken(&self) -> bool {
        self.run(|client| client.is_closed()).unwrap_or(true)
    }

    /// Runs `work` with the driver's client, on the connection's thread (for the migrations).
    pub(crate) fn with_client<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Client) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.run(work)?
    }

    /// Runs `work` on the connection's thread and waits for it.
    fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut Client) -> T + Send + 'static) -> Result<T> {
        let (done, result) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |client: &mut Client| {
                let _ = done.send(work(client));
            }))
            .map_err(|_| gone())?;
        result.recv().map_err(|_| gone())
    }

    /// Runs the driver's `work` on the connection's thread; a server gone meanwhile (shut down,
    /// restarting, the connection cut) is said as unreachable, naming the database.
    fn run_sql<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Client) -> std::result::Result<T, postgres::Error> + Send + 'static,
    ) -> Result<T> {
        self.run(work)?.map_err(|error| StoreError::from_postgres(error, &self.database))
    }

    /// The statement for `sql`, prepared the first time it is seen (with `?N` as `$N`).
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let text = numbered_placeholders(sql);
        let statement = self.run_sql(move |client| client.prepare(&text))?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Runs a statement; returns how many rows it changed.
    pub(super) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let statement = self.statement(sql)?;
        let params = params.to_vec();
        self.run_sql(move |client| client.execute(&statement, &bound(&params)))
    }

    /// Runs a query; returns its rows.
    pub(super) fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let params = params.to_vec();
        self.run_sql(move |client| client.query(&statement, &bound(&params)))
    }

    /// Runs statements without parameters.
    pub(super) fn batch_execute(&mut self, sql: &str) -> Result<()> {
        let sql = sql.to_owned();
        self.run_sql(move |client| client.batch_execute(&sql))
    }
}

fn bound(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|value| value as &(dyn ToSql + Sync)).collect()
}

/// The connection's thread ended (it panicked, or its connection could not be made).
fn gone() -> StoreError {
    StoreError::Corrupt("the Postgres connection's thread has ended".to_owned())
}

/// `sql` with SQLite's `?N` (and bare `?`) placeholders written as Postgres's `$N`; string
/// literals, quoted names and comments are left as they are.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_bare = 1;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                        out.push(digit);
                    }
                } else {
                    out.push_str(&next_bare.to_string());
                    next_bare += 1;
                }
            }
            c => out.push(c),
        }
    }
    out
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(int), &Type::INT8) => int.to_sql(ty, out),
            (Value::Int(int), &Type::INT4) => i32::try_from(*int)?.to_sql(ty, out),
            (Value::Int(int), &Type::INT2) => i16::try_from(*int)?.to_sql(ty, out),
            (Value::Int(int), &Type::BOOL) => (*int != 0).to_sql(ty, out),
            (Value::Int(int), &Type::FLOAT8) => (*int as f64).to_sql(ty, out),
            (Value::Int(int), &Type::TEXT | &Type::VARCHAR) => int.to_string().to_sql(ty, out),
            (Value::Real(real), &Type::FLOAT8) => real.to_sql(ty, out),
            (Value::Real(real), &Type::FLOAT4) => (*real as f32).to_sql(ty, out),
            (Value::Real(real), &Type::INT8) if real.fract() == 0.0 => (*real as i64).to_sql(ty, out),
            (Value::Text(text), &Type::JSONB) => {
                // JSONB's binary form is a version byte, then the text.
                out.extend_from_slice(&[1]);
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            (Value::Text(text), &Type::JSON) => {
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            (Value::Text(text), _) => text.as_str().to_sql(ty, out),
            (Value::Blob(blob), _) => blob.as_slice().to_sql(ty, out),
            (value, ty) => Err(format!("cannot bind {value:?} as {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Column `index` of a Postgres row, as the SQLite storage class it corresponds to.
pub(super) fn column(row: &postgres::Row, index: usize) -> Result<Value> {
    let ty = row.columns().get(index).ok_or_else(|| StoreError::Corrupt(format!("no column {index}")))?.type_();
    let value = match *ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(index)?.map(Value::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(index)?.map(|int| Value::Int(int.into())),
        Type::INT2 => row.try_get::<_, Option<i16>>(index)?.map(|int| Value::Int(int.into())),
        Type::BOOL => row.try_get::<_, Option<bool>>(index)?.map(|b| Value::Int(b.into())),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(index)?.map(Value::Real),
        Type::FLOAT4 => row.try_get::<_, Option<f32>>(index)?.map(|real| Value::Real(real.into())),
        Type::NUMERIC => row.try_get::<_, Option<Numeric>>(index)?.map(|numeric| numeric.0),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(index)?.map(Value::Blob),
        _ => row.try_get::<_, Option<RawText>>(index)?.map(|text| Value::Text(text.0)),
    };
    Ok(value.unwrap_or(Value::Null))
}

/// A NUMERIC (what Postgres's SUM and AVG of integers give) as an integer when it is whole,
/// else as a real, as SQLite gives them.
struct Numeric(Value);

impl<'a> FromSql<'a> for Numeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        // Binary NUMERIC: digit count, weight, sign, display scale, then base-10000 digits.
        let word = |at: usize| -> std::result::Result<u16, BoxError> {
            let bytes = raw.get(at..at + 2).ok_or("a NUMERIC value is cut short")?;
            Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
        };
        let digits = usize::from(word(0)?);
        let weight = i32::from(word(2)? as i16);
        let sign = word(4)?;
        let scale = word(6)?;
        if sign == 0xC000 {
            return Ok(Numeric(Value::Real(f64::NAN)));
        }
        let mut whole: Option<i64> = (scale == 0).then_some(0);
        let mut real = 0.0_f64;
        for i in 0..digits {
            let digit = word(8 + 2 * i)?;
            let power = weight - i32::try_from(i)?;
            real += f64::from(digit) * 10_000_f64.powi(power);
            whole = whole.and_then(|sum| {
                let place = 10_000_i64.checked_pow(u32::try_from(power).ok()?)?;
                sum.checked_add(i64::from(digit).checked_mul(place)?)
            });
        }
        let negative = sign == 0x4000;
        Ok(Numeric(match whole {
            Some(int) => Value::Int(if negative { -int } else { int }),
            None => Value::Real(if negative { -real } else { real }),
        }))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// Any text-like column (TEXT, VARCHAR, NAME, JSON, JSONB) as its text.
struct RawText(String);

impl<'a> FromSql<'a> for RawText {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        let raw = if *ty == Type::JSONB { raw.get(1..).ok_or("an empty JSONB value")? } else { raw };
        Ok(RawText(std::str::from_utf8(raw)?.to_owned()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::numbered_placeholders;

    #[test]
    fn placeholders_are_numbered_outside_literals() {
        assert_eq!(
            numbered_placeholders("SELECT '?1', \"a?\" FROM t WHERE a = ?1 AND b = ?12 -- ?3\n AND c = ?"),
            "SELECT '?1', \"a?\" FROM t WHERE a = $1 AND b = $12 -- ?3\n AND c = $1"
        );
    }
}
