//! Creating a family from the page (administrators): its name, up to two parents (name,
//! email, mobile phone, login) and up to four children (name, birth date, school and
//! class). Each field is checked by the dossier's own field rules and the logins by the
//! account rules, so that errors are shown next to their field; the family is then created
//! by [`crate::admin::create_family_by_staff`], as by the `admin create-family` command, in
//! one transaction with its journal entry, and the answer is the parents' credentials letter,
//! printed at once (the one-time passwords are shown this once). A failure of that
//! transaction shows the form again, kept, with what happened ([`CreationFailure`]).

use super::creation_failure::CreationFailure;
use super::credentials_letter::{self, Letter};
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::admin::{self, NewLogin, NewParent};
use crate::db::accounts;
use crate::error::AppError;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cartable_domain::dossier::{AdultField, AdultSheet, ChildField, ChildSheet, FieldError};
use cartable_domain::ids::StructureId;
use std::collections::BTreeMap;

/// Parents on the form.
pub const PARENT_SLOTS: usize = 2;
/// Children on the form.
pub const CHILD_SLOTS: usize = 4;

/// One field of the form, with what was typed and what is wrong with it.
pub struct Field {
    /// The field's name and id (`parent1_courriel`).
    pub name: String,
    pub label: &'static str,
    /// The input's type (`text`, `email`, `tel`).
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    pub hint: Option<&'static str>,
    /// The id of the hint describing the field (another slot's, for the children after
    /// the first, whose hints are not repeated).
    pub hint_id: Option<String>,
    pub error: Option<String>,
}

impl Field {
    fn new(name: String, label: &'static str, kind: &'static str, value: &str) -> Field {
        Field {
            name,
            label,
            kind,
            autocomplete: "off",
            value: value.trim().to_string(),
            hint: None,
            hint_id: None,
            error: None,
        }
    }

    fn hint(mut self, hint: &'static str) -> Field {
        self.hint_id = Some(format!("aide-{}", self.name));
        self.hint = Some(hint);
        self
    }

    /// The same hint as the first child's field, described by it but not shown again.
    fn hint_of_first_child(mut self, n: usize) -> Field {
        if n > 1 {
            self.hint = None;
            self.hint_id = Some(format!(
                "aide-enfant1_{}",
                self.name.split_once('_').map_or("", |(_, f)| f)
            ));
        }
        self
    }

    /// The ids describing the input: its hint and its error.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if let Some(id) = &self.hint_id {
            ids.push(id.clone());
        }
        if self.error.is_some() {
            ids.push(format!("erreur-{}", self.name));
        }
        ids.join(" ")
    }
}

/// A parent or a child on the form.
pub struct Slot {
    pub title: String,
    pub id: String,
    pub fields: Vec<Field>,
}

impl Slot {
    fn filled(&self) -> bool {
        self.fields.iter().any(|f| !f.value.is_empty())
    }

    fn value(&self, index: usize) -> &str {
        self.fields.get(index).map_or("", |f| f.value.as_str())
    }

    fn fail(&mut self, index: usize, message: impl Into<String>) {
        if let Some(f) = self.fields.get_mut(index) {
            f.error.get_or_insert(message.into());
        }
    }

    fn has_errors(&self) -> bool {
        self.fields.iter().any(|f| f.error.is_some())
    }
}

#[derive(Template)]
#[template(path = "admin/family_new.html")]
struct NewFamilyPage {
    chrome: render::Chrome,
    csrf: String,
    name: Field,
    parents: Vec<Slot>,
    children: Vec<Slot>,
    /// Every wrong field: (its id, what is wrong), for the summary's links.
    errors: Vec<(String, String)>,
    /// Why the fields, all right, were not saved (see [`CreationFailure`]).
    failure: Option<&'static str>,
}

// Field positions in a parent's slot and a child's slot.
const P_FIRST: usize = 0;
const P_LAST: usize = 1;
const P_EMAIL: usize = 2;
const P_PHONE: usize = 3;
const P_LOGIN: usize = 4;
const C_FIRST: usize = 0;
const C_LAST: usize = 1;
const C_BIRTH: usize = 2;
const C_SCHOOL: usize = 3;
const C_CLASS: usize = 4;

fn parent_slot(n: usize, form: &BTreeMap<String, String>) -> Slot {
    let get = |k: &str| {
        form.get(&format!("parent{n}_{k}"))
            .map_or("", String::as_str)
    };
    let fields = vec![
        Field::new(format!("parent{n}_prenom"), "Prénom", "text", get("prenom")),
        Field::new(format!("parent{n}_nom"), "Nom", "text", get("nom")),
        Field::new(
            format!("parent{n}_courriel"),
            "Courriel",
            "email",
            get("courriel"),
        ),
        Field::new(
            format!("parent{n}_telephone"),
            "Téléphone portable",
            "tel",
            get("telephone"),
        ),
        Field::new(
            format!("parent{n}_identifiant"),
            "Identifiant",
            "text",
            get("identifiant"),
        )
        .hint("Vide : prénom.nom, par exemple camille.martin."),
    ];
    Slot {
        title: if n == 1 {
            "Premier parent (destinataire des factures)".into()
        } else {
            "Second parent (facultatif)".into()
        },
        id: format!("parent{n}"),
        fields,
    }
}

