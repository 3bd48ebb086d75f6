//! The family dossier ("Mon dossier"): child sheets and adult sheets.
//!
//! Parents edit it on any device, offline; the server projects it into relational tables for
//! staff. Sheets are keyed by id in maps so that two parents adding a sheet at once both win,
//! and each field is its own register so that two parents editing different fields of one
//! sheet both win too. The `review` section is written by the server only.
//!
//! "Je valide mes modifications" writes `submission` (parent-written, a fresh `rev` each time);
//! the server then records the submitted version for staff and answers in `review`
//! (`pending`, then `approved` or `rejected` with a reason), naming the `rev` it answers.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Root keys of the dossier document that only the server may write.
pub const SERVER_ONLY_KEYS: &[&str] = &["review", "family_id", "authors"];

/// Where staff's review of a submitted dossier version stands. Stored as its code
/// (`review.status` in the dossier, `dossier_versions.status` on the server).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Staff have not answered the last submission yet.
    #[default]
    Pending,
    /// Staff approved the submitted version.
    Approved,
    /// Staff rejected the submitted version (with a reason).
    Rejected,
    /// A newer submission replaced this one before staff answered (server log only).
    Superseded,
}

impl ReviewStatus {
    pub fn code(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Rejected => "rejected",
            ReviewStatus::Superseded => "superseded",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "pending" => Some(ReviewStatus::Pending),
            "approved" => Some(ReviewStatus::Approved),
            "rejected" => Some(ReviewStatus::Rejected),
            "superseded" => Some(ReviewStatus::Superseded),
            _ => None,
        }
    }
}

impl std::fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Reconcile for ReviewStatus {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.code())
    }
}

impl Hydrate for ReviewStatus {
    fn hydrate_string(code: &str) -> Result<Self, autosurgeon::HydrateError> {
        ReviewStatus::from_code(code)
            .ok_or_else(|| autosurgeon::HydrateError::unexpected("a review status", code.into()))
    }
}
/// The supporting document asked for when a quotient familial changed.
pub const QF_CERTIFICATE: &str = "qf_certificate";

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
    /// The last "Je valide mes modifications" (parent-written). A malformed value reads as
    /// no submission rather than making the whole dossier unreadable.
    #[autosurgeon(missing = "Default::default", hydrate = "hydrate_submission")]
    #[serde(default)]
    pub submission: Option<Submission>,
    /// Who is behind each Automerge actor that wrote to the dossier (actor hex → parent),
    /// written by the server only, so that a phone names the parents of a conflict.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub authors: BTreeMap<String, crate::conflicts::Author>,
}

/// A parent asking staff to review the dossier as it stands ("Je valide mes modifications").
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Submission {
    /// Fresh for every submission; `review.rev` names the one staff answered.
    #[autosurgeon(missing = "Default::default")]
    pub rev: String,
    /// Account id of the parent who submitted.
    #[autosurgeon(missing = "Default::default")]
    pub by: String,
    /// When, by the server's clock as the device estimated it.
    #[autosurgeon(missing = "Default::default")]
    pub at_ms: i64,
}

