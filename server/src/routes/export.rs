//! `GET /api/v1/export`: a family downloads everything the structure holds about it, as
//! one ZIP archive (see [`crate::export`]). Each export is recorded in the audit log.

use crate::AppState;
use crate::auth::FamilyDevice;
use crate::db::audit;
use crate::error::AppResult;
use crate::export::{self, archive};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use cartable_domain::calendar::paris_datetime;
use tokio_util::io::ReaderStream;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/export", get(download))
}

async fn download(State(state): State<AppState>, device: FamilyDevice) -> AppResult<Response> {
    let structure_id = device.session.structure_id.clone();
    let content = export::collect(&state, &structure_id, &device.family_id).await?;
    let now = paris_datetime(state.clock.now());
    let (file, size) = archive::write(&state, content, now).await?;
    let who = audit::Who {
        account_id: &device.session.account_id,
        structure_id: &structure_id,
        at_ms: state.clock.now().as_millisecond(),
    };
    audit::record_alone(
        &state.db,
        who,
        "export_family_data",
        Some(&device.family_id),
        &format!("{size} octets"),
    )
    .await?;
    let name = format!("cartable-export-{}.zip", now.date());
    let mut response = crate::routes::files::attachment(
        "application/zip",
        &name,
        Body::from_stream(ReaderStream::new(tokio::fs::File::from_std(file))),
    );
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    Ok(response)
}
