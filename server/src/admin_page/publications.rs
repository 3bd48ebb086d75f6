//! Information and downloads (administrators): messages shown to every family of the
//! structure on their phone's Informations screen (from a day, until a day or until
//! withdrawn), and files on offer in Téléchargement (PDF, JPEG or PNG, checked by content
//! as the API checks them). Publishing and withdrawing go through the staff API's own
//! functions; another structure's message or file is "not found".

use super::format;
use super::multipart;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::error::AppError;
use crate::routes::Path;
use crate::routes::staff::downloads::{publish_file, published, withdraw_file};
use crate::routes::staff::information::{MessageBody, messages, publish_message, withdraw_message};
use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/informations", get(page).post(publish))
        .route("/admin/informations/{id}/retirer", post(withdraw))
        .route(
            "/admin/telechargements",
            post(upload).layer(DefaultBodyLimit::max(multipart::MAX_BYTES)),
        )
        .route(
            "/admin/telechargements/{id}/retirer",
            post(withdraw_download),
        )
}

struct MessageRow {
    id: String,
    title: String,
    body: String,
    period: String,
    state: &'static str,
    state_code: String,
    push: PushView,
}

/// The message's notifications: due later, or how many reached their devices.
struct PushView {
    /// "lundi 22 mars 2027 à 0 h 00" while the notification waits for the first day.
    due: Option<String>,
    sent: i64,
    failed: i64,
    waiting: i64,
}

struct FileRow {
    id: String,
    title: String,
    description: String,
    file_name: String,
    size: String,
    published: String,
}

#[derive(Default)]
struct MessageForm {
    title: String,
    body: String,
    from: String,
    until: String,
    title_error: Option<String>,
    body_error: Option<String>,
    from_error: Option<String>,
    until_error: Option<String>,
}

#[derive(Default)]
struct FileForm {
    title: String,
    description: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/publications.html")]
struct PublicationsPage {
    chrome: render::Chrome,
    csrf: String,
    notice: Option<&'static str>,
    messages: Vec<MessageRow>,
    files: Vec<FileRow>,
    message: MessageForm,
    file: FileForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    fait: Option<String>,
}

fn size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        let tenths = bytes * 10 / (1024 * 1024);
        format!("{},{} Mo", tenths / 10, tenths % 10)
    } else {
        format!("{} ko", (bytes + 1023) / 1024)
    }
}

async fn render_page(
    state: &AppState,
    staff: &PageAdmin,
    notice: Option<&'static str>,
    message: MessageForm,
    file: FileForm,
    status: StatusCode,
) -> PageResult {
    let user = staff.0.staff();
    let counts = crate::push::stats::of_subjects(
        &state.db,
        user.structure_id().as_str(),
        cartable_domain::push::PushEvent::InformationPublished.code(),
    )
    .await?;
    let messages = messages(state, &user)
        .await?
        .into_iter()
        .map(|m| {
            let c = counts.get(&m.message.id).cloned().unwrap_or_default();
            let push = PushView {
                due: c.due_at_ms.map(format::instant),
                sent: c.sent,
                failed: c.failed,
                waiting: c.waiting,
            };
            let from = format::iso_date(&m.message.published_from);
            let period = match &m.message.published_until {
                Some(u) => format!("du {from} au {}", format::iso_date(u)),
                None => format!("à partir du {from}, jusqu'au retrait"),
            };
            MessageRow {
                id: m.message.id.clone(),
                title: m.message.title.clone(),
                body: m.message.body.clone(),
                period,
                state: match m.state.as_str() {
                    "shown" => "affiché",
                    "scheduled" => "programmé",
                    _ => "terminé",
                },
                state_code: m.state.clone(),
                push,
            }
        })
        .collect();
    let files = published(state, &user)
        .await?
        .into_iter()
        .map(|d| FileRow {
            id: d.id.clone(),
            title: d.download.title.clone(),
            description: d.download.description.clone(),
            file_name: d.download.file_name.clone(),
            size: size(d.download.size_bytes),
            published: format::instant(d.download.published_at_ms),
        })
        .collect();
    Ok(render::page_with_status(
        status,
        &PublicationsPage {
            chrome: staff
                .0
                .chrome("Informations et téléchargements", "informations"),
            csrf: staff.0.csrf(),
            notice,
            messages,
            files,
            message,
            file,
        },
    ))
}

