//! Commands about the dispatcher's settings.

use switchboard_core::{CostSettings, FieldError};
use switchboard_engine::costs::{SaveCostError, cost_settings, save_cost_settings};
use switchboard_engine::settings::{
    DEFAULT_REGION, DISPATCHER_PHONE, MAX_PAYMENT_TERMS_RATE, PAYMENT_TERMS_RATE, default_region, dispatcher_phone,
    payment_terms_rate,
};

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

/// The dispatcher's own phone (E.164), where a call they take over goes; empty when not set.
pub async fn get_dispatcher_phone(ctx: &Ctx<'_>) -> Reply<String> {
    query(ctx.console, |store| dispatcher_phone(store).map(Option::unwrap_or_default)).await
}

/// Sets the dispatcher's own phone: a number with its country code (kept as E.164, without an
/// extension: a taken-over call is dialled straight to it); empty clears it.
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
    with_store(ctx.console, move |store| store.set_setting(DISPATCHER_PHONE, &e164).map(|()| e164)).await
}

/// The setting that holds the window's theme.
const THEME: &str = "theme";
/// The themes the window knows: the OS's choice, or one kept whatever the OS says.
const THEMES: [&str; 3] = ["system", "light", "dark"];

/// The window's theme: "system" (follow the OS), "light" or "dark".
pub async fn get_theme(ctx: &Ctx<'_>) -> Reply<String> {
    with_store(ctx.console, |store| {
        Ok::<_, CommandError>(store.setting(THEME)?.unwrap_or_else(|| THEMES[0].to_owned()))
    })
    .await
}

/// Keeps the window's theme for the next start.
pub async fn set_theme(ctx: &Ctx<'_>, theme: String) -> Reply<String> {
    if !THEMES.contains(&theme.as_str()) {
        return Err(CommandError::invalid(vec![FieldError::new(
            "theme",
            format!("{theme:?} is not a theme: use system, light or dark"),
        )]));
    }
    with_store(ctx.console, move |store| store.set_setting(THEME, &theme).map(|()| theme)).await
}
