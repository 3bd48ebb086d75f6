//! "Mon dossier": child and adult sheets as flat records, and the fields a parent may edit.

use crate::error::Result;
use crate::guard::guarded;
use cartable_core::domain::dossier as core;

/// A diet, recorded neutrally (no religious label is offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Diet {
    /// No particular diet.
    Standard,
    /// Without pork.
    SansPorc,
    /// Without meat.
    SansViande,
    /// Vegetarian.
    Vegetarien,
    /// Gluten-free.
    SansGluten,
}

impl From<core::Diet> for Diet {
    fn from(d: core::Diet) -> Self {
        match d {
            core::Diet::Standard => Diet::Standard,
            core::Diet::SansPorc => Diet::SansPorc,
            core::Diet::SansViande => Diet::SansViande,
            core::Diet::Vegetarien => Diet::Vegetarien,
            core::Diet::SansGluten => Diet::SansGluten,
        }
    }
}

impl From<Diet> for core::Diet {
    fn from(d: Diet) -> Self {
        match d {
            Diet::Standard => core::Diet::Standard,
            Diet::SansPorc => core::Diet::SansPorc,
            Diet::SansViande => core::Diet::SansViande,
            Diet::Vegetarien => core::Diet::Vegetarien,
            Diet::SansGluten => core::Diet::SansGluten,
        }
    }
}

/// One choice of a diet picker.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DietOption {
    /// The diet.
    pub diet: Diet,
    /// The value to pass to `setChildField(childId, ChildField.DIET, code)`.
    pub code: String,
    /// French label ("Sans porc").
    pub label: String,
}

/// The choices of a diet picker, in display order, with their French labels.
#[uniffi::export]
pub fn diet_options() -> Result<Vec<DietOption>> {
    guarded(|| {
        Ok(core::Diet::ALL
            .into_iter()
            .map(|d| DietOption {
                diet: d.into(),
                code: d.code().to_string(),
                label: d.label().to_string(),
            })
            .collect())
    })
}

/// A child sheet.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Child {
    /// The child's id (pass it to `book`, `setChildField`...).
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// ISO date "YYYY-MM-DD" (empty when unknown).
    pub birth_date: String,
    /// School name.
    pub school: String,
    /// School class, e.g. "CE1".
    pub class: String,
    /// Diet.
    pub diet: Diet,
    /// French label of the diet.
    pub diet_label: String,
    /// Allergies, one per entry.
    pub allergies: Vec<String>,
    /// True when the child has a PAI (individual care plan).
    pub pai: bool,
    /// Medical treatments, free text.
    pub medical_treatments: String,
    /// Family doctor, free text.
    pub doctor: String,
    /// Vaccinations up to date.
    pub vaccinations_up_to_date: bool,
    /// May be photographed.
    pub image_authorisation: bool,
    /// May leave alone after the activity.
    pub may_leave_alone: bool,
}

impl Child {
    fn new(id: String, s: core::ChildSheet) -> Self {
        Self {
            id,
            first_name: s.first_name,
            last_name: s.last_name,
            birth_date: s.birth_date,
            school: s.school,
            class: s.class,
            diet: s.diet.into(),
            diet_label: s.diet.label().to_string(),
            allergies: s.allergies,
            pai: s.pai,
            medical_treatments: s.medical_treatments,
            doctor: s.doctor,
            vaccinations_up_to_date: s.vaccinations_up_to_date,
            image_authorisation: s.image_authorisation,
            may_leave_alone: s.may_leave_alone,
        }
    }
}

/// An adult sheet (parent, guardian, person allowed to pick children up...).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Adult {
    /// The adult's id (pass it to `setAdultField`).
    pub id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Mobile phone.
    pub mobile_phone: String,
    /// Home phone.
    pub home_phone: String,
    /// Work phone.
    pub work_phone: String,
    /// Email address.
    pub email: String,
    /// Postal address.
    pub address: String,
    /// Legal guardian of the children.
    pub legal_guardian: bool,
    /// May pick the children up.
    pub may_pick_up: bool,
    /// Receives the invoices.
    pub billing: bool,
    /// To call in an emergency.
    pub emergency_contact: bool,
    /// Quotient familial, when known.
    pub quotient_familial: Option<u32>,
    /// CAF or MSA number.
    pub caf_number: String,
    /// The parent login this sheet belongs to, if any (set by the server).
    pub account_id: Option<String>,
}

