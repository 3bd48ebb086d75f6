//! Families: search by child or parent name, a family's page (parents and their devices,
//! adults of the dossier, children, dossier review, supporting documents) and the
//! revocation of a parent's device (administrators). Every query is limited to the
//! structure of the member of staff: another structure's family is "not found".

use super::dashboard::capitalise;
use super::format;
use super::render::{self, PageResult};
use super::session::{PageAdmin, PageStaff};
use crate::AppState;
use crate::auth::sessions::lifetime;
use crate::db::accounts::{self, EndReason};
use crate::db::{audit, reviews, supporting};
use crate::routes::Path;
use askama::Template;
use axum::extract::{Query, State};
use cartable_domain::dossier::{Diet, ReviewStatus};
use cartable_domain::ids::FamilyId;
use cartable_domain::roles::Role;
use cartable_domain::search_key::search_key;
use cartable_domain::supporting::{DocumentStatus, kind_label_fr};
use serde::Deserialize;
use sqlx::Row;
use std::collections::BTreeMap;

/// Families listed at most on one page of results.
pub const MAX_RESULTS: i64 = 200;

#[derive(Template)]
#[template(path = "admin/families.html")]
struct SearchPage {
    chrome: render::Chrome,
    query: String,
    results: Vec<FamilyRow>,
    total: usize,
    truncated: bool,
    can_create: bool,
}

struct FamilyRow {
    id: String,
    name: String,
    parents: String,
    children: String,
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// A LIKE pattern matching `text`'s search key anywhere (compared with the stored
/// `*_key` columns: without case nor accents), with its wildcards escaped.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in search_key(text).chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// GET /admin/familles?q=
pub async fn search(
    State(state): State<AppState>,
    staff: PageStaff,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let structure_id = staff.0.session.structure_id.as_str().to_string();
    let query: String = q.q.trim().chars().take(100).collect();
    let pattern = like_pattern(&query);
    let rows = sqlx::query(
        "SELECT f.id, f.name FROM families f WHERE f.structure_id = $1 AND ($2 = '%%' \
         OR f.name_key LIKE $2 ESCAPE '\\' \
         OR EXISTS (SELECT 1 FROM children c WHERE c.family_id = f.id AND \
            ((c.first_name_key || ' ' || c.last_name_key) LIKE $2 ESCAPE '\\' \
             OR (c.last_name_key || ' ' || c.first_name_key) LIKE $2 ESCAPE '\\')) \
         OR EXISTS (SELECT 1 FROM adults a WHERE a.family_id = f.id AND \
            ((a.first_name_key || ' ' || a.last_name_key) LIKE $2 ESCAPE '\\' \
             OR (a.last_name_key || ' ' || a.first_name_key) LIKE $2 ESCAPE '\\')) \
         OR EXISTS (SELECT 1 FROM accounts p WHERE p.family_id = f.id AND \
            p.display_name_key LIKE $2 ESCAPE '\\')) \
         ORDER BY f.name, f.id LIMIT $3",
    )
    .bind(&structure_id)
    .bind(&pattern)
    .bind(MAX_RESULTS + 1)
    .fetch_all(&state.db.pool)
    .await?;
    let children = names_by_family(
        &state,
        "SELECT c.family_id, c.first_name AS name FROM children c JOIN families f \
         ON f.id = c.family_id WHERE f.structure_id = $1 ORDER BY c.first_name",
        &structure_id,
    )
    .await?;
    let parents = names_by_family(
        &state,
        "SELECT p.family_id, p.display_name AS name FROM accounts p JOIN families f \
         ON f.id = p.family_id WHERE f.structure_id = $1 ORDER BY p.display_name",
        &structure_id,
    )
    .await?;
    let mut results = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        results.push(FamilyRow {
            name: r.try_get("name")?,
            parents: parents.get(&id).map(|v| v.join(", ")).unwrap_or_default(),
            children: children.get(&id).map(|v| v.join(", ")).unwrap_or_default(),
            id,
        });
    }
    let truncated = results.len() as i64 > MAX_RESULTS;
    results.truncate(usize::try_from(MAX_RESULTS).unwrap_or(200));
    Ok(render::page(&SearchPage {
        chrome: staff.chrome("Familles", "familles"),
        total: results.len(),
        query,
        results,
        truncated,
        can_create: staff.is_admin(),
    }))
}

async fn names_by_family(
    state: &AppState,
    sql: &'static str,
    structure_id: &str,
) -> Result<BTreeMap<String, Vec<String>>, sqlx::Error> {
    let rows = sqlx::query(sql)
        .bind(structure_id)
        .fetch_all(&state.db.pool)
        .await?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &rows {
        let family: Option<String> = r.try_get("family_id")?;
        if let Some(family) = family {
            out.entry(family).or_default().push(r.try_get("name")?);
        }
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "admin/family.html")]
struct FamilyPage {
    chrome: render::Chrome,
    csrf: String,
    family_id: String,
    can_revoke: bool,
    notice: Option<&'static str>,
    parents: Vec<Parent>,
    adults: Vec<Adult>,
    children: Vec<Child>,
    dossier: String,
    documents: Vec<Document>,
    planning: Vec<super::family_planning::Week>,
    previous_week: String,
    next_week: String,
    ledger: Option<super::family_ledger::LedgerView>,
}

