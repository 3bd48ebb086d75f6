//! How long a session lives: idle expiry (since its last use) and absolute lifetime (since
//! login), from the settings, shorter for staff than for families' phones.
//!
//! The server's clock decides (`AppState::clock`), never the device's. A session found
//! expired is ended at once (`devices.revoked_reason = 'expired'`) and answers 401, so it also
//! leaves the device lists. Use refreshes the idle expiry: `last_seen_ms` is written at most
//! every [`touch_interval_ms`], a small fraction of the idle limit.

use crate::db::accounts::DeviceSession;
use crate::settings::Settings;
use cartable_domain::roles::Role;

/// Limits of one kind of session, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub idle_ms: i64,
    pub max_ms: i64,
}

/// Why a session is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Unused for longer than the idle limit.
    Idle,
    /// Older than the absolute lifetime.
    Absolute,
}

fn ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// True for the roles of staff accounts.
pub fn is_staff_role(role: Role) -> bool {
    role.is_staff()
}

/// The limits of sessions of accounts with `role`.
pub fn lifetime(settings: &Settings, role: Role) -> Lifetime {
    if is_staff_role(role) {
        Lifetime {
            idle_ms: ms(settings.staff_session_idle_secs),
            max_ms: ms(settings.staff_session_max_secs),
        }
    } else {
        Lifetime {
            idle_ms: ms(settings.family_session_idle_secs),
            max_ms: ms(settings.family_session_max_secs),
        }
    }
}

impl Lifetime {
    fn last_use(created_at_ms: i64, last_seen_ms: Option<i64>) -> i64 {
        last_seen_ms.unwrap_or(created_at_ms).max(created_at_ms)
    }

    /// When a session created at `created_at_ms` and last used at `last_seen_ms` ends unless
    /// it is used again.
    pub fn expires_at_ms(&self, created_at_ms: i64, last_seen_ms: Option<i64>) -> i64 {
        let idle_end = Self::last_use(created_at_ms, last_seen_ms).saturating_add(self.idle_ms);
        let absolute_end = created_at_ms.saturating_add(self.max_ms);
        idle_end.min(absolute_end)
    }

    /// Whether the session is over at `now_ms`, and why.
    pub fn expired(
        &self,
        created_at_ms: i64,
        last_seen_ms: Option<i64>,
        now_ms: i64,
    ) -> Option<Expiry> {
        if now_ms >= created_at_ms.saturating_add(self.max_ms) {
            Some(Expiry::Absolute)
        } else if now_ms >= Self::last_use(created_at_ms, last_seen_ms).saturating_add(self.idle_ms)
        {
            Some(Expiry::Idle)
        } else {
            None
        }
    }
}

/// Whether `session` is over at `now_ms` under `settings`.
pub fn session_expired(
    settings: &Settings,
    session: &DeviceSession,
    now_ms: i64,
) -> Option<Expiry> {
    lifetime(settings, session.role).expired(session.created_at_ms, session.last_seen_ms, now_ms)
}

/// How often a session's last use is written: every five minutes, or a tenth of the idle
/// limit when that is shorter, so idle expiry is never off by more than that.
pub fn touch_interval_ms(lifetime: &Lifetime) -> i64 {
    (lifetime.idle_ms / 10).clamp(1000, 5 * 60 * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60 * 1000;

    #[test]
    fn staff_sessions_are_shorter_than_families() {
        let s = Settings::default();
        let staff = lifetime(&s, Role::StaffAgent);
        let family = lifetime(&s, Role::Parent);
        assert!(staff.idle_ms < family.idle_ms);
        assert!(staff.max_ms < family.max_ms);
        assert_eq!(lifetime(&s, Role::StaffAdmin), staff);
    }

    #[test]
    fn use_postpones_idle_expiry_but_not_the_absolute_end() {
        let l = Lifetime {
            idle_ms: 30 * MIN,
            max_ms: 12 * 60 * MIN,
        };
        assert_eq!(l.expired(0, None, 29 * MIN), None);
        assert_eq!(l.expired(0, None, 30 * MIN), Some(Expiry::Idle));
        assert_eq!(l.expired(0, Some(20 * MIN), 45 * MIN), None);
        assert_eq!(l.expires_at_ms(0, Some(20 * MIN)), 50 * MIN);
        // Used a minute ago, but logged in twelve hours ago.
        assert_eq!(
            l.expired(0, Some(12 * 60 * MIN - MIN), 12 * 60 * MIN),
            Some(Expiry::Absolute)
        );
        assert_eq!(l.expires_at_ms(0, Some(12 * 60 * MIN - MIN)), 12 * 60 * MIN);
    }

    #[test]
    fn a_last_use_before_login_counts_as_the_login() {
        let l = Lifetime {
            idle_ms: 10,
            max_ms: 100,
        };
        assert_eq!(l.expires_at_ms(50, Some(0)), 60);
    }

    #[test]
    fn touches_are_frequent_enough_for_short_idle_limits() {
        let staff = Lifetime {
            idle_ms: 30 * MIN,
            max_ms: 0,
        };
        assert_eq!(touch_interval_ms(&staff), 3 * MIN);
        let family = Lifetime {
            idle_ms: 90 * 24 * 60 * MIN,
            max_ms: 0,
        };
        assert_eq!(touch_interval_ms(&family), 5 * MIN);
    }
}
