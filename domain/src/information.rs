//! "Informations" and "Téléchargement": short messages and files the structure publishes for
//! every family.
//!
//! Staff keep them in relational tables; the catalogue document carries the published image
//! (messages shown today, files on offer), so families read them offline.

use autosurgeon::{Hydrate, Reconcile};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;
/// Longest download description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;

/// A message as families receive it.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Information {
    pub title: String,
    /// Plain text; paragraphs separated by blank lines.
    pub body: String,
    /// First day it is shown (ISO date, Europe/Paris).
    pub published_from: String,
    /// Last day it is shown (ISO date, inclusive); empty means until withdrawn.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub published_until: String,
    /// Last time staff changed it (ms since the Unix epoch): a changed message is unread again.
    pub updated_at_ms: i64,
}

impl Information {
    /// True when the message is shown on `day`. Unreadable dates count as not shown.
    pub fn shown_on(&self, day: Date) -> bool {
        is_shown(&self.published_from, &self.published_until, day)
    }
}

/// True when a message published from `from` until `until` (inclusive; empty = no end) is
/// shown on `day`.
pub fn is_shown(from: &str, until: &str, day: Date) -> bool {
    let Ok(from) = from.parse::<Date>() else {
        return false;
    };
    if day < from {
        return false;
    }
    until.is_empty() || until.parse::<Date>().is_ok_and(|until| day <= until)
}

/// The first day after `today` on which the set of messages shown changes (a message starts
/// or ends), if any.
pub fn next_change<'a>(
    windows: impl IntoIterator<Item = (&'a str, &'a str)>,
    today: Date,
) -> Option<Date> {
    windows
        .into_iter()
        .flat_map(|(from, until)| {
            let start = from.parse::<Date>().ok();
            let end = until.parse::<Date>().ok().and_then(|d| d.tomorrow().ok());
            [start, end]
        })
        .flatten()
        .filter(|d| *d > today)
        .min()
}

/// A file staff offer to every family (rules, menus, forms).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Download {
    pub title: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub description: String,
    /// Sanitised name, used when saving the file.
    pub file_name: String,
    /// From the content: application/pdf, image/jpeg or image/png.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content: a cached copy is checked against it.
    pub sha256: String,
    pub published_at_ms: i64,
}

/// Messages shown on `day`, from all of a structure's messages.
pub fn shown_on(all: &BTreeMap<String, Information>, day: Date) -> BTreeMap<String, Information> {
    all.iter()
        .filter(|(_, m)| m.shown_on(day))
        .map(|(id, m)| (id.clone(), m.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn message(from: &str, until: &str) -> Information {
        Information {
            title: "Menu de Noël".into(),
            body: "Repas de fête le 18 décembre.".into(),
            published_from: from.into(),
            published_until: until.into(),
            updated_at_ms: 1,
        }
    }

    #[test]
    fn a_message_is_shown_from_its_first_day_to_its_last_inclusive() {
        let m = message("2026-12-01", "2026-12-18");
        assert!(!m.shown_on(date(2026, 11, 30)));
        assert!(m.shown_on(date(2026, 12, 1)));
        assert!(m.shown_on(date(2026, 12, 18)));
        assert!(!m.shown_on(date(2026, 12, 19)));
        assert!(message("2026-12-01", "").shown_on(date(2030, 1, 1)));
        assert!(!message("demain", "").shown_on(date(2030, 1, 1)));
        assert!(!message("2026-12-01", "bientôt").shown_on(date(2026, 12, 2)));
    }

    #[test]
    fn the_next_change_is_the_nearest_start_or_day_after_an_end() {
        let windows = [("2026-12-01", "2026-12-18"), ("2026-11-01", "2026-11-27")];
        assert_eq!(
            next_change(windows, date(2026, 11, 25)),
            Some(date(2026, 11, 28))
        );
        assert_eq!(
            next_change(windows, date(2026, 11, 28)),
            Some(date(2026, 12, 1))
        );
        assert_eq!(
            next_change(windows, date(2026, 12, 5)),
            Some(date(2026, 12, 19))
        );
        assert_eq!(next_change(windows, date(2026, 12, 19)), None);
    }

    #[test]
    fn only_messages_shown_that_day_are_kept() {
        let mut all = BTreeMap::new();
        all.insert("a".to_string(), message("2026-12-01", ""));
        all.insert("b".to_string(), message("2027-01-04", ""));
        let shown = shown_on(&all, date(2026, 12, 2));
        assert_eq!(shown.keys().collect::<Vec<_>>(), ["a"]);
    }
}