struct Parent {
    id: String,
    name: String,
    login: String,
    one_time: bool,
    devices: Vec<Device>,
}

struct Device {
    id: String,
    name: String,
    since: String,
    last_seen: String,
}

struct Adult {
    name: String,
    roles: String,
    phone: String,
    email: String,
}

struct Child {
    name: String,
    birth: String,
    school: String,
    diet: String,
    allergies: String,
    pai: bool,
}

struct Document {
    id: String,
    kind: String,
    file_name: String,
    status: String,
    sent: String,
}

#[derive(Debug, Deserialize)]
pub struct FamilyQuery {
    #[serde(default)]
    revoque: Option<String>,
    /// Set after a decision on a booking was written.
    #[serde(default)]
    decision: Option<String>,
    /// A day of the first week of the planning shown (this week when absent).
    #[serde(default)]
    semaine: Option<String>,
}

/// Weeks of the planning shown on a family's page.
const PLANNING_WEEKS: usize = 2;

/// The family's name, if it belongs to the structure.
pub(super) async fn family_in(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT name FROM families WHERE id = $1 AND structure_id = $2")
        .bind(family_id)
        .bind(structure_id)
        .fetch_optional(&state.db.pool)
        .await?;
    row.map(|r| r.try_get("name")).transpose()
}

fn yes(r: &sqlx::any::AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    Ok(r.try_get::<i64, _>(column)? != 0)
}

