//! The staff JSON API: catalogue configuration, daily lists and counts, decision overrides,
//! dossier review, supporting documents, information and downloads.
//! Every route takes a [`crate::auth::StaffUser`] and stays inside that user's structure.

pub mod catalogue;
pub mod decisions;
pub mod documents;
pub mod dossiers;
pub mod downloads;
pub mod information;
pub mod lists;
pub mod sessions;

use crate::AppState;
use axum::Router;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(catalogue::router())
        .merge(decisions::router())
        .merge(documents::router())
        .merge(dossiers::router())
        .merge(downloads::router(state))
        .merge(information::router())
        .merge(lists::router())
        .merge(sessions::router())
}
