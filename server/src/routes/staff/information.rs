//! "Informations" for staff: list every message (scheduled, shown, ended), publish, change,
//! withdraw. Each change republishes the catalogue at once; the structure's contact details
//! are part of the catalogue settings (`PUT /api/v1/staff/catalogue/settings`).

use crate::AppState;
use crate::auth::{StaffUser, new_id};
use crate::db::audit;
use crate::db::information::{self, Message, MessageText};
use crate::docs::publication;
use crate::error::{AppError, AppResult};
use crate::push::causes;
use crate::routes::Json as JsonBody;
use crate::routes::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use cartable_domain::calendar::paris_date;
use cartable_domain::information::{MAX_BODY_CHARS, MAX_TITLE_CHARS, is_shown};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/information", get(list).post(create))
        .route(
            "/api/v1/staff/information/{id}",
            put(replace).delete(withdraw),
        )
}

/// A message with where it stands today.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageView {
    #[serde(flatten)]
    pub message: Message,
    /// `scheduled` (not shown yet), `shown` or `ended`.
    pub state: String,
}

fn view(message: Message, today: Date) -> MessageView {
    let until = message.published_until.as_deref().unwrap_or("");
    let state = if is_shown(&message.published_from, until, today) {
        "shown"
    } else if message.published_from.as_str() > today.to_string().as_str() {
        "scheduled"
    } else {
        "ended"
    };
    MessageView {
        message,
        state: state.into(),
    }
}

/// What staff send to publish or change a message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    pub title: String,
    pub body: String,
    /// First day shown (AAAA-MM-JJ); today when absent.
    pub published_from: Option<String>,
    /// Last day shown, inclusive; shown until withdrawn when absent.
    pub published_until: Option<String>,
}

/// The checked text: trimmed title and body, dates in order.
struct Checked {
    title: String,
    body: String,
    from: String,
    until: Option<String>,
}

fn check(req: MessageBody, today: Date) -> AppResult<Checked> {
    let title = req.title.trim().to_string();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::bad_request(format!(
            "title : titre obligatoire ({MAX_TITLE_CHARS} caractères au plus)"
        )));
    }
    let body = req.body.trim().to_string();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::bad_request(format!(
            "body : texte obligatoire ({MAX_BODY_CHARS} caractères au plus)"
        )));
    }
    let date = |field: &str, value: &str| {
        value.trim().parse::<Date>().map_err(|_| {
            AppError::bad_request(format!(
                "{field} : date attendue au format AAAA-MM-JJ, reçu « {} »",
                cartable_domain::text::shown(value, 40)
            ))
        })
    };
    let from = match req.published_from.as_deref().map(str::trim) {
        None | Some("") => today,
        Some(v) => date("published_from", v)?,
    };
    let until = match req.published_until.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => Some(date("published_until", v)?),
    };
    if until.is_some_and(|u| u < from) {
        return Err(AppError::bad_request(
            "published_until : la fin de publication précède son début",
        ));
    }
    Ok(Checked {
        title,
        body,
        from: from.to_string(),
        until: until.map(|u| u.to_string()),
    })
}

impl Checked {
    fn text(&self) -> MessageText<'_> {
        MessageText {
            title: &self.title,
            body: &self.body,
            published_from: &self.from,
            published_until: self.until.as_deref(),
        }
    }
}

/// The structure's messages, with whether each is shown today.
pub async fn messages(state: &AppState, staff: &StaffUser) -> AppResult<Vec<MessageView>> {
    let today = paris_date(state.clock.now());
    let mut conn = state.db.pool.acquire().await?;
    let all = information::of_structure(&mut conn, staff.structure_id()).await?;
    Ok(all.into_iter().map(|m| view(m, today)).collect())
}

async fn list(
    State(state): State<AppState>,
    staff: StaffUser,
) -> AppResult<Json<Vec<MessageView>>> {
    Ok(Json(messages(&state, &staff).await?))
}

/// A message's journal detail: its id, then its title (the journal shows the title).
fn detail(id: &str, title: &str) -> String {
    format!("{id} {}", cartable_domain::text::shown(title, 80))
}

/// Logs `action` by `staff` in the write that does it.
async fn audit(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    staff: &StaffUser,
    action: &str,
    detail: &str,
) -> AppResult<()> {
    audit::record(conn, staff.who_now(state), action, None, detail).await?;
    Ok(())
}

