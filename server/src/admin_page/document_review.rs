//! Supporting documents review (agents and administrators): the documents waiting, one
//! document with its preview in the page (PDF or image, served from this server), and the
//! answer: accept, or reject with a reason the family reads. Reading and answering are the
//! staff API's own functions ([`crate::routes::documents::document_content`], which logs
//! staff reads of health documents, and [`crate::routes::staff::documents::answer`], which
//! tells the family through the push outbox).
//!
//! The preview is the only place the pages embed anything: the document's page widens its
//! content security policy to `frame-src 'self'` for that answer only (a PDF is shown by the
//! browser's own viewer in a frame, an image as an image), and the file itself is served
//! `inline`, never sniffed, with `frame-ancestors 'self'` so that only these pages may frame
//! it.

use super::dashboard::{capitalise, family_names};
use super::format;
use super::render::{self, PageResult};
use super::session::PageStaff;
use crate::AppState;
use crate::db::supporting;
use crate::routes::Path;
use crate::routes::documents::document_content;
use crate::routes::files::{Caller, inline_disposition};
use crate::routes::staff::{documents, dossiers};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cartable_domain::supporting::{DocumentStatus, SupportingDocument, kind_label_fr};
use serde::Deserialize;
use sqlx::Row;

/// The document page's policy: the pages' own, with frames (the PDF preview) from this
/// server.
pub const DOCUMENT_PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a document's bytes: nothing runs, only these pages may embed it.
pub const DOCUMENT_CONTENT_CSP: &str =
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'";

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/justificatifs", get(list))
        .route("/admin/justificatifs/{id}", get(show))
        .route("/admin/justificatifs/{id}/contenu", get(content))
        .route("/admin/justificatifs/{id}/accepter", post(accept))
        .route("/admin/justificatifs/{id}/refuser", post(reject))
}

#[derive(Template)]
#[template(path = "admin/documents.html")]
struct ListPage {
    chrome: render::Chrome,
    notice: Option<String>,
    rows: Vec<ListRow>,
}

struct ListRow {
    id: String,
    kind: String,
    family_name: String,
    child: String,
    file_name: String,
    sent: String,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    accepte: Option<String>,
    #[serde(default)]
    refuse: Option<String>,
}

/// The child's name, when the document is about one child of the family.
async fn child_name(
    state: &AppState,
    doc: &SupportingDocument,
) -> Result<Option<String>, sqlx::Error> {
    let Some(child_id) = &doc.child_id else {
        return Ok(None);
    };
    sqlx::query("SELECT first_name, last_name FROM children WHERE family_id = $1 AND child_id = $2")
        .bind(&doc.family_id)
        .bind(child_id)
        .fetch_optional(&state.db.pool)
        .await?
        .map(|r| {
            Ok(format!(
                "{} {}",
                r.try_get::<String, _>("first_name")?,
                r.try_get::<String, _>("last_name")?
            ))
        })
        .transpose()
}

/// The document if it belongs to the structure of the member of staff.
async fn document_in(
    state: &AppState,
    staff: &PageStaff,
    id: &str,
) -> Result<Option<SupportingDocument>, sqlx::Error> {
    Ok(supporting::by_id(&state.db, id)
        .await?
        .filter(|s| s.structure_id == staff.0.session.structure_id.as_str())
        .map(|s| s.doc))
}

/// GET /admin/justificatifs
pub async fn list(
    State(state): State<AppState>,
    staff: PageStaff,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let structure_id = staff.0.session.structure_id.as_str().to_string();
    let names = family_names(&state, &structure_id).await?;
    let mut notice = None;
    for (id, what) in [(&q.accepte, "accepté"), (&q.refuse, "refusé")] {
        if let Some(id) = id
            && let Some(doc) = document_in(&state, &staff, id).await?
        {
            notice = Some(format!(
                "{} de « {} » : {what}. La famille en est prévenue.",
                capitalise(kind_label_fr(&doc.kind)),
                names.get(&doc.family_id).cloned().unwrap_or_default()
            ));
        }
    }
    let waiting =
        supporting::of_structure(&state.db, &structure_id, Some(DocumentStatus::Waiting)).await?;
    let mut rows = Vec::new();
    for d in waiting {
        rows.push(ListRow {
            kind: capitalise(kind_label_fr(&d.kind)),
            family_name: names.get(&d.family_id).cloned().unwrap_or_default(),
            child: child_name(&state, &d).await?.unwrap_or_default(),
            sent: format::instant(d.uploaded_at_ms),
            file_name: d.file_name,
            id: d.id,
        });
    }
    Ok(render::page(&ListPage {
        chrome: staff.chrome("Justificatifs à vérifier", "justificatifs"),
        notice,
        rows,
    }))
}

