//! Whether the database can be written now, asked by the window when it loads (events say when it changes).

use super::{Reply, engine};
use crate::operations::Ctx;

/// Why the database cannot be written now (campaigns start no new call meanwhile), or none while it can.
pub async fn store_writes_failing(ctx: &Ctx<'_>) -> Reply<Option<String>> {
    Ok(engine(ctx.console)?.store_writes().failing())
}
