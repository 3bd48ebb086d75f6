//! `cartable`: the parents' client on the command line, over `cartable_core::Client`.
//!
//! Every command prints French text, or JSON with `--json`. Errors go to stderr with exit
//! code 1 (as `{"error": {"code", "message"}}` with `--json`); nothing here panics on bad
//! input.

#[path = "cartable/cli.rs"]
mod cli;
#[path = "cartable/publications.rs"]
mod publications;
#[path = "cartable/render.rs"]
mod render;

use cartable_core::domain::cells::{month_days, week_days};
use cartable_core::domain::school_year::SchoolYear;
use cartable_core::{ActivityDays, BulkBooking, Client, Error, resolve_child};
use clap::Parser;
use cli::{Cli, Command, DocumentsCommand, DossierCommand, PatternArgs};
use jiff::civil::Date;
use serde_json::json;
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// What a command produced: text for people and a JSON value for machines.
struct Output {
    text: String,
    json: serde_json::Value,
}

impl Output {
    fn new(text: impl Into<String>, json: serde_json::Value) -> Self {
        Self {
            text: text.into(),
            json,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(out) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out.json).unwrap_or_default()
                );
            } else if !out.text.is_empty() {
                println!("{}", out.text);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                let body = json!({"error": {"code": e.code(), "message": e.to_string()}});
                eprintln!("{body}");
            } else {
                eprintln!("cartable : {e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn run(cli: Cli) -> Result<Output, Error> {
    let client = Client::open(&cli.store)?;
    match cli.command {
        Command::Login {
            server,
            login,
            password,
            device_name,
        } => {
            let password = match password {
                Some(p) => p,
                None => prompt_password()?,
            };
            let account = client.login(&server, &login, &password, &device_name)?;
            let report = client.sync().inspect_err(|_| {
                eprintln!("cartable : connecté, mais la première synchronisation a échoué.");
            })?;
            Ok(Output::new(
                format!(
                    "Connecté : {} (famille {}).\n{}",
                    account.display_name,
                    account.family_id,
                    render::sync_report(&report)
                ),
                json!({"account": account, "sync": report}),
            ))
        }
        Command::Logout => {
            let outcome = client.logout()?;
            let mut text = String::from("Déconnecté ; les données locales sont effacées.");
            if outcome.discarded_changes > 0 {
                text.push_str(&format!(
                    "\n{} modification(s) non synchronisée(s) ont été abandonnées.",
                    outcome.discarded_changes
                ));
            }
            if !outcome.revoked_on_server {
                text.push_str(
                    "\nLe serveur n'a pas pu être prévenu : révoquez cet appareil depuis un autre.",
                );
            }
            Ok(Output::new(text, to_json(&outcome)))
        }
        Command::Sync => {
            let report = client.sync()?;
            Ok(Output::new(render::sync_report(&report), to_json(&report)))
        }
        Command::Status => {
            let status = client.status()?;
            Ok(Output::new(render::status(&status), to_json(&status)))
        }
        Command::Planning {
            week,
            month,
            children,
            all,
        } => planning(&client, week, month, &children, all),
        Command::Requests { year } => {
            let year = match year {
                Some(y) => y
                    .parse::<SchoolYear>()
                    .map_err(|e| Error::InvalidInput(e.to_string()))?,
                None => client.current_school_year()?,
            };
            let entries = client.planning(Some(year))?;
            Ok(Output::new(
                render::planning(&year.to_string(), &entries),
                json!({"school_year": year, "entries": entries}),
            ))
        }
        Command::BookPattern(args) => pattern(&client, args, true),
        Command::CancelPattern(args) => pattern(&client, args, false),
        Command::Absence {
            child,
            from,
            to,
            reason,
            document,
        } => {
            let from = parse_date(&from)?;
            let to = match to {
                Some(t) => parse_date(&t)?,
                None => from,
            };
            let child_id = resolve_child(&client.dossier()?, &child)?;
            let report = client.declare_absence(&child_id, from, to, &reason, document)?;
            Ok(Output::new(
                format!(
                    "Absence déclarée sur {} réservation(s){} : le serveur dira à la prochaine synchronisation si elle est facturée.",
                    report.written,
                    if report.unchanged > 0 {
                        format!(" ({} déjà déclarée(s))", report.unchanged)
                    } else {
                        String::new()
                    }
                ),
                json!({"child_id": child_id, "from": from, "to": to, "report": report}),
            ))
        }
        Command::Book {
            child,
            date,
            activity,
        } => write_request(&client, &child, &date, &activity, true),
        Command::Cancel {
            child,
            date,
            activity,
        } => write_request(&client, &child, &date, &activity, false),
        Command::Dossier { action } => dossier(&client, action),
        Command::Documents { action } => documents(&client, action),
        Command::Infos { read } => publications::infos(&client, read),
        Command::Downloads { action } => publications::downloads(&client, action),
        Command::Export { file } => publications::export(&client, &file),
        Command::Catalogue => {
            let catalogue = client.catalogue()?;
            Ok(Output::new(
                render::catalogue(&catalogue),
                to_json(&catalogue),
            ))
        }
        Command::Devices => {
            let devices = client.devices()?;
            Ok(Output::new(render::devices(&devices), to_json(&devices)))
        }
        Command::Revoke { device_id } => {
            client.revoke_device(&device_id)?;
            Ok(Output::new(
                format!("Appareil {device_id} révoqué."),
                json!({"revoked": device_id}),
            ))
        }
    }
}

fn documents(client: &Client, action: DocumentsCommand) -> Result<Output, Error> {
    let report = match action {
        DocumentsCommand::List => client.send_documents(),
        DocumentsCommand::Send {
            file,
            kind,
            child,
            valid_until,
        } => {
            let child_id = match child {
                Some(c) => Some(resolve_child(&client.dossier()?, &c)?),
                None => None,
            };
            let valid_until = valid_until.as_deref().map(parse_date).transpose()?;
            client.queue_document_file(&file, &kind, child_id.as_deref(), valid_until)?;
            client.send_documents()
        }
        DocumentsCommand::Cancel { local_id } => {
            client.cancel_queued_document(&local_id)?;
            client.send_documents()
        }
    };
    // Offline: the list is shown as last known.
    let report = match report {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("cartable : documents non envoyés pour le moment ({e})");
            None
        }
    };
    let docs = client.documents()?;
    Ok(Output::new(
        render::documents(&docs),
        json!({"send": report, "documents": docs}),
    ))
}

