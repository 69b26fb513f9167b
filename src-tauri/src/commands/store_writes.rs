//! Whether the database can be written now, asked by the window when it loads (events say when it changes).

use tauri::State;

use super::{Reply, engine};
use crate::console::Console;

/// Why the database cannot be written now (campaigns start no new call meanwhile), or none while it can.
#[tauri::command]
pub fn store_writes_failing(console: State<'_, Console>) -> Reply<Option<String>> {
    Ok(engine(&console)?.store_writes().failing())
}