async fn stored(state: &AppState, staff: &StaffUser, id: &str) -> AppResult<MessageView> {
    publication::republish(state, staff.structure_id()).await;
    let message = information::by_id(&state.db, staff.structure_id(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(view(message, paris_date(state.clock.now())))
}

/// Publishes a message to every family of the structure (checked; a push announces it on
/// its first day).
pub async fn publish_message(
    state: &AppState,
    staff: &StaffUser,
    req: MessageBody,
) -> AppResult<MessageView> {
    let checked = check(req, paris_date(state.clock.now()))?;
    let id = new_id();
    let now = state.clock.now().as_millisecond();
    let mut write = state.db.begin_write().await?;
    information::insert(
        &mut write.tx,
        staff.structure_id(),
        &id,
        checked.text(),
        &staff.session.account_id,
        state.clock.now().as_millisecond(),
    )
    .await?;
    causes::information_published(&mut write.tx, staff.structure_id(), &id, &checked.from, now)
        .await?;
    let detail = detail(&id, &checked.title);
    audit(&mut write.tx, state, staff, "publish_information", &detail).await?;
    write.commit().await?;
    state.push.wake();
    stored(state, staff, &id).await
}

async fn create(
    State(state): State<AppState>,
    staff: StaffUser,
    JsonBody(req): JsonBody<MessageBody>,
) -> AppResult<(StatusCode, Json<MessageView>)> {
    Ok((
        StatusCode::CREATED,
        Json(publish_message(&state, &staff, req).await?),
    ))
}

async fn replace(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<MessageBody>,
) -> AppResult<Json<MessageView>> {
    let checked = check(req, paris_date(state.clock.now()))?;
    let now = state.clock.now().as_millisecond();
    let mut write = state.db.begin_write().await?;
    let found = information::update(
        &mut write.tx,
        staff.structure_id(),
        &id,
        checked.text(),
        &staff.session.account_id,
        state.clock.now().as_millisecond(),
    )
    .await?;
    if !found {
        return Err(AppError::not_found());
    }
    causes::information_changed(&mut write.tx, staff.structure_id(), &id, &checked.from, now)
        .await?;
    let detail = detail(&id, &checked.title);
    audit(&mut write.tx, &state, &staff, "change_information", &detail).await?;
    write.commit().await?;
    Ok(Json(stored(&state, &staff, &id).await?))
}

/// Withdraws a message of the structure (another structure's is "not found").
pub async fn withdraw_message(state: &AppState, staff: &StaffUser, id: &str) -> AppResult<()> {
    let mut write = state.db.begin_write().await?;
    let title = information::delete(&mut write.tx, staff.structure_id(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    causes::information_withdrawn(
        &mut write.tx,
        staff.structure_id(),
        id,
        state.clock.now().as_millisecond(),
    )
    .await?;
    audit(
        &mut write.tx,
        state,
        staff,
        "withdraw_information",
        &detail(id, &title),
    )
    .await?;
    write.commit().await?;
    publication::republish(state, staff.structure_id()).await;
    Ok(())
}

async fn withdraw(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    withdraw_message(&state, &staff, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn body(from: Option<&str>, until: Option<&str>) -> MessageBody {
        MessageBody {
            title: " Menu de Noël ".into(),
            body: "Repas de fête le 18 décembre.".into(),
            published_from: from.map(String::from),
            published_until: until.map(String::from),
        }
    }

    #[test]
    fn messages_start_today_by_default_and_dates_must_be_in_order() {
        let today = date(2026, 11, 25);
        let c = check(body(None, None), today).expect("valid");
        assert_eq!(
            (c.title.as_str(), c.from.as_str()),
            ("Menu de Noël", "2026-11-25")
        );
        assert!(check(body(Some("2026-12-10"), Some("2026-12-01")), today).is_err());
        assert!(check(body(Some("le 10"), None), today).is_err());
        let mut empty = body(None, None);
        empty.title = "  ".into();
        assert!(check(empty, today).is_err());
    }

    #[test]
    fn a_message_is_scheduled_shown_or_ended() {
        let m = |from: &str, until: Option<&str>| Message {
            id: "m".into(),
            title: "t".into(),
            body: "b".into(),
            published_from: from.into(),
            published_until: until.map(String::from),
            created_by: "s".into(),
            created_at_ms: 0,
            updated_by: "s".into(),
            updated_at_ms: 0,
        };
        let today = date(2026, 11, 25);
        assert_eq!(view(m("2026-12-01", None), today).state, "scheduled");
        assert_eq!(view(m("2026-11-25", None), today).state, "shown");
        assert_eq!(
            view(m("2026-11-01", Some("2026-11-24")), today).state,
            "ended"
        );
    }
}
