//! Dossier review (agents and administrators): the dossiers waiting for an answer, oldest
//! first; one dossier with every changed field since the last approved version (before,
//! after, which parent changed it, from which phone, when), the history of its submissions,
//! and the answer: approve, or reject with a reason the family reads. Reading, answering and
//! telling the family (push outbox) are the staff API's own functions
//! ([`crate::routes::staff::dossiers`]).

use super::format;
use super::render::{self, PageResult};
use super::session::PageStaff;
use crate::AppState;
use crate::db::reviews;
use crate::docs::review::{FieldAuthor, FieldChange};
use crate::routes::Path;
use crate::routes::staff::dossiers::{self, DossierReview};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use cartable_domain::conflicts::value_fr;
use cartable_domain::dossier::{AdultField, ChildField, ReviewStatus};
use cartable_domain::ids::FamilyId;
use serde::Deserialize;
use sqlx::Row;

/// Submissions shown in a dossier's history.
const HISTORY_LIMIT: i64 = 20;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/dossiers", get(list))
        .route("/admin/dossiers/{family_id}", get(show))
        .route("/admin/dossiers/{family_id}/valider", post(approve))
        .route("/admin/dossiers/{family_id}/refuser", post(reject))
}

#[derive(Template)]
#[template(path = "admin/dossiers.html")]
struct ListPage {
    chrome: render::Chrome,
    notice: Option<String>,
    rows: Vec<ListRow>,
}

struct ListRow {
    family_id: String,
    family_name: String,
    submitted_by: String,
    since: String,
    documents: String,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    valide: Option<String>,
    #[serde(default)]
    refuse: Option<String>,
}

/// The family's name if it belongs to the structure.
async fn family_name(
    state: &AppState,
    structure_id: &str,
    family_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT name FROM families WHERE id = $1 AND structure_id = $2")
        .bind(family_id)
        .bind(structure_id)
        .fetch_optional(&state.db.pool)
        .await?
        .map(|r| r.try_get("name"))
        .transpose()
}