fn child_slot(n: usize, form: &BTreeMap<String, String>) -> Slot {
    let get = |k: &str| {
        form.get(&format!("enfant{n}_{k}"))
            .map_or("", String::as_str)
    };
    Slot {
        title: format!("Enfant {n}"),
        id: format!("enfant{n}"),
        fields: vec![
            Field::new(format!("enfant{n}_prenom"), "Prénom", "text", get("prenom")),
            Field::new(format!("enfant{n}_nom"), "Nom", "text", get("nom"))
                .hint("Vide : nom du premier parent.")
                .hint_of_first_child(n),
            Field::new(
                format!("enfant{n}_naissance"),
                "Date de naissance",
                "text",
                get("naissance"),
            )
            .hint("JJ/MM/AAAA, par exemple 14/03/2018.")
            .hint_of_first_child(n),
            Field::new(format!("enfant{n}_ecole"), "École", "text", get("ecole")),
            Field::new(format!("enfant{n}_classe"), "Classe", "text", get("classe"))
                .hint("Par exemple CP, CE1, MS.")
                .hint_of_first_child(n),
        ],
    }
}

fn page(staff: &PageAdmin, form: &BTreeMap<String, String>) -> NewFamilyPage {
    NewFamilyPage {
        chrome: staff.0.chrome("Nouvelle famille", "familles"),
        csrf: staff.0.csrf(),
        name: Field::new(
            "nom".into(),
            "Nom de la famille",
            "text",
            form.get("nom").map_or("", String::as_str),
        )
        .hint("Laissez vide pour « Famille » suivi du nom du premier parent."),
        parents: (1..=PARENT_SLOTS).map(|n| parent_slot(n, form)).collect(),
        children: (1..=CHILD_SLOTS).map(|n| child_slot(n, form)).collect(),
        errors: Vec::new(),
        failure: None,
    }
}

/// GET /admin/familles/nouvelle
pub async fn form(staff: PageAdmin) -> PageResult {
    Ok(render::page(&page(&staff, &BTreeMap::new())))
}

/// What the form asks to create, once every field is right.
struct Checked {
    name: String,
    parents: Vec<NewParent>,
    children: Vec<ChildSheet>,
}

/// Checks a parent's fields with the adult sheet's rules; the login is the one typed or
/// `first.last`, free and not given twice on the form.
async fn check_parent(
    state: &AppState,
    slot: &mut Slot,
    taken: &mut Vec<String>,
) -> Result<Option<NewParent>, AppError> {
    if slot.value(P_FIRST).is_empty() {
        slot.fail(P_FIRST, "Indiquez le prénom du parent.");
    }
    if slot.value(P_LAST).is_empty() {
        slot.fail(P_LAST, "Indiquez le nom du parent.");
    }
    let mut sheet = AdultSheet::default();
    for (index, field) in [
        (P_FIRST, AdultField::FirstName),
        (P_LAST, AdultField::LastName),
        (P_EMAIL, AdultField::Email),
        (P_PHONE, AdultField::MobilePhone),
    ] {
        if let Err(e) = field.apply(&mut sheet, slot.value(index)) {
            slot.fail(index, in_words(e));
        }
    }
    let typed = slot.value(P_LOGIN).to_string();
    let login = if typed.is_empty() {
        free_login(state, &sheet.first_name, &sheet.last_name, taken).await?
    } else {
        match admin::checked_login(&typed) {
            Ok(l) => l,
            Err(_) => {
                slot.fail(
                    P_LOGIN,
                    "Identifiant invalide : sans espace, 200 caractères au plus.",
                );
                String::new()
            }
        }
    };
    if typed.is_empty() && login.is_empty() && !slot.has_errors() {
        slot.fail(P_LOGIN, "Choisissez un identifiant pour ce parent.");
    }
    if !typed.is_empty()
        && !login.is_empty()
        && (taken.contains(&login)
            || accounts::account_by_login(&state.db, &login)
                .await?
                .is_some())
    {
        slot.fail(
            P_LOGIN,
            format!("L'identifiant « {login} » est déjà utilisé : choisissez-en un autre."),
        );
    }
    if slot.has_errors() {
        return Ok(None);
    }
    taken.push(login.clone());
    Ok(Some(NewParent {
        login: NewLogin {
            first_name: sheet.first_name,
            last_name: sheet.last_name,
            login,
            password: None,
        },
        email: sheet.email,
        mobile_phone: sheet.mobile_phone,
    }))
}

/// `first.last`, or `first.last2`, `first.last3`… when taken.
async fn free_login(
    state: &AppState,
    first_name: &str,
    last_name: &str,
    taken: &[String],
) -> Result<String, AppError> {
    let base = admin::login_from_name(first_name, last_name);
    if base.is_empty() {
        return Ok(base);
    }
    for n in 1..100 {
        let login = if n == 1 {
            base.clone()
        } else {
            format!("{base}{n}")
        };
        if !taken.contains(&login)
            && accounts::account_by_login(&state.db, &login)
                .await?
                .is_none()
        {
            return Ok(login);
        }
    }
    Err(AppError::bad_request(format!(
        "Trop d'identifiants « {base} » : choisissez-en un"
    )))
}

