//! The day and activity a daily list or an attendance sheet is about, as chosen in the
//! pages' address (`?jour=AAAA-MM-JJ&activite=…`): today and the first activity that runs
//! that day unless said otherwise.

use super::format;
use crate::AppState;
use crate::docs::catalogue;
use crate::error::AppError;
use cartable_domain::calendar::paris_date;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::ids::StructureId;
use jiff::civil::Date;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    pub jour: Option<String>,
    #[serde(default)]
    pub activite: Option<String>,
    /// What the last form did, for the notice shown after it.
    #[serde(default)]
    pub fait: Option<String>,
    #[serde(default)]
    pub nombre: Option<u64>,
    /// The child the last form was about.
    #[serde(default)]
    pub enfant: Option<String>,
}

/// An activity in the chooser.
pub struct ActivityOption {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// The chosen day and activity.
pub struct DayChoice {
    pub day: Date,
    /// "AAAA-MM-JJ", the date field's value.
    pub iso: String,
    /// "lundi 7 décembre 2026".
    pub day_text: String,
    pub activity_id: String,
    pub activity_name: String,
    pub options: Vec<ActivityOption>,
    /// Why the activity does not take place that day (closure, weekday), if so.
    pub not_running: Option<String>,
    /// `jour=…&activite=…`, URL-encoded, for links.
    pub query: String,
}

/// Why a choice could not be made.
pub enum ChoiceError {
    /// The date field's text is not a date: the page says so next to the field.
    BadDate(String),
    /// An activity that is not the structure's.
    UnknownActivity,
    Failed(AppError),
}

impl From<AppError> for ChoiceError {
    fn from(e: AppError) -> Self {
        ChoiceError::Failed(e)
    }
}

/// `jour=…&activite=…` for `day` and `activity_id`, URL-encoded.
pub fn query_of(day: &str, activity_id: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("jour", day)
        .append_pair("activite", activity_id)
        .finish()
}

fn weekday_name(iso: i8) -> &'static str {
    match iso {
        1 => "le lundi",
        2 => "le mardi",
        3 => "le mercredi",
        4 => "le jeudi",
        5 => "le vendredi",
        6 => "le samedi",
        _ => "le dimanche",
    }
}

/// Why `activity_id` does not take place on `day`, if it does not.
pub fn not_running(catalogue: &Catalogue, activity_id: &str, day: Date) -> Option<String> {
    let activity = catalogue.activities.get(activity_id)?;
    let iso = day.weekday().to_monday_one_offset();
    let iso_day = day.to_string();
    for c in &catalogue.closures {
        let concerned = c.activities.is_empty() || c.activities.iter().any(|a| a == activity_id);
        if concerned && c.from.as_str() <= iso_day.as_str() && iso_day.as_str() <= c.to.as_str() {
            return Some(format!("Jour de fermeture : {}.", c.label));
        }
    }
    if !activity
        .weekdays
        .iter()
        .any(|w| i8::try_from(*w) == Ok(iso))
    {
        return Some(format!(
            "{} n'a pas lieu {}.",
            activity.name,
            weekday_name(iso)
        ));
    }
    None
}

/// The day and activity of `q` in the structure's catalogue.
pub async fn choose(
    state: &AppState,
    structure_id: &StructureId,
    q: &DayQuery,
) -> Result<DayChoice, ChoiceError> {
    let catalogue = catalogue::read(state, structure_id).await?;
    let day = match q.jour.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => paris_date(state.clock.now()),
        Some(text) => text
            .parse::<Date>()
            .map_err(|_| ChoiceError::BadDate(cartable_domain::text::shown(text, 40)))?,
    };
    let iso = day.weekday().to_monday_one_offset();
    let activity_id = match q.activite.as_deref().filter(|s| !s.is_empty()) {
        Some(id) if catalogue.activities.contains_key(id) => id.to_string(),
        Some(_) => return Err(ChoiceError::UnknownActivity),
        None => catalogue
            .activities
            .iter()
            .find(|(_, a)| a.weekdays.iter().any(|w| i8::try_from(*w) == Ok(iso)))
            .or_else(|| catalogue.activities.iter().next())
            .map(|(id, _)| id.clone())
            .ok_or(ChoiceError::UnknownActivity)?,
    };
    let options = catalogue
        .activities
        .iter()
        .map(|(id, a)| ActivityOption {
            id: id.clone(),
            name: a.name.clone(),
            selected: *id == activity_id,
        })
        .collect();
    let activity_name = catalogue
        .activities
        .get(&activity_id)
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let iso_text = day.to_string();
    Ok(DayChoice {
        day,
        day_text: format::date(day),
        not_running: not_running(&catalogue, &activity_id, day),
        query: query_of(&iso_text, &activity_id),
        iso: iso_text,
        activity_id,
        activity_name,
        options,
    })
}
