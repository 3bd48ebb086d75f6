//! An activity's settings (administrators): name, weekdays, start time, period, places,
//! who may attend, and the usual booking and cancellation deadline ("N jours avant, à
//! HH h MM"). Saved through the staff API's own function (same checks); rules of other
//! kinds, absences, documents and the tariff are kept as they are.

use super::config_words as words;
use super::render::{self, PageResult};
use super::session::PageAdmin;
use crate::AppState;
use crate::docs::catalogue;
use crate::error::AppError;
use crate::routes::Path;
use crate::routes::staff::catalogue::save_activity;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use cartable_domain::catalogue::{Activity, ActivityKind, DeadlineRule};

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route(
            "/admin/configuration/activites/{activity_id}",
            get(edit).post(save),
        )
        .route(
            "/admin/configuration/nouvelle-activite",
            get(new_form).post(create),
        )
}

const KINDS: [(ActivityKind, &str); 5] = [
    (ActivityKind::Canteen, "Restauration scolaire"),
    (ActivityKind::MorningChildcare, "Accueil du matin"),
    (ActivityKind::EveningChildcare, "Accueil du soir"),
    (
        ActivityKind::WednesdayCentre,
        "Accueil de loisirs du mercredi",
    ),
    (
        ActivityKind::HolidayCentre,
        "Accueil de loisirs des vacances",
    ),
];

struct Day {
    iso: u8,
    name: &'static str,
    checked: bool,
}

struct Kind {
    code: &'static str,
    label: &'static str,
    selected: bool,
}

/// A deadline as the form edits it: "N days before at HH:MM", or a rule of another kind
/// shown in words and kept.
struct Deadline {
    prefix: &'static str,
    title: &'static str,
    error: Option<String>,
    days: String,
    at: String,
    working_days: bool,
    /// Rules the form cannot edit, in words (kept as they are).
    other: Option<String>,
}

#[derive(Default)]
struct Errors {
    id: Option<String>,
    name: Option<String>,
    days: Option<String>,
    start: Option<String>,
    first: Option<String>,
    last: Option<String>,
    capacity: Option<String>,
    ages: Option<String>,
    general: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        [
            &self.id,
            &self.name,
            &self.days,
            &self.start,
            &self.first,
            &self.last,
            &self.capacity,
            &self.ages,
            &self.general,
        ]
        .iter()
        .any(|e| e.is_some())
    }
}

#[derive(Template)]
#[template(path = "admin/activity_form.html")]
struct FormPage {
    chrome: render::Chrome,
    csrf: String,
    is_new: bool,
    activity_id: String,
    name: String,
    kinds: Vec<Kind>,
    days: Vec<Day>,
    start: String,
    first: String,
    last: String,
    capacity: String,
    age_min: String,
    age_max: String,
    classes: String,
    dossier: bool,
    booking: Deadline,
    cancel: Deadline,
    errors: Errors,
}

impl FormPage {
    fn deadlines(&self) -> [&Deadline; 2] {
        [&self.booking, &self.cancel]
    }

    fn has_errors(&self) -> bool {
        self.errors.any() || self.booking.error.is_some() || self.cancel.error.is_some()
    }
}

fn deadline_of(prefix: &'static str, title: &'static str, rules: &[DeadlineRule]) -> Deadline {
    let blank = Deadline {
        prefix,
        title,
        error: None,
        days: String::new(),
        at: String::new(),
        working_days: false,
        other: None,
    };
    match rules {
        [] => blank,
        [
            DeadlineRule::DaysBefore {
                days,
                at,
                skip_weekends,
                skip_weekdays,
                ..
            },
        ] if skip_weekdays.is_empty() => Deadline {
            days: days.to_string(),
            at: at.clone(),
            working_days: *skip_weekends,
            ..blank
        },
        _ => Deadline {
            other: Some(words::rules(rules, "")),
            ..blank
        },
    }
}

