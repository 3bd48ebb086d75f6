//! Daily lists for agents and administrators: the children expected at an activity on a
//! day (booked, with a place held), with diet, allergies and PAI written out as the canteen
//! needs them; a print view and a CSV download (semicolons, UTF-8 with a byte order mark,
//! as spreadsheets in French town halls expect). The children come from the staff API's
//! own list ([`expected_children`]), which logs the read of health data.

use super::day_choice::{self, ChoiceError, DayChoice, DayQuery};
use super::render::{self, PageResult};
use super::session::PageStaff;
use super::spreadsheet::csv_download;
use crate::AppState;
use crate::routes::staff::lists::{ExpectedChild, expected_children};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use cartable_domain::dossier::Diet;
use sqlx::Row as _;
use std::collections::BTreeMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/admin/listes", axum::routing::get(page))
        .route("/admin/listes/imprimer", axum::routing::get(print))
        .route("/admin/listes/telecharger", axum::routing::get(download))
}

/// A child of the list, in words.
pub struct Row {
    pub family_id: String,
    pub child_id: String,
    pub last_name: String,
    pub first_name: String,
    pub class: String,
    pub family_name: String,
    pub diet: String,
    pub special_diet: bool,
    pub allergies: String,
    pub has_allergies: bool,
    pub pai: bool,
    pub remark: String,
    /// Declared absent: not to be served.
    pub absent: bool,
    /// Who may pick the child up, from the family's dossier ("Camille Martin, Julien
    /// Martin"), and whether the child may leave alone.
    pub pick_up: String,
    /// Whom to call: "Camille Martin 06 12 34 56 78 ; Julien Martin (sans numéro)".
    pub emergency: String,
}

/// What the family's dossier says about leaving and calling, for one child.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contacts {
    /// Adults allowed to pick the child up.
    pub pick_up: Vec<String>,
    /// Emergency contacts with their first phone number, if any.
    pub emergency: Vec<String>,
    pub may_leave_alone: bool,
}

impl Contacts {
    fn pick_up_text(&self) -> String {
        let mut parts = self.pick_up.clone();
        if self.may_leave_alone {
            parts.push("peut partir seul".into());
        }
        if parts.is_empty() {
            "Non renseigné".into()
        } else {
            parts.join(", ")
        }
    }

    fn emergency_text(&self) -> String {
        if self.emergency.is_empty() {
            "Non renseigné".into()
        } else {
            self.emergency.join(" ; ")
        }
    }
}

/// What the kitchen needs at a glance.
pub struct Summary {
    pub expected: usize,
    pub absent: usize,
    pub to_serve: usize,
    /// "3 sans porc, 1 végétarien" among the children to serve.
    pub diets: String,
    pub allergies: usize,
    pub pai: usize,
}

fn row_of(c: &ExpectedChild, contacts: &Contacts) -> Row {
    let diet = Diet::from_stored(&c.diet);
    let allergies: Vec<&str> = c
        .allergies
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    let mut remarks = Vec::new();
    if c.absent {
        remarks.push("Absence signalée par la famille");
    }
    if c.outcome == "kept_billable" {
        remarks.push("Annulation hors délai (facturée)");
    }
    Row {
        family_id: c.family_id.clone(),
        child_id: c.child_id.clone(),
        last_name: c.last_name.clone(),
        first_name: c.first_name.clone(),
        class: c.class.clone(),
        family_name: c.family_name.clone(),
        special_diet: diet.is_some_and(|d| d != Diet::Standard),
        diet: diet.map_or_else(|| c.diet.clone(), |d| d.label().to_string()),
        has_allergies: !allergies.is_empty(),
        allergies: if allergies.is_empty() {
            "Aucune".into()
        } else {
            allergies.join(", ")
        },
        pai: c.pai,
        remark: remarks.join(" ; "),
        absent: c.absent,
        pick_up: contacts.pick_up_text(),
        emergency: contacts.emergency_text(),
    }
}