/// GET /admin/familles/{family_id}
pub async fn show(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(family_id): Path<String>,
    Query(q): Query<FamilyQuery>,
) -> PageResult {
    let structure_id = staff.0.session.structure_id.as_str().to_string();
    let Some(name) = family_in(&state, &structure_id, &family_id).await? else {
        return Ok(render::not_found());
    };
    let now = state.clock.now().as_millisecond();
    let limits = lifetime(&state.settings, Role::Parent);

    let accounts_rows = sqlx::query(
        "SELECT id, login, display_name, must_change_password FROM accounts \
         WHERE family_id = $1 AND structure_id = $2 ORDER BY display_name, id",
    )
    .bind(&family_id)
    .bind(&structure_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut parents = Vec::new();
    for r in &accounts_rows {
        let id: String = r.try_get("id")?;
        let devices = accounts::devices_of(&state.db, &cartable_domain::ids::AccountId::new(&id))
            .await?
            .into_iter()
            .filter(|d| {
                limits
                    .expired(d.created_at_ms, d.last_seen_ms, now)
                    .is_none()
            })
            .map(|d| Device {
                since: format::instant(d.created_at_ms),
                last_seen: d
                    .last_seen_ms
                    .map(format::instant)
                    .unwrap_or_else(|| "jamais".into()),
                id: d.id,
                name: d.name,
            })
            .collect();
        parents.push(Parent {
            id: r.try_get("id")?,
            name: r.try_get("display_name")?,
            login: r.try_get("login")?,
            one_time: yes(r, "must_change_password")?,
            devices,
        });
    }

    let adult_rows = sqlx::query(
        "SELECT first_name, last_name, mobile_phone, home_phone, email, legal_guardian, \
         may_pick_up, billing, emergency_contact FROM adults WHERE family_id = $1 \
         ORDER BY last_name, first_name",
    )
    .bind(&family_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut adults = Vec::new();
    for r in &adult_rows {
        let mut roles = Vec::new();
        for (column, label) in [
            ("legal_guardian", "responsable légal"),
            ("may_pick_up", "peut récupérer les enfants"),
            ("billing", "destinataire des factures"),
            ("emergency_contact", "contact en cas d'urgence"),
        ] {
            if yes(r, column)? {
                roles.push(label);
            }
        }
        let mobile: String = r.try_get("mobile_phone")?;
        let home: String = r.try_get("home_phone")?;
        adults.push(Adult {
            name: format!(
                "{} {}",
                r.try_get::<String, _>("first_name")?,
                r.try_get::<String, _>("last_name")?
            ),
            roles: capitalise(&roles.join(", ")),
            phone: if mobile.is_empty() { home } else { mobile },
            email: r.try_get("email")?,
        });
    }

    let child_rows = sqlx::query(
        "SELECT first_name, last_name, birth_date, school, class, diet, allergies, pai \
         FROM children WHERE family_id = $1 ORDER BY first_name, child_id",
    )
    .bind(&family_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut children = Vec::new();
    for r in &child_rows {
        let diet: String = r.try_get("diet")?;
        let allergies: String = r.try_get("allergies")?;
        let allergies: Vec<String> = serde_json::from_str(&allergies).unwrap_or_default();
        let school: String = r.try_get("school")?;
        let class: String = r.try_get("class")?;
        children.push(Child {
            name: format!(
                "{} {}",
                r.try_get::<String, _>("first_name")?,
                r.try_get::<String, _>("last_name")?
            ),
            birth: format::iso_date(&r.try_get::<String, _>("birth_date")?),
            school: [school, class]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            diet: Diet::from_stored(&diet)
                .map(|d| d.label().to_string())
                .unwrap_or(diet),
            allergies: if allergies.is_empty() {
                "Aucune".into()
            } else {
                allergies.join(", ")
            },
            pai: yes(r, "pai")?,
        });
    }

    let fid = FamilyId::new(family_id.clone());
    let mut conn = state.db.pool.acquire().await?;
    let latest = reviews::latest(&mut conn, &fid, None).await?;
    drop(conn);
    let dossier = match latest {
        None => "Jamais envoyé pour validation".to_string(),
        Some(v) => {
            let sent = format::instant(v.submitted_at_ms);
            match v.status {
                ReviewStatus::Pending | ReviewStatus::Superseded => {
                    format!("Envoyé le {sent}, en attente de validation")
                }
                ReviewStatus::Approved => format!(
                    "Envoyé le {sent}, validé le {}",
                    v.reviewed_at_ms.map(format::instant).unwrap_or_default()
                ),
                ReviewStatus::Rejected => format!(
                    "Envoyé le {sent}, refusé : {}",
                    v.reason.unwrap_or_default()
                ),
            }
        }
    };

    let documents = supporting::of_family(&state.db, &family_id)
        .await?
        .into_iter()
        .map(|d| Document {
            id: d.id,
            kind: capitalise(kind_label_fr(&d.kind)),
            file_name: d.file_name,
            status: match d.status {
                DocumentStatus::Waiting => "En attente de vérification".into(),
                DocumentStatus::Accepted => "Accepté".into(),
                DocumentStatus::Rejected => {
                    format!("Refusé : {}", d.reason.unwrap_or_default())
                }
            },
            sent: format::instant(d.uploaded_at_ms),
        })
        .collect();

    let today = cartable_domain::calendar::paris_date(state.clock.now());
    let from = q
        .semaine
        .as_deref()
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .unwrap_or(today);
    let monday = cartable_domain::cells::week_days(from)[0];
    let shift = |days: i64| {
        cartable_domain::calendar::add_days(monday, days)
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    let structure = staff.0.session.structure_id.clone();
    let planning =
        super::family_planning::weeks(&state, &structure, &family_id, monday, PLANNING_WEEKS)
            .await?;
    let ledger = if staff.is_admin() {
        Some(super::family_ledger::view(&state, &structure, &family_id).await?)
    } else {
        None
    };

    // The page shows diets, allergies and PAI: staff reads of health data are logged.
    let user = staff.staff();
    let mut wtx = state.db.begin_write().await?;
    audit::record(
        &mut wtx.tx,
        user.who(now),
        "read_family_page_health",
        Some(&fid),
        &format!("{} enfants", children.len()),
    )
    .await?;
    wtx.commit().await?;

    Ok(render::page(&FamilyPage {
        chrome: staff.chrome(&name, "familles"),
        csrf: staff.csrf(),
        can_revoke: staff.is_admin(),
        notice: if q.revoque.is_some() {
            Some("L'appareil a été déconnecté : il devra se reconnecter avec le mot de passe.")
        } else if q.decision.is_some() {
            Some(
                "La décision est enregistrée : la famille la verra à la prochaine \
                 synchronisation de son téléphone.",
            )
        } else {
            None
        },
        family_id,
        parents,
        adults,
        children,
        dossier,
        documents,
        planning,
        previous_week: shift(-7),
        next_week: shift(7),
        ledger,
    }))
}

/// POST /admin/familles/{family_id}/appareils/{device_id}/revoquer (administrators).
pub async fn revoke_device(
    State(state): State<AppState>,
    PageAdmin(staff): PageAdmin,
    Path((family_id, device_id)): Path<(String, String)>,
) -> PageResult {
    let structure_id = staff.0.session.structure_id.as_str().to_string();
    let row = sqlx::query(
        "SELECT d.account_id FROM devices d JOIN accounts a ON a.id = d.account_id \
         WHERE d.id = $1 AND a.family_id = $2 AND a.structure_id = $3 \
         AND d.revoked_at_ms IS NULL",
    )
    .bind(&device_id)
    .bind(&family_id)
    .bind(&structure_id)
    .fetch_optional(&state.db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(render::not_found());
    };
    let account_id: String = row.try_get("account_id")?;
    let now = state.clock.now().as_millisecond();
    accounts::end_session(&state.db, &account_id, &device_id, EndReason::Revoked, now).await?;
    let user = staff.staff();
    let mut wtx = state.db.begin_write().await?;
    audit::record(
        &mut wtx.tx,
        user.who(now),
        "revoke_family_device",
        Some(&FamilyId::new(family_id.clone())),
        &device_id,
    )
    .await?;
    wtx.commit().await?;
    tracing::info!(
        event = "session_revoked",
        account_id = %account_id,
        device_id = %cartable_domain::text::LogSafe(&device_id),
        by_account = %staff.0.session.account_id,
        "family device signed out from the admin page"
    );
    Ok(render::see_other(&format!(
        "/admin/familles/{family_id}?revoque=1"
    )))
}
