//! Configuration (administrators): the structure's activities and tariffs in words, its
//! closures, and closing days. Closing days that families booked first shows what it
//! cancels ("cette fermeture annule N réservations de M familles"), then, confirmed,
//! cancels them through the staff API's own closure path: by the structure, not billed,
//! the closure's label as the reason, seen by the parents at their next sync.

use super::config_words as words;
use super::format;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::docs::catalogue;
use crate::routes::staff::catalogue::{closures_preview, replace_closures};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use cartable_domain::catalogue::{Catalogue, Closure};
use cartable_domain::tariffs::BillingMode;
use serde::Deserialize;

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/configuration", get(page))
        .route("/admin/configuration/fermetures/apercu", post(preview))
        .route("/admin/configuration/fermetures", post(add_closure))
        .route(
            "/admin/configuration/fermetures/retirer",
            post(remove_closure),
        )
}

struct ActivityRow {
    id: String,
    name: String,
    days: String,
    start: String,
    capacity: String,
    period: String,
    eligibility: String,
    booking: String,
    cancel: String,
    dossier: bool,
    tariff: Vec<(String, String)>,
}

struct ClosureRow {
    index: usize,
    label: String,
    dates: String,
    activities: String,
}

struct Choice {
    id: String,
    name: String,
    checked: bool,
}

/// The closure form as sent, with what is wrong in it.
#[derive(Default)]
struct ClosureForm {
    label: String,
    from: String,
    to: String,
    activities: Vec<String>,
    label_error: Option<String>,
    from_error: Option<String>,
    to_error: Option<String>,
    error: Option<String>,
}

impl ClosureForm {
    fn has_errors(&self) -> bool {
        self.label_error.is_some()
            || self.from_error.is_some()
            || self.to_error.is_some()
            || self.error.is_some()
    }
}

#[derive(Template)]
#[template(path = "admin/configuration.html")]
struct ConfigurationPage {
    chrome: render::Chrome,
    csrf: String,
    notice: Option<String>,
    activities: Vec<ActivityRow>,
    closures: Vec<ClosureRow>,
    holidays: &'static str,
    billing: Vec<(String, String)>,
    form: ClosureForm,
    choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "admin/closure_preview.html")]
struct PreviewPage {
    chrome: render::Chrome,
    csrf: String,
    label: String,
    dates: String,
    concerned: String,
    from: String,
    to: String,
    activities: Vec<String>,
    cancelled: usize,
    families: usize,
}

#[derive(Debug, Default, Deserialize)]
pub struct ConfigQuery {
    #[serde(default)]
    fait: Option<String>,
    #[serde(default)]
    nombre: Option<usize>,
}

fn dates(from: &str, to: &str) -> String {
    if from == to {
        format!("le {}", format::iso_date(from))
    } else {
        format!("du {} au {}", format::iso_date(from), format::iso_date(to))
    }
}