fn write_request(
    client: &Client,
    child: &str,
    date: &str,
    activity: &str,
    wanted: bool,
) -> Result<Output, Error> {
    let date = parse_date(date)?;
    let child_id = resolve_child(&client.dossier()?, child)?;
    if wanted {
        client.book(&child_id, date, activity)?;
    } else {
        client.cancel(&child_id, date, activity)?;
    }
    let what = if wanted { "Réservation" } else { "Annulation" };
    Ok(Output::new(
        format!(
            "{what} demandée pour le {} ({activity}) : elle partira à la prochaine synchronisation.",
            render::french_date(date)
        ),
        json!({"child_id": child_id, "date": date, "activity_id": activity, "wanted": wanted}),
    ))
}

fn planning(
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

fn pattern(client: &Client, args: PatternArgs, wanted: bool) -> Result<Output, Error> {
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
    let pattern = args
        .activities
        .iter()
        .zip(&args.days)
        .map(|(a, d)| Ok(ActivityDays::new(a.trim(), parse_weekdays(d)?)))
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
        render::bulk_report(&report, wanted),
        to_json(&report),
    ))
}

/// Reads weekdays: French names or abbreviations (`lun,mar,jeu,ven`, `lundi`), ISO numbers
/// (`1,2,4,5`, 1 = lundi) and ranges (`lun-ven`, `1-5`).
fn parse_weekdays(s: &str) -> Result<Vec<u8>, Error> {
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

fn dossier(client: &Client, action: DossierCommand) -> Result<Output, Error> {
    match action {
        DossierCommand::Show => {
            let d = client.dossier()?;
            let review = client.dossier_review()?;
            Ok(Output::new(
                render::dossier(&d, review.as_ref()),
                json!({"dossier": to_json(&d), "review": to_json(&review)}),
            ))
        }
        DossierCommand::Submit => {
            client.submit_dossier()?;
            let review = client.dossier_review()?;
            Ok(Output::new(
                "Dossier envoyé pour validation : la structure le recevra à la prochaine \
                 synchronisation (`cartable sync`), puis `cartable dossier show` dira où il en est.",
                json!({"review": to_json(&review)}),
            ))
        }
        DossierCommand::Set {
            sheet,
            id,
            field,
            value,
        } => {
            if sheet == "child" {
                let child_id = resolve_child(&client.dossier()?, &id)?;
                client.set_child_field(&child_id, &field, &value)?;
            } else {
                client.set_adult_field(&id, &field, &value)?;
            }
            Ok(Output::new(
                format!("Champ {field} modifié."),
                json!({"sheet": sheet, "id": id, "field": field, "value": value}),
            ))
        }
        DossierCommand::AddChild {
            first_name,
            last_name,
            birth_date,
        } => {
            let id = client.add_child(&first_name, &last_name, &birth_date)?;
            Ok(Output::new(
                format!("Enfant ajouté (id {id})."),
                json!({"child_id": id}),
            ))
        }
        DossierCommand::AddAdult {
            first_name,
            last_name,
        } => {
            let id = client.add_adult(&first_name, &last_name)?;
            Ok(Output::new(
                format!("Adulte ajouté (id {id})."),
                json!({"adult_id": id}),
            ))
        }
    }
}

/// Reads `AAAA-MM-JJ` or `JJ/MM/AAAA`.
fn parse_date(s: &str) -> Result<Date, Error> {
    let bad = || Error::InvalidInput(format!("date invalide « {s} » (attendu AAAA-MM-JJ)"));
    if let Ok(d) = s.parse::<Date>() {
        return Ok(d);
    }
    let parts: Vec<&str> = s.split('/').collect();
    let [d, m, y] = parts.as_slice() else {
        return Err(bad());
    };
    let (d, m, y) = (
        d.parse::<i8>().map_err(|_| bad())?,
        m.parse::<i8>().map_err(|_| bad())?,
        y.parse::<i16>().map_err(|_| bad())?,
    );
    Date::new(y, m, d).map_err(|_| bad())
}

/// Asks for the password on stderr and reads one line of stdin.
fn prompt_password() -> Result<String, Error> {
    eprint!("Mot de passe : ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::InvalidInput(format!("mot de passe illisible : {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err(Error::InvalidInput("mot de passe manquant".into()));
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_iso_or_french_order() {
        let want = jiff::civil::date(2026, 11, 30);
        assert_eq!(parse_date("2026-11-30").expect("iso"), want);
        assert_eq!(parse_date("30/11/2026").expect("fr"), want);
        assert!(parse_date("31/02/2026").is_err());
        assert!(parse_date("demain").is_err());
    }

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
}