/// GET /admin/dossiers
pub async fn list(
    State(state): State<AppState>,
    staff: PageStaff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let structure_id = staff.0.session.structure_id.clone();
    let mut notice = None;
    for (family, what) in [(&q.valide, "validé"), (&q.refuse, "refusé")] {
        if let Some(id) = family
            && let Some(name) = family_name(&state, structure_id.as_str(), id).await?
        {
            notice = Some(format!(
                "Le dossier de « {name} » est {what} : la famille en est prévenue."
            ));
        }
    }
    let mut conn = state.db.pool.acquire().await?;
    let listed = reviews::list(&mut conn, &structure_id, ReviewStatus::Pending).await?;
    drop(conn);
    let rows = listed
        .into_iter()
        .map(|l| ListRow {
            family_id: l.version.family_id.to_string(),
            family_name: l.family_name,
            submitted_by: l
                .submitted_by_name
                .unwrap_or_else(|| "un parent".to_string()),
            since: format::instant(l.version.submitted_at_ms),
            documents: l
                .version
                .requested_documents
                .iter()
                .map(|k| cartable_domain::rules::document_label_fr(k).to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    Ok(render::page(&ListPage {
        chrome: staff.chrome("Dossiers à valider", "dossiers"),
        notice,
        rows,
    }))
}

#[derive(Template)]
#[template(path = "admin/dossier.html")]
struct DossierPage {
    chrome: render::Chrome,
    csrf: String,
    family_id: String,
    status: String,
    pending_version: Option<i64>,
    compared_with: String,
    notices: Vec<String>,
    requested: Vec<String>,
    changes: Vec<ChangeRow>,
    history: Vec<HistoryLine>,
    reason: String,
    reason_error: Option<&'static str>,
}

struct ChangeRow {
    sheet: String,
    field: String,
    before: String,
    after: String,
    sensitive: bool,
    authors: Vec<Author>,
    conflicts: Vec<String>,
}

/// Who changed a field: "Camille Martin (téléphone de Camille)", and when.
struct Author {
    who: String,
    when: String,
}

struct HistoryLine {
    sent: String,
    by: String,
    outcome: String,
}

/// "Camille Martin, téléphone de Camille, le lundi 7 décembre 2026 à 14 h 05".
fn author_line(a: &FieldAuthor) -> String {
    let mut out = a.name.clone();
    if let Some(device) = &a.device_name {
        out.push_str(&format!(" ({device})"));
    }
    if let Some(at) = a.at_ms {
        out.push_str(&format!(", le {}", format::instant(at)));
    }
    out
}

/// The field's name in French: "régime alimentaire", "payeur".
fn field_label(section: &str, field: &str) -> String {
    let code = field.strip_prefix("roles/").unwrap_or(field);
    let label = if section == "children" {
        ChildField::parse(code).map(ChildField::label_fr)
    } else {
        AdultField::parse(code).map(AdultField::label_fr)
    };
    label.map_or_else(|_| code.to_string(), super::dashboard::capitalise)
}

fn change_row(c: &FieldChange) -> ChangeRow {
    let (field, before, after) = match &c.field {
        Some(field) => {
            let code = field.rsplit('/').next().unwrap_or(field);
            (
                field_label(&c.section, field),
                value_fr(code, &c.old),
                value_fr(code, &c.new),
            )
        }
        None if c.old.is_null() => (
            if c.section == "children" {
                "Fiche d'enfant ajoutée"
            } else {
                "Fiche d'adulte ajoutée"
            }
            .to_string(),
            "—".to_string(),
            "nouvelle fiche".to_string(),
        ),
        None => (
            if c.section == "children" {
                "Fiche d'enfant retirée"
            } else {
                "Fiche d'adulte retirée"
            }
            .to_string(),
            "fiche existante".to_string(),
            "—".to_string(),
        ),
    };
    ChangeRow {
        sheet: c.sheet_label.clone(),
        field,
        before,
        after,
        sensitive: c.sensitive,
        authors: c
            .authors
            .iter()
            .map(|a| Author {
                who: match &a.device_name {
                    Some(device) => format!("{} ({device})", a.name),
                    None => a.name.clone(),
                },
                when: a.at_ms.map(format::instant).unwrap_or_default(),
            })
            .collect(),
        conflicts: c
            .conflicting_values
            .iter()
            .map(|v| {
                format!(
                    "« {} » par {}{}",
                    v.label,
                    author_line(&v.author),
                    if v.current { " (affiché)" } else { "" }
                )
            })
            .collect(),
    }
}

fn status_line(r: &DossierReview) -> String {
    let Some(v) = &r.version else {
        return "La famille n'a encore jamais envoyé son dossier pour validation.".into();
    };
    let by = v.submitted_by_name.as_deref().unwrap_or("un parent");
    let sent = format!("Envoyé le {} par {by}", format::instant(v.submitted_at_ms));
    match v.status {
        ReviewStatus::Pending | ReviewStatus::Superseded => {
            format!("{sent} : en attente de validation.")
        }
        ReviewStatus::Approved => format!(
            "{sent} : validé le {}.",
            v.reviewed_at_ms.map(format::instant).unwrap_or_default()
        ),
        ReviewStatus::Rejected => format!(
            "{sent} : refusé le {} (« {} »).",
            v.reviewed_at_ms.map(format::instant).unwrap_or_default(),
            v.reason.as_deref().unwrap_or_default()
        ),
    }
}

fn outcome(row: &reviews::HistoryRow) -> String {
    let v = &row.version;
    let by = row
        .reviewed_by_name
        .as_deref()
        .map(|n| format!(" par {n}"))
        .unwrap_or_default();
    let at = v.reviewed_at_ms.map(format::instant).unwrap_or_default();
    match v.status {
        ReviewStatus::Pending => "En attente de validation".into(),
        ReviewStatus::Superseded => "Remplacé par un envoi plus récent".into(),
        ReviewStatus::Approved => format!("Validé le {at}{by}"),
        ReviewStatus::Rejected => format!(
            "Refusé le {at}{by} : « {} »",
            v.reason.as_deref().unwrap_or_default()
        ),
    }
}

async fn dossier_page(
    state: &AppState,
    staff: &PageStaff,
    family_id: &str,
    reason: String,
    reason_error: Option<&'static str>,
) -> Result<Option<DossierPage>, render::PageError> {
    let fid = FamilyId::new(family_id);
    let review = match dossiers::review_of(state, &staff.staff(), fid.clone()).await {
        Ok(r) => r,
        Err(crate::error::AppError::Client { status, .. }) if status == StatusCode::NOT_FOUND => {
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let mut conn = state.db.pool.acquire().await?;
    let history = reviews::history(&mut conn, &fid, HISTORY_LIMIT).await?;
    drop(conn);
    let pending_version = review
        .version
        .as_ref()
        .filter(|v| v.status == ReviewStatus::Pending)
        .map(|v| v.id);
    let compared_with = match review.compared_with_version {
        Some(id) => history
            .iter()
            .find(|h| h.version.id == id)
            .and_then(|h| h.version.reviewed_at_ms)
            .map(|at| format!("à la version validée le {}", format::instant(at)))
            .unwrap_or_else(|| "à la dernière version validée".into()),
        None => "au dossier tel que la structure l'a créé".into(),
    };
    Ok(Some(DossierPage {
        chrome: staff.chrome(&format!("Dossier – {}", review.family_name), "dossiers"),
        csrf: staff.csrf(),
        family_id: family_id.to_string(),
        status: status_line(&review),
        pending_version,
        compared_with,
        notices: review.notices.clone(),
        requested: review
            .requested_documents
            .iter()
            .map(|d| super::dashboard::capitalise(&d.label))
            .collect(),
        changes: review.changes.iter().map(change_row).collect(),
        history: history
            .iter()
            .map(|h| HistoryLine {
                sent: format::instant(h.version.submitted_at_ms),
                by: h
                    .submitted_by_name
                    .clone()
                    .unwrap_or_else(|| "un parent".into()),
                outcome: outcome(h),
            })
            .collect(),
        reason,
        reason_error,
    }))
}

/// GET /admin/dossiers/{family_id}
pub async fn show(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(family_id): Path<String>,
) -> PageResult {
    match dossier_page(&state, &staff, &family_id, String::new(), None).await? {
        Some(page) => Ok(render::page(&page)),
        None => Ok(render::not_found()),
    }
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    /// The version the page showed: refused if the family sent a newer one meanwhile.
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    motif: String,
}

/// POST /admin/dossiers/{family_id}/valider
pub async fn approve(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(family_id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> PageResult {
    let fid = FamilyId::new(family_id.as_str());
    dossiers::answer(&state, &staff.staff(), &fid, None, form.version).await?;
    Ok(render::see_other(&format!(
        "/admin/dossiers?valide={family_id}"
    )))
}

/// POST /admin/dossiers/{family_id}/refuser
pub async fn reject(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(family_id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> PageResult {
    let reason = match dossiers::rejection_reason(&form.motif) {
        Ok(r) => r,
        Err(_) => {
            let page = dossier_page(
                &state,
                &staff,
                &family_id,
                form.motif.chars().take(2000).collect(),
                Some("Écrivez le motif du refus (500 caractères au plus) : la famille le lira."),
            )
            .await?;
            return Ok(match page {
                Some(p) => render::page_with_status(StatusCode::UNPROCESSABLE_ENTITY, &p),
                None => render::not_found(),
            });
        }
    };
    let fid = FamilyId::new(family_id.as_str());
    dossiers::answer(&state, &staff.staff(), &fid, Some(reason), form.version).await?;
    Ok(render::see_other(&format!(
        "/admin/dossiers?refuse={family_id}"
    )))
}