fn page_of(staff: &PageAdmin, activity_id: &str, a: &Activity, is_new: bool) -> FormPage {
    FormPage {
        chrome: staff.0.chrome(
            &if is_new {
                "Nouvelle activité".to_string()
            } else {
                a.name.clone()
            },
            "configuration",
        ),
        csrf: staff.0.csrf(),
        is_new,
        activity_id: activity_id.to_string(),
        name: a.name.clone(),
        kinds: KINDS
            .iter()
            .map(|(k, label)| Kind {
                code: k.code(),
                label,
                selected: a.kind == k.code(),
            })
            .collect(),
        days: (1..=7)
            .map(|iso| Day {
                iso,
                name: words::weekday(iso),
                checked: a.weekdays.contains(&iso),
            })
            .collect(),
        start: a.start_time.clone(),
        first: a.first_day.clone(),
        last: a.last_day.clone(),
        capacity: a.capacity.map(|c| c.to_string()).unwrap_or_default(),
        age_min: a
            .eligibility
            .min_age_years
            .map(|c| c.to_string())
            .unwrap_or_default(),
        age_max: a
            .eligibility
            .max_age_years
            .map(|c| c.to_string())
            .unwrap_or_default(),
        classes: a.eligibility.classes.join(", "),
        dossier: a.requires_approved_dossier,
        booking: deadline_of("reservation", "Réserver", &a.booking_rules),
        cancel: deadline_of("annulation", "Annuler sans être facturé", &a.cancel_rules),
        errors: Errors::default(),
    }
}

/// GET /admin/configuration/activites/{activity_id}
pub async fn edit(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(activity_id): Path<String>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    let Some(a) = catalogue.activities.get(&activity_id) else {
        return Ok(render::not_found());
    };
    Ok(render::page(&page_of(&staff, &activity_id, a, false)))
}

/// GET /admin/configuration/nouvelle-activite
pub async fn new_form(staff: PageAdmin) -> PageResult {
    let a = Activity::simple("", ActivityKind::Canteen, vec![1, 2, 4, 5]);
    Ok(render::page(&page_of(&staff, "", &a, true)))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

fn time_ok(text: &str) -> bool {
    text.len() == 5 && text.parse::<jiff::civil::Time>().is_ok()
}

fn date_ok(text: &str) -> bool {
    text.is_empty() || text.parse::<jiff::civil::Date>().is_ok()
}

/// The deadline fields `prefix-jours`, `prefix-heure`, `prefix-ouvres` applied to `rules`.
fn read_deadline(
    fields: &[(String, String)],
    rules: &mut Vec<DeadlineRule>,
    page: &mut Deadline,
) -> Option<String> {
    if page.other.is_some() {
        return None;
    }
    let prefix = page.prefix;
    page.days = field(fields, &format!("{prefix}-jours")).to_string();
    page.at = field(fields, &format!("{prefix}-heure")).to_string();
    page.working_days = !field(fields, &format!("{prefix}-ouvres")).is_empty();
    if page.days.is_empty() {
        rules.clear();
        return None;
    }
    let Ok(days) = page.days.parse::<u32>() else {
        return Some("Nombre de jours : un nombre entier, par exemple 2.".into());
    };
    if days > 366 {
        return Some("Nombre de jours : au plus 366.".into());
    }
    if !time_ok(&page.at) {
        return Some("Heure limite : au format HH:MM, par exemple 12:00.".into());
    }
    *rules = vec![DeadlineRule::DaysBefore {
        days,
        at: page.at.clone(),
        skip_weekends: page.working_days,
        skip_public_holidays: page.working_days,
        skip_weekdays: vec![],
    }];
    None
}

fn optional_number<T: std::str::FromStr>(text: &str) -> Result<Option<T>, ()> {
    if text.is_empty() {
        Ok(None)
    } else {
        text.parse().map(Some).map_err(|_| ())
    }
}

/// Reads the form into `a` (and `page`, to show it again); the errors per field.
fn read_form(fields: &[(String, String)], a: &mut Activity, page: &mut FormPage) {
    let e = &mut page.errors;
    page.name = field(fields, "nom").to_string();
    if let Err(err) = cartable_domain::text::check_required(&page.name, 200) {
        e.name = Some(format!("Nom : {err}"));
    }
    a.name = page.name.clone();
    let weekdays: Vec<u8> = fields
        .iter()
        .filter(|(k, _)| k == "jour")
        .filter_map(|(_, v)| v.parse::<u8>().ok())
        .filter(|d| (1..=7).contains(d))
        .collect();
    for d in &mut page.days {
        d.checked = weekdays.contains(&d.iso);
    }
    if weekdays.is_empty() {
        e.days = Some("Cochez au moins un jour.".into());
    }
    a.weekdays = weekdays;
    page.start = field(fields, "debut").to_string();
    if !page.start.is_empty() && !time_ok(&page.start) {
        e.start = Some("Heure de début : au format HH:MM, par exemple 11:45.".into());
    }
    a.start_time = page.start.clone();
    page.first = field(fields, "premier-jour").to_string();
    page.last = field(fields, "dernier-jour").to_string();
    if !date_ok(&page.first) {
        e.first = Some("Premier jour : choisissez une date.".into());
    }
    if !date_ok(&page.last) {
        e.last = Some("Dernier jour : choisissez une date.".into());
    } else if !page.first.is_empty() && !page.last.is_empty() && page.last < page.first {
        e.last = Some("Le dernier jour précède le premier.".into());
    }
    a.first_day = page.first.clone();
    a.last_day = page.last.clone();
    page.capacity = field(fields, "places").to_string();
    match optional_number::<u32>(&page.capacity) {
        Ok(c) => a.capacity = c,
        Err(()) => e.capacity = Some("Places : un nombre entier, ou vide sans limite.".into()),
    }
    page.age_min = field(fields, "age-min").to_string();
    page.age_max = field(fields, "age-max").to_string();
    match (
        optional_number::<u8>(&page.age_min),
        optional_number::<u8>(&page.age_max),
    ) {
        (Ok(min), Ok(max)) => {
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                e.ages = Some("L'âge minimum dépasse l'âge maximum.".into());
            }
            a.eligibility.min_age_years = min;
            a.eligibility.max_age_years = max;
        }
        _ => e.ages = Some("Âges : des nombres entiers d'années, ou vides.".into()),
    }
    page.classes = field(fields, "classes").to_string();
    a.eligibility.classes = page
        .classes
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    page.dossier = !field(fields, "dossier").is_empty();
    a.requires_approved_dossier = page.dossier;
    page.booking.error = read_deadline(fields, &mut a.booking_rules, &mut page.booking);
    page.cancel.error = read_deadline(fields, &mut a.cancel_rules, &mut page.cancel);
}

