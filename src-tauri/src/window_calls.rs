//! The window's calls: each Tauri invoke names an operation (`operations`), run with this
//! console's engine, keys and speakers, or forwarded to the team server the console is signed
//! in to; an export's file is written where the dispatcher chose, either way.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use switchboard_engine::ErrorCode;
use tauri::ipc::{Invoke, InvokeBody, InvokeError};
use tauri::{AppHandle, Manager as _};

use crate::commands::{Export, Reply, write_export};
use crate::console::Console;
use crate::dto::CommandError;
use crate::keychain::Keychain;
use crate::listen_in::Listening;
use crate::operations::{self, Ctx, Desktop, Operation, Place};
use crate::playback::Speakers;
use crate::team::link::TeamLink;
use crate::team::offline;

/// Tauri's invoke handler: answers every listed operation (the window is granted each by name in
/// `capabilities/main.json`); anything else is not ours.
pub fn handle(invoke: Invoke) -> bool {
    let Some(operation) = operations::find(invoke.message.command()) else {
        return false;
    };
    let args = match invoke.message.payload() {
        InvokeBody::Json(args) => args.clone(),
        InvokeBody::Raw(_) => {
            let refused =
                CommandError::new(ErrorCode::InvalidInput, format!("{} takes JSON arguments", operation.name));
            invoke.resolver.reject(refused);
            return true;
        }
    };
    let app = invoke.message.webview().app_handle().clone();
    invoke.resolver.respond_async(async move { run(&app, operation, args).await.map_err(InvokeError::from) });
    true
}

async fn run(app: &AppHandle, operation: &Operation, args: Value) -> Reply<Value> {
    let console = app.state::<Console>();
    let keychain = app.state::<Arc<Keychain>>();
    let speakers = app.state::<Speakers>();
    let listening = app.state::<Listening>();
    let team = app.state::<TeamLink>();
    let desktop = Desktop { speakers: &speakers, listening: &listening, team: &team, app };
    let ctx = Ctx { console: &console, keychain: &keychain, desktop: Some(desktop), member: None, history: None };
    let path = export_path(operation, &args)?;
    let answer = match (operation.place, team.current()) {
        (Place::Engine | Place::Export, Some(server)) => {
            offline::forward(&ctx, app, &server, operation.name, args).await?
        }
        (Place::Desktop, Some(server)) => {
            return Err(CommandError::new(
                ErrorCode::InvalidInput,
                format!("the calls are on {}: not over a team server yet", server.connection.url),
            ));
        }
        _ => operations::dispatch(&ctx, operation.name, args).await?,
    };
    match path {
        Some(path) => save_export(Path::new(&path), answer),
        None => Ok(answer),
    }
}

/// Where an export operation's file goes: its `path` argument.
fn export_path(operation: &Operation, args: &Value) -> Reply<Option<String>> {
    if operation.place != Place::Export {
        return Ok(None);
    }
    let path = args.get("path").and_then(Value::as_str);
    let path = path.ok_or_else(|| CommandError::new(ErrorCode::InvalidInput, "choose where to save the file"))?;
    Ok(Some(path.to_owned()))
}

/// Writes an export's file to `path`; the operation's own answer is what the window gets.
fn save_export(path: &Path, answer: Value) -> Reply<Value> {
    let export: Export<Value> = serde_json::from_value(answer)
        .map_err(|err| CommandError::new(ErrorCode::Storage, format!("the export could not be read: {err}")))?;
    write_export(path, &export.bytes)?;
    Ok(export.answer)
}
