//! Dossier review by staff: the families waiting for an answer, one dossier with its changes
//! field by field (who changed what since the last approved version), approve or reject with
//! a reason. The answer is written into the family's dossier, so the parents' phones show it
//! after their next sync. Reading a dossier (health and diet data) is logged in `audit_log`.

use crate::AppState;
use crate::auth::StaffUser;
use crate::db::reviews::{self, Version};
use crate::db::{Conn, audit, documents};
use crate::docs::apply::{self, FamilyDoc};
use crate::docs::redecide;
use crate::docs::review::{self, Authors, FieldChange};
use crate::error::{AppError, AppResult};
use crate::routes::{Path, Query};
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use cartable_domain::DocKind;
use cartable_domain::dossier::{
    Dossier, QF_CERTIFICATE, Review, ReviewStatus, sheets_changed_since,
};
use cartable_domain::ids::{AccountId, DocumentId, FamilyId};
use cartable_domain::rules::document_label_fr;
use cartable_reconcile::Event;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sqlx::Row;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/dossiers", get(list))
        .route("/api/v1/staff/dossiers/{family_id}", get(show))
        .route("/api/v1/staff/dossiers/{family_id}/approve", post(approve))
        .route("/api/v1/staff/dossiers/{family_id}/reject", post(reject))
}

/// A submitted version as staff see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionView {
    pub id: i64,
    pub status: ReviewStatus,
    pub rev: String,
    pub submitted_by: AccountId,
    pub submitted_by_name: Option<String>,
    pub submitted_at_ms: i64,
    pub reviewed_by: Option<String>,
    pub reviewed_at_ms: Option<i64>,
    pub reason: Option<String>,
}

/// A family in the list of dossiers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListedDossier {
    pub family_id: FamilyId,
    pub family_name: String,
    pub version: VersionView,
    pub requested_documents: Vec<RequestedDocument>,
}

/// A supporting document staff ask the family for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedDocument {
    /// e.g. `qf_certificate`.
    pub kind: String,
    /// French label, e.g. "attestation de quotient familial".
    pub label: String,
}

/// One family's dossier under review.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DossierReview {
    pub family_id: FamilyId,
    pub family_name: String,
    /// The dossier as it stands now.
    pub dossier: Dossier,
    pub review: Option<Review>,
    /// The latest submitted version, if any.
    pub version: Option<VersionView>,
    /// The approved version the changes are compared with; `None` means the dossier as the
    /// structure created it.
    pub compared_with_version: Option<i64>,
    /// Changes from that version to the one pending review (or to the current dossier when
    /// nothing is pending), field by field with their authors.
    pub changes: Vec<FieldChange>,
    /// The parents changed the dossier after the pending submission: those changes are not
    /// part of it and will come with the next one.
    pub modified_since_submission: bool,
    pub requested_documents: Vec<RequestedDocument>,
    /// A new quotient familial must be proved with a certificate (CAF/MSA).
    pub qf_certificate_needed: bool,
    /// Short French notes for the agent.
    pub notices: Vec<String>,
}

fn requested(kinds: &[String]) -> Vec<RequestedDocument> {
    kinds
        .iter()
        .map(|k| RequestedDocument {
            kind: k.clone(),
            label: document_label_fr(k).to_string(),
        })
        .collect()
}

fn version_view(v: &Version, submitted_by_name: Option<String>) -> VersionView {
    VersionView {
        id: v.id,
        status: v.status,
        rev: v.rev.clone(),
        submitted_by: v.submitted_by.clone(),
        submitted_by_name,
        submitted_at_ms: v.submitted_at_ms,
        reviewed_by: v.reviewed_by.clone(),
        reviewed_at_ms: v.reviewed_at_ms,
        reason: v.reason.clone(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Json<Vec<ListedDossier>>> {
    let status = match query.status.as_deref() {
        None => ReviewStatus::Pending,
        Some(code) => ReviewStatus::from_code(code)
            .filter(|s| *s != ReviewStatus::Superseded)
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "status : « {} » inconnu (pending, approved ou rejected)",
                    cartable_domain::text::shown(code, 40)
                ))
            })?,
    };
    let mut conn = state.db.pool.acquire().await?;
    let rows = reviews::list(&mut conn, staff.structure_id(), status).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ListedDossier {
                family_id: r.version.family_id.clone(),
                family_name: r.family_name,
                requested_documents: requested(&r.version.requested_documents),
                version: version_view(&r.version, r.submitted_by_name),
            })
            .collect(),
    ))
}