/// GET /admin/informations
pub async fn page(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let notice = match q.fait.as_deref() {
        Some("message") => {
            Some("Message publié : les familles le voient à leur prochaine synchronisation.")
        }
        Some("message-programme") => Some(
            "Message programmé : les familles le verront à partir du jour choisi, \
             et la notification partira ce jour-là.",
        ),
        Some("message-retire") => Some("Message retiré."),
        Some("fichier") => Some("Fichier publié dans Téléchargement."),
        Some("fichier-retire") => Some("Fichier retiré."),
        _ => None,
    };
    render_page(
        &state,
        &staff,
        notice,
        MessageForm::default(),
        FileForm::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct MessageFields {
    #[serde(default)]
    titre: String,
    #[serde(default)]
    texte: String,
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
}

/// POST /admin/informations : a message published.
pub async fn publish(
    State(state): State<AppState>,
    staff: PageAdmin,
    Form(f): Form<MessageFields>,
) -> PageResult {
    let request = MessageBody {
        title: f.titre.clone(),
        body: f.texte.clone(),
        published_from: Some(f.du.clone()),
        published_until: Some(f.au.clone()),
    };
    match publish_message(&state, &staff.0.staff(), request).await {
        Ok(m) if m.state == "scheduled" => Ok(render::see_other(
            "/admin/informations?fait=message-programme",
        )),
        Ok(_) => Ok(render::see_other("/admin/informations?fait=message")),
        Err(AppError::Client { message, .. }) => {
            let mut form = MessageForm {
                title: f.titre,
                body: f.texte,
                from: f.du,
                until: f.au,
                ..Default::default()
            };
            // The API names the field first ("title : …").
            let (field, text) = message
                .split_once(" : ")
                .map_or(("", message.as_str()), |(f, t)| (f, t));
            let text = cartable_domain::text::shown(text, 300);
            let shown = super::dashboard::capitalise(&text);
            match field {
                "published_from" => form.from_error = Some(shown),
                "published_until" => form.until_error = Some(shown),
                "body" => form.body_error = Some(shown),
                _ => form.title_error = Some(shown),
            }
            render_page(
                &state,
                &staff,
                None,
                form,
                FileForm::default(),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/informations/{id}/retirer
pub async fn withdraw(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(id): Path<String>,
) -> PageResult {
    withdraw_message(&state, &staff.0.staff(), &id).await?;
    Ok(render::see_other("/admin/informations?fait=message-retire"))
}

/// POST /admin/telechargements (multipart) : a file published.
pub async fn upload(
    State(state): State<AppState>,
    staff: PageAdmin,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(parts) = multipart::parse(content_type, &body) else {
        return Ok(render::error_page(
            StatusCode::BAD_REQUEST,
            "Formulaire illisible",
            "Le formulaire envoyé est illisible : rechargez la page et recommencez.",
        ));
    };
    let mut form = FileForm {
        title: multipart::text(&parts, "titre")
            .unwrap_or_default()
            .to_string(),
        description: multipart::text(&parts, "description")
            .unwrap_or_default()
            .to_string(),
        error: None,
    };
    let file = parts
        .iter()
        .find(|p| p.name == "fichier" && p.file_name.is_some());
    let result = match file {
        Some(f) if !f.data.is_empty() => {
            publish_file(
                &state,
                &staff.0.staff(),
                &form.title,
                &form.description,
                f.file_name.as_deref().unwrap_or_default(),
                f.data.clone(),
            )
            .await
        }
        _ => Err(AppError::bad_request("Choisissez le fichier à publier.")),
    };
    match result {
        Ok(_) => Ok(render::see_other("/admin/informations?fait=fichier")),
        Err(AppError::Client { message, .. }) => {
            form.error = Some(
                message
                    .replace("title : ", "Titre : ")
                    .replace("description : ", "Description : "),
            );
            render_page(
                &state,
                &staff,
                None,
                MessageForm::default(),
                form,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/telechargements/{id}/retirer
pub async fn withdraw_download(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(id): Path<String>,
) -> PageResult {
    withdraw_file(&state, &staff.0.staff(), &id).await?;
    Ok(render::see_other("/admin/informations?fait=fichier-retire"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_in_french() {
        assert_eq!(super::size(2048), "2 ko");
        assert_eq!(super::size(3 * 1024 * 1024 + 512 * 1024), "3,5 Mo");
    }
}