impl Adult {
    fn new(id: String, s: core::AdultSheet) -> Self {
        Self {
            id,
            first_name: s.first_name,
            last_name: s.last_name,
            mobile_phone: s.mobile_phone,
            home_phone: s.home_phone,
            work_phone: s.work_phone,
            email: s.email,
            address: s.address,
            legal_guardian: s.roles.legal_guardian,
            may_pick_up: s.roles.may_pick_up,
            billing: s.roles.billing,
            emergency_contact: s.roles.emergency_contact,
            quotient_familial: s.quotient_familial,
            caf_number: s.caf_number,
            account_id: s.account_id,
        }
    }
}

/// Where the dossier stands with the structure after "Je valide mes modifications".
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReviewStatus {
    /// Submitted on a phone of the family; the structure gets it at that phone's next sync.
    Sent,
    /// Received by the structure, waiting for an agent.
    Pending,
    /// Approved by the structure.
    Approved,
    /// Rejected with a reason: correct the dossier and submit again.
    Rejected,
}

impl From<cartable_core::ReviewStatus> for ReviewStatus {
    fn from(s: cartable_core::ReviewStatus) -> Self {
        match s {
            cartable_core::ReviewStatus::Sent => ReviewStatus::Sent,
            cartable_core::ReviewStatus::Pending => ReviewStatus::Pending,
            cartable_core::ReviewStatus::Approved => ReviewStatus::Approved,
            cartable_core::ReviewStatus::Rejected => ReviewStatus::Rejected,
        }
    }
}

/// The structure's review of the dossier, as the app shows it (readable offline).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DossierReview {
    /// Where it stands.
    pub status: ReviewStatus,
    /// French, e.g. "Dossier validé par la structure".
    pub label: String,
    /// Why the structure rejected it.
    pub reason: Option<String>,
    /// Supporting documents the structure asks for (e.g. `qf_certificate`).
    pub requested_documents: Vec<String>,
    /// When the dossier was last submitted (ms since the Unix epoch).
    pub submitted_at_ms: Option<i64>,
    /// The account that submitted it.
    pub submitted_by: Option<String>,
    /// When the structure received, approved or rejected it (ms since the Unix epoch).
    pub reviewed_at_ms: Option<i64>,
    /// Bookings that need an approved dossier may go ahead (this version or an earlier one
    /// was approved).
    pub approval_in_force: bool,
    /// The sheets changed after the last submission: offer to submit again.
    pub changed_since_submission: bool,
}

impl From<cartable_core::ReviewView> for DossierReview {
    fn from(r: cartable_core::ReviewView) -> Self {
        Self {
            status: r.status.into(),
            label: r.label,
            reason: r.reason,
            requested_documents: r.requested_documents,
            submitted_at_ms: r.submitted_at_ms,
            submitted_by: r.submitted_by,
            reviewed_at_ms: r.reviewed_at_ms,
            approval_in_force: r.approval_in_force,
            changed_since_submission: r.changed_since_submission,
        }
    }
}

/// The family dossier. Empty lists until the first sync downloaded it. Where it stands with
/// the structure is `dossierReview()`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Dossier {
    /// The family's id.
    pub family_id: String,
    /// Child sheets, by first name.
    pub children: Vec<Child>,
    /// Adult sheets, by last then first name.
    pub adults: Vec<Adult>,
}

impl From<core::Dossier> for Dossier {
    fn from(d: core::Dossier) -> Self {
        let mut children: Vec<Child> = d
            .children
            .into_iter()
            .map(|(id, s)| Child::new(id, s))
            .collect();
        children.sort_by(|a, b| (&a.first_name, &a.id).cmp(&(&b.first_name, &b.id)));
        let mut adults: Vec<Adult> = d
            .adults
            .into_iter()
            .map(|(id, s)| Adult::new(id, s))
            .collect();
        adults.sort_by(|a, b| {
            (&a.last_name, &a.first_name, &a.id).cmp(&(&b.last_name, &b.first_name, &b.id))
        });
        Self {
            family_id: d.family_id,
            children,
            adults,
        }
    }
}

