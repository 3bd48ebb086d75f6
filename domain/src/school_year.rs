//! School years run from 1 September to 31 August; each has its own planning document.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A school year named by its first calendar year: `SchoolYear(2026)` is "2026-2027".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchoolYear(pub i16);

impl SchoolYear {
    /// The school year a date belongs to.
    pub fn of(date: Date) -> Self {
        if date.month() >= 9 {
            SchoolYear(date.year())
        } else {
            SchoolYear(date.year() - 1)
        }
    }
    /// 1 September.
    pub fn first_day(self) -> Date {
        Date::new(self.0, 9, 1).unwrap_or(Date::MIN)
    }
    /// 31 August of the next year.
    pub fn last_day(self) -> Date {
        Date::new(self.0 + 1, 8, 31).unwrap_or(Date::MAX)
    }
    pub fn contains(self, date: Date) -> bool {
        Self::of(date) == self
    }
}

impl fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.0 + 1)
    }
}

/// Error for a school year that is not written "YYYY-YYYY+1".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("année scolaire invalide « {0} » (attendu par exemple 2026-2027)")]
pub struct BadSchoolYear(pub String);

impl FromStr for SchoolYear {
    type Err = BadSchoolYear;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadSchoolYear(s.to_string());
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let a: i16 = a.parse().map_err(|_| bad())?;
        let b: i16 = b.parse().map_err(|_| bad())?;
        if b != a + 1 || !(1900..=9998).contains(&a) {
            return Err(bad());
        }
        Ok(SchoolYear(a))
    }
}

impl TryFrom<String> for SchoolYear {
    type Error = BadSchoolYear;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SchoolYear> for String {
    fn from(y: SchoolYear) -> String {
        y.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn school_year_turns_on_first_of_september() {
        assert_eq!(SchoolYear::of(date(2026, 8, 31)), SchoolYear(2025));
        assert_eq!(SchoolYear::of(date(2026, 9, 1)), SchoolYear(2026));
        assert_eq!(SchoolYear(2026).to_string(), "2026-2027");
        assert_eq!("2026-2027".parse::<SchoolYear>(), Ok(SchoolYear(2026)));
        assert!("2026-2028".parse::<SchoolYear>().is_err());
        assert!("nope".parse::<SchoolYear>().is_err());
    }
}
