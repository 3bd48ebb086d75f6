//! Administration tasks: creating structures, staff and families, rebuilding projections.
//! Used by the `admin` subcommand, the demo and the tests.

use crate::AppState;
use crate::auth;
use crate::db::accounts::{self, Account};
use crate::db::{Conn, audit, documents, projections};
use crate::docs::{create, dossier};
use crate::error::{AppError, AppResult};
use crate::sync::school_year_at;
use automerge::{AutoCommit, ReadDoc};
use cartable_domain::DocKind;
use cartable_domain::catalogue::{Activity, ActivityKind, Catalogue, Contact};
use cartable_domain::dossier::{AdultField, AdultRoles, AdultSheet, ChildSheet, Dossier};
use cartable_domain::ids::{AccountId, DocumentId, FamilyId, StructureId};
use cartable_domain::planning::{
    AbsenceDeclaration, AbsenceOutcome, BookingRequest, CellKey, Decision,
};
use cartable_domain::roles::Role;
use std::collections::BTreeMap;

/// The services most town halls run, as a starting catalogue.
pub fn default_activities() -> BTreeMap<String, Activity> {
    let school_days = vec![1, 2, 4, 5];
    [
        (
            "cantine",
            "Restauration scolaire",
            ActivityKind::Canteen,
            school_days.clone(),
        ),
        (
            "garderie-matin",
            "Accueil du matin",
            ActivityKind::MorningChildcare,
            school_days.clone(),
        ),
        (
            "garderie-soir",
            "Accueil du soir",
            ActivityKind::EveningChildcare,
            school_days,
        ),
        (
            "mercredi",
            "Accueil de loisirs du mercredi",
            ActivityKind::WednesdayCentre,
            vec![3],
        ),
    ]
    .into_iter()
    .map(|(id, name, kind, weekdays)| (id.to_string(), Activity::simple(name, kind, weekdays)))
    .collect()
}

/// A structure as `admin list-structures` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructureSummary {
    pub id: String,
    pub name: String,
    pub families: i64,
    pub staff: i64,
}

/// Every structure of this server, by name, with its number of families and staff logins.
pub async fn list_structures(state: &AppState) -> AppResult<Vec<StructureSummary>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT s.id, s.name, \
         (SELECT COUNT(*) FROM families f WHERE f.structure_id = s.id) AS families, \
         (SELECT COUNT(*) FROM accounts a WHERE a.structure_id = s.id \
          AND a.family_id IS NULL) AS staff \
         FROM structures s ORDER BY s.name, s.id",
    )
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StructureSummary {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                families: r.try_get("families")?,
                staff: r.try_get("staff")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(AppError::from)
}

/// The structure `text` names: its id, or its name when one structure only has it.
pub async fn resolve_structure(state: &AppState, text: &str) -> AppResult<StructureId> {
    use sqlx::Row;
    let text = text.trim();
    if accounts::structure_exists(&state.db, text).await? {
        return Ok(StructureId::new(text.to_string()));
    }
    let rows = sqlx::query("SELECT id FROM structures WHERE name = $1")
        .bind(text)
        .fetch_all(&state.db.pool)
        .await?;
    let shown = cartable_domain::text::shown(text, 80);
    match rows.as_slice() {
        [one] => Ok(StructureId::new(one.try_get::<String, _>("id")?)),
        [] => Err(AppError::bad_request(format!(
            "Structure inconnue « {shown} » : `cartable-server admin list-structures` donne \
             leurs noms et identifiants"
        ))),
        _ => Err(AppError::bad_request(format!(
            "Plusieurs structures s'appellent « {shown} » : donnez son identifiant \
             (`cartable-server admin list-structures`)"
        ))),
    }
}

/// Creates a structure with its catalogue; returns its id.
pub async fn create_structure(
    state: &AppState,
    name: &str,
    contact: Contact,
) -> AppResult<StructureId> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::bad_request("Nom de structure vide"));
    }
    let id = StructureId::new(auth::new_id());
    let now_ms = state.clock.now().as_millisecond();
    let mut wtx = state.db.begin_write().await?;
    accounts::insert_structure(&mut wtx.tx, &id, name, now_ms).await?;
    let catalogue = Catalogue {
        structure_name: name.to_string(),
        contact,
        activities: default_activities(),
        ..Default::default()
    };
    create::create_catalogue(&mut wtx.tx, state.docs.actor(), &id, &catalogue, now_ms).await?;
    wtx.commit().await?;
    Ok(id)
}

