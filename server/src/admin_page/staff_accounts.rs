//! The structure's staff accounts, for administrators: role, second factor, live sessions;
//! an account created with a one-time password shown once on a sheet to print, an account
//! disabled (its sessions end at once) or enabled again, a new one-time password. Every
//! change goes through [`account_ops`], the functions of the JSON API and of the `admin`
//! command.

use super::credentials_letter::server_address;
use super::render::{self, PageResult};
use super::session::{PageAdmin, PageStaff};
use crate::AppState;
use crate::admin::{Credentials, NewLogin, checked_login, login_from_name};
use crate::auth::account_ops::{self, Issuer};
use crate::auth::sessions::lifetime;
use crate::db::accounts;
use crate::error::AppError;
use crate::routes::Path;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use cartable_domain::ids::AccountId;
use cartable_domain::roles::Role;
use serde::Deserialize;
use sqlx::Row;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/admin/personnel/nouveau", axum::routing::post(create))
        .route(
            "/admin/personnel/{account_id}/desactiver",
            axum::routing::post(disable),
        )
        .route(
            "/admin/personnel/{account_id}/reactiver",
            axum::routing::post(enable),
        )
        .route(
            "/admin/personnel/{account_id}/mot-de-passe",
            axum::routing::post(new_password),
        )
}

/// A field of the new account's form, with its value and error.
#[derive(Default)]
struct Field {
    value: String,
    error: Option<String>,
}

#[derive(Default)]
struct NewAccountForm {
    prenom: Field,
    nom: Field,
    identifiant: Field,
    /// "agent" or "administrateur".
    role: String,
}

impl NewAccountForm {
    fn has_errors(&self) -> bool {
        [&self.prenom, &self.nom, &self.identifiant]
            .iter()
            .any(|f| f.error.is_some())
    }
}

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    chrome: render::Chrome,
    csrf: String,
    accounts: Vec<StaffRow>,
    notice: Option<String>,
    error: Option<String>,
    form: NewAccountForm,
}