/// The family's name and dossier document id, or 404 outside the caller's structure.
async fn family_dossier(
    state: &AppState,
    staff: &StaffUser,
    family_id: &FamilyId,
) -> AppResult<(String, DocumentId)> {
    let mut conn = state.db.pool.acquire().await?;
    let family = sqlx::query("SELECT name, structure_id FROM families WHERE id = $1")
        .bind(family_id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let name = match family {
        Some(row) if *staff.structure_id() == row.try_get::<String, _>("structure_id")? => {
            row.try_get::<String, _>("name")?
        }
        _ => return Err(AppError::not_found()),
    };
    let row = documents::family_document(&mut conn, family_id, DocKind::Dossier, None)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((name, row.id))
}

async fn show(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(family_id): Path<FamilyId>,
) -> AppResult<Json<DossierReview>> {
    Ok(Json(review_of(&state, &staff, family_id).await?))
}

/// One family's dossier under review, as staff see it (the JSON API and the admin page):
/// 404 outside the caller's structure. The read is logged (health and diet data).
pub async fn review_of(
    state: &AppState,
    staff: &StaffUser,
    family_id: FamilyId,
) -> AppResult<DossierReview> {
    let (family_name, doc_id) = family_dossier(state, staff, &family_id).await?;
    let (latest, approved, owners, submitted_by_name) = {
        let mut conn = state.db.pool.acquire().await?;
        let latest = reviews::latest(&mut conn, &family_id, None).await?;
        let approved = reviews::latest(&mut conn, &family_id, Some(ReviewStatus::Approved)).await?;
        let owners = reviews::actor_owners(&mut conn, &family_id).await?;
        let name = match &latest {
            Some(v) => reviews::account_name(&mut conn, &v.submitted_by).await?,
            None => None,
        };
        (latest, approved, owners, name)
    };
    let pending = latest
        .as_ref()
        .filter(|v| v.status == ReviewStatus::Pending);

    // Work on copies at the compared versions so the document is locked only briefly.
    let (current, base, mut target_doc, old, new, modified_since_submission) = {
        let mut slot = state.docs.lock(&doc_id).await;
        state
            .docs
            .ensure_current_for_read(&mut slot, &doc_id)
            .await?;
        let doc = &mut slot.loaded.as_mut().ok_or_else(AppError::not_found)?.doc;
        let current: Dossier = autosurgeon::hydrate(&*doc)
            .map_err(|e| AppError::internal(format!("dossier illisible : {e}")))?;
        let base = match &approved {
            Some(v) => v.heads.clone(),
            None => review::creation_heads(doc, &owners),
        };
        let target = match pending {
            Some(v) => v.heads.clone(),
            None => doc.get_heads(),
        };
        let (old, _) = review::dossier_at(doc, &base)?;
        let (new, target_doc) = review::dossier_at(doc, &target)?;
        let modified = pending.is_some() && sheets_changed_since(doc, &target);
        (current, base, target_doc, old, new, modified)
    };
    let mut changes = review::field_changes(&old, &new);
    let authors = Authors {
        owners: &owners,
        server_actor: state.docs.actor(),
    };
    review::attribute(&mut target_doc, &base, &mut changes, &authors);
    let conflict_notes =
        review::attach_conflicts(&mut target_doc, &old, &new, &mut changes, &authors);
    let kinds = match pending {
        Some(v) => v.requested_documents.clone(),
        None => review::requested_documents(&changes),
    };
    let qf_certificate_needed = kinds.iter().any(|k| k == QF_CERTIFICATE);
    let mut notices = Vec::new();
    if qf_certificate_needed {
        notices.push(
            "Le quotient familial a changé : une attestation de quotient familial (CAF ou MSA) \
             est demandée à la famille."
                .to_string(),
        );
    }
    if !conflict_notes.is_empty() {
        notices.push(
            "Deux parents ont saisi des valeurs différentes hors connexion : le dossier montre \
             l'une d'elles tant que la famille n'a pas choisi."
                .to_string(),
        );
        notices.extend(conflict_notes);
    }
    if modified_since_submission {
        notices.push(
            "La famille a modifié son dossier après l'envoi : ces modifications seront \
             examinées lors de sa prochaine validation."
                .to_string(),
        );
    }

    let mut tx = state.db.begin_write().await?;
    audit::record(
        &mut tx.tx,
        staff.who_now(state),
        "read_dossier_health_diet",
        Some(&family_id),
        &format!(
            "dossier {doc_id}, version {}",
            latest
                .as_ref()
                .map_or_else(|| "-".to_string(), |v| v.id.to_string())
        ),
    )
    .await?;
    tx.commit().await?;

    Ok(DossierReview {
        family_id,
        family_name,
        review: current.review.clone(),
        dossier: current,
        version: latest.as_ref().map(|v| version_view(v, submitted_by_name)),
        compared_with_version: approved.map(|v| v.id),
        changes,
        modified_since_submission,
        requested_documents: requested(&kinds),
        qf_certificate_needed,
        notices,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    /// The version the agent looked at: refused with 409 if a newer submission replaced it.
    version_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    /// Shown to the family; required.
    reason: Option<String>,
    version_id: Option<i64>,
}

/// Parses an optional JSON body (absent, empty or `null` gives the default).
fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> AppResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice::<Option<T>>(bytes)
        .map(Option::unwrap_or_default)
        .map_err(|e| AppError::bad_request(format!("corps JSON invalide : {e}")))
}

async fn approve(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(family_id): Path<FamilyId>,
    bytes: Bytes,
) -> AppResult<Json<Review>> {
    let req: ApproveBody = body(&bytes)?;
    Ok(Json(
        answer(&state, &staff, &family_id, None, req.version_id).await?,
    ))
}

async fn reject(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(family_id): Path<FamilyId>,
    bytes: Bytes,
) -> AppResult<Json<Review>> {
    let req: RejectBody = body(&bytes)?;
    let reason = rejection_reason(req.reason.as_deref().unwrap_or_default())
        .map_err(|e| AppError::bad_request(format!("reason : {e}")))?;
    Ok(Json(
        answer(&state, &staff, &family_id, Some(reason), req.version_id).await?,
    ))
}

/// The reason of a rejection as shown to the family (trimmed), or why it cannot be one.
pub fn rejection_reason(reason: &str) -> Result<&str, &'static str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err("motif obligatoire (500 caractères au plus)");
    }
    Ok(reason)
}