/// Checks a child's fields with the child sheet's rules.
fn check_child(slot: &mut Slot, default_last_name: &str) -> Option<ChildSheet> {
    if slot.value(C_FIRST).is_empty() {
        slot.fail(C_FIRST, "Indiquez le prénom de l'enfant.");
    }
    if slot.value(C_BIRTH).is_empty() {
        slot.fail(C_BIRTH, "Indiquez la date de naissance.");
    }
    let last = if slot.value(C_LAST).is_empty() {
        default_last_name.to_string()
    } else {
        slot.value(C_LAST).to_string()
    };
    let mut sheet = ChildSheet::default();
    for (index, field, value) in [
        (
            C_FIRST,
            ChildField::FirstName,
            slot.value(C_FIRST).to_string(),
        ),
        (C_LAST, ChildField::LastName, last),
        (
            C_BIRTH,
            ChildField::BirthDate,
            slot.value(C_BIRTH).to_string(),
        ),
        (
            C_SCHOOL,
            ChildField::School,
            slot.value(C_SCHOOL).to_string(),
        ),
        (C_CLASS, ChildField::Class, slot.value(C_CLASS).to_string()),
    ] {
        if let Err(e) = field.apply(&mut sheet, &value) {
            slot.fail(index, in_words(e));
        }
    }
    (!slot.has_errors()).then_some(sheet)
}

/// What is wrong with a field's value, as said next to the field (which names it already).
fn in_words(e: FieldError) -> String {
    match e {
        FieldError::BadValue { reason, .. } => format!("{}.", capital(&reason)),
        other => format!("{}.", capital(&other.to_string())),
    }
}

fn capital(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

async fn check(state: &AppState, p: &mut NewFamilyPage) -> Result<Option<Checked>, AppError> {
    let mut taken = Vec::new();
    let mut parents = Vec::new();
    for (index, slot) in p.parents.iter_mut().enumerate() {
        if index > 0 && !slot.filled() {
            continue;
        }
        if let Some(parent) = check_parent(state, slot, &mut taken).await? {
            parents.push(parent);
        }
    }
    let first_last = p.parents[0].value(P_LAST).to_string();
    let mut children = Vec::new();
    for slot in p.children.iter_mut().filter(|s| s.filled()) {
        if let Some(child) = check_child(slot, &first_last) {
            children.push(child);
        }
    }
    let name = if p.name.value.is_empty() {
        format!("Famille {first_last}")
    } else {
        p.name.value.clone()
    };
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        p.name.error = Some("Nom trop long (200 caractères au plus).".into());
    }
    let slots = p.parents.iter().chain(p.children.iter());
    let wrong = p.name.error.is_some() || slots.clone().any(Slot::has_errors);
    if wrong {
        p.errors = slots
            .flat_map(|s| {
                s.fields.iter().filter_map(|f| {
                    f.error
                        .as_ref()
                        .map(|e| (f.name.clone(), format!("{}, {} : {e}", s.title, f.label)))
                })
            })
            .collect();
        if let Some(e) = &p.name.error {
            p.errors
                .insert(0, (p.name.name.clone(), format!("Nom de la famille : {e}")));
        }
        return Ok(None);
    }
    Ok(Some(Checked {
        name,
        parents,
        children,
    }))
}

/// POST /admin/familles/nouvelle: the family is created and its credentials letter shown.
pub async fn create(
    State(state): State<AppState>,
    staff: PageAdmin,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> PageResult {
    let mut p = page(&staff, &form);
    let Some(checked) = check(&state, &mut p).await? else {
        return Ok(render::page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &p,
        ));
    };
    let structure_id: StructureId = staff.0.0.session.structure_id.clone();
    let (family_id, credentials) = match admin::create_family_by_staff(
        &state,
        &staff.0.0.session.account_id,
        &structure_id,
        &checked.name,
        &checked.parents,
        &checked.children,
    )
    .await
    {
        Ok(created) => created,
        Err(AppError::Client { message, .. }) => {
            p.errors = vec![(p.name.name.clone(), message)];
            return Ok(render::page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &p,
            ));
        }
        Err(e) => {
            let Some(failure) = CreationFailure::of(&e) else {
                return Err(e.into());
            };
            // The details go to the log; the form, kept, says what happened in words.
            tracing::error!(error = %e, ?failure, "family creation failed, nothing kept");
            p.failure = Some(failure.message_fr());
            return Ok(render::page_with_status(failure.status(), &p));
        }
    };
    tracing::info!(
        event = "family_created",
        family_id = %family_id,
        by_account = %staff.0.0.session.account_id,
        parents = credentials.len(),
        "family created from the admin page"
    );
    let letter = Letter {
        family_id: family_id.to_string(),
        family_name: checked.name,
        created: true,
        credentials,
    };
    credentials_letter::show(&state, &staff.0, &headers, letter).await
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/admin/familles/nouvelle",
        axum::routing::get(form).post(create),
    )
}
