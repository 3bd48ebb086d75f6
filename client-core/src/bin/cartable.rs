//! `cartable`: the parents' client on the command line, over `cartable_core::Client`.
//!
//! Every command prints French text, or JSON with `--json`. Errors go to stderr with exit
//! code 1 (as `{"error": {"code", "message"}}` with `--json`); nothing here panics on bad
//! input.

#[path = "cartable/cli.rs"]
mod cli;
#[path = "cartable/render.rs"]
mod render;

use cartable_core::domain::school_year::SchoolYear;
use cartable_core::{Client, Error, resolve_child};
use clap::Parser;
use cli::{Cli, Command, DossierCommand};
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
        Command::Planning { year } => {
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

fn dossier(client: &Client, action: DossierCommand) -> Result<Output, Error> {
    match action {
        DossierCommand::Show => {
            let d = client.dossier()?;
            Ok(Output::new(render::dossier(&d), to_json(&d)))
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
}
