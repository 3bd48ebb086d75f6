//! Amounts of money: integer cents, explicit rounding, French formatting.
//!
//! Every amount in Cartable is a whole number of euro cents (`i64`). A computation that may
//! give a fraction of a cent (a percentage of the quotient familial, a sibling discount) goes
//! through [`Rounding::divide`], so the rule that rounds is named in the tariff and tested.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// How a fraction of a cent becomes a whole cent.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// To the nearest cent, a half cent upwards (away from zero): 157.5 → 158, −157.5 → −158.
    #[default]
    Nearest,
    /// Towards zero (in the family's favour for a price): 157.9 → 157.
    Down,
    /// Away from zero: 157.1 → 158.
    Up,
}

impl Rounding {
    /// `numerator / denominator` rounded to a whole number. A zero denominator gives 0.
    pub fn divide(self, numerator: i128, denominator: i128) -> i64 {
        if denominator == 0 {
            return 0;
        }
        let (n, d) = if denominator < 0 {
            (-numerator, -denominator)
        } else {
            (numerator, denominator)
        };
        let magnitude = n.unsigned_abs();
        let d = d.unsigned_abs();
        let quotient = magnitude / d;
        let remainder = magnitude % d;
        let rounded = match self {
            Rounding::Down => quotient,
            Rounding::Up => quotient + u128::from(remainder != 0),
            Rounding::Nearest => quotient + u128::from(remainder * 2 >= d),
        };
        let signed = i128::try_from(rounded).unwrap_or(i128::MAX);
        let signed = if n < 0 { -signed } else { signed };
        i64::try_from(signed).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
    }

    /// `cents` less `percent` per cent, rounded.
    pub fn percent_off(self, cents: i64, percent: u32) -> i64 {
        let keep = 100 - i128::from(percent.min(100));
        self.divide(i128::from(cents) * keep, 100)
    }

    /// French label for documents ("au centime le plus proche").
    pub fn label_fr(self) -> &'static str {
        match self {
            Rounding::Nearest => "au centime le plus proche",
            Rounding::Down => "au centime inférieur",
            Rounding::Up => "au centime supérieur",
        }
    }
}

/// "1 234,56 €", "-23,40 €", "0,64 €" (no-break spaces, as French typography asks).
pub fn format_eur(cents: i64) -> String {
    format!("{}\u{a0}€", format_amount(cents))
}

/// "1 234,56" without the currency sign.
pub fn format_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    let euros = (magnitude / 100).to_string();
    let mut grouped = String::with_capacity(euros.len() + euros.len() / 3 * 2);
    for (i, digit) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02}", magnitude % 100)
}

/// Reads "12,40", "12.40", "12" or "-3,5" as cents; `None` for anything else (or more than
/// two decimals).
pub fn parse_eur(s: &str) -> Option<i64> {
    let t = s
        .trim()
        .trim_end_matches('€')
        .trim()
        .replace(['\u{a0}', ' '], "");
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, t),
    };
    let (whole, fraction) = match t.split_once([',', '.']) {
        Some((w, f)) => (w.to_string(), f.to_string()),
        None => (t, String::new()),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(&whole) || !digits(&fraction) || fraction.len() > 2 {
        return None;
    }
    let euros: i64 = whole.parse().ok()?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    let total = euros.checked_mul(100)?.checked_add(cents)?;
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_explicit_for_halves_and_signs() {
        // 315 cents at half price is 157.5 cents.
        assert_eq!(Rounding::Nearest.divide(315 * 50, 100), 158);
        assert_eq!(Rounding::Down.divide(315 * 50, 100), 157);
        assert_eq!(Rounding::Up.divide(315 * 50, 100), 158);
        assert_eq!(Rounding::Nearest.divide(-315 * 50, 100), -158);
        assert_eq!(Rounding::Down.divide(-315 * 50, 100), -157);
        assert_eq!(Rounding::Nearest.divide(29_988, 100), 300);
        assert_eq!(Rounding::Nearest.divide(29_949, 100), 299);
        assert_eq!(Rounding::Up.divide(29_901, 100), 300);
        assert_eq!(Rounding::Up.divide(30_000, 100), 300);
        assert_eq!(Rounding::Nearest.divide(5, 0), 0);
        assert_eq!(Rounding::Nearest.percent_off(315, 50), 158);
        assert_eq!(Rounding::Down.percent_off(315, 50), 157);
        assert_eq!(Rounding::Nearest.percent_off(490, 0), 490);
        assert_eq!(Rounding::Nearest.percent_off(490, 150), 0);
    }

    #[test]
    fn amounts_are_written_the_french_way() {
        assert_eq!(format_eur(64), "0,64\u{a0}€");
        assert_eq!(format_eur(123_456), "1\u{a0}234,56\u{a0}€");
        assert_eq!(format_eur(-2_340), "-23,40\u{a0}€");
        assert_eq!(format_eur(100_000_000), "1\u{a0}000\u{a0}000,00\u{a0}€");
        assert_eq!(format_amount(0), "0,00");
    }

    #[test]
    fn amounts_typed_by_people_are_read_as_cents() {
        assert_eq!(parse_eur("12,40"), Some(1240));
        assert_eq!(parse_eur("12.4"), Some(1240));
        assert_eq!(parse_eur("1 234,56 €"), Some(123_456));
        assert_eq!(parse_eur("-3,05"), Some(-305));
        assert_eq!(parse_eur("25"), Some(2500));
        assert_eq!(parse_eur("1,234"), None);
        assert_eq!(parse_eur("abc"), None);
        assert_eq!(parse_eur(""), None);
    }
}
