//! The family dossier ("Mon dossier"): child sheets and adult sheets.
//!
//! Parents edit it on any device, offline; the server projects it into relational tables for
//! staff. Sheets are keyed by id in maps so that two parents adding a sheet at once both win,
//! and each field is its own register so that two parents editing different fields of one
//! sheet both win too. The `review` section is written by the server only.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Root keys of the dossier document that only the server may write.
pub const SERVER_ONLY_KEYS: &[&str] = &["review", "family_id"];

#[derive(Debug, Clone, Default, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Dossier {
    #[autosurgeon(missing = "Default::default")]
    pub family_id: String,
    #[autosurgeon(missing = "Default::default")]
    pub children: BTreeMap<String, ChildSheet>,
    #[autosurgeon(missing = "Default::default")]
    pub adults: BTreeMap<String, AdultSheet>,
    #[autosurgeon(missing = "Default::default")]
    pub review: Option<Review>,
}

/// A diet recorded neutrally, as the CNIL asks: no religious label is offered.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Diet {
    #[default]
    Standard,
    SansPorc,
    SansViande,
    Vegetarien,
    SansGluten,
}

impl Diet {
    pub const ALL: [Diet; 5] = [
        Diet::Standard,
        Diet::SansPorc,
        Diet::SansViande,
        Diet::Vegetarien,
        Diet::SansGluten,
    ];

    /// Stable code used on the wire and in the CLI.
    pub fn code(self) -> &'static str {
        match self {
            Diet::Standard => "standard",
            Diet::SansPorc => "sans_porc",
            Diet::SansViande => "sans_viande",
            Diet::Vegetarien => "vegetarien",
            Diet::SansGluten => "sans_gluten",
        }
    }

    /// Label shown to parents and staff.
    pub fn label(self) -> &'static str {
        match self {
            Diet::Standard => "Sans régime particulier",
            Diet::SansPorc => "Sans porc",
            Diet::SansViande => "Sans viande",
            Diet::Vegetarien => "Végétarien",
            Diet::SansGluten => "Sans gluten",
        }
    }

    pub fn from_code(code: &str) -> Option<Diet> {
        Diet::ALL.into_iter().find(|d| d.code() == code)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct ChildSheet {
    #[autosurgeon(missing = "Default::default")]
    pub first_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub last_name: String,
    /// ISO date, "2018-04-12".
    #[autosurgeon(missing = "Default::default")]
    pub birth_date: String,
    #[autosurgeon(missing = "Default::default")]
    pub school: String,
    /// School class, e.g. "CE1".
    #[autosurgeon(missing = "Default::default")]
    pub class: String,
    #[autosurgeon(missing = "Default::default")]
    pub diet: Diet,
    #[autosurgeon(missing = "Default::default")]
    pub allergies: Vec<String>,
    #[autosurgeon(missing = "Default::default")]
    pub pai: bool,
    #[autosurgeon(missing = "Default::default")]
    pub medical_treatments: String,
    #[autosurgeon(missing = "Default::default")]
    pub doctor: String,
    #[autosurgeon(missing = "Default::default")]
    pub vaccinations_up_to_date: bool,
    #[autosurgeon(missing = "Default::default")]
    pub image_authorisation: bool,
    #[autosurgeon(missing = "Default::default")]
    pub may_leave_alone: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AdultRoles {
    #[autosurgeon(missing = "Default::default")]
    pub legal_guardian: bool,
    #[autosurgeon(missing = "Default::default")]
    pub may_pick_up: bool,
    #[autosurgeon(missing = "Default::default")]
    pub billing: bool,
    #[autosurgeon(missing = "Default::default")]
    pub emergency_contact: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AdultSheet {
    #[autosurgeon(missing = "Default::default")]
    pub first_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub last_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub mobile_phone: String,
    #[autosurgeon(missing = "Default::default")]
    pub home_phone: String,
    #[autosurgeon(missing = "Default::default")]
    pub work_phone: String,
    #[autosurgeon(missing = "Default::default")]
    pub email: String,
    #[autosurgeon(missing = "Default::default")]
    pub address: String,
    #[autosurgeon(missing = "Default::default")]
    pub roles: AdultRoles,
    /// Quotient familial, if known.
    #[autosurgeon(missing = "Default::default")]
    pub quotient_familial: Option<u32>,
    /// CAF or MSA number.
    #[autosurgeon(missing = "Default::default")]
    pub caf_number: String,
    /// The parent login this sheet belongs to, if any (set by the server).
    #[autosurgeon(missing = "Default::default")]
    pub account_id: Option<String>,
}

/// Outcome of staff review of a submitted dossier (server-written).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Review {
    pub status: String,
    #[autosurgeon(missing = "Default::default")]
    pub reason: Option<String>,
    pub at_ms: i64,
}

/// A field of a child sheet that a parent may set through the typed API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildField {
    FirstName,
    LastName,
    BirthDate,
    School,
    Class,
    Diet,
    Allergies,
    Pai,
    MedicalTreatments,
    Doctor,
    VaccinationsUpToDate,
    ImageAuthorisation,
    MayLeaveAlone,
}

/// A field of an adult sheet that a parent may set through the typed API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdultField {
    FirstName,
    LastName,
    MobilePhone,
    HomePhone,
    WorkPhone,
    Email,
    Address,
    LegalGuardian,
    MayPickUp,
    Billing,
    EmergencyContact,
    QuotientFamilial,
    CafNumber,
}