/// Approves (`reason` is `None`) or rejects the pending version and writes the answer into
/// the dossier, all in one transaction; the family is told through the push outbox. With
/// `version_id`, refused (409) if the family sent a newer version meanwhile.
pub async fn answer(
    state: &AppState,
    staff: &StaffUser,
    family_id: &FamilyId,
    reason: Option<&str>,
    version_id: Option<i64>,
) -> AppResult<Review> {
    let (_, doc_id) = family_dossier(state, staff, family_id).await?;
    let now = state.clock.now().as_millisecond();
    let mut write = state.docs.begin_write(&state.db, &doc_id).await?;
    let (conn, doc) = write.parts().await?;
    // Read under the document's lock: a submission arriving now waits for this answer.
    let pending = reviews::latest(conn, family_id, Some(ReviewStatus::Pending))
        .await?
        .ok_or_else(|| {
            AppError::conflict("Aucune demande de validation en attente pour ce dossier")
        })?;
    if version_id.is_some_and(|id| id != pending.id) {
        return Err(AppError::conflict(
            "La famille a renvoyé son dossier entre-temps : rechargez-le avant de répondre",
        ));
    }
    let current: Dossier = autosurgeon::hydrate(&*doc)
        .map_err(|e| AppError::internal(format!("dossier illisible : {e}")))?;
    let approved = reason.is_none();
    let review = Review {
        status: if approved {
            ReviewStatus::Approved
        } else {
            ReviewStatus::Rejected
        },
        reason: reason.map(String::from),
        at_ms: now,
        rev: pending.rev.clone(),
        requested_documents: pending.requested_documents.clone(),
        approved_at_ms: if approved {
            Some(now)
        } else {
            review::approval_in_force_since(current.review.as_ref())
        },
    };
    review::write_review(doc, &review)?;
    reviews::set_outcome(
        conn,
        pending.id,
        review.status,
        &staff.session.account_id,
        now,
        reason,
    )
    .await?;
    audit::record(
        conn,
        staff.who(now),
        if approved {
            "approve_dossier"
        } else {
            "reject_dossier"
        },
        Some(family_id),
        &format!(
            "version {}{}",
            pending.id,
            reason.map(|r| format!(" : {r}")).unwrap_or_default()
        ),
    )
    .await?;
    let at = FamilyDoc {
        structure_id: staff.structure_id(),
        family_id,
        doc_id: &doc_id,
    };
    let answered = Event::DossierAnswered {
        status: review.status,
        reason: review.reason.clone(),
    };
    apply::notify(
        &mut Conn::Any(&mut *conn),
        at,
        None,
        std::slice::from_ref(&answered),
        now,
    )
    .await?;
    write.commit(state.settings.compaction_threshold).await?;
    state.push.wake();
    if approved {
        redecide::after_review(state, staff.structure_id(), family_id).await;
    }
    Ok(review)
}
