//! `cartable planning`, `requests`, `book`, `cancel`, `book-pattern`, `cancel-pattern` and
//! `absence`.

use crate::cli::PatternArgs;
use crate::{Output, parse_date, render, to_json};
use cartable_core::domain::calendar::format_date_fr;
use cartable_core::domain::cells::{month_days, week_days};
use cartable_core::domain::school_year::SchoolYear;
use cartable_core::{ActivityDays, BulkBooking, Client, Error, resolve_activity, resolve_child};
use serde_json::json;

/// `cartable planning [--week DATE | --month DATE] [--child ENFANT]... [--all]`.
pub fn view(
    client: &Client,
    week: Option<String>,
    month: Option<String>,
    children: &[String],
    all: bool,
) -> Result<Output, Error> {
    let (from, to) = match (week, month) {
        (_, Some(m)) => {
            let days = month_days(parse_date(&m)?);
            match (days.first(), days.last()) {
                (Some(f), Some(l)) => (*f, *l),
                _ => return Err(Error::InvalidInput(format!("mois invalide « {m} »"))),
            }
        }
        (week, None) => {
            let day = match week {
                Some(w) => parse_date(&w)?,
                None => cartable_core::clock::paris_date(client.server_now_ms()?),
            };
            let days = week_days(day);
            (days[0], days[6])
        }
    };
    let children = if children.is_empty() {
        None
    } else {
        let dossier = client.dossier()?;
        Some(
            children
                .iter()
                .map(|c| resolve_child(&dossier, c))
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let view = client.planning_view(children, from, to)?;
    let shown = if all {
        view.clone()
    } else {
        view.without_idle()
    };
    Ok(Output::new(render::planning_view(&shown), to_json(&view)))
}

/// `cartable requests [--year 2026-2027]`.
pub fn requests(client: &Client, year: Option<String>) -> Result<Output, Error> {
    let year = match year {
        Some(y) => y
            .parse::<SchoolYear>()
            .map_err(|e| Error::InvalidInput(format!("{e} (attendu par exemple 2026-2027)")))?,
        None => client.current_school_year()?,
    };
    let entries = client.planning(Some(year))?;
    Ok(Output::new(
        render::planning(&year.to_string(), &entries),
        json!({"school_year": year, "entries": entries}),
    ))
}

/// What `cartable book` or `cancel` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// A booking, refused here when the structure is certain to refuse it.
    Book,
    /// `book --insist`: a booking written even so (a request for a staff override).
    BookInsisting,
    Cancel,
}

/// `cartable book [--insist]|cancel ENFANT DATE ACTIVITÉ`.
pub fn write_request(
    client: &Client,
    child: &str,
    date: &str,
    activity: &str,
    ask: Ask,
) -> Result<Output, Error> {
    let date = parse_date(date)?;
    let dossier = client.dossier()?;
    let child_id = resolve_child(&dossier, child)?;
    let catalogue = client.catalogue()?;
    let activity_id = resolve_activity(&catalogue, activity)?;
    match ask {
        Ask::Book => client.book(&child_id, date, &activity_id)?,
        Ask::BookInsisting => client.book_insisting(&child_id, date, &activity_id)?,
        Ask::Cancel => client.cancel(&child_id, date, &activity_id)?,
    }
    let wanted = ask != Ask::Cancel;
    let child_name = render::child_name(&dossier, &child_id);
    let activity_name = render::activity_name(&catalogue, &activity_id);
    let what = match ask {
        Ask::Book => "Réservation demandée",
        Ask::BookInsisting => "Demande de dérogation enregistrée",
        Ask::Cancel => "Annulation demandée",
    };
    Ok(Output::new(
        format!(
            "{what} pour {child_name} le {} ({activity_name}) : elle partira à la prochaine \
             synchronisation, puis la structure décidera.",
            format_date_fr(date)
        ),
        json!({
            "child_id": child_id,
            "date": date,
            "activity_id": activity_id,
            "wanted": wanted,
            "insisting": ask == Ask::BookInsisting,
        }),
    ))
}

/// `cartable book-pattern|cancel-pattern ...`.
pub fn pattern(client: &Client, args: PatternArgs, wanted: bool) -> Result<Output, Error> {
    if args.activities.len() != args.days.len() {
        return Err(Error::InvalidInput(format!(
            "{} --activity pour {} --days : donnez un --days par --activity",
            args.activities.len(),
            args.days.len()
        )));
    }
    let from = parse_date(&args.from)?;
    let to = parse_date(&args.to)?;
    let dossier = client.dossier()?;
    let children = args
        .children
        .iter()
        .map(|c| resolve_child(&dossier, c))
        .collect::<Result<Vec<_>, _>>()?;
    let catalogue = client.catalogue()?;
    let pattern = args
        .activities
        .iter()
        .zip(&args.days)
        .map(|(a, d)| {
            Ok(ActivityDays::new(
                resolve_activity(&catalogue, a)?,
                parse_weekdays(d)?,
            ))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let booking = BulkBooking {
        children,
        from,
        to,
        pattern,
    };
    let report = if wanted {
        client.book_pattern(booking)?
    } else {
        client.cancel_pattern(booking)?
    };
    Ok(Output::new(
        render::bulk_report(&report, wanted, &dossier, &catalogue),
        to_json(&report),
    ))
}

/// `cartable absence ENFANT DU [AU] [--reason MOTIF] [--document ID]`.
pub fn absence(
    client: &Client,
    child: &str,
    from: &str,
    to: Option<&str>,
    reason: &str,
    document: Option<String>,
) -> Result<Output, Error> {
    let from = parse_date(from)?;
    let to = match to {
        Some(t) => parse_date(t)?,
        None => from,
    };
    let dossier = client.dossier()?;
    let child_id = resolve_child(&dossier, child)?;
    let report = client.declare_absence(&child_id, from, to, reason, document)?;
    let name = render::child_name(&dossier, &child_id);
    let period = if from == to {
        format!("le {}", format_date_fr(from))
    } else {
        format!("du {} au {}", format_date_fr(from), format_date_fr(to))
    };
    let mut text = format!(
        "Absence de {name} déclarée {period} sur {} réservation(s)",
        report.written
    );
    if report.unchanged > 0 {
        text.push_str(&format!(" ({} déjà déclarée(s))", report.unchanged));
    }
    text.push_str(" : la structure dira à la prochaine synchronisation si elle est facturée.");
    Ok(Output::new(
        text,
        json!({"child_id": child_id, "from": from, "to": to, "report": report}),
    ))
}

/// Reads weekdays: French names or abbreviations (`lun,mar,jeu,ven`, `lundi`), ISO numbers
/// (`1,2,4,5`, 1 = lundi) and ranges (`lun-ven`, `1-5`).
pub fn parse_weekdays(s: &str) -> Result<Vec<u8>, Error> {
    const NAMES: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    let one = |word: &str| -> Result<u8, Error> {
        let w = word.trim().trim_end_matches('.').to_lowercase();
        if let Ok(n) = w.parse::<u8>() {
            return if (1..=7).contains(&n) {
                Ok(n)
            } else {
                Err(Error::InvalidInput(format!(
                    "jour de la semaine invalide « {word} » (1 = lundi … 7 = dimanche)"
                )))
            };
        }
        let found: Vec<u8> = (1u8..)
            .zip(NAMES)
            .filter(|(_, name)| w.len() >= 2 && name.starts_with(w.as_str()))
            .map(|(n, _)| n)
            .collect();
        match found.as_slice() {
            [n] => Ok(*n),
            _ => Err(Error::InvalidInput(format!(
                "jour de la semaine inconnu « {word} » (lun, mar, mer, jeu, ven, sam, dim ou 1 à 7)"
            ))),
        }
    };
    let mut out = Vec::new();
    for part in s.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (one(a)?, one(b)?);
                if a > b {
                    return Err(Error::InvalidInput(format!(
                        "intervalle de jours à l'envers « {part} »"
                    )));
                }
                out.extend(a..=b);
            }
            None => out.push(one(part)?),
        }
    }
    if out.is_empty() {
        return Err(Error::InvalidInput("aucun jour de la semaine donné".into()));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_are_read_in_french_numbers_and_ranges() {
        assert_eq!(
            parse_weekdays("lun,mar,jeu,ven").expect("abbr"),
            [1, 2, 4, 5]
        );
        assert_eq!(parse_weekdays("1,2,4,5").expect("numbers"), [1, 2, 4, 5]);
        assert_eq!(parse_weekdays("Lundi, Mercredi.").expect("names"), [1, 3]);
        assert_eq!(parse_weekdays("lun-ven").expect("range"), [1, 2, 3, 4, 5]);
        assert_eq!(parse_weekdays("me,ve,me").expect("dedup"), [3, 5]);
        assert!(parse_weekdays("m").is_err(), "ambiguous");
        assert!(parse_weekdays("8").is_err());
        assert!(parse_weekdays("ven-lun").is_err());
        assert!(parse_weekdays("sunday").is_err());
        assert!(parse_weekdays(",").is_err());
    }

    #[test]
    fn dates_are_read_in_french_order_or_iso() {
        let want = jiff::civil::date(2026, 11, 30);
        assert_eq!(parse_date("2026-11-30").expect("iso"), want);
        assert_eq!(parse_date("30/11/2026").expect("fr"), want);
        let err = parse_date("31/02/2026")
            .expect_err("no such day")
            .to_string();
        assert!(err.contains("JJ/MM/AAAA"), "{err}");
        assert!(parse_date("demain").is_err());
    }
}
