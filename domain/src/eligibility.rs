//! Who may attend an activity: an age range on the day, and a list of school classes.

use crate::calendar::parse_date;
use crate::catalogue::Eligibility;
use crate::dossier::ChildSheet;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Why a child may not attend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotEligible {
    TooYoung {
        min_age_years: u8,
        age_years: u32,
    },
    TooOld {
        max_age_years: u8,
        age_years: u32,
    },
    /// An age rule applies but the dossier has no birth date.
    MissingBirthDate,
    /// An age rule applies but the birth date cannot be read (or is after the day).
    BadBirthDate {
        value: String,
    },
    /// A class list applies but the dossier has no class.
    MissingClass {
        allowed: Vec<String>,
    },
    ClassNotAllowed {
        class: String,
        allowed: Vec<String>,
    },
    /// The rule itself is inconsistent (minimum age above maximum age).
    Misconfigured,
}

impl NotEligible {
    /// What a parent reads.
    pub fn reason_fr(&self) -> String {
        match self {
            NotEligible::TooYoung {
                min_age_years,
                age_years,
            } => format!(
                "Réservé aux enfants de {} et plus (votre enfant aura {} ce jour-là)",
                years(u32::from(*min_age_years)),
                years(*age_years)
            ),
            NotEligible::TooOld {
                max_age_years,
                age_years,
            } => format!(
                "Réservé aux enfants de {} au plus (votre enfant aura {} ce jour-là)",
                years(u32::from(*max_age_years)),
                years(*age_years)
            ),
            NotEligible::MissingBirthDate => {
                "Date de naissance non renseignée dans le dossier : l'âge ne peut pas être vérifié"
                    .into()
            }
            NotEligible::BadBirthDate { value } => format!(
                "Date de naissance invalide dans le dossier (« {value} ») : l'âge ne peut pas être vérifié"
            ),
            NotEligible::MissingClass { allowed } => format!(
                "Classe non renseignée dans le dossier (activité réservée aux classes {})",
                allowed.join(", ")
            ),
            NotEligible::ClassNotAllowed { class, allowed } => format!(
                "Réservé aux classes {} (classe au dossier : {class})",
                allowed.join(", ")
            ),
            NotEligible::Misconfigured => {
                "Conditions d'âge mal configurées, contactez la structure".into()
            }
        }
    }
}

impl std::fmt::Display for NotEligible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason_fr())
    }
}

fn years(n: u32) -> String {
    if n < 2 {
        format!("{n} an")
    } else {
        format!("{n} ans")
    }
}

/// Age in whole years on `day`, or `None` when `day` is before the birth. A child born on
/// 29 February turns a year older on 1 March in common years.
pub fn age_on(birth: Date, day: Date) -> Option<u32> {
    if day < birth {
        return None;
    }
    let mut age = i32::from(day.year()) - i32::from(birth.year());
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    u32::try_from(age).ok()
}

