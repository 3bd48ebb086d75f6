//! Login throttling that cannot be raced and cannot lock people out.
//!
//! - Every attempt is counted *before* its password is checked (one atomic write, see
//!   [`crate::db::login_attempts`]), so thirty guesses sent at once meet the same limit as
//!   thirty in a row; a successful attempt is then taken back, so only failures remain.
//! - An unknown device counts against the login name (`login_attempts` per window) and its
//!   address (`login_ip_attempts`). A device that signed in to that account before presents
//!   the proof it was given then (`known_device`) and counts against that proof alone: someone
//!   else hammering the login name cannot lock the parent's own phone out.
//! - The counters live in the database, so the limits hold across server processes.
//! - A refusal says when to come back (`Retry-After`).

use crate::AppState;
use crate::db::login_attempts::{self, Count};
use crate::error::AppResult;
use std::net::IpAddr;

/// A key and its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub key: String,
    pub max: i64,
}

/// The keys an attempt counts against.
pub fn limits(state: &AppState, login: &str, ip: IpAddr, known_device: Option<&str>) -> Vec<Limit> {
    let s = &state.settings;
    match known_device {
        Some(proof_hash) => vec![Limit {
            key: format!("known:{proof_hash}"),
            max: i64::from(s.login_attempts),
        }],
        None => vec![
            Limit {
                key: format!("login:{login}"),
                max: i64::from(s.login_attempts),
            },
            Limit {
                key: format!("ip:{ip}"),
                max: i64::from(s.login_ip_attempts),
            },
        ],
    }
}

/// An attempt that was allowed to check its password.
#[derive(Debug)]
pub struct Attempt {
    counted: Vec<(String, i64)>,
}

/// What counting an attempt decided.
#[derive(Debug)]
pub enum Verdict {
    Allowed(Attempt),
    /// Over a limit: retry after this many seconds.
    Refused {
        retry_after_secs: u64,
    },
}

fn window_ms(state: &AppState) -> i64 {
    i64::try_from(state.settings.login_window_secs.max(1).saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Counts one attempt against every limit; refused when any is over.
pub async fn attempt(state: &AppState, limits: &[Limit]) -> AppResult<Verdict> {
    let now = state.clock.now().as_millisecond();
    let window = window_ms(state);
    let keys: Vec<&str> = limits.iter().map(|l| l.key.as_str()).collect();
    let counts = login_attempts::count(&state.db, &keys, now, window).await?;
    let mut retry_after_ms: Option<i64> = None;
    for (
        limit,
        Count {
            attempts,
            window_start_ms,
        },
    ) in limits.iter().zip(&counts)
    {
        if *attempts > limit.max {
            let wait = (window_start_ms + window - now).max(1000);
            retry_after_ms = Some(retry_after_ms.map_or(wait, |w| w.max(wait)));
        }
    }
    Ok(match retry_after_ms {
        Some(ms) => Verdict::Refused {
            retry_after_secs: u64::try_from(ms).map_or(1, |ms| ms.div_ceil(1000)),
        },
        None => Verdict::Allowed(Attempt {
            counted: limits
                .iter()
                .zip(&counts)
                .map(|(l, c)| (l.key.clone(), c.window_start_ms))
                .collect(),
        }),
    })
}

/// The password was right: the attempt is not a failure.
pub async fn succeeded(state: &AppState, attempt: Attempt) -> AppResult<()> {
    let keys: Vec<(&str, i64)> = attempt
        .counted
        .iter()
        .map(|(k, w)| (k.as_str(), *w))
        .collect();
    login_attempts::forgive(&state.db, &keys).await?;
    Ok(())
}