/// Why a value was refused for a dossier field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("champ inconnu « {0} »")]
    UnknownField(String),
    #[error("valeur invalide pour « {field} » : {reason}")]
    BadValue { field: String, reason: String },
}

fn parse_bool(field: &str, value: &str) -> Result<bool, FieldError> {
    match value {
        "true" | "oui" | "1" | "yes" => Ok(true),
        "false" | "non" | "0" | "no" => Ok(false),
        _ => Err(FieldError::BadValue {
            field: field.into(),
            reason: "attendu oui ou non".into(),
        }),
    }
}

fn checked_text(field: &str, value: &str) -> Result<String, FieldError> {
    if value.chars().count() > 500 || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::BadValue {
            field: field.into(),
            reason: "texte trop long ou caractères de contrôle".into(),
        });
    }
    Ok(value.trim().to_string())
}

impl ChildField {
    pub fn parse(name: &str) -> Result<Self, FieldError> {
        Ok(match name {
            "first_name" => Self::FirstName,
            "last_name" => Self::LastName,
            "birth_date" => Self::BirthDate,
            "school" => Self::School,
            "class" => Self::Class,
            "diet" => Self::Diet,
            "allergies" => Self::Allergies,
            "pai" => Self::Pai,
            "medical_treatments" => Self::MedicalTreatments,
            "doctor" => Self::Doctor,
            "vaccinations_up_to_date" => Self::VaccinationsUpToDate,
            "image_authorisation" => Self::ImageAuthorisation,
            "may_leave_alone" => Self::MayLeaveAlone,
            other => return Err(FieldError::UnknownField(other.into())),
        })
    }

    /// Applies a textual value (as typed by a parent) to a sheet, validating it.
    /// Allergies are a comma-separated list.
    pub fn apply(self, sheet: &mut ChildSheet, value: &str) -> Result<(), FieldError> {
        let name = format!("{self:?}");
        match self {
            Self::FirstName => sheet.first_name = checked_text(&name, value)?,
            Self::LastName => sheet.last_name = checked_text(&name, value)?,
            Self::BirthDate => {
                if !value.is_empty() && value.parse::<jiff::civil::Date>().is_err() {
                    return Err(FieldError::BadValue {
                        field: "birth_date".into(),
                        reason: "date attendue au format AAAA-MM-JJ".into(),
                    });
                }
                sheet.birth_date = value.to_string();
            }
            Self::School => sheet.school = checked_text(&name, value)?,
            Self::Class => sheet.class = checked_text(&name, value)?,
            Self::Diet => {
                sheet.diet = Diet::from_code(value).ok_or_else(|| FieldError::BadValue {
                    field: "diet".into(),
                    reason: format!(
                        "régime inconnu ; valeurs possibles : {}",
                        Diet::ALL.map(Diet::code).join(", ")
                    ),
                })?
            }
            Self::Allergies => {
                sheet.allergies = checked_text(&name, value)?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            Self::Pai => sheet.pai = parse_bool("pai", value)?,
            Self::MedicalTreatments => sheet.medical_treatments = checked_text(&name, value)?,
            Self::Doctor => sheet.doctor = checked_text(&name, value)?,
            Self::VaccinationsUpToDate => {
                sheet.vaccinations_up_to_date = parse_bool("vaccinations_up_to_date", value)?
            }
            Self::ImageAuthorisation => {
                sheet.image_authorisation = parse_bool("image_authorisation", value)?
            }
            Self::MayLeaveAlone => sheet.may_leave_alone = parse_bool("may_leave_alone", value)?,
        }
        Ok(())
    }
}

impl AdultField {
    pub fn parse(name: &str) -> Result<Self, FieldError> {
        Ok(match name {
            "first_name" => Self::FirstName,
            "last_name" => Self::LastName,
            "mobile_phone" => Self::MobilePhone,
            "home_phone" => Self::HomePhone,
            "work_phone" => Self::WorkPhone,
            "email" => Self::Email,
            "address" => Self::Address,
            "legal_guardian" => Self::LegalGuardian,
            "may_pick_up" => Self::MayPickUp,
            "billing" => Self::Billing,
            "emergency_contact" => Self::EmergencyContact,
            "quotient_familial" => Self::QuotientFamilial,
            "caf_number" => Self::CafNumber,
            other => return Err(FieldError::UnknownField(other.into())),
        })
    }