/// A login to create, with a chosen password or a generated one.
#[derive(Debug, Clone)]
pub struct NewLogin {
    pub first_name: String,
    pub last_name: String,
    pub login: String,
    pub password: Option<String>,
}

/// A login that was created, with its password (shown once).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub login: String,
    pub password: String,
    pub display_name: String,
}

/// A login as stored (trimmed, lower case), or why it cannot be one.
pub fn checked_login(login: &str) -> AppResult<String> {
    let login = login.trim().to_lowercase();
    if login.is_empty() || login.len() > 200 || login.contains(char::is_whitespace) {
        return Err(AppError::bad_request(format!(
            "Identifiant invalide « {} »",
            cartable_domain::text::shown(&login, 60)
        )));
    }
    Ok(login)
}

/// An account ready to insert (login checked and free, password hashed), with the
/// credentials to hand over.
async fn prepared_account(
    state: &AppState,
    structure_id: &StructureId,
    family_id: Option<&FamilyId>,
    who: &NewLogin,
    role: Role,
) -> AppResult<(Account, Credentials)> {
    let login = checked_login(&who.login)?;
    if accounts::account_by_login(&state.db, &login)
        .await?
        .is_some()
    {
        return Err(AppError::bad_request(format!(
            "L'identifiant « {login} » existe déjà"
        )));
    }
    let password = who.password.clone().unwrap_or_else(auth::new_password);
    let display_name = format!("{} {}", who.first_name.trim(), who.last_name.trim());
    let id = AccountId::new(auth::new_id());
    let hash = auth::passwords::hash(&password).await?;
    let account = Account {
        id,
        structure_id: structure_id.clone(),
        family_id: family_id.cloned(),
        login: login.clone(),
        password_hash: hash,
        display_name: display_name.clone(),
        role,
        // A generated password was printed for someone else to hand over: one-time.
        must_change_password: who.password.is_none(),
        disabled: false,
    };
    Ok((
        account,
        Credentials {
            login,
            password,
            display_name,
        },
    ))
}

async fn new_account(
    state: &AppState,
    structure_id: &StructureId,
    family_id: Option<&FamilyId>,
    who: &NewLogin,
    role: Role,
) -> AppResult<(AccountId, Credentials)> {
    let (account, credentials) =
        prepared_account(state, structure_id, family_id, who, role).await?;
    let mut wtx = state.db.begin_write().await?;
    accounts::insert_account(&mut wtx.tx, &account, state.clock.now().as_millisecond()).await?;
    wtx.commit().await?;
    Ok((account.id, credentials))
}

/// Creates a staff login (`staff_admin` or `staff_agent`).
pub async fn create_staff(
    state: &AppState,
    structure_id: &StructureId,
    who: &NewLogin,
    admin: bool,
) -> AppResult<Credentials> {
    if !accounts::structure_exists(&state.db, structure_id.as_str()).await? {
        return Err(AppError::not_found());
    }
    let role = if admin {
        Role::StaffAdmin
    } else {
        Role::StaffAgent
    };
    Ok(new_account(state, structure_id, None, who, role).await?.1)
}

/// A parent to create with a family: their login and the contact details written on their
/// adult sheet.
#[derive(Debug, Clone)]
pub struct NewParent {
    pub login: NewLogin,
    pub email: String,
    pub mobile_phone: String,
}

impl From<&NewLogin> for NewParent {
    fn from(login: &NewLogin) -> Self {
        NewParent {
            login: login.clone(),
            email: String::new(),
            mobile_phone: String::new(),
        }
    }
}