fn hydrate_submission<D: autosurgeon::ReadDoc>(
    doc: &D,
    obj: &automerge::ObjId,
    prop: autosurgeon::Prop<'_>,
) -> Result<Option<Submission>, autosurgeon::HydrateError> {
    Ok(<Option<Submission> as Hydrate>::hydrate(doc, obj, prop).unwrap_or(None))
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

    /// A diet as stored in the document (its variant name, "SansPorc") or as a code.
    pub fn from_stored(value: &str) -> Option<Diet> {
        Diet::ALL
            .into_iter()
            .find(|d| format!("{d:?}") == value || d.code() == value)
    }

    /// The diet a parent typed, in words or as a code, accents and case ignored: "sans porc",
    /// "Végétarien", "vegetarienne", "aucun", "sans_gluten".
    pub fn parse(text: &str) -> Option<Diet> {
        let folded = crate::words::fold(text);
        if let Some(d) = Diet::ALL.into_iter().find(|d| {
            crate::words::fold(d.code()) == folded || crate::words::fold(d.label()) == folded
        }) {
            return Some(d);
        }
        match folded.as_str() {
            "aucun" | "aucun regime" | "sans regime" | "normal" | "rien" => Some(Diet::Standard),
            "vegetarienne" | "veggie" => Some(Diet::Vegetarien),
            _ => None,
        }
    }

    /// The diets in words, for error messages: "sans régime particulier, sans porc, … ou
    /// sans gluten".
    pub fn choices_fr() -> String {
        let labels: Vec<String> = Diet::ALL.iter().map(|d| d.label().to_lowercase()).collect();
        crate::words::list_fr(&labels).replace(" et ", " ou ")
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
#[derive(Debug, Clone, Default, PartialEq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Review {
    /// Pending, approved or rejected.
    pub status: ReviewStatus,
    /// Why staff rejected the version (shown to the family).
    #[autosurgeon(missing = "Default::default")]
    pub reason: Option<String>,
    /// When the server recorded this status.
    pub at_ms: i64,
    /// The [`Submission::rev`] this review answers.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub rev: String,
    /// Supporting documents staff ask for (e.g. [`QF_CERTIFICATE`] after a change of
    /// quotient familial).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub requested_documents: Vec<String>,
    /// When a version of this dossier was last approved. That approval stays in force while a
    /// newer submission is pending or rejected, so booking is not interrupted by a resubmission.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub approved_at_ms: Option<i64>,
}

impl Review {
    /// True when bookings that need an approved dossier may go ahead: this version is
    /// approved, or an earlier one was and stays in force.
    pub fn approval_in_force(&self) -> bool {
        self.status == ReviewStatus::Approved || self.approved_at_ms.is_some()
    }
}

/// The change that wrote the current submission's `rev`: its heads are the dossier exactly as
/// the parent saw it when pressing "Je valide mes modifications". `None` without a readable
/// submission.
pub fn submission_change(doc: &mut automerge::AutoCommit) -> Option<automerge::ChangeHash> {
    use automerge::{ObjId, ObjType, ReadDoc, Value};
    let (Value::Object(ObjType::Map), obj) = doc.get(automerge::ROOT, "submission").ok()?? else {
        return None;
    };
    let (_, ObjId::Id(counter, actor, _)) = doc.get(&obj, "rev").ok()?? else {
        return None;
    };
    doc.get_changes_meta(&[])
        .into_iter()
        .find(|c| *c.actor == actor && c.start_op <= counter && counter <= c.max_op)
        .map(|c| c.hash)
}

/// True when the child or adult sheets differ between `heads` and the current state.
pub fn sheets_changed_since(
    doc: &mut automerge::AutoCommit,
    heads: &[automerge::ChangeHash],
) -> bool {
    use automerge::{PatchAction, Prop};
    let now = doc.get_heads();
    if now.as_slice() == heads {
        return false;
    }
    doc.diff(heads, &now).iter().any(|p| {
        let root = match (p.path.first(), &p.action) {
            (Some((_, Prop::Map(key))), _) => Some(key.as_str()),
            (None, PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key }) => {
                Some(key.as_str())
            }
            _ => None,
        };
        matches!(root, Some("children" | "adults"))
    })
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

/// Finds the field whose code, French label or alias equals `name` folded.
fn field_by_words<F: Copy>(
    name: &str,
    all: &[F],
    words: impl Fn(F) -> (&'static str, &'static str, &'static [&'static str]),
) -> Option<F> {
    let folded = crate::words::fold(name);
    all.iter().copied().find(|f| {
        let (code, label, aliases) = words(*f);
        [code, label]
            .iter()
            .chain(aliases)
            .any(|w| crate::words::fold(w) == folded)
    })
}

impl ChildField {
    /// Every field, in the order of the sheet.
    pub const ALL: [ChildField; 13] = [
        Self::FirstName,
        Self::LastName,
        Self::BirthDate,
        Self::School,
        Self::Class,
        Self::Diet,
        Self::Allergies,
        Self::Pai,
        Self::MedicalTreatments,
        Self::Doctor,
        Self::VaccinationsUpToDate,
        Self::ImageAuthorisation,
        Self::MayLeaveAlone,
    ];

