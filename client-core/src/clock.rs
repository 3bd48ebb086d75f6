//! Device time, and the server's time as seen from the device.
//!
//! Time is the server's (deadlines are decided in Europe/Paris by the server clock), but a phone's
//! clock may be wrong. Each sync measures the offset between the two; the core shows deadlines
//! and picks the current school year with `device clock + offset`. The device clock comes in
//! through [`DeviceClock`] so tests are deterministic.

use cartable_domain::school_year::SchoolYear;
use jiff::civil::Date;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where the core reads the device's wall clock.
pub trait DeviceClock: Send + Sync {
    /// Milliseconds since the Unix epoch, as the device believes.
    fn now_ms(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl DeviceClock for SystemClock {
    fn now_ms(&self) -> i64 {
        jiff::Timestamp::now().as_millisecond()
    }
}

/// A clock that shows what it is told to; for tests and demos.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `ms`.
    pub fn new(ms: i64) -> Self {
        Self(AtomicI64::new(ms))
    }
    /// Sets the time shown.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl DeviceClock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Offset to add to the device clock to get the server's, measured around one request: the
/// server stamped its answer at `server_ms`, which we take as the midpoint of the round trip.
pub fn offset_ms(sent_ms: i64, received_ms: i64, server_ms: i64) -> i64 {
    let midpoint = sent_ms + (received_ms.saturating_sub(sent_ms)) / 2;
    server_ms.saturating_sub(midpoint)
}

/// The calendar day in Europe/Paris at `ms` (the time zone is compiled in, as on the server).
pub fn paris_date(ms: i64) -> Date {
    let ts = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    cartable_domain::calendar::paris_date(ts)
}

/// The school year in progress in Europe/Paris at `ms`.
pub fn school_year_at(ms: i64) -> SchoolYear {
    SchoolYear::of(paris_date(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_takes_the_server_stamp_as_the_midpoint_of_the_round_trip() {
        // Sent at 1000, answered at 1200 (device clock); the server said 61_100.
        assert_eq!(offset_ms(1_000, 1_200, 61_100), 60_000);
        // A device clock ahead of the server gives a negative offset.
        assert_eq!(offset_ms(10_000, 10_000, 4_000), -6_000);
    }

    #[test]
    fn school_year_follows_paris_midnight_not_utc() {
        // 2026-08-31T22:30:00Z is already 1 September 00:30 in Paris (UTC+2).
        let ms = 1_788_215_400_000;
        assert_eq!(paris_date(ms).to_string(), "2026-09-01");
        assert_eq!(school_year_at(ms), SchoolYear(2026));
    }
}
