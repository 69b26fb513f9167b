//! One check per contact field, shared by import, the contact editor and the campaign builder:
//! every problem is reported at once, with its field's path (`details.email`) and the same
//! words on every screen.

use crate::{BackendKind, ContactDetails, ContactFields, FieldError, Phone, normalize_phone, parse_phone};

/// A contact's fields as checked: normalised where valid (trimmed name, the time zone's IANA
/// name, the transfer number in E.164), left as given where not, with every problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactCheck {
    pub fields: ContactFields,
    /// The number to dial, when the phone is valid.
    pub phone: Option<Phone>,
    pub problems: Vec<FieldError>,
}

impl ContactCheck {
    /// The normalised fields and number, or every problem.
    pub fn into_result(self) -> Result<(ContactFields, Phone), Vec<FieldError>> {
        match self.phone {
            Some(phone) if self.problems.is_empty() => Ok((self.fields, phone)),
            _ => Err(self.problems),
        }
    }
}

/// Checks every field of `fields`; phone numbers without a country code are read in `region`.
pub fn check_contact(fields: &ContactFields, region: &str) -> ContactCheck {
    let mut problems = Vec::new();
    let mut checked = fields.clone();
    let mut apply = |field: String, result: Result<(), String>| {
        if let Err(message) = result {
            problems.push(FieldError::new(field, message));
        }
    };
    apply("name".into(), check_name(&fields.name).map(|name| checked.name = name));
    let phone = parse_phone(&fields.phone, region);
    apply("phone".into(), phone.as_ref().map(drop).map_err(ToString::to_string));
    apply("timeZone".into(), check_time_zone(fields.time_zone.as_deref()).map(|zone| checked.time_zone = zone));
    match (&fields.details, &mut checked.details) {
        (ContactDetails::Vendor(vendor), _) => {
            apply("details.email".into(), check_email(vendor.email.as_deref()));
        }
        (ContactDetails::Driver(driver), ContactDetails::Driver(out)) => {
            let transfer = check_transfer_to(driver.transfer_to.as_deref(), region);
            apply("details.transferTo".into(), transfer.map(|number| out.transfer_to = number));
            for (i, violation) in driver.violations.iter().enumerate() {
                apply(format!("details.violations.{i}.type"), check_violation_type(i, &violation.kind));
            }
        }
        _ => {}
    }
    ContactCheck { fields: checked, phone: phone.ok(), problems }
}

/// A name is required.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() { Err("a name is required".into()) } else { Ok(name.to_owned()) }
}

/// An empty time zone means the dispatcher's own; any other must name a zone (its IANA name
/// is kept).
pub fn check_time_zone(zone: Option<&str>) -> Result<Option<String>, String> {
    match zone.map(str::trim).filter(|zone| !zone.is_empty()) {
        None => Ok(None),
        Some(zone) => crate::resolve_time_zone(zone).map(|(iana, _)| Some(iana)).map_err(|err| err.to_string()),
    }
}

/// An email, when given, has an `@`.
pub fn check_email(email: Option<&str>) -> Result<(), String> {
    match email.map(str::trim).filter(|email| !email.is_empty()) {
        Some(email) if !email.contains('@') => Err(format!("{email:?} is not an email address")),
        _ => Ok(()),
    }
}

/// A transfer number, when given, is a number to dial without an extension (kept in E.164).
pub fn check_transfer_to(number: Option<&str>, region: &str) -> Result<Option<String>, String> {
    let Some(number) = number.map(str::trim).filter(|number| !number.is_empty()) else { return Ok(None) };
    let refuse = |reason: String| format!("the transfer number cannot be used: {reason}");
    match parse_phone(number, region) {
        Ok(Phone { extension: Some(_), .. }) => Err(refuse("a transfer cannot dial an extension".into())),
        Ok(_) => normalize_phone(number, region).map(Some).map_err(|err| refuse(err.to_string())),
        Err(err) => Err(refuse(err.to_string())),
    }
}

/// Each violation says what happened.
pub fn check_violation_type(index: usize, kind: &str) -> Result<(), String> {
    if kind.trim().is_empty() { Err(format!("violation {} has no type", index + 1)) } else { Ok(()) }
}

/// What the dispatcher is told when a call by `backend` to a number with `extension` will not
/// key the extension in.
pub fn extension_warning(extension: &str, backend: BackendKind) -> Option<String> {
    (!backend.dials_extensions())
        .then(|| format!("extension {extension} will not be dialled: {} calls the main number only", backend.label()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContactDetails, DriverDetails, VendorDetails, Violation};

    fn vendor(zone: Option<&str>) -> ContactFields {
        ContactFields {
            name: " Acme ".into(),
            phone: "(415) 230-0134 x12".into(),
            tags: vec![],
            time_zone: zone.map(str::to_owned),
            do_not_call: false,
            custom: Default::default(),
            details: ContactDetails::Vendor(VendorDetails::default()),
        }
    }

    #[test]
    fn a_valid_contact_is_normalised() {
        let (fields, phone) = check_contact(&vendor(Some("CST")), "US").into_result().unwrap();
        assert_eq!(fields.name, "Acme");
        assert_eq!(fields.time_zone.as_deref(), Some("America/Chicago"));
        assert_eq!(phone, Phone { e164: "+14152300134".into(), extension: Some("12".into()) });
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_field() {
        let mut fields = vendor(Some("Mars/Olympus"));
        fields.name = String::new();
        fields.phone = "555-0142".into();
        if let ContactDetails::Vendor(v) = &mut fields.details {
            v.email = Some("sales at acme".into());
        }
        let problems = check_contact(&fields, "US").problems;
        let paths: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(paths, ["name", "phone", "timeZone", "details.email"]);
        assert_eq!(problems[3].message, "\"sales at acme\" is not an email address");
    }

    #[test]
    fn driver_fields_are_checked_by_index() {
        let mut fields = vendor(None);
        fields.details = ContactDetails::Driver(DriverDetails {
            transfer_to: Some("(312) 555-0100 x4".into()),
            violations: vec![
                Violation { kind: "speeding".into(), time: None, location: None, severity: None, details: None },
                Violation { kind: " ".into(), time: None, location: None, severity: None, details: None },
            ],
            ..Default::default()
        });
        let problems = check_contact(&fields, "US").problems;
        let paths: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(paths, ["details.transferTo", "details.violations.1.type"]);
        assert_eq!(problems[1].message, "violation 2 has no type");
    }

    #[test]
    fn only_backends_placing_calls_through_twilio_dial_extensions() {
        assert_eq!(extension_warning("12", BackendKind::Pipeline), None);
        assert_eq!(
            extension_warning("12", BackendKind::Vapi).as_deref(),
            Some("extension 12 will not be dialled: Vapi calls the main number only")
        );
    }
}
