//! "Mon planning" as a grid the app draws as is (days × child × activity, every cell with
//! its state, deadlines, what a tap may do and a label), bulk bookings and absences.

use crate::error::{CartableError, Result};
use crate::planning::parse_date;
use cartable_core::domain::cells::CellState as CoreCellState;
use jiff::Timestamp;

/// The state of one cell of the grid.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CellState {
    /// Nothing asked; a tap books.
    Free,
    /// Asked on a device, not decided by the server yet (sync to know). `wanted` is false for
    /// a withdrawal waiting to be synced.
    Pending {
        /// True for a booking, false for a withdrawal.
        wanted: bool,
    },
    /// Booked.
    Accepted,
    /// The server refused the booking.
    Refused {
        /// Why, in French.
        reason: String,
    },
    /// The booking was withdrawn.
    Cancelled,
    /// The structure cancelled the booking (a closure, a staff decision): nothing billed.
    CancelledByStructure {
        /// Why, in French (e.g. "Annulé par la structure : Grève").
        reason: String,
    },
    /// A late withdrawal: the booking stays and is billed.
    KeptBillable {
        /// Why, in French.
        reason: String,
    },
    /// Nothing asked, and the booking deadlines no longer (or not yet) allow it.
    Locked {
        /// Why, in French.
        reason: String,
        /// The deadline that passed (ms since the Unix epoch), when there is one.
        deadline_ms: Option<i64>,
        /// When booking opens (ms since the Unix epoch), for a window not open yet.
        opens_ms: Option<i64>,
    },
    /// The activity does not run that day (weekday, holidays, closure).
    Closed {
        /// Why, in French ("Vacances de Noël").
        reason: String,
    },
    /// The child may not attend (age, class).
    NotEligible {
        /// Why, in French.
        reason: String,
    },
}

/// ISO weekdays as the bindings carry them (a list of `u8` would become a byte array).
pub(crate) fn weekdays_out(days: &[u8]) -> Vec<u32> {
    days.iter().copied().map(u32::from).collect()
}

/// An ISO weekday given by the app.
fn weekday_in(day: u32) -> Result<u8> {
    u8::try_from(day).map_err(|_| {
        CartableError::invalid(format!(
            "jour de la semaine invalide : {day} (1 = lundi … 7 = dimanche)"
        ))
    })
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

impl From<CoreCellState> for CellState {
    fn from(s: CoreCellState) -> Self {
        match s {
            CoreCellState::Free => CellState::Free,
            CoreCellState::Pending { wanted } => CellState::Pending { wanted },
            CoreCellState::Accepted => CellState::Accepted,
            CoreCellState::Refused { reason } => CellState::Refused { reason },
            CoreCellState::Cancelled => CellState::Cancelled,
            CoreCellState::CancelledByStructure { reason } => {
                CellState::CancelledByStructure { reason }
            }
            CoreCellState::KeptBillable { reason } => CellState::KeptBillable { reason },
            CoreCellState::Locked {
                reason,
                deadline,
                opens,
            } => CellState::Locked {
                reason,
                deadline_ms: deadline.map(ms),
                opens_ms: opens.map(ms),
            },
            CoreCellState::Closed { reason } => CellState::Closed { reason },
            CoreCellState::NotEligible { reason } => CellState::NotEligible { reason },
        }
    }
}

/// The server's answer to an absence declaration.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AbsenceOutcome {
    /// True when the absent day is still billed.
    pub billed: bool,
    /// Why, in French.
    pub reason: String,
    /// When the server decided (ms since the Unix epoch).
    pub decided_at_ms: i64,
    /// A medical note sent before this instant (ms since the Unix epoch) makes the day free.
    pub note_deadline_ms: Option<i64>,
}

/// An absence declared for a booked cell.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CellAbsence {
    /// What the parent wrote, e.g. "malade".
    pub reason: String,
    /// The supporting document sent with it, if any.
    pub document_id: Option<String>,
    /// When it was declared (device clock, ms since the Unix epoch).
    pub declared_at_ms: i64,
    /// The server's outcome; none until the next sync.
    pub outcome: Option<AbsenceOutcome>,
}

/// One cell: a child, a day, an activity.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanningCell {
    /// The child's id.
    pub child_id: String,
    /// The child's first name.
    pub child_name: String,
    /// The day, "YYYY-MM-DD".
    pub date: String,
    /// The activity's id.
    pub activity_id: String,
    /// The activity's name.
    pub activity_name: String,
    /// What to draw.
    pub state: CellState,
    /// Bookings are possible strictly before this instant (ms since the Unix epoch).
    pub booking_deadline_ms: Option<i64>,
    /// Withdrawals are free strictly before this instant (ms since the Unix epoch).
    pub cancel_deadline_ms: Option<i64>,
    /// A tap books (call `book`).
    pub can_book: bool,
    /// A tap withdraws (call `cancel`).
    pub can_cancel: bool,
    /// A withdrawal now would come after the cancellation deadline: kept and billed. Warn.
    pub cancel_billed: bool,
    /// The absence declared for this cell, if any.
    pub absence: Option<CellAbsence>,
    /// Short French label: "✓ réservé", "en attente", "refusé", "fermé", "—" (free)...
    pub label: String,
}

/// A child × activity column of the grid.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanningColumn {
    /// The child's id.
    pub child_id: String,
    /// The child's first name.
    pub child_name: String,
    /// The activity's id.
    pub activity_id: String,
    /// The activity's name.
    pub activity_name: String,
    /// ISO weekdays the activity runs on (1 = Monday).
    pub weekdays: Vec<u32>,
}