    /// Applies a textual value to an adult sheet, validating it.
    pub fn apply(self, sheet: &mut AdultSheet, value: &str) -> Result<(), FieldError> {
        let name = format!("{self:?}");
        let phone = |v: &str| -> Result<String, FieldError> {
            let ok = v
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '.' | '-'))
                && v.len() <= 30;
            if ok {
                Ok(v.trim().to_string())
            } else {
                Err(FieldError::BadValue {
                    field: name.clone(),
                    reason: "numéro de téléphone invalide".into(),
                })
            }
        };
        match self {
            Self::FirstName => sheet.first_name = checked_text(&name, value)?,
            Self::LastName => sheet.last_name = checked_text(&name, value)?,
            Self::MobilePhone => sheet.mobile_phone = phone(value)?,
            Self::HomePhone => sheet.home_phone = phone(value)?,
            Self::WorkPhone => sheet.work_phone = phone(value)?,
            Self::Email => {
                let v = checked_text(&name, value)?;
                if !v.is_empty() && !v.contains('@') {
                    return Err(FieldError::BadValue {
                        field: "email".into(),
                        reason: "adresse électronique invalide".into(),
                    });
                }
                sheet.email = v;
            }
            Self::Address => sheet.address = checked_text(&name, value)?,
            Self::LegalGuardian => sheet.roles.legal_guardian = parse_bool(&name, value)?,
            Self::MayPickUp => sheet.roles.may_pick_up = parse_bool(&name, value)?,
            Self::Billing => sheet.roles.billing = parse_bool(&name, value)?,
            Self::EmergencyContact => sheet.roles.emergency_contact = parse_bool(&name, value)?,
            Self::QuotientFamilial => {
                sheet.quotient_familial = if value.is_empty() {
                    None
                } else {
                    Some(value.parse().map_err(|_| FieldError::BadValue {
                        field: "quotient_familial".into(),
                        reason: "nombre entier attendu".into(),
                    })?)
                }
            }
            Self::CafNumber => sheet.caf_number = checked_text(&name, value)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diet_offers_only_neutral_labels() {
        for d in Diet::ALL {
            let l = d.label().to_lowercase();
            assert!(!l.contains("halal") && !l.contains("casher"));
            assert_eq!(Diet::from_code(d.code()), Some(d));
        }
    }

    #[test]
    fn child_fields_validate_their_values() {
        let mut s = ChildSheet::default();
        ChildField::parse("allergies")
            .and_then(|f| f.apply(&mut s, "arachide, lait ,"))
            .expect("valid allergies");
        assert_eq!(s.allergies, vec!["arachide", "lait"]);
        assert!(ChildField::Diet.apply(&mut s, "halal").is_err());
        assert!(ChildField::BirthDate.apply(&mut s, "12/04/2018").is_err());
        assert!(matches!(
            ChildField::parse("religion"),
            Err(FieldError::UnknownField(_))
        ));
    }

    #[test]
    fn adult_fields_validate_their_values() {
        let mut a = AdultSheet::default();
        AdultField::MobilePhone
            .apply(&mut a, "+33 6 12 34 56 78")
            .expect("valid phone");
        assert_eq!(a.mobile_phone, "+33 6 12 34 56 78");
        assert!(AdultField::MobilePhone.apply(&mut a, "call me").is_err());
        assert!(AdultField::QuotientFamilial.apply(&mut a, "abc").is_err());
        AdultField::QuotientFamilial
            .apply(&mut a, "850")
            .expect("valid QF");
        assert_eq!(a.quotient_familial, Some(850));
    }
}