/// Class names compared without case or spacing differences (" ce1 " = "CE1").
fn normalise_class(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// Whether `child` may attend on `day` under `rule`.
pub fn check_eligibility(
    rule: &Eligibility,
    child: &ChildSheet,
    day: Date,
) -> Result<(), NotEligible> {
    if let (Some(min), Some(max)) = (rule.min_age_years, rule.max_age_years)
        && min > max
    {
        return Err(NotEligible::Misconfigured);
    }
    if rule.min_age_years.is_some() || rule.max_age_years.is_some() {
        let raw = child.birth_date.trim();
        if raw.is_empty() {
            return Err(NotEligible::MissingBirthDate);
        }
        let bad = || NotEligible::BadBirthDate {
            value: child.birth_date.clone(),
        };
        let birth = parse_date(raw).map_err(|_| bad())?;
        let age = age_on(birth, day).ok_or_else(bad)?;
        if let Some(min) = rule.min_age_years
            && age < u32::from(min)
        {
            return Err(NotEligible::TooYoung {
                min_age_years: min,
                age_years: age,
            });
        }
        if let Some(max) = rule.max_age_years
            && age > u32::from(max)
        {
            return Err(NotEligible::TooOld {
                max_age_years: max,
                age_years: age,
            });
        }
    }
    let allowed: Vec<&String> = rule
        .classes
        .iter()
        .filter(|c| !c.trim().is_empty())
        .collect();
    if !allowed.is_empty() {
        let names: Vec<String> = allowed.iter().map(|c| c.trim().to_string()).collect();
        let class = normalise_class(&child.class);
        if class.is_empty() {
            return Err(NotEligible::MissingClass { allowed: names });
        }
        if !allowed.iter().any(|c| normalise_class(c) == class) {
            return Err(NotEligible::ClassNotAllowed {
                class: child.class.trim().to_string(),
                allowed: names,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn child(birth: &str, class: &str) -> ChildSheet {
        ChildSheet {
            first_name: "Léa".into(),
            birth_date: birth.into(),
            class: class.into(),
            ..Default::default()
        }
    }

    fn ages(min: Option<u8>, max: Option<u8>) -> Eligibility {
        Eligibility {
            min_age_years: min,
            max_age_years: max,
            classes: vec![],
        }
    }

    #[test]
    fn age_is_counted_in_whole_years_on_the_day() {
        assert_eq!(age_on(date(2018, 4, 12), date(2026, 4, 11)), Some(7));
        assert_eq!(age_on(date(2018, 4, 12), date(2026, 4, 12)), Some(8));
        assert_eq!(age_on(date(2020, 2, 29), date(2023, 2, 28)), Some(2));
        assert_eq!(age_on(date(2020, 2, 29), date(2023, 3, 1)), Some(3));
        assert_eq!(age_on(date(2026, 5, 1), date(2026, 4, 30)), None);
    }

    #[test]
    fn a_three_year_old_minimum_counts_on_the_day_itself() {
        let rule = ages(Some(3), Some(11));
        let c = child("2023-11-04", "PS");
        assert_eq!(
            check_eligibility(&rule, &c, date(2026, 11, 3)),
            Err(NotEligible::TooYoung {
                min_age_years: 3,
                age_years: 2
            })
        );
        assert_eq!(check_eligibility(&rule, &c, date(2026, 11, 4)), Ok(()));
        let reason = check_eligibility(&rule, &c, date(2026, 11, 3))
            .map_err(|e| e.reason_fr())
            .expect_err("too young");
        assert_eq!(
            reason,
            "Réservé aux enfants de 3 ans et plus (votre enfant aura 2 ans ce jour-là)"
        );
    }

    #[test]
    fn over_the_maximum_age_is_not_eligible() {
        let rule = ages(None, Some(11));
        let c = child("2014-09-01", "6e");
        assert_eq!(check_eligibility(&rule, &c, date(2026, 8, 31)), Ok(()));
        let e = check_eligibility(&rule, &c, date(2026, 9, 1)).expect_err("too old");
        assert_eq!(
            e.reason_fr(),
            "Réservé aux enfants de 11 ans au plus (votre enfant aura 12 ans ce jour-là)"
        );
    }

    #[test]
    fn missing_or_bad_birth_dates_are_refused_only_under_an_age_rule() {
        let rule = ages(Some(3), None);
        let day = date(2026, 11, 30);
        assert_eq!(
            check_eligibility(&rule, &child("", "CP"), day),
            Err(NotEligible::MissingBirthDate)
        );
        let bad = check_eligibility(&rule, &child("12/04/2018", "CP"), day).expect_err("bad");
        assert!(bad.reason_fr().contains("« 12/04/2018 »"), "{bad}");
        assert!(check_eligibility(&rule, &child("2030-01-01", "CP"), day).is_err());
        assert_eq!(
            check_eligibility(&Eligibility::default(), &child("", ""), day),
            Ok(())
        );
        assert_eq!(
            check_eligibility(&ages(Some(12), Some(6)), &child("2018-01-01", ""), day),
            Err(NotEligible::Misconfigured)
        );
    }

    #[test]
    fn class_lists_compare_without_case_or_extra_spaces() {
        let rule = Eligibility {
            classes: vec!["CP".into(), "CE1".into(), "CE2".into()],
            ..Default::default()
        };
        let day = date(2026, 11, 30);
        assert_eq!(check_eligibility(&rule, &child("", " ce1 "), day), Ok(()));
        let e = check_eligibility(&rule, &child("", "CM1"), day).expect_err("class");
        assert_eq!(
            e.reason_fr(),
            "Réservé aux classes CP, CE1, CE2 (classe au dossier : CM1)"
        );
        let e = check_eligibility(&rule, &child("", ""), day).expect_err("no class");
        assert!(e.reason_fr().starts_with("Classe non renseignée"), "{e}");
    }
}