async fn store(
    state: &AppState,
    staff: &PageAdmin,
    activity_id: &str,
    activity: Activity,
    mut page: FormPage,
) -> PageResult {
    if page.has_errors() {
        return Ok(render::page_with_status(StatusCode::BAD_REQUEST, &page));
    }
    match save_activity(state, &staff.0.staff(), activity_id.to_string(), activity).await {
        Ok(_) => Ok(render::see_other("/admin/configuration?fait=activite")),
        Err(AppError::Client { message, .. }) => {
            page.errors.general = Some(message);
            Ok(render::page_with_status(StatusCode::BAD_REQUEST, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /admin/configuration/activites/{activity_id}
pub async fn save(
    State(state): State<AppState>,
    staff: PageAdmin,
    Path(activity_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    let Some(current) = catalogue.activities.get(&activity_id) else {
        return Ok(render::not_found());
    };
    let mut activity = current.clone();
    let mut page = page_of(&staff, &activity_id, current, false);
    read_form(&fields, &mut activity, &mut page);
    store(&state, &staff, &activity_id, activity, page).await
}

/// POST /admin/configuration/nouvelle-activite
pub async fn create(
    State(state): State<AppState>,
    staff: PageAdmin,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let catalogue = catalogue::read(&state, &staff.0.0.session.structure_id).await?;
    let kind = KINDS
        .iter()
        .map(|(k, _)| *k)
        .find(|k| k.code() == field(&fields, "type"))
        .unwrap_or(ActivityKind::Canteen);
    let mut activity = Activity::simple("", kind, vec![]);
    let activity_id = field(&fields, "identifiant").to_lowercase();
    let mut page = page_of(&staff, &activity_id, &activity, true);
    read_form(&fields, &mut activity, &mut page);
    if !cartable_domain::ids::is_valid_id(&activity_id) {
        page.errors.id = Some(
            "Identifiant : lettres minuscules sans accent, chiffres, - et _ (par exemple « etude-soir »)."
                .into(),
        );
    } else if catalogue.activities.contains_key(&activity_id) {
        page.errors.id = Some("Une activité porte déjà cet identifiant.".into());
    }
    store(&state, &staff, &activity_id, activity, page).await
}