/// A login `first.last` in lower case without accents ("Élodie Le Gall" gives
/// "elodie.le-gall"), the one staff hand over when they chose none.
pub fn login_from_name(first_name: &str, last_name: &str) -> String {
    let part = |s: &str| {
        cartable_domain::words::fold(s)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    };
    [part(first_name), part(last_name)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

/// The parents' sheets as the dossier will hold them, checked by the dossier's own field
/// rules; the first parent receives the invoices.
fn parent_sheets(parents: &[NewParent]) -> AppResult<Vec<AdultSheet>> {
    let mut out = Vec::new();
    for (index, p) in parents.iter().enumerate() {
        let mut sheet = AdultSheet {
            roles: AdultRoles {
                legal_guardian: true,
                may_pick_up: true,
                billing: index == 0,
                emergency_contact: true,
            },
            ..Default::default()
        };
        for (field, value) in [
            (AdultField::FirstName, p.login.first_name.as_str()),
            (AdultField::LastName, p.login.last_name.as_str()),
            (AdultField::Email, p.email.as_str()),
            (AdultField::MobilePhone, p.mobile_phone.as_str()),
        ] {
            field
                .apply(&mut sheet, value)
                .map_err(|e| AppError::bad_request(e.to_string()))?;
        }
        out.push(sheet);
    }
    Ok(out)
}

/// Creates a family with its parents' logins, its dossier (given children, one adult sheet
/// per parent) and this school year's planning.
pub async fn create_family(
    state: &AppState,
    structure_id: &StructureId,
    name: &str,
    parents: &[NewLogin],
    children: &[ChildSheet],
) -> AppResult<(FamilyId, Vec<Credentials>)> {
    let parents: Vec<NewParent> = parents.iter().map(NewParent::from).collect();
    create_family_with_contacts(state, structure_id, name, &parents, children).await
}

/// [`create_family`] with each parent's email and mobile phone on their adult sheet.
/// Everything is checked before anything is written: the family's name, the parents' sheets,
/// their logins (valid, not taken, not given twice).
pub async fn create_family_with_contacts(
    state: &AppState,
    structure_id: &StructureId,
    name: &str,
    parents: &[NewParent],
    children: &[ChildSheet],
) -> AppResult<(FamilyId, Vec<Credentials>)> {
    create_family_recorded(state, structure_id, name, parents, children, None).await
}

/// [`create_family_with_contacts`] by a member of staff (`by`): the journal's entry ("Famille
/// créée") is written in the family's own transaction, so that there is never a family
/// without its entry nor an entry without its family.
pub async fn create_family_by_staff(
    state: &AppState,
    by: &AccountId,
    structure_id: &StructureId,
    name: &str,
    parents: &[NewParent],
    children: &[ChildSheet],
) -> AppResult<(FamilyId, Vec<Credentials>)> {
    create_family_recorded(state, structure_id, name, parents, children, Some(by)).await
}

async fn create_family_recorded(
    state: &AppState,
    structure_id: &StructureId,
    name: &str,
    parents: &[NewParent],
    children: &[ChildSheet],
    recorded_by: Option<&AccountId>,
) -> AppResult<(FamilyId, Vec<Credentials>)> {
    if !accounts::structure_exists(&state.db, structure_id.as_str()).await? {
        return Err(AppError::not_found());
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_request(
            "Nom de famille vide ou trop long (200 caractères au plus)",
        ));
    }
    let sheets = parent_sheets(parents)?;
    let mut logins: Vec<String> = Vec::new();
    for p in parents {
        let login = checked_login(&p.login.login)?;
        if logins.contains(&login)
            || accounts::account_by_login(&state.db, &login)
                .await?
                .is_some()
        {
            return Err(AppError::bad_request(format!(
                "L'identifiant « {login} » existe déjà"
            )));
        }
        logins.push(login);
    }
    let family_id = FamilyId::new(auth::new_id());
    let now_ms = state.clock.now().as_millisecond();
    // Passwords are hashed first (slow); then one transaction writes everything, so that a
    // failure half-way (a login taken meanwhile) leaves nothing behind.
    let mut dossier = Dossier::default();
    let mut credentials = Vec::new();
    let mut new_accounts = Vec::new();
    for (p, mut sheet) in parents.iter().zip(sheets) {
        let (account, creds) = prepared_account(
            state,
            structure_id,
            Some(&family_id),
            &p.login,
            Role::Parent,
        )
        .await?;
        sheet.account_id = Some(account.id.to_string());
        dossier.adults.insert(auth::new_id(), sheet);
        credentials.push(creds);
        new_accounts.push(account);
    }
    for c in children {
        dossier.children.insert(auth::new_id(), c.clone());
    }
    let mut wtx = state.db.begin_write().await?;
    accounts::insert_family(&mut wtx.tx, &family_id, structure_id, name, now_ms).await?;
    for account in &new_accounts {
        accounts::insert_account(&mut wtx.tx, account, now_ms).await?;
    }
    create::create_dossier(
        &mut wtx.tx,
        state.docs.actor(),
        structure_id,
        &family_id,
        &dossier,
        now_ms,
    )
    .await?;
    create::ensure_planning_in(
        &mut wtx.tx,
        state.docs.actor(),
        structure_id,
        &family_id,
        school_year_at(state.clock.now()),
        now_ms,
    )
    .await?;
    if let Some(account_id) = recorded_by {
        audit::record(
            &mut wtx.tx,
            audit::Who {
                account_id,
                structure_id,
                at_ms: now_ms,
            },
            "create_family",
            Some(&family_id),
            &format!("{} parents, {} enfants", parents.len(), children.len()),
        )
        .await?;
    }
    wtx.commit().await?;
    Ok((family_id, credentials))
}

/// Rebuilds every projection from the documents alone. Returns (documents, rows).
pub async fn rebuild_projections(state: &AppState) -> AppResult<(usize, usize)> {
    let docs = documents::all_documents(&state.db).await?;
    let mut wtx = state.db.begin_write().await?;
    projections::clear_all(&mut wtx.tx).await?;
    let mut rows = 0;
    for row in &docs {
        let stored = documents::load_stored(&mut wtx.tx, &row.id).await?;
        let doc = AutoCommit::load(&stored.bytes)?;
        let Some(family_id) = row.family_id.as_ref() else {
            continue;
        };
        match row.kind {
            DocKind::Dossier => {
                dossier::project(&mut Conn::Any(&mut wtx.tx), family_id, &doc, None).await?;
                let d: Dossier =
                    autosurgeon::hydrate(&doc).map_err(|e| AppError::internal(e.to_string()))?;
                rows += d.children.len() + d.adults.len();
            }
            DocKind::Planning => {
                rows +=
                    project_planning(&mut Conn::Any(&mut wtx.tx), &row.id, family_id, &doc).await?;
            }
            DocKind::Catalogue | DocKind::Ledger => {}
        }
    }
    crate::db::places::recount(&mut wtx.tx).await?;
    wtx.commit().await?;
    Ok((docs.len(), rows))
}

async fn project_planning(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    family_id: &FamilyId,
    doc: &AutoCommit,
) -> AppResult<usize> {
    let requests: BTreeMap<String, BookingRequest> = hydrate_root(doc, "requests")?;
    let decisions: BTreeMap<String, Decision> = hydrate_root(doc, "decisions")?;
    let absences: BTreeMap<String, AbsenceDeclaration> = hydrate_root(doc, "absences")?;
    let outcomes: BTreeMap<String, AbsenceOutcome> = hydrate_root(doc, "absence_decisions")?;
    for (key, declaration) in &absences {
        let Ok(cell) = CellKey::decode(key) else {
            continue;
        };
        let outcome = outcomes.get(key);
        let at = outcome
            .map(|o| o.decided_at_ms)
            .unwrap_or(declaration.at_ms);
        projections::upsert_absence(conn, doc_id, family_id, &cell, declaration, at, outcome)
            .await?;
    }
    let mut n = 0;
    for (key, request) in &requests {
        let Ok(cell) = CellKey::decode(key) else {
            continue;
        };
        projections::upsert_booking(conn, doc_id, family_id, &cell, request, decisions.get(key))
            .await?;
        n += 1;
    }
    Ok(n)
}

fn hydrate_root<T: autosurgeon::Hydrate + Default>(doc: &AutoCommit, key: &str) -> AppResult<T> {
    if doc.get(automerge::ROOT, key)?.is_none() {
        return Ok(T::default());
    }
    autosurgeon::hydrate_prop(doc, &automerge::ROOT, key)
        .map_err(|e| AppError::internal(format!("{key} illisible : {e}")))
}

/// Resets a staff login's second factor (a lost phone): it is set up again at the next
/// login, and the account's sessions end.
pub async fn reset_second_factor(state: &AppState, login: &str) -> AppResult<()> {
    let account = accounts::account_by_login(&state.db, &login.trim().to_lowercase())
        .await?
        .ok_or_else(AppError::not_found)?;
    if account.family_id.is_some() {
        return Err(AppError::bad_request(
            "Ce compte est un compte de famille : il n'a pas de double authentification",
        ));
    }
    let now = state.clock.now().as_millisecond();
    crate::db::admin_page::reset_second_factor(&state.db, &account.id, now).await?;
    tracing::info!(
        event = "second_factor_reset",
        account_id = %account.id,
        "second factor reset from the command line"
    );
    Ok(())
}