#[derive(Template)]
#[template(path = "admin/document.html")]
struct DocumentPage {
    chrome: render::Chrome,
    csrf: String,
    id: String,
    family_id: String,
    family_name: String,
    child: Option<String>,
    file_name: String,
    size: String,
    sent: String,
    valid_until: Option<String>,
    status: String,
    waiting: bool,
    is_image: bool,
    is_pdf: bool,
    reason: String,
    reason_error: Option<&'static str>,
}

/// "245 Ko", "1,2 Mo".
fn size_fr(bytes: i64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} Ko", (bytes + 1023) / 1024)
    } else {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
        format!("{},{} Mo", tenths / 10, tenths % 10)
    }
}

async fn document_page(
    state: &AppState,
    staff: &PageStaff,
    doc: SupportingDocument,
    reason: String,
    reason_error: Option<&'static str>,
) -> Result<DocumentPage, render::PageError> {
    let names = family_names(state, staff.0.session.structure_id.as_str()).await?;
    let kind = capitalise(kind_label_fr(&doc.kind));
    Ok(DocumentPage {
        chrome: staff.chrome(&kind, "justificatifs"),
        csrf: staff.csrf(),
        child: child_name(state, &doc).await?,
        family_name: names.get(&doc.family_id).cloned().unwrap_or_default(),
        size: size_fr(doc.size_bytes),
        sent: format::instant(doc.uploaded_at_ms),
        valid_until: doc.valid_until.map(format::date),
        status: match doc.status {
            DocumentStatus::Waiting => "En attente de vérification".into(),
            DocumentStatus::Accepted => format!(
                "Accepté le {}",
                doc.reviewed_at_ms.map(format::instant).unwrap_or_default()
            ),
            DocumentStatus::Rejected => format!(
                "Refusé le {} : « {} »",
                doc.reviewed_at_ms.map(format::instant).unwrap_or_default(),
                doc.reason.as_deref().unwrap_or_default()
            ),
        },
        waiting: doc.status == DocumentStatus::Waiting,
        is_image: doc.content_type.starts_with("image/"),
        is_pdf: doc.content_type == "application/pdf",
        id: doc.id,
        family_id: doc.family_id,
        file_name: doc.file_name,
        reason,
        reason_error,
    })
}

/// The document's page, with its own policy (the preview is a frame of this server).
fn with_preview_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCUMENT_PAGE_CSP),
    );
    response
}

/// GET /admin/justificatifs/{id}
pub async fn show(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(id): Path<String>,
) -> PageResult {
    let Some(doc) = document_in(&state, &staff, &id).await? else {
        return Ok(render::not_found());
    };
    let page = document_page(&state, &staff, doc, String::new(), None).await?;
    Ok(with_preview_policy(render::page(&page)))
}

/// GET /admin/justificatifs/{id}/contenu: the file itself, shown inline.
pub async fn content(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(id): Path<String>,
) -> PageResult {
    let caller = Caller::Staff {
        account_id: staff.0.session.account_id.clone(),
        structure_id: staff.0.session.structure_id.clone(),
    };
    let (stored, bytes) = document_content(&state, &caller, &id).await?;
    let content_type = HeaderValue::from_str(&stored.doc.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                inline_disposition(&stored.doc.file_name),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCUMENT_CONTENT_CSP),
            ),
            (
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("SAMEORIGIN"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// POST /admin/justificatifs/{id}/accepter
pub async fn accept(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(id): Path<String>,
) -> PageResult {
    documents::answer(&state, &staff.staff(), &id, DocumentStatus::Accepted, None).await?;
    Ok(render::see_other(&format!(
        "/admin/justificatifs?accepte={id}"
    )))
}

#[derive(Debug, Deserialize)]
pub struct RejectForm {
    #[serde(default)]
    motif: String,
}

/// POST /admin/justificatifs/{id}/refuser
pub async fn reject(
    State(state): State<AppState>,
    staff: PageStaff,
    Path(id): Path<String>,
    Form(form): Form<RejectForm>,
) -> PageResult {
    let reason = match dossiers::rejection_reason(&form.motif) {
        Ok(r) => r,
        Err(_) => {
            let Some(doc) = document_in(&state, &staff, &id).await? else {
                return Ok(render::not_found());
            };
            let page = document_page(
                &state,
                &staff,
                doc,
                form.motif.chars().take(2000).collect(),
                Some("Écrivez le motif du refus (500 caractères au plus) : la famille le lira."),
            )
            .await?;
            return Ok(with_preview_policy(render::page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page,
            )));
        }
    };
    documents::answer(
        &state,
        &staff.staff(),
        &id,
        DocumentStatus::Rejected,
        Some(reason),
    )
    .await?;
    Ok(render::see_other(&format!(
        "/admin/justificatifs?refuse={id}"
    )))
}
