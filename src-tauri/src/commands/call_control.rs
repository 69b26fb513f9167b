//! Commands of the dispatcher's hand on a live call: what can be done to it now, and doing it.

use switchboard_core::{CallAction, CallId, ControlAction, ControlOffer};

use super::settings::own_phone;
use super::{Reply, engine};
use crate::operations::Ctx;

/// Each action on `call_id`, with why not when it cannot be taken now.
pub async fn call_controls(ctx: &Ctx<'_>, call_id: CallId) -> Reply<Vec<ControlOffer>> {
    Ok(engine(ctx.console)?.call_controls_for(call_id, own_phone(ctx).await?).await?)
}

/// Does `action` to `call_id` (`text`: the note or the line; a take-over rings the dispatcher's
/// own phone); the action as it ended, refused with the provider's words when it was.
pub async fn control_call(ctx: &Ctx<'_>, call_id: CallId, action: ControlAction, text: String) -> Reply<CallAction> {
    let phone = own_phone(ctx).await?;
    Ok(engine(ctx.console)?.control_call_for(call_id, action, &text, phone).await?)
}
