//! Commands about the dispatcher's settings.

use switchboard_core::{CostSettings, FieldError};
use switchboard_engine::ErrorCode;
use switchboard_engine::costs::{SaveCostError, cost_settings, save_cost_settings};
use switchboard_engine::settings::{
    DEFAULT_REGION, DISPATCHER_PHONE, MAX_PAYMENT_TERMS_RATE, PAYMENT_TERMS_RATE, default_region, dispatcher_phone,
    payment_terms_rate,
};
use switchboard_store::{Store, StoreError};

use super::{Reply, query, with_store};
use crate::dto::CommandError;
use crate::operations::Ctx;

pub async fn get_default_region(ctx: &Ctx<'_>) -> Reply<String> {
    query(ctx.console, default_region).await
}

/// Sets the region for numbers without a country code (checked: a known two-letter code).
pub async fn set_default_region(ctx: &Ctx<'_>, region: String) -> Reply<String> {
    let region = region.trim().to_ascii_uppercase();
    if let Err(switchboard_core::PhoneError::UnknownRegion(_)) = switchboard_core::normalize_phone("0", &region) {
        return Err(CommandError::invalid(vec![FieldError::new(
            "defaultRegion",
            format!("{region:?} is not a two-letter country code such as US or GB"),
        )]));
    }
    with_store(ctx.console, move |store| store.set_setting(DEFAULT_REGION, &region).map(|()| region)).await
}

/// The yearly rate, in percent, quotes' payment terms are weighed at.
pub async fn get_payment_terms_rate(ctx: &Ctx<'_>) -> Reply<f64> {
    query(ctx.console, payment_terms_rate).await
}

/// Sets the yearly rate for payment terms (0 to 100 percent).
pub async fn set_payment_terms_rate(ctx: &Ctx<'_>, rate: f64) -> Reply<f64> {
    if !(rate.is_finite() && (0.0..=MAX_PAYMENT_TERMS_RATE).contains(&rate)) {
        return Err(CommandError::invalid(vec![FieldError::new(
            "paymentTermsRate",
            format!("the yearly rate is 0 to {MAX_PAYMENT_TERMS_RATE}%, not {rate}"),
        )]));
    }
    with_store(ctx.console, move |store| store.set_setting(PAYMENT_TERMS_RATE, &rate.to_string()).map(|()| rate)).await
}

/// The rates calls are priced at and the per-call limit.
pub async fn get_cost_settings(ctx: &Ctx<'_>) -> Reply<CostSettings> {
    query(ctx.console, cost_settings).await
}

/// Saves the rates and the per-call limit, all or nothing: every bad field is named.
pub async fn set_cost_settings(ctx: &Ctx<'_>, settings: CostSettings) -> Reply<CostSettings> {
    with_store(ctx.console, move |store| match save_cost_settings(store, &settings) {
        Ok(()) => Ok(settings),
        Err(SaveCostError::Invalid(problems)) => Err(CommandError::invalid(problems)),
        Err(SaveCostError::Store(err)) => Err(err.into()),
    })
    .await
}

/// The dispatcher's own phone (E.164), where a call they take over goes; empty when not set. On
/// a team server, the signed-in account's own, else the team-wide one.
pub async fn get_dispatcher_phone(ctx: &Ctx<'_>) -> Reply<String> {
    let account = ctx.member.map(|member| member.name.clone());
    query(ctx.console, move |store| take_over_phone(store, account.as_deref()).map(Option::unwrap_or_default)).await
}

/// Sets the dispatcher's own phone: a number with its country code (kept as E.164, without an
/// extension: a taken-over call is dialled straight to it); empty clears it. On a team server it
/// is the signed-in account's own (cleared, the team-wide one holds again); the phone a take-over
/// now rings is returned.
pub async fn set_dispatcher_phone(ctx: &Ctx<'_>, phone: String) -> Reply<String> {
    let phone = phone.trim().to_owned();
    let e164 = if phone.is_empty() {
        String::new()
    } else {
        let bad = |reason: String| CommandError::invalid(vec![FieldError::new("dispatcherPhone", reason)]);
        let international =
            || format!("{phone:?} is not a phone number with its country code, such as +1 312 555 0100");
        if !phone.starts_with('+') {
            return Err(bad(international()));
        }
        let parsed = switchboard_core::parse_phone(&phone, "US")
            .map_err(|error| bad(format!("{}: {error}", international())))?;
        if parsed.extension.is_some() {
            return Err(bad(format!("{phone:?} has an extension; give a number that rings you directly")));
        }
        parsed.e164
    };
    let account = ctx.member.map(|member| member.name.clone());
    query(ctx.console, move |store| {
        match &account {
            Some(name) => store.set_team_user_phone(name, Some(e164.as_str()).filter(|phone| !phone.is_empty()))?,
            None => store.set_setting(DISPATCHER_PHONE, &e164)?,
        }
        take_over_phone(store, account.as_deref()).map(Option::unwrap_or_default)
    })
    .await
}

/// The signed-in team account's own phone, if it set one; with none (and outside a team server)
/// a take-over rings Settings' dispatcher phone.
pub async fn own_phone(ctx: &Ctx<'_>) -> Reply<Option<String>> {
    let Some(name) = ctx.member.map(|member| member.name.clone()) else {
        return Ok(None);
    };
    query(ctx.console, move |store| store.team_user_phone(&name)).await
}

/// The phone a take-over rings: the team account's own, else the team-wide dispatcher phone.
fn take_over_phone(store: &Store, account: Option<&str>) -> Result<Option<String>, StoreError> {
    let own = match account {
        Some(name) => store.team_user_phone(name)?,
        None => None,
    };
    match own {
        Some(phone) => Ok(Some(phone)),
        None => dispatcher_phone(store),
    }
}

/// The file of the profile that holds the window's theme: the console's own, kept beside it
/// whether it works on this computer's engine or is signed in to a team server (never forwarded).
const THEME_FILE: &str = "theme";
/// The setting that held the theme before it was the console's own file (read when no file is).
const THEME_SETTING: &str = "theme";
/// The themes the window knows: the OS's choice, or one kept whatever the OS says.
const THEMES: [&str; 3] = ["system", "light", "dark"];

/// The window's theme: "system" (follow the OS), "light" or "dark".
pub async fn get_theme(ctx: &Ctx<'_>) -> Reply<String> {
    let path = ctx.console.paths.root.join(THEME_FILE);
    let kept = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text.trim().to_owned()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => match &ctx.console.engine {
            Ok(_) => with_store(ctx.console, |store| store.setting(THEME_SETTING)).await?,
            Err(_) => None,
        },
        Err(err) => {
            return Err(CommandError::new(ErrorCode::Storage, format!("cannot read {}: {err}", path.display())));
        }
    };
    Ok(kept.filter(|theme| THEMES.contains(&theme.as_str())).unwrap_or_else(|| THEMES[0].to_owned()))
}

/// Keeps the window's theme for the next start, in this console's profile.
pub async fn set_theme(ctx: &Ctx<'_>, theme: String) -> Reply<String> {
    if !THEMES.contains(&theme.as_str()) {
        return Err(CommandError::invalid(vec![FieldError::new(
            "theme",
            format!("{theme:?} is not a theme: use system, light or dark"),
        )]));
    }
    let path = ctx.console.paths.root.join(THEME_FILE);
    std::fs::write(&path, &theme)
        .map_err(|err| CommandError::new(ErrorCode::Storage, format!("cannot write {}: {err}", path.display())))?;
    Ok(theme)
}
