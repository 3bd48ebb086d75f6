//! The staff JSON API: catalogue configuration, daily lists and counts, decision overrides,
//! dossier review, supporting documents, information and downloads, attendance, tariffs,
//! invoicing and push delivery counts.
//! Every route takes a [`crate::auth::StaffUser`] and stays inside that user's structure.

pub mod attendance;
pub mod catalogue;
pub mod decisions;
pub mod documents;
pub mod dossiers;
pub mod downloads;
pub mod information;
pub mod invoicing;
pub mod lists;
pub mod push;
pub mod sessions;
pub mod tariffs;

use crate::AppState;
use axum::Router;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(attendance::router())
        .merge(catalogue::router())
        .merge(decisions::router())
        .merge(documents::router())
        .merge(dossiers::router())
        .merge(downloads::router(state))
        .merge(information::router())
        .merge(invoicing::router())
        .merge(lists::router())
        .merge(sessions::router())
        .merge(tariffs::router())
        .merge(push::router())
}