/// One day of the grid: one cell per column, in column order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanningRow {
    /// The day, "YYYY-MM-DD".
    pub date: String,
    /// True when no activity runs on this weekday (weekends, usually): a compact screen may
    /// hide the row.
    pub idle: bool,
    /// One cell per column.
    pub cells: Vec<PlanningCell>,
}

/// A screen of "Mon planning": rows are days, columns are child × activity. Computed offline
/// with the server's rules at the server's time as the phone estimates it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanningView {
    /// First day shown, "YYYY-MM-DD".
    pub from: String,
    /// Last day shown, "YYYY-MM-DD".
    pub to: String,
    /// The server time the states were computed at (ms since the Unix epoch).
    pub server_now_ms: i64,
    /// Server clock minus device clock, from the last sync.
    pub clock_offset_ms: i64,
    /// The columns, children in first-name order, each with every activity.
    pub columns: Vec<PlanningColumn>,
    /// Every day from `from` to `to`.
    pub rows: Vec<PlanningRow>,
}

impl From<cartable_core::PlanningView> for PlanningView {
    fn from(v: cartable_core::PlanningView) -> Self {
        let rows = v
            .rows
            .iter()
            .map(|r| PlanningRow {
                date: r.date.to_string(),
                idle: r.is_idle(&v.columns),
                cells: r.cells.iter().cloned().map(cell).collect(),
            })
            .collect();
        Self {
            from: v.from.to_string(),
            to: v.to.to_string(),
            server_now_ms: ms(v.server_now),
            clock_offset_ms: v.clock_offset_ms,
            columns: v
                .columns
                .into_iter()
                .map(|c| PlanningColumn {
                    child_id: c.child_id,
                    child_name: c.child_name,
                    activity_id: c.activity_id,
                    activity_name: c.activity_name,
                    weekdays: weekdays_out(&c.weekdays),
                })
                .collect(),
            rows,
        }
    }
}

fn cell(c: cartable_core::PlanningCell) -> PlanningCell {
    PlanningCell {
        child_id: c.child_id,
        child_name: c.child_name,
        date: c.date.to_string(),
        activity_id: c.activity_id,
        activity_name: c.activity_name,
        booking_deadline_ms: c.view.booking_deadline.map(ms),
        cancel_deadline_ms: c.view.cancel_deadline.map(ms),
        state: c.view.state.into(),
        can_book: c.can_book,
        can_cancel: c.can_cancel,
        cancel_billed: c.cancel_billed,
        absence: c.absence.map(|a| CellAbsence {
            reason: a.reason,
            document_id: a.document_id,
            declared_at_ms: a.declared_at_ms,
            outcome: a.outcome.map(|o| AbsenceOutcome {
                billed: o.billed,
                reason: o.reason,
                decided_at_ms: o.decided_at_ms,
                note_deadline_ms: o.note_deadline_ms,
            }),
        }),
        label: c.label,
    }
}

/// The weekdays on which to book one activity.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ActivityDays {
    /// The activity's id.
    pub activity_id: String,
    /// ISO weekdays, 1 = Monday ... 7 = Sunday.
    pub weekdays: Vec<u32>,
}

/// A weekly pattern to book (or withdraw) for some children over a period, e.g. "the canteen
/// on Mondays, Tuesdays, Thursdays and Fridays until the holidays".
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BulkBooking {
    /// Child ids.
    pub children: Vec<String>,
    /// First day, "YYYY-MM-DD".
    pub from: String,
    /// Last day (inclusive, at most a year after `from`), "YYYY-MM-DD".
    pub to: String,
    /// Activities and their weekdays.
    pub pattern: Vec<ActivityDays>,
}

impl BulkBooking {
    pub(crate) fn to_core(&self) -> Result<cartable_core::BulkBooking> {
        Ok(cartable_core::BulkBooking {
            children: self.children.clone(),
            from: parse_date(&self.from)?,
            to: parse_date(&self.to)?,
            pattern: self
                .pattern
                .iter()
                .map(|p| {
                    let weekdays = p.weekdays.iter().map(|d| weekday_in(*d));
                    Ok(cartable_core::ActivityDays::new(
                        p.activity_id.as_str(),
                        weekdays.collect::<Result<Vec<u8>>>()?,
                    ))
                })
                .collect::<Result<_>>()?,
        })
    }
}

/// A cell of a bulk edit that was not written, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SkippedCell {
    /// The child's id.
    pub child_id: String,
    /// The day, "YYYY-MM-DD".
    pub date: String,
    /// The activity's id.
    pub activity_id: String,
    /// Why, in French: the server's reason, e.g. "Fermé : Vacances de Noël".
    pub reason: String,
    /// The server's refusal cause (`closure`, `public_holiday`, `deadline`, `not_running`,
    /// `not_eligible`...); none when the phone has no planning for that school year.
    pub cause: Option<String>,
}

/// What a bulk edit wrote. Each written cell is decided by the server at the next sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BulkReport {
    /// Requests (or absence declarations) written.
    pub written: u64,
    /// Cells already as asked: nothing written.
    pub unchanged: u64,
    /// Cells not written, with the reason.
    pub skipped: Vec<SkippedCell>,
}

impl From<cartable_core::BulkReport> for BulkReport {
    fn from(r: cartable_core::BulkReport) -> Self {
        Self {
            written: r.written as u64,
            unchanged: r.unchanged as u64,
            skipped: r
                .skipped
                .into_iter()
                .map(|s| SkippedCell {
                    child_id: s.child_id,
                    date: s.date.to_string(),
                    activity_id: s.activity_id,
                    reason: s.reason,
                    cause: s.cause.map(|c| c.code().to_string()),
                })
                .collect(),
        }
    }
}
