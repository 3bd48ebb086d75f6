//! The accessibility statement (déclaration d'accessibilité, in the RGAA's form): state of
//! conformity, what is checked and how, what is known not to be accessible, how to report a
//! problem and the remedy. Reachable from every page's footer, signed in or not; signed in,
//! it gives the structure's own contact details from its catalogue.

use super::render::{self, Chrome, PageResult};
use super::session::PageStaff;
use crate::AppState;
use crate::docs::catalogue;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/admin/accessibilite", axum::routing::get(page))
}

/// When this statement was last written, and the checks it describes run.
pub const STATEMENT_DATE: &str = "1er décembre 2026";

#[derive(Template)]
#[template(path = "admin/accessibility.html")]
struct StatementPage {
    chrome: Chrome,
    structure: String,
    phone: String,
    email: String,
    address: String,
    date: &'static str,
}

/// GET /admin/accessibilite
pub async fn page(State(state): State<AppState>, staff: Result<PageStaff, Response>) -> PageResult {
    let title = "Déclaration d'accessibilité";
    let (chrome, structure, contact) = match staff {
        Ok(staff) => {
            let c = catalogue::read(&state, &staff.0.session.structure_id).await?;
            (
                staff.chrome(title, "accessibilite"),
                staff.0.structure_name.clone(),
                c.contact,
            )
        }
        Err(_) => (Chrome::public(title), String::new(), Default::default()),
    };
    Ok(render::page(&StatementPage {
        chrome,
        structure,
        phone: contact.phone,
        email: contact.email,
        address: contact.address,
        date: STATEMENT_DATE,
    }))
}