fn summary_of(rows: &[Row]) -> Summary {
    let served: Vec<&Row> = rows.iter().filter(|r| !r.absent).collect();
    let mut diets: BTreeMap<String, usize> = BTreeMap::new();
    for r in served.iter().filter(|r| r.special_diet) {
        *diets.entry(r.diet.to_lowercase()).or_default() += 1;
    }
    Summary {
        expected: rows.len(),
        absent: rows.len() - served.len(),
        to_serve: served.len(),
        diets: diets
            .iter()
            .map(|(d, n)| format!("{n} {d}"))
            .collect::<Vec<_>>()
            .join(", "),
        allergies: served.iter().filter(|r| r.has_allergies).count(),
        pai: served.iter().filter(|r| r.pai).count(),
    }
}

#[derive(Template)]
#[template(path = "admin/daily_list.html")]
struct ListPage {
    chrome: render::Chrome,
    choice: DayChoice,
    notice: Option<String>,
    /// A link to refuse or change each child's booking (not on paper).
    actions: bool,
    rows: Vec<Row>,
    summary: Summary,
}

#[derive(Template)]
#[template(path = "admin/daily_list_print.html")]
struct PrintPage {
    title: String,
    choice: DayChoice,
    actions: bool,
    rows: Vec<Row>,
    summary: Summary,
    printed_by: String,
}

#[derive(Template)]
#[template(path = "admin/day_choice_error.html")]
struct ChoiceErrorPage {
    chrome: render::Chrome,
    path: &'static str,
    jour: String,
    error: String,
}

/// The answer to a choice that could not be made (a wrong date: the chooser with the error
/// tied to its field; another structure's activity: not found).
pub fn choice_error(
    staff: &PageStaff,
    title: &str,
    current: &'static str,
    path: &'static str,
    e: ChoiceError,
) -> PageResult {
    match e {
        ChoiceError::BadDate(text) => Ok(render::page_with_status(
            StatusCode::BAD_REQUEST,
            &ChoiceErrorPage {
                chrome: staff.chrome(title, current),
                path,
                jour: text.clone(),
                error: format!(
                    "« {text} » n'est pas une date : choisissez le jour dans le calendrier."
                ),
            },
        )),
        ChoiceError::UnknownActivity => Ok(render::not_found()),
        ChoiceError::Failed(e) => Err(e.into()),
    }
}

async fn rows_for(
    state: &AppState,
    staff: &PageStaff,
    choice: &DayChoice,
) -> Result<Vec<Row>, render::PageError> {
    let children =
        expected_children(state, &staff.staff(), choice.day, &choice.activity_id).await?;
    let mut by_family: BTreeMap<String, BTreeMap<String, Contacts>> = BTreeMap::new();
    for c in &children {
        if !by_family.contains_key(&c.family_id) {
            by_family.insert(c.family_id.clone(), contacts_of(state, &c.family_id).await?);
        }
    }
    let none = Contacts::default();
    Ok(children
        .iter()
        .map(|c| {
            let contacts = by_family
                .get(&c.family_id)
                .and_then(|f| f.get(&c.child_id))
                .unwrap_or(&none);
            row_of(c, contacts)
        })
        .collect())
}

/// The first phone number of an adult: mobile, then home, then work.
fn first_phone(mobile: String, home: String, work: String) -> Option<String> {
    [mobile, home, work]
        .into_iter()
        .map(|p| p.trim().to_string())
        .find(|p| !p.is_empty())
}

/// Who may pick up each child of a family (by child id) and whom to call, from the
/// family's dossier: its adults' roles and the children's "may leave alone".
pub async fn contacts_of(
    state: &AppState,
    family_id: &str,
) -> Result<BTreeMap<String, Contacts>, sqlx::Error> {
    let adults = sqlx::query(
        "SELECT first_name, last_name, mobile_phone, home_phone, work_phone, may_pick_up, \
         emergency_contact FROM adults WHERE family_id = $1 \
         ORDER BY legal_guardian DESC, last_name, first_name, adult_id",
    )
    .bind(family_id)
    .fetch_all(&state.db.pool)
    .await?;
    let mut shared = Contacts::default();
    for a in &adults {
        let name = format!(
            "{} {}",
            a.try_get::<String, _>("first_name")?.trim(),
            a.try_get::<String, _>("last_name")?.trim()
        )
        .trim()
        .to_string();
        if a.try_get::<i64, _>("may_pick_up")? != 0 {
            shared.pick_up.push(name.clone());
        }
        if a.try_get::<i64, _>("emergency_contact")? != 0 {
            let phone = first_phone(
                a.try_get("mobile_phone")?,
                a.try_get("home_phone")?,
                a.try_get("work_phone")?,
            );
            shared.emergency.push(match phone {
                Some(p) => format!("{name} {p}"),
                None => format!("{name} (sans numéro)"),
            });
        }
    }
    let children =
        sqlx::query("SELECT child_id, may_leave_alone FROM children WHERE family_id = $1")
            .bind(family_id)
            .fetch_all(&state.db.pool)
            .await?;
    let mut out = BTreeMap::new();
    for c in &children {
        out.insert(
            c.try_get::<String, _>("child_id")?,
            Contacts {
                may_leave_alone: c.try_get::<i64, _>("may_leave_alone")? != 0,
                ..shared.clone()
            },
        );
    }
    Ok(out)
}

