//! The structure's staff accounts, for administrators: role, second factor, live sessions.

use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::auth::sessions::lifetime;
use crate::db::accounts;
use askama::Template;
use axum::extract::State;
use cartable_domain::ids::AccountId;
use cartable_domain::roles::Role;
use sqlx::Row;

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    chrome: render::Chrome,
    accounts: Vec<StaffRow>,
}

struct StaffRow {
    name: String,
    login: String,
    role: &'static str,
    second_factor: &'static str,
    sessions: usize,
    one_time: bool,
}

/// GET /admin/personnel
pub async fn list(State(state): State<AppState>, PageAdmin(staff): PageAdmin) -> PageResult {
    let rows = sqlx::query(
        "SELECT a.id, a.login, a.display_name, a.role, a.must_change_password, \
         s.confirmed_at_ms FROM accounts a \
         LEFT JOIN staff_second_factors s ON s.account_id = a.id \
         WHERE a.structure_id = $1 AND a.family_id IS NULL ORDER BY a.display_name, a.id",
    )
    .bind(staff.0.session.structure_id.as_str())
    .fetch_all(&state.db.pool)
    .await?;
    let now = state.clock.now().as_millisecond();
    let limits = lifetime(&state.settings, Role::StaffAgent);
    let mut out = Vec::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        let role: String = r.try_get("role")?;
        let admin = role == Role::StaffAdmin.code();
        let sessions = accounts::devices_of(&state.db, &AccountId::new(id))
            .await?
            .iter()
            .filter(|d| {
                limits
                    .expired(d.created_at_ms, d.last_seen_ms, now)
                    .is_none()
            })
            .count();
        let confirmed = r.try_get::<Option<i64>, _>("confirmed_at_ms")?.is_some();
        out.push(StaffRow {
            name: r.try_get("display_name")?,
            login: r.try_get("login")?,
            role: if admin { "Administrateur" } else { "Agent" },
            second_factor: match (admin, confirmed) {
                (_, true) => "Activée",
                (true, false) => "À activer à la prochaine connexion",
                (false, false) => "Non demandée",
            },
            sessions,
            one_time: r.try_get::<i64, _>("must_change_password")? != 0,
        });
    }
    Ok(render::page(&StaffPage {
        chrome: staff.chrome("Personnel", "personnel"),
        accounts: out,
    }))
}