/// A field of a child sheet a parent may set. Values are text:
/// booleans `true`/`false`, `DIET` a code from `dietOptions()`, `ALLERGIES` a comma-separated
/// list, `BIRTH_DATE` "YYYY-MM-DD".
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChildField {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// "YYYY-MM-DD".
    BirthDate,
    /// School name.
    School,
    /// School class.
    Class,
    /// A diet code (see `dietOptions()`).
    Diet,
    /// Comma-separated list, e.g. "arachide, kiwi"; empty clears it.
    Allergies,
    /// `true`/`false`.
    Pai,
    /// Free text.
    MedicalTreatments,
    /// Free text.
    Doctor,
    /// `true`/`false`.
    VaccinationsUpToDate,
    /// `true`/`false`.
    ImageAuthorisation,
    /// `true`/`false`.
    MayLeaveAlone,
}

impl ChildField {
    /// The field's name in the client core.
    pub(crate) fn core_name(self) -> &'static str {
        match self {
            ChildField::FirstName => "first_name",
            ChildField::LastName => "last_name",
            ChildField::BirthDate => "birth_date",
            ChildField::School => "school",
            ChildField::Class => "class",
            ChildField::Diet => "diet",
            ChildField::Allergies => "allergies",
            ChildField::Pai => "pai",
            ChildField::MedicalTreatments => "medical_treatments",
            ChildField::Doctor => "doctor",
            ChildField::VaccinationsUpToDate => "vaccinations_up_to_date",
            ChildField::ImageAuthorisation => "image_authorisation",
            ChildField::MayLeaveAlone => "may_leave_alone",
        }
    }
}

/// A field of an adult sheet a parent may set. Values are text: booleans `true`/`false`,
/// `QUOTIENT_FAMILIAL` a whole number (empty clears it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AdultField {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Digits, spaces, `+`, `.`, `-`.
    MobilePhone,
    /// Digits, spaces, `+`, `.`, `-`.
    HomePhone,
    /// Digits, spaces, `+`, `.`, `-`.
    WorkPhone,
    /// Email address.
    Email,
    /// Postal address.
    Address,
    /// `true`/`false`.
    LegalGuardian,
    /// `true`/`false`.
    MayPickUp,
    /// `true`/`false`.
    Billing,
    /// `true`/`false`.
    EmergencyContact,
    /// A whole number.
    QuotientFamilial,
    /// CAF or MSA number.
    CafNumber,
}

impl AdultField {
    /// The field's name in the client core.
    pub(crate) fn core_name(self) -> &'static str {
        match self {
            AdultField::FirstName => "first_name",
            AdultField::LastName => "last_name",
            AdultField::MobilePhone => "mobile_phone",
            AdultField::HomePhone => "home_phone",
            AdultField::WorkPhone => "work_phone",
            AdultField::Email => "email",
            AdultField::Address => "address",
            AdultField::LegalGuardian => "legal_guardian",
            AdultField::MayPickUp => "may_pick_up",
            AdultField::Billing => "billing",
            AdultField::EmergencyContact => "emergency_contact",
            AdultField::QuotientFamilial => "quotient_familial",
            AdultField::CafNumber => "caf_number",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_the_app_can_name_is_a_field_the_core_accepts() {
        use ChildField as C;
        for f in [
            C::FirstName,
            C::LastName,
            C::BirthDate,
            C::School,
            C::Class,
            C::Diet,
            C::Allergies,
            C::Pai,
            C::MedicalTreatments,
            C::Doctor,
            C::VaccinationsUpToDate,
            C::ImageAuthorisation,
            C::MayLeaveAlone,
        ] {
            assert!(core::ChildField::parse(f.core_name()).is_ok(), "{f:?}");
        }
        use AdultField as A;
        for f in [
            A::FirstName,
            A::LastName,
            A::MobilePhone,
            A::HomePhone,
            A::WorkPhone,
            A::Email,
            A::Address,
            A::LegalGuardian,
            A::MayPickUp,
            A::Billing,
            A::EmergencyContact,
            A::QuotientFamilial,
            A::CafNumber,
        ] {
            assert!(core::AdultField::parse(f.core_name()).is_ok(), "{f:?}");
        }
    }

    #[test]
    fn diet_options_give_codes_the_core_accepts() {
        let options = diet_options().unwrap_or_default();
        assert_eq!(options.len(), 5);
        for o in options {
            assert_eq!(core::Diet::from_code(&o.code).map(Diet::from), Some(o.diet));
        }
    }
}