fn concerned(catalogue: &Catalogue, ids: &[String]) -> String {
    if ids.is_empty() {
        return "Toutes les activités".into();
    }
    ids.iter()
        .map(|id| {
            catalogue
                .activities
                .get(id)
                .map_or_else(|| id.clone(), |a| a.name.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn notice_of(q: &ConfigQuery) -> Option<String> {
    let n = q.nombre.unwrap_or(0);
    Some(match q.fait.as_deref()? {
        "fermeture" if n == 0 => "Fermeture enregistrée ; elle n'annulait aucune réservation.".into(),
        "fermeture" => format!(
            "Fermeture enregistrée : {} par la structure, non facturée{}. Les familles le verront à leur prochaine synchronisation.",
            plural(n, "réservation annulée", "réservations annulées"),
            if n > 1 { "s" } else { "" }
        ),
        "retrait" => "Fermeture retirée. Les réservations annulées par cette fermeture ne sont pas rétablies : les familles peuvent réserver à nouveau ces jours-là.".into(),
        "activite" => "Activité enregistrée.".into(),
        "tarif" => "Tarif enregistré.".into(),
        _ => return None,
    })
}

fn render_page(
    staff: &PageAdmin,
    catalogue: &Catalogue,
    notice: Option<String>,
    form: ClosureForm,
    status: StatusCode,
) -> axum::response::Response {
    let activities = catalogue
        .activities
        .iter()
        .map(|(id, a)| ActivityRow {
            id: id.clone(),
            name: a.name.clone(),
            days: words::weekdays(&a.weekdays),
            start: if a.start_time.is_empty() {
                "non précisée".into()
            } else {
                words::time(&a.start_time)
            },
            capacity: a.capacity.map_or("sans limite".into(), |c| {
                plural(c as usize, "place", "places")
            }),
            period: words::period(a),
            eligibility: words::eligibility(&a.eligibility),
            booking: words::rules(&a.booking_rules, "à tout moment"),
            cancel: words::rules(&a.cancel_rules, "à tout moment"),
            dossier: a.requires_approved_dossier,
            tariff: a
                .tariff
                .as_ref()
                .map(words::tariff_lines)
                .unwrap_or_default(),
        })
        .collect();
    let closures = catalogue
        .closures
        .iter()
        .enumerate()
        .map(|(index, c)| ClosureRow {
            index,
            label: c.label.clone(),
            dates: dates(&c.from, &c.to),
            activities: concerned(catalogue, &c.activities),
        })
        .collect();
    let choices = catalogue
        .activities
        .iter()
        .map(|(id, a)| Choice {
            id: id.clone(),
            name: a.name.clone(),
            checked: form.activities.contains(id),
        })
        .collect();
    let b = &catalogue.billing;
    let billing = vec![
        (
            "Mode".to_string(),
            match b.mode {
                BillingMode::Postpaid => "facture mensuelle, payée après le mois".to_string(),
                BillingMode::Prepaid => "prépaiement, relevé mensuel".to_string(),
            },
        ),
        (
            "Émetteur".to_string(),
            if b.issuer.legal_name.is_empty() {
                "non renseigné".to_string()
            } else {
                b.issuer.legal_name.clone()
            },
        ),
        (
            "Délai de paiement".to_string(),
            plural(b.payment_days() as usize, "jour", "jours"),
        ),
        (
            "Inscription tardive".to_string(),
            b.late_registration
                .as_ref()
                .map_or("pas de frais".into(), |l| {
                    format!(
                        "{} par famille après le {}",
                        format::euros(l.cents),
                        format::iso_date(&l.after)
                    )
                }),
        ),
        (
            "Impayés".to_string(),
            b.block_bookings_when_overdue.as_ref().map_or(
                "les réservations restent ouvertes".into(),
                |o| {
                    format!(
                        "réservations bloquées {} après l'échéance",
                        plural(o.grace_days as usize, "jour", "jours")
                    )
                },
            ),
        ),
    ];
    render::page_with_status(
        status,
        &ConfigurationPage {
            chrome: staff.0.chrome("Configuration", "configuration"),
            csrf: staff.0.csrf(),
            notice,
            activities,
            closures,
            holidays: if catalogue.open_on_public_holidays {
                "Ouvert les jours fériés."
            } else {
                "Fermé les jours fériés (calendrier officiel français)."
            },
            billing,
            form,
            choices,
        },
    )
}

/// GET /admin/configuration
pub async fn page(
    State(state): State<AppState>,
    staff: PageAdmin,
    Query(q): Query<ConfigQuery>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    Ok(render_page(
        &staff,
        &catalogue,
        notice_of(&q),
        ClosureForm::default(),
        StatusCode::OK,
    ))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The closure of the form, checked field by field.
fn closure_of(
    fields: &[(String, String)],
    catalogue: &Catalogue,
) -> Result<Closure, Box<ClosureForm>> {
    let mut form = ClosureForm {
        label: field(fields, "libelle").trim().to_string(),
        from: field(fields, "du").trim().to_string(),
        to: field(fields, "au").trim().to_string(),
        activities: fields
            .iter()
            .filter(|(k, _)| k == "activite")
            .map(|(_, v)| v.clone())
            .collect(),
        ..Default::default()
    };
    if let Err(e) = cartable_domain::text::check_required(&form.label, 200) {
        form.label_error = Some(format!("Libellé : {e}"));
    }
    let from = form.from.parse::<jiff::civil::Date>();
    let to = form.to.parse::<jiff::civil::Date>();
    if from.is_err() {
        form.from_error = Some("Choisissez le premier jour fermé.".into());
    }
    if to.is_err() {
        form.to_error = Some("Choisissez le dernier jour fermé.".into());
    }
    if let (Ok(f), Ok(t)) = (&from, &to)
        && t < f
    {
        form.to_error = Some("Le dernier jour fermé précède le premier.".into());
    }
    if form
        .activities
        .iter()
        .any(|id| !catalogue.activities.contains_key(id))
    {
        form.error = Some("Une des activités cochées n'existe plus : rechargez la page.".into());
    }
    if form.has_errors() {
        return Err(Box::new(form));
    }
    Ok(Closure {
        from: form.from,
        to: form.to,
        label: form.label,
        activities: form.activities,
    })
}

/// POST /admin/configuration/fermetures/apercu : what the closure would cancel, to confirm.
pub async fn preview(
    State(state): State<AppState>,
    staff: PageAdmin,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    let closure = match closure_of(&fields, &catalogue) {
        Ok(c) => c,
        Err(form) => {
            return Ok(render_page(
                &staff,
                &catalogue,
                None,
                *form,
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let mut list = catalogue.closures.clone();
    list.push(closure.clone());
    let impact = closures_preview(&state, &staff.0.staff(), list).await?;
    Ok(render::page(&PreviewPage {
        chrome: staff.0.chrome("Ajouter une fermeture", "configuration"),
        csrf: staff.0.csrf(),
        dates: dates(&closure.from, &closure.to),
        concerned: concerned(&catalogue, &closure.activities),
        label: closure.label,
        from: closure.from,
        to: closure.to,
        activities: closure.activities,
        cancelled: impact.cancelled_bookings,
        families: impact.families,
    }))
}

/// POST /admin/configuration/fermetures : the closure confirmed; the bookings of its days
/// are cancelled.
pub async fn add_closure(
    State(state): State<AppState>,
    staff: PageAdmin,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    let closure = match closure_of(&fields, &catalogue) {
        Ok(c) => c,
        Err(form) => {
            return Ok(render_page(
                &staff,
                &catalogue,
                None,
                *form,
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let mut list = catalogue.closures;
    list.push(closure);
    let (_, cancelled) = replace_closures(&state, &staff.0.staff(), list).await?;
    Ok(render::see_other(&format!(
        "/admin/configuration?fait=fermeture&nombre={cancelled}#titre-fermetures"
    )))
}

/// POST /admin/configuration/fermetures/retirer : a closure removed (its position and
/// label, so that a list changed meanwhile removes nothing by mistake).
pub async fn remove_closure(
    State(state): State<AppState>,
    staff: PageAdmin,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    let index: Option<usize> = field(&fields, "numero").parse().ok();
    let label = field(&fields, "libelle");
    let Some(index) =
        index.filter(|i| catalogue.closures.get(*i).is_some_and(|c| c.label == label))
    else {
        return Ok(render::error_page(
            StatusCode::CONFLICT,
            "Fermeture introuvable",
            "La liste des fermetures a changé entre-temps : rechargez la page de configuration.",
        ));
    };
    let mut list = catalogue.closures;
    list.remove(index);
    replace_closures(&state, &staff.0.staff(), list).await?;
    Ok(render::see_other(
        "/admin/configuration?fait=retrait#titre-fermetures",
    ))
}