/// After a decision on a booking: whose, and what it was.
async fn decision_notice(
    state: &AppState,
    staff: &PageStaff,
    q: &DayQuery,
) -> Result<Option<String>, render::PageError> {
    let what = match q.fait.as_deref() {
        Some("refus") => "refusée",
        Some("acceptation") => "acceptée",
        _ => return Ok(None),
    };
    let row = sqlx::query(
        "SELECT c.first_name, c.last_name FROM children c JOIN families f \
         ON f.id = c.family_id WHERE c.child_id = $1 AND f.structure_id = $2",
    )
    .bind(q.enfant.as_deref().unwrap_or_default())
    .bind(staff.0.session.structure_id.as_str())
    .fetch_optional(&state.db.pool)
    .await?;
    let whose = match row {
        Some(r) => format!(
            " pour {} {}",
            r.try_get::<String, _>("first_name")?,
            r.try_get::<String, _>("last_name")?
        ),
        None => String::new(),
    };
    Ok(Some(format!(
        "Réservation {what}{whose} : la famille verra la décision et son motif à la \
         prochaine synchronisation de son téléphone."
    )))
}

/// GET /admin/listes?jour=&activite=
pub async fn page(
    State(state): State<AppState>,
    staff: PageStaff,
    Query(q): Query<DayQuery>,
) -> PageResult {
    let choice = match day_choice::choose(&state, &staff.0.session.structure_id, &q).await {
        Ok(c) => c,
        Err(e) => return choice_error(&staff, "Listes du jour", "listes", "/admin/listes", e),
    };
    let rows = rows_for(&state, &staff, &choice).await?;
    let summary = summary_of(&rows);
    Ok(render::page(&ListPage {
        chrome: staff.chrome("Listes du jour", "listes"),
        notice: decision_notice(&state, &staff, &q).await?,
        actions: true,
        choice,
        rows,
        summary,
    }))
}

/// GET /admin/listes/imprimer?jour=&activite= : the list alone, for paper.
pub async fn print(
    State(state): State<AppState>,
    staff: PageStaff,
    Query(q): Query<DayQuery>,
) -> PageResult {
    let choice = match day_choice::choose(&state, &staff.0.session.structure_id, &q).await {
        Ok(c) => c,
        Err(e) => return choice_error(&staff, "Listes du jour", "listes", "/admin/listes", e),
    };
    let rows = rows_for(&state, &staff, &choice).await?;
    let summary = summary_of(&rows);
    Ok(render::page(&PrintPage {
        title: format!("{}, {}", choice.activity_name, choice.day_text),
        printed_by: format!(
            "{}, {}, le {}",
            staff.0.account.display_name,
            staff.0.structure_name,
            super::format::instant(state.clock.now().as_millisecond())
        ),
        choice,
        actions: false,
        rows,
        summary,
    }))
}

/// A CSV field: quoted when it holds a separator, a quote or a line break; a leading
/// character a spreadsheet would read as a formula is neutralised.
pub fn csv_field(text: &str) -> String {
    let mut t = text.replace(['\r', '\n'], " ");
    if t.starts_with(['=', '+', '-', '@', '\t']) {
        t.insert(0, '\'');
    }
    if t.contains([';', '"', ',']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t
    }
}

