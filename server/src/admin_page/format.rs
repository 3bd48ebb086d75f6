//! How the admin page writes dates, times and amounts: in French.

use cartable_domain::calendar::{format_date_fr, paris_datetime};
use jiff::civil::Date;

/// "lundi 7 décembre 2026".
pub fn date(d: Date) -> String {
    format_date_fr(d)
}

/// An ISO date as stored ("2026-12-07") in French; the text itself when it is not a date.
pub fn iso_date(text: &str) -> String {
    text.parse::<Date>()
        .map(date)
        .unwrap_or_else(|_| text.to_string())
}

/// An instant (milliseconds since 1970) as "lundi 7 décembre 2026 à 14 h 05", Paris time.
pub fn instant(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => {
            let dt = paris_datetime(ts);
            format!(
                "{} à {} h {:02}",
                format_date_fr(dt.date()),
                dt.hour(),
                dt.minute()
            )
        }
        Err(_) => String::new(),
    }
}

/// "12,50 €" (with a no-break space before the sign).
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{},{:02}\u{a0}€", c / 100, c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_amounts_read_in_french() {
        assert_eq!(iso_date("2026-12-07"), "lundi 7 décembre 2026");
        assert_eq!(iso_date("pas une date"), "pas une date");
        assert_eq!(euros(1250), "12,50\u{a0}€");
        assert_eq!(euros(-5), "-0,05\u{a0}€");
        // 2026-12-07 13:05 UTC is 14:05 in Paris.
        assert_eq!(
            instant(1_796_648_700_000),
            "lundi 7 décembre 2026 à 14 h 05"
        );
    }
}