    /// The field's key in the sheet (`diet`).
    pub fn code(self) -> &'static str {
        self.words().0
    }

    /// French label ("régime alimentaire").
    pub fn label_fr(self) -> &'static str {
        self.words().1
    }

    /// (code, French label, other French names a parent may type).
    fn words(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Self::FirstName => ("first_name", "prénom", &[]),
            Self::LastName => ("last_name", "nom", &["nom de famille"]),
            Self::BirthDate => ("birth_date", "date de naissance", &["naissance", "né le"]),
            Self::School => ("school", "école", &[]),
            Self::Class => ("class", "classe", &[]),
            Self::Diet => ("diet", "régime alimentaire", &["régime"]),
            Self::Allergies => ("allergies", "allergies", &["allergie"]),
            Self::Pai => ("pai", "PAI", &["projet d'accueil individualisé"]),
            Self::MedicalTreatments => (
                "medical_treatments",
                "traitements médicaux",
                &["traitements", "traitement"],
            ),
            Self::Doctor => ("doctor", "médecin", &["médecin traitant"]),
            Self::VaccinationsUpToDate => (
                "vaccinations_up_to_date",
                "vaccins à jour",
                &["vaccins", "vaccinations"],
            ),
            Self::ImageAuthorisation => (
                "image_authorisation",
                "droit à l'image",
                &["droit image", "photos"],
            ),
            Self::MayLeaveAlone => (
                "may_leave_alone",
                "peut partir seul",
                &["part seul", "partir seul", "sortie seul"],
            ),
        }
    }

    /// The field named by its code (`diet`) or in French, accents ignored ("régime",
    /// "date de naissance").
    pub fn parse(name: &str) -> Result<Self, FieldError> {
        if let Some(f) = field_by_words(name, &Self::ALL, Self::words) {
            return Ok(f);
        }
        Self::parse_code(name)
    }

    fn parse_code(name: &str) -> Result<Self, FieldError> {
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
        let name = self.label_fr().to_string();
        match self {
            Self::FirstName => sheet.first_name = checked_text(&name, value)?,
            Self::LastName => sheet.last_name = checked_text(&name, value)?,
            Self::BirthDate => {
                sheet.birth_date = if value.trim().is_empty() {
                    String::new()
                } else {
                    crate::words::parse_date(value)
                        .map_err(|reason| FieldError::BadValue {
                            field: name.clone(),
                            reason,
                        })?
                        .to_string()
                };
            }
            Self::School => sheet.school = checked_text(&name, value)?,
            Self::Class => sheet.class = checked_text(&name, value)?,
            Self::Diet => {
                sheet.diet = Diet::parse(value).ok_or_else(|| FieldError::BadValue {
                    field: name.clone(),
                    reason: format!("régime inconnu ; au choix : {}", Diet::choices_fr()),
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
            Self::Pai => sheet.pai = parse_bool(&name, value)?,
            Self::MedicalTreatments => sheet.medical_treatments = checked_text(&name, value)?,
            Self::Doctor => sheet.doctor = checked_text(&name, value)?,
            Self::VaccinationsUpToDate => sheet.vaccinations_up_to_date = parse_bool(&name, value)?,
            Self::ImageAuthorisation => sheet.image_authorisation = parse_bool(&name, value)?,
            Self::MayLeaveAlone => sheet.may_leave_alone = parse_bool(&name, value)?,
        }
        Ok(())
    }
}

impl AdultField {
    /// Every field, in the order of the sheet.
    pub const ALL: [AdultField; 13] = [
        Self::FirstName,
        Self::LastName,
        Self::MobilePhone,
        Self::HomePhone,
        Self::WorkPhone,
        Self::Email,
        Self::Address,
        Self::LegalGuardian,
        Self::MayPickUp,
        Self::Billing,
        Self::EmergencyContact,
        Self::QuotientFamilial,
        Self::CafNumber,
    ];

    /// The field's key in the sheet (`mobile_phone`; roles are under `roles/`).
    pub fn code(self) -> &'static str {
        self.words().0
    }

    /// French label ("téléphone portable").
    pub fn label_fr(self) -> &'static str {
        self.words().1
    }

    /// (code, French label, other French names a parent may type).
    fn words(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Self::FirstName => ("first_name", "prénom", &[]),
            Self::LastName => ("last_name", "nom", &["nom de famille"]),
            Self::MobilePhone => (
                "mobile_phone",
                "téléphone portable",
                &["portable", "mobile"],
            ),
            Self::HomePhone => ("home_phone", "téléphone fixe", &["fixe", "domicile"]),
            Self::WorkPhone => (
                "work_phone",
                "téléphone professionnel",
                &["travail", "téléphone travail"],
            ),
            Self::Email => (
                "email",
                "courriel",
                &["mail", "e-mail", "adresse électronique"],
            ),
            Self::Address => ("address", "adresse", &["adresse postale"]),
            Self::LegalGuardian => ("legal_guardian", "responsable légal", &["responsable"]),
            Self::MayPickUp => (
                "may_pick_up",
                "autorisé à récupérer l'enfant",
                &["autorisé à récupérer", "peut récupérer", "récupération"],
            ),
            Self::Billing => ("billing", "payeur", &["facturation", "factures"]),
            Self::EmergencyContact => (
                "emergency_contact",
                "contact d'urgence",
                &["urgence", "à prévenir en cas d'urgence"],
            ),
            Self::QuotientFamilial => ("quotient_familial", "quotient familial", &["qf"]),
            Self::CafNumber => (
                "caf_number",
                "numéro CAF",
                &["caf", "numéro allocataire", "msa"],
            ),
        }
    }

    /// The field named by its code (`mobile_phone`) or in French, accents ignored
    /// ("portable", "quotient familial").
    pub fn parse(name: &str) -> Result<Self, FieldError> {
        if let Some(f) = field_by_words(name, &Self::ALL, Self::words) {
            return Ok(f);
        }
        Self::parse_code(name)
    }

    fn parse_code(name: &str) -> Result<Self, FieldError> {
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
        let name = self.label_fr().to_string();
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
                        field: name.clone(),
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
                        field: name.clone(),
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
    fn a_dossier_without_submission_or_with_a_malformed_one_still_reads() {
        use automerge::transaction::Transactable;
        let mut doc = automerge::AutoCommit::new();
        let old = Dossier {
            family_id: "f1".into(),
            review: Some(Review {
                status: ReviewStatus::Approved,
                at_ms: 5,
                ..Default::default()
            }),
            ..Default::default()
        };
        autosurgeon::reconcile(&mut doc, &old).expect("write");
        doc.delete(automerge::ROOT, "submission").expect("delete");
        let read: Dossier = autosurgeon::hydrate(&doc).expect("older dossier reads");
        assert_eq!(read.submission, None);
        assert!(read.review.as_ref().is_some_and(Review::approval_in_force));

        doc.put(automerge::ROOT, "submission", "n'importe quoi")
            .expect("forge");
        let read: Dossier = autosurgeon::hydrate(&doc).expect("malformed submission reads");
        assert_eq!(read.submission, None);

        let submission = Submission {
            rev: "r1".into(),
            by: "a1".into(),
            at_ms: 7,
        };
        autosurgeon::reconcile_prop(&mut doc, automerge::ROOT, "submission", &submission)
            .expect("submit");
        let read: Dossier = autosurgeon::hydrate(&doc).expect("reads");
        assert_eq!(read.submission, Some(submission));
    }

    #[test]
    fn the_submission_change_names_what_the_parent_submitted() {
        use automerge::transaction::Transactable;
        use automerge::{ObjType, ROOT, ReadDoc};
        let mut doc = automerge::AutoCommit::new();
        autosurgeon::reconcile(&mut doc, Dossier::default()).expect("write");
        assert_eq!(submission_change(&mut doc), None);
        let children = doc
            .get(ROOT, "children")
            .ok()
            .flatten()
            .expect("children")
            .1;
        doc.put(&children, "c1", "x").expect("edit");
        doc.commit();
        let seen = doc.get_heads();
        let s = doc
            .put_object(ROOT, "submission", ObjType::Map)
            .expect("submit");
        doc.put(&s, "rev", "r1").expect("rev");
        let submitted = doc.commit().expect("change");
        assert_eq!(submission_change(&mut doc), Some(submitted));
        assert!(!sheets_changed_since(&mut doc, &[submitted]));
        assert!(sheets_changed_since(&mut doc, &[]));
        doc.put(&children, "c2", "y").expect("edit after");
        doc.commit();
        assert!(sheets_changed_since(&mut doc, &[submitted]));
        assert_ne!(seen, vec![submitted]);
    }

    #[test]
    fn diet_offers_only_neutral_labels() {
        for d in Diet::ALL {
            let l = d.label().to_lowercase();
            assert!(!l.contains("halal") && !l.contains("casher"));
            assert_eq!(Diet::from_code(d.code()), Some(d));
            assert_eq!(Diet::parse(d.label()), Some(d));
            assert_eq!(Diet::parse(&d.label().to_uppercase()), Some(d));
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
        ChildField::Diet
            .apply(&mut s, "Sans porc")
            .expect("diet in words");
        assert_eq!(s.diet, Diet::SansPorc);
        ChildField::Diet
            .apply(&mut s, "vegetarien")
            .expect("diet without accent");
        assert_eq!(s.diet, Diet::Vegetarien);
        ChildField::Diet.apply(&mut s, "sans_gluten").expect("code");
        assert_eq!(s.diet, Diet::SansGluten);
        ChildField::BirthDate
            .apply(&mut s, "12/04/2018")
            .expect("French date");
        assert_eq!(s.birth_date, "2018-04-12");
        ChildField::BirthDate
            .apply(&mut s, "2018-04-13")
            .expect("ISO");
        assert_eq!(s.birth_date, "2018-04-13");
        assert!(ChildField::BirthDate.apply(&mut s, "13/13/2018").is_err());
        assert!(matches!(
            ChildField::parse("religion"),
            Err(FieldError::UnknownField(_))
        ));
    }

    #[test]
    fn fields_are_named_by_code_or_in_french() {
        for f in ChildField::ALL {
            assert_eq!(ChildField::parse(f.code()), Ok(f));
            assert_eq!(ChildField::parse(f.label_fr()), Ok(f));
        }
        for f in AdultField::ALL {
            assert_eq!(AdultField::parse(f.code()), Ok(f));
            assert_eq!(AdultField::parse(f.label_fr()), Ok(f));
        }
        assert_eq!(ChildField::parse("Régime"), Ok(ChildField::Diet));
        assert_eq!(ChildField::parse("ecole"), Ok(ChildField::School));
        assert_eq!(AdultField::parse("portable"), Ok(AdultField::MobilePhone));
        assert_eq!(AdultField::parse("QF"), Ok(AdultField::QuotientFamilial));
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