/// The list as CSV: a header line, one line per child, CRLF endings (the byte order mark is
/// added by [`csv_download`]).
pub fn csv_of(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "Nom;Prénom;Classe;Famille;Régime;Allergies;PAI;Remarque;\
         Peut récupérer l'enfant;Contacts d'urgence\r\n",
    );
    for r in rows {
        let fields = [
            r.last_name.as_str(),
            r.first_name.as_str(),
            r.class.as_str(),
            r.family_name.as_str(),
            r.diet.as_str(),
            r.allergies.as_str(),
            if r.pai { "Oui" } else { "Non" },
            r.remark.as_str(),
            r.pick_up.as_str(),
            r.emergency.as_str(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(";"),
        );
        out.push_str("\r\n");
    }
    out
}

/// Letters, digits and dashes of `text`, for a file name.
fn file_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// GET /admin/listes/telecharger?jour=&activite= : the list as a CSV file.
pub async fn download(
    State(state): State<AppState>,
    staff: PageStaff,
    Query(q): Query<DayQuery>,
) -> PageResult {
    let choice = match day_choice::choose(&state, &staff.0.session.structure_id, &q).await {
        Ok(c) => c,
        Err(e) => return choice_error(&staff, "Listes du jour", "listes", "/admin/listes", e),
    };
    let rows = rows_for(&state, &staff, &choice).await?;
    let name = format!(
        "liste-{}-{}.csv",
        file_part(&choice.activity_id),
        choice.iso
    );
    Ok(csv_download(&name, &csv_of(&rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(last: &str, diet: &str, allergies: &[&str], pai: bool, absent: bool) -> ExpectedChild {
        ExpectedChild {
            family_id: "f".into(),
            family_name: format!("Famille {last}"),
            child_id: last.into(),
            first_name: "Léa".into(),
            last_name: last.into(),
            class: "CM1".into(),
            diet: diet.into(),
            allergies: allergies.iter().map(|a| a.to_string()).collect(),
            pai,
            outcome: "accepted".into(),
            absent,
        }
    }

    #[test]
    fn the_kitchen_reads_diets_allergies_and_pai_in_words() {
        let rows: Vec<Row> = [
            child("Martin", "sans_porc", &["arachide", " kiwi "], true, false),
            child("Benali", "vegetarien", &[], false, false),
            child("Durand", "sans_porc", &[], false, true),
            child("Petit", "standard", &[], false, false),
        ]
        .iter()
        .map(|c| row_of(c, &Contacts::default()))
        .collect();
        assert_eq!(rows[0].diet, "Sans porc");
        assert_eq!(rows[0].allergies, "arachide, kiwi");
        assert_eq!(rows[1].allergies, "Aucune");
        assert_eq!(rows[2].remark, "Absence signalée par la famille");
        assert!(!rows[3].special_diet);
        assert_eq!(rows[0].pick_up, "Non renseigné");
        assert_eq!(rows[0].emergency, "Non renseigné");
        let s = summary_of(&rows);
        assert_eq!((s.expected, s.absent, s.to_serve), (4, 1, 3));
        assert_eq!(s.diets, "1 sans porc, 1 végétarien");
        assert_eq!((s.allergies, s.pai), (1, 1));
    }

    #[test]
    fn the_csv_opens_in_a_french_spreadsheet() {
        let rows: Vec<Row> = [child(
            "O'Neil; \"Jr\"",
            "sans_gluten",
            &["=1+1"],
            false,
            false,
        )]
        .iter()
        .map(|c| {
            row_of(
                c,
                &Contacts {
                    pick_up: vec!["Ana Petit".into()],
                    emergency: vec!["Ana Petit 06 12 34 56 78".into(), "Luc Petit".into()],
                    may_leave_alone: true,
                },
            )
        })
        .collect();
        let csv = csv_of(&rows);
        assert!(csv.starts_with("Nom;Prénom;Classe;"));
        let line = csv.lines().nth(1).expect("a line");
        assert_eq!(
            line,
            "\"O'Neil; \"\"Jr\"\"\";Léa;CM1;\"Famille O'Neil; \"\"Jr\"\"\";Sans gluten;'=1+1;Non;;\
             \"Ana Petit, peut partir seul\";\"Ana Petit 06 12 34 56 78 ; Luc Petit\""
        );
        assert!(csv.ends_with("\r\n"));
        assert_eq!(csv_field("-5"), "'-5");
    }
}
