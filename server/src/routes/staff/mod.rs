//! The staff JSON API: catalogue configuration, daily lists and counts, decision overrides,
//! dossier review.
//! Every route takes a [`crate::auth::StaffUser`] and stays inside that user's structure.

pub mod catalogue;
pub mod decisions;
pub mod documents;
pub mod dossiers;
pub mod lists;

use crate::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(catalogue::router())
        .merge(decisions::router())
        .merge(documents::router())
        .merge(dossiers::router())
        .merge(lists::router())
}