struct StaffRow {
    id: String,
    name: String,
    login: String,
    role: &'static str,
    second_factor: &'static str,
    sessions: usize,
    one_time: bool,
    disabled: bool,
    /// The administrator looking at the page.
    is_me: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct StaffQuery {
    #[serde(default)]
    fait: Option<String>,
    #[serde(default)]
    compte: Option<String>,
}

async fn rows(state: &AppState, staff: &PageStaff) -> Result<Vec<StaffRow>, render::PageError> {
    let rows = sqlx::query(
        "SELECT a.id, a.login, a.display_name, a.role, a.must_change_password, \
         a.disabled_at_ms, s.confirmed_at_ms FROM accounts a \
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
        let disabled = r.try_get::<Option<i64>, _>("disabled_at_ms")?.is_some();
        let sessions = if disabled {
            0
        } else {
            accounts::devices_of(&state.db, &AccountId::new(id.clone()))
                .await?
                .iter()
                .filter(|d| {
                    limits
                        .expired(d.created_at_ms, d.last_seen_ms, now)
                        .is_none()
                })
                .count()
        };
        let confirmed = r.try_get::<Option<i64>, _>("confirmed_at_ms")?.is_some();
        out.push(StaffRow {
            is_me: id == staff.0.session.account_id.as_str(),
            id,
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
            disabled,
        });
    }
    Ok(out)
}

async fn page_with(
    state: &AppState,
    staff: &PageStaff,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    form: NewAccountForm,
) -> PageResult {
    let accounts = rows(state, staff).await?;
    Ok(render::page_with_status(
        status,
        &StaffPage {
            chrome: staff.chrome("Personnel", "personnel"),
            csrf: staff.csrf(),
            accounts,
            notice,
            error,
            form: NewAccountForm {
                role: if form.role.is_empty() {
                    "agent".into()
                } else {
                    form.role
                },
                ..form
            },
        },
    ))
}

/// The name of a staff account of the structure, for a notice.
async fn name_of(
    state: &AppState,
    staff: &PageStaff,
    account_id: &str,
) -> Result<Option<String>, render::PageError> {
    let row = sqlx::query(
        "SELECT display_name FROM accounts WHERE id = $1 AND structure_id = $2 \
         AND family_id IS NULL",
    )
    .bind(account_id)
    .bind(staff.0.session.structure_id.as_str())
    .fetch_optional(&state.db.pool)
    .await?;
    Ok(row.map(|r| r.try_get("display_name")).transpose()?)
}

/// GET /admin/personnel
pub async fn list(
    State(state): State<AppState>,
    PageAdmin(staff): PageAdmin,
    Query(q): Query<StaffQuery>,
) -> PageResult {
    let name = match q.compte.as_deref() {
        Some(id) => name_of(&state, &staff, id).await?,
        None => None,
    };
    let notice = match (q.fait.as_deref(), name) {
        (Some("desactive"), Some(n)) => Some(format!(
            "Compte désactivé : {n} ne peut plus se connecter et ses sessions sont fermées."
        )),
        (Some("reactive"), Some(n)) => Some(format!(
            "Compte réactivé : {n} peut de nouveau se connecter avec son mot de passe."
        )),
        _ => None,
    };
    page_with(
        &state,
        &staff,
        StatusCode::OK,
        notice,
        None,
        NewAccountForm::default(),
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/staff_letter.html")]
struct LetterPage {
    chrome: render::Chrome,
    created: bool,
    credentials: Credentials,
    admin: bool,
    structure_name: String,
    address: String,
    today: String,
}

async fn letter(
    state: &AppState,
    staff: &PageStaff,
    headers: &HeaderMap,
    created: bool,
    credentials: Credentials,
    admin: bool,
) -> PageResult {
    let today = super::format::date(cartable_domain::calendar::paris_date(state.clock.now()));
    Ok(render::page(&LetterPage {
        chrome: staff.chrome(
            &format!("Identifiants – {}", credentials.display_name),
            "personnel",
        ),
        created,
        credentials,
        admin,
        structure_name: staff.0.structure_name.clone(),
        address: format!("{}/admin/", server_address(state, headers)),
        today,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct CreateFields {
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    role: String,
}

/// A name part: required, one line, 100 characters at most.
fn name_error(text: &str, what: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        Some(format!("Indiquez le {what}."))
    } else if t.chars().count() > 100 || cartable_domain::text::check_line(t, 100).is_err() {
        Some(format!(
            "Le {what} doit tenir sur une ligne de 100 caractères au plus."
        ))
    } else {
        None
    }
}

/// POST /admin/personnel/nouveau: a new staff account and its sheet of credentials.
pub async fn create(
    State(state): State<AppState>,
    PageAdmin(staff): PageAdmin,
    headers: HeaderMap,
    Form(f): Form<CreateFields>,
) -> PageResult {
    let mut form = NewAccountForm {
        prenom: Field {
            error: name_error(&f.prenom, "prénom"),
            value: f.prenom.clone(),
        },
        nom: Field {
            error: name_error(&f.nom, "nom"),
            value: f.nom.clone(),
        },
        identifiant: Field {
            value: f.identifiant.clone(),
            error: None,
        },
        role: f.role.clone(),
    };
    let admin = match f.role.as_str() {
        "administrateur" => true,
        "agent" => false,
        _ => {
            form.role = "agent".into();
            false
        }
    };
    let login = if f.identifiant.trim().is_empty() {
        login_from_name(&f.prenom, &f.nom)
    } else {
        f.identifiant.trim().to_lowercase()
    };
    if form.nom.error.is_none() && form.prenom.error.is_none() {
        match checked_login(&login) {
            Ok(l) if accounts::account_by_login(&state.db, &l).await?.is_some() => {
                form.identifiant.error = Some(format!(
                    "L'identifiant « {l} » est déjà pris : choisissez-en un autre."
                ));
            }
            Ok(_) => {}
            Err(_) => {
                form.identifiant.error =
                    Some("Un identifiant s'écrit sans espace, en 200 caractères au plus.".into());
            }
        }
    }
    if form.has_errors() {
        return page_with(&state, &staff, StatusCode::BAD_REQUEST, None, None, form).await;
    }
    let who = NewLogin {
        first_name: f.prenom.trim().to_string(),
        last_name: f.nom.trim().to_string(),
        login,
        password: None,
    };
    let credentials =
        match account_ops::create_staff_account(&state, &staff.staff(), &who, admin).await {
            Ok(c) => c,
            // Taken meanwhile, or refused by the login's own rule.
            Err(AppError::Client { message, .. }) => {
                form.identifiant.error = Some(message);
                return page_with(&state, &staff, StatusCode::BAD_REQUEST, None, None, form).await;
            }
            Err(e) => return Err(e.into()),
        };
    letter(&state, &staff, &headers, true, credentials, admin).await
}

/// Disables or enables the account; an error the administrator can fix (their own account,
/// the last administrator) is shown on the list.
async fn set_disabled(
    state: &AppState,
    staff: &PageStaff,
    account_id: &str,
    disabled: bool,
) -> PageResult {
    match account_ops::set_staff_disabled(state, &staff.staff(), account_id, disabled).await {
        Ok(_) => Ok(render::see_other(&format!(
            "/admin/personnel?fait={}&compte={account_id}",
            if disabled { "desactive" } else { "reactive" }
        ))),
        Err(AppError::Client {
            status, message, ..
        }) if status == StatusCode::BAD_REQUEST => {
            page_with(
                state,
                staff,
                status,
                None,
                Some(format!("{message}.")),
                NewAccountForm::default(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/personnel/{account_id}/desactiver
pub async fn disable(
    State(state): State<AppState>,
    PageAdmin(staff): PageAdmin,
    Path(account_id): Path<String>,
) -> PageResult {
    set_disabled(&state, &staff, &account_id, true).await
}

/// POST /admin/personnel/{account_id}/reactiver
pub async fn enable(
    State(state): State<AppState>,
    PageAdmin(staff): PageAdmin,
    Path(account_id): Path<String>,
) -> PageResult {
    set_disabled(&state, &staff, &account_id, false).await
}

/// POST /admin/personnel/{account_id}/mot-de-passe: a new one-time password (the account's
/// sessions end; its next login must choose a password), on a sheet to print.
pub async fn new_password(
    State(state): State<AppState>,
    PageAdmin(staff): PageAdmin,
    headers: HeaderMap,
    Path(account_id): Path<String>,
) -> PageResult {
    let user = staff.staff();
    let account = account_ops::staff_account_of(&state, &user, &account_id).await?;
    if account.id == staff.0.session.account_id {
        return page_with(
            &state,
            &staff,
            StatusCode::BAD_REQUEST,
            None,
            Some(
                "Pour votre propre compte, changez votre mot de passe depuis « Mon mot de passe »."
                    .into(),
            ),
            NewAccountForm::default(),
        )
        .await;
    }
    let issuer = Issuer::Staff {
        account_id: staff.0.session.account_id.to_string(),
        structure_id: staff.0.session.structure_id.to_string(),
        is_admin: true,
    };
    let otp = account_ops::issue_one_time_password(&state, &issuer, account.id.as_str()).await?;
    let credentials = Credentials {
        login: otp.login,
        password: otp.password,
        display_name: account.display_name.clone(),
    };
    let admin = account.role == Role::StaffAdmin;
    letter(&state, &staff, &headers, false, credentials, admin).await
}
