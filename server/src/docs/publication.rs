//! Publishing "Informations" and "Téléchargement" into the catalogue document.
//!
//! Staff's tables are the source; the catalogue carries the messages shown today and the files
//! on offer. A staff change republishes at once; the passing of days (a message starting or
//! ending) is caught by the first sync of a family of the structure on or after the day it
//! happens, using [`PublicationSchedule`], so no timer is needed and a test clock drives it.

use crate::AppState;
use crate::db::{documents, downloads, information};
use crate::error::{AppError, AppResult};
use cartable_domain::DocKind;
use cartable_domain::calendar::paris_date;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::information::{Download, Information, is_shown, next_change};
use jiff::civil::Date;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// A schedule entry older than this is checked again (another server process sharing the
/// database may have published since).
const RECHECK_MS: i64 = 5 * 60 * 1000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// First day on which what is shown changes; `None`: no change planned.
    next: Option<Date>,
    checked_at_ms: i64,
}

/// Per structure, when its published messages must next be refreshed.
#[derive(Debug, Default)]
pub struct PublicationSchedule {
    entries: Mutex<HashMap<String, Entry>>,
    /// Held by the sync that refreshes, so the day's first syncs do not all refresh at once.
    refreshing: tokio::sync::Mutex<()>,
}

impl PublicationSchedule {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True when the structure's publication may be out of date at `now`.
    pub fn due(&self, structure_id: &str, now: jiff::Timestamp) -> bool {
        match self.entries().get(structure_id) {
            None => true,
            Some(e) => {
                now.as_millisecond() - e.checked_at_ms >= RECHECK_MS
                    || e.next.is_some_and(|next| paris_date(now) >= next)
            }
        }
    }

    fn set(&self, structure_id: &str, entry: Entry) {
        self.entries().insert(structure_id.to_string(), entry);
    }

    fn forget(&self, structure_id: &str) {
        self.entries().remove(structure_id);
    }
}

/// What families should see today.
fn published(
    messages: &[information::Message],
    files: &[downloads::StoredDownload],
    today: Date,
) -> (BTreeMap<String, Information>, BTreeMap<String, Download>) {
    let shown = messages
        .iter()
        .filter(|m| {
            is_shown(
                &m.published_from,
                m.published_until.as_deref().unwrap_or(""),
                today,
            )
        })
        .map(|m| {
            (
                m.id.clone(),
                Information {
                    title: m.title.clone(),
                    body: m.body.clone(),
                    published_from: m.published_from.clone(),
                    published_until: m.published_until.clone().unwrap_or_default(),
                    updated_at_ms: m.updated_at_ms,
                },
            )
        })
        .collect();
    let offered = files
        .iter()
        .map(|f| (f.id.clone(), f.download.clone()))
        .collect();
    (shown, offered)
}

/// Writes today's messages and the files on offer into the structure's catalogue (nothing is
/// written when they did not change). Tables are read under the catalogue's write lock, so
/// two refreshes never publish an older state over a newer one.
pub async fn refresh(state: &AppState, structure_id: &str) -> AppResult<()> {
    let now = state.clock.now();
    let row = {
        let mut conn = state.db.pool.acquire().await?;
        documents::structure_document(
            &mut conn,
            &cartable_domain::ids::StructureId::from(structure_id),
            DocKind::Catalogue,
        )
        .await?
    };
    let Some(doc_id) = row.map(|r| r.id) else {
        // A structure without a catalogue has nothing to publish into.
        return Ok(());
    };
    let today = paris_date(now);
    let mut write = state.docs.begin_write(&state.db, &doc_id).await?;
    let (conn, doc) = write.parts().await?;
    let messages = information::of_structure(conn, structure_id).await?;
    let files = downloads::of_structure(conn, structure_id).await?;
    let (shown, offered) = published(&messages, &files, today);
    let mut catalogue: Catalogue = autosurgeon::hydrate(&*doc)
        .map_err(|e| AppError::internal(format!("catalogue illisible : {e}")))?;
    if catalogue.information != shown || catalogue.downloads != offered {
        catalogue.information = shown;
        catalogue.downloads = offered;
        autosurgeon::reconcile(doc, &catalogue)
            .map_err(|e| AppError::internal(format!("écriture du catalogue : {e}")))?;
    }
    write.commit(state.settings.compaction_threshold).await?;
    let next = next_change(
        messages.iter().map(|m| {
            (
                m.published_from.as_str(),
                m.published_until.as_deref().unwrap_or(""),
            )
        }),
        today,
    );
    state.publication.set(
        structure_id,
        Entry {
            next,
            checked_at_ms: now.as_millisecond(),
        },
    );
    Ok(())
}

/// [`refresh`] after a staff change that is already stored: a failure is logged and the next
/// sync of a family of the structure tries again, so staff are not told their change failed.
pub async fn republish(state: &AppState, structure_id: &str) {
    if let Err(e) = refresh(state, structure_id).await {
        tracing::error!(error = %e, structure_id, "information not republished; next sync retries");
        state.publication.forget(structure_id);
    }
}

/// [`refresh`] when the schedule says what is shown may have changed; true when this call
/// refreshed.
pub async fn refresh_if_due(state: &AppState, structure_id: &str) -> AppResult<bool> {
    if !state.publication.due(structure_id, state.clock.now()) {
        return Ok(false);
    }
    // Boxed: every sync awaits this function, and the refresh's state would otherwise sit
    // inline in every sync's future although it runs about once a day.
    Box::pin(refresh_once(state, structure_id)).await
}

async fn refresh_once(state: &AppState, structure_id: &str) -> AppResult<bool> {
    let _one_at_a_time = state.publication.refreshing.lock().await;
    // Another sync may have refreshed while this one waited.
    if !state.publication.due(structure_id, state.clock.now()) {
        return Ok(false);
    }
    refresh(state, structure_id).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn message(id: &str, from: &str, until: Option<&str>) -> information::Message {
        information::Message {
            id: id.into(),
            title: format!("Titre {id}"),
            body: "Texte".into(),
            published_from: from.into(),
            published_until: until.map(String::from),
            created_by: "staff".into(),
            created_at_ms: 1,
            updated_by: "staff".into(),
            updated_at_ms: 2,
        }
    }

    #[test]
    fn only_messages_of_the_day_are_published_with_every_file() {
        let messages = [
            message("past", "2026-11-01", Some("2026-11-20")),
            message("now", "2026-11-20", None),
            message("later", "2026-12-01", Some("2026-12-18")),
        ];
        let (shown, offered) = published(&messages, &[], date(2026, 11, 25));
        assert_eq!(shown.keys().collect::<Vec<_>>(), ["now"]);
        assert_eq!(shown["now"].updated_at_ms, 2);
        assert!(offered.is_empty());
    }

    #[test]
    fn the_schedule_is_due_when_unknown_on_the_next_change_or_after_a_while() {
        let schedule = PublicationSchedule::default();
        let at = |s: &str| -> jiff::Timestamp {
            s.parse::<jiff::civil::DateTime>()
                .and_then(|d| d.in_tz("Europe/Paris"))
                .map(|z| z.timestamp())
                .expect("instant")
        };
        let now = at("2026-11-25T10:00");
        assert!(schedule.due("s", now));
        schedule.set(
            "s",
            Entry {
                next: Some(date(2026, 11, 26)),
                checked_at_ms: now.as_millisecond(),
            },
        );
        assert!(!schedule.due("s", at("2026-11-25T10:01")));
        assert!(schedule.due("s", at("2026-11-25T10:06")));
        assert!(schedule.due("s", at("2026-11-26T00:00")));
        assert!(schedule.due("other", now));
    }
}
