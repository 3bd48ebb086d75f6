//! What to do after an attempt to hand a message to a push service, as a pure function of
//! the answer, the attempt count and the clock, so it is tested without a network.

use std::time::Duration;

/// How a push service answered one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 2xx: the push service has it.
    Accepted,
    /// 404 or 410: the subscription no longer exists.
    Gone(u16),
    /// 429, with the `Retry-After` it asked for, if any.
    TooManyRequests(Option<Duration>),
    /// 5xx, with its `Retry-After`, if any.
    ServerError(u16, Option<Duration>),
    /// The request did not complete (connection refused, reset, timeout).
    Network(String),
    /// Any other answer (400, 401, 403, 413...): retrying would not help.
    Rejected(u16),
}

/// What becomes of the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Sent,
    /// Delete the subscription (and end its waiting deliveries).
    Gone,
    /// Try again at this instant (ms).
    RetryAt(i64),
    /// The time to live has passed before the message could be handed over.
    Expired,
    /// Not retried; logged and counted with its status.
    Rejected,
}

/// Backoff settings.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base_ms: i64,
    pub max_ms: i64,
}

impl Backoff {
    /// The delay before attempt `attempts + 1`: exponential from `base_ms`, capped at
    /// `max_ms`, with "equal jitter" (half fixed, half random from `unit` in [0, 1)), so
    /// devices failing together do not all come back at once.
    pub fn delay_ms(&self, attempts: u32, unit: f64) -> i64 {
        let exp = self
            .base_ms
            .saturating_mul(1i64 << attempts.saturating_sub(1).min(30))
            .min(self.max_ms)
            .max(1);
        let half = exp / 2;
        half + ((exp - half) as f64 * unit.clamp(0.0, 1.0)) as i64
    }
}

/// Decides what follows `answer`, given the attempts made so far (this one included), the
/// instant now, when the message expires, and a random `unit` in [0, 1) for the jitter.
pub fn next(
    answer: &Answer,
    attempts: u32,
    now_ms: i64,
    expires_at_ms: i64,
    backoff: Backoff,
    unit: f64,
) -> Next {
    let retry_at = |at: i64| {
        if at >= expires_at_ms {
            Next::Expired
        } else {
            Next::RetryAt(at)
        }
    };
    match answer {
        Answer::Accepted => Next::Sent,
        Answer::Gone(_) => Next::Gone,
        Answer::Rejected(_) => Next::Rejected,
        Answer::TooManyRequests(Some(wait)) | Answer::ServerError(_, Some(wait)) => {
            let wait = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
            retry_at(now_ms.saturating_add(wait.max(backoff.delay_ms(1, 0.0))))
        }
        Answer::TooManyRequests(None) | Answer::ServerError(_, None) | Answer::Network(_) => {
            retry_at(now_ms.saturating_add(backoff.delay_ms(attempts, unit)))
        }
    }
}

/// Reads a `Retry-After` header: a number of seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let ms = at.as_millisecond() - now.as_millisecond();
    Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff {
        base_ms: 1_000,
        max_ms: 60_000,
    };

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_cap() {
        assert_eq!(B.delay_ms(1, 0.0), 500);
        assert_eq!(B.delay_ms(1, 0.999_999), 999);
        assert_eq!(B.delay_ms(2, 0.0), 1_000);
        assert_eq!(B.delay_ms(4, 0.0), 4_000);
        assert_eq!(B.delay_ms(40, 0.0), 30_000);
        assert!(B.delay_ms(40, 0.999) < 60_000);
    }

    #[test]
    fn a_server_error_is_retried_until_the_time_to_live() {
        let net = Answer::ServerError(503, None);
        assert_eq!(next(&net, 1, 0, 10_000, B, 0.0), Next::RetryAt(500));
        assert_eq!(next(&net, 2, 8_000, 10_000, B, 0.0), Next::RetryAt(9_000));
        assert_eq!(next(&net, 3, 8_000, 10_000, B, 0.0), Next::Expired);
        assert_eq!(next(&net, 5, 9_000, 10_000, B, 0.0), Next::Expired);
        assert_eq!(
            next(&Answer::Network("refused".into()), 1, 0, 10_000, B, 0.0),
            Next::RetryAt(500)
        );
    }

    #[test]
    fn retry_after_is_honoured_and_gone_or_rejected_are_final() {
        let wait = Answer::TooManyRequests(Some(Duration::from_secs(5)));
        assert_eq!(next(&wait, 1, 1_000, 60_000, B, 0.9), Next::RetryAt(6_000));
        assert_eq!(next(&wait, 1, 1_000, 4_000, B, 0.9), Next::Expired);
        assert_eq!(next(&Answer::Gone(410), 1, 0, 1, B, 0.0), Next::Gone);
        assert_eq!(
            next(&Answer::Rejected(413), 1, 0, 1, B, 0.0),
            Next::Rejected
        );
        assert_eq!(next(&Answer::Accepted, 1, 0, 1, B, 0.0), Next::Sent);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now: jiff::Timestamp = "2026-11-30T10:00:00Z".parse().expect("instant");
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Mon, 30 Nov 2026 10:01:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
