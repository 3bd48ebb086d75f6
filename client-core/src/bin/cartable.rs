//! `cartable`: the parents' client on the command line, over `cartable_core::Client`.
//!
//! Every command prints French text, or JSON with `--json`. Errors go to stderr with exit
//! code 1 (as `{"error": {"code", "message"}}` with `--json`), usage errors with exit code 2;
//! nothing here panics on bad input.

#[path = "cartable/cli.rs"]
mod cli;
#[path = "cartable/dossier.rs"]
mod dossier;
#[path = "cartable/french.rs"]
mod french;
#[path = "cartable/invoices.rs"]
mod invoices;
#[path = "cartable/planning.rs"]
mod planning;
#[path = "cartable/publications.rs"]
mod publications;
#[path = "cartable/push.rs"]
mod push;
#[path = "cartable/render.rs"]
mod render;

use cartable_core::{Client, Error, resolve_child};
use cli::{Command, DocumentsCommand};
use jiff::civil::Date;
use serde_json::json;
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// What a command produced: text for people and a JSON value for machines.
pub struct Output {
    text: String,
    json: serde_json::Value,
}

impl Output {
    pub fn new(text: impl Into<String>, json: serde_json::Value) -> Self {
        Self {
            text: text.into(),
            json,
        }
    }
}

fn main() -> ExitCode {
    let cli = match french::parse() {
        Ok(cli) => cli,
        Err(e) => {
            let (text, failed) = french::render(&e);
            if failed {
                eprintln!("{}", text.trim_end());
                return ExitCode::from(2);
            }
            print!("{text}");
            return ExitCode::SUCCESS;
        }
    };
    let json = cli.json;
    let client = match Client::open(&cli.store) {
        Ok(client) => client,
        Err(error) => {
            return fail(
                &Failure {
                    client: None,
                    error,
                },
                json,
            );
        }
    };
    match run(&client, cli.command) {
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
        Err(error) => fail(
            &Failure {
                client: Some(&client),
                error,
            },
            json,
        ),
    }
}

fn fail(failure: &Failure<'_>, json: bool) -> ExitCode {
    let message = failure.message();
    if json {
        let body = json!({"error": {"code": failure.error.code(), "message": message}});
        eprintln!("{body}");
    } else {
        eprintln!("cartable : {message}");
    }
    ExitCode::FAILURE
}

/// A failed command, with the client when it could be opened (to count what waits to be sent).
struct Failure<'a> {
    client: Option<&'a Client>,
    error: Error,
}

impl Failure<'_> {
    /// The French message: offline, it says that nothing made on this device is lost.
    fn message(&self) -> String {
        if let Error::WouldBeRefused { reason, .. } = &self.error {
            return format!(
                "réservation refusée d'avance : {reason}. Rien n'a été enregistré ; pour \
                 demander quand même une dérogation à la structure, relancez avec --insist."
            );
        }
        let Error::Network(detail) = &self.error else {
            return self.error.to_string();
        };
        let waiting = self.client.map(render::waiting_to_send).unwrap_or_default();
        format!(
            "pas de connexion au serveur pour le moment. {}\n  (détail : {detail})",
            render::kept_until_next_sync(&waiting)
        )
    }
}

pub fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn run(client: &Client, command: Command) -> Result<Output, Error> {
    match command {
        Command::Login {
            server,
            login,
            password,
            device_name,
            new_password,
        } => {
            let password = match password {
                Some(p) => p,
                None => prompt_password("Mot de passe : ")?,
            };
            let mut account = client.login(&server, &login, &password, &device_name)?;
            if account.must_change_password {
                let Some(new_password) = new_password else {
                    return Ok(Output::new(
                        format!(
                            "Connecté : {}. Ce mot de passe était à usage unique : choisissez le \
                             vôtre avec « cartable password » avant de synchroniser.",
                            account.display_name
                        ),
                        json!({"account": account}),
                    ));
                };
                client.change_password(&password, &new_password)?;
                account.must_change_password = false;
            }
            let report = client.sync().inspect_err(|_| {
                eprintln!("cartable : connecté, mais la première synchronisation a échoué.");
            })?;
            Ok(Output::new(
                format!(
                    "Bonjour {} : cet appareil est connecté.\n{}",
                    account.display_name,
                    render::sync_report(&report)
                ),
                json!({"account": account, "sync": report}),
            ))
        }
        Command::Password {
            current,
            new_password,
        } => {
            let current = match current {
                Some(p) => p,
                None => prompt_password("Mot de passe actuel : ")?,
            };
            let new_password = match new_password {
                Some(p) => p,
                None => prompt_password("Nouveau mot de passe : ")?,
            };
            client.change_password(&current, &new_password)?;
            Ok(Output::new(
                "Mot de passe changé ; les autres appareils du compte sont déconnectés.",
                json!({"password_changed": true}),
            ))
        }
        Command::Logout => {
            let outcome = client.logout()?;
            let mut text = String::from("Déconnecté ; les données de cet appareil sont effacées.");
            if outcome.discarded_changes > 0 {
                text.push_str(&format!(
                    "\n{} modification(s) pas encore envoyée(s) ont été abandonnées.",
                    outcome.discarded_changes
                ));
            }
            if !outcome.revoked_on_server {
                text.push_str(
                    "\nLe serveur n'a pas pu être prévenu : révoquez cet appareil depuis un autre \
                     (`cartable devices`).",
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
        } => planning::view(client, week, month, &children, all),
        Command::Requests { year } => planning::requests(client, year),
        Command::Book {
            child,
            date,
            activity,
            insist,
        } => {
            let ask = if insist {
                planning::Ask::BookInsisting
            } else {
                planning::Ask::Book
            };
            planning::write_request(client, &child, &date, &activity, ask)
        }
        Command::Cancel {
            child,
            date,
            activity,
        } => planning::write_request(client, &child, &date, &activity, planning::Ask::Cancel),
        Command::BookPattern(args) => planning::pattern(client, args, true),
        Command::CancelPattern(args) => planning::pattern(client, args, false),
        Command::Absence {
            child,
            from,
            to,
            reason,
            document,
        } => planning::absence(client, &child, &from, to.as_deref(), &reason, document),
        Command::Dossier { action } => dossier::run(client, action),
        Command::Documents { action } => documents(client, action),
        Command::Infos { read } => publications::infos(client, read),
        Command::Downloads { action } => publications::downloads(client, action),
        Command::Export { file } => publications::export(client, &file),
        Command::Factures { action } => invoices::invoices(client, action),
        Command::Solde => invoices::balance(client),
        Command::Catalogue => {
            let catalogue = client.catalogue()?;
            Ok(Output::new(
                render::catalogue(&catalogue),
                to_json(&catalogue),
            ))
        }
        Command::Push { action } => push::run(client, action),
        Command::Devices => {
            let devices = client.devices()?;
            Ok(Output::new(render::devices(&devices), to_json(&devices)))
        }
        Command::Revoke { device_id } => {
            client.revoke_device(&device_id)?;
            Ok(Output::new(
                "Appareil révoqué : il ne peut plus accéder au compte.",
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
            let kind = render::document_kind(&kind)?;
            let valid_until = valid_until.as_deref().map(parse_date).transpose()?;
            client.queue_document_file(&file, kind, child_id.as_deref(), valid_until)?;
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
        Err(Error::Network(_)) => {
            eprintln!(
                "cartable : pas de connexion ; les documents en attente seront envoyés à la \
                 prochaine synchronisation."
            );
            None
        }
        Err(e) => {
            eprintln!("cartable : documents pas envoyés pour le moment ({e})");
            None
        }
    };
    let docs = client.documents()?;
    let dossier = client.dossier()?;
    Ok(Output::new(
        render::documents(&docs, &dossier),
        json!({"send": report, "documents": docs}),
    ))
}

/// Reads a date as parents write it: JJ/MM/AAAA (or AAAA-MM-JJ).
pub fn parse_date(s: &str) -> Result<Date, Error> {
    cartable_core::domain::words::parse_date(s).map_err(Error::InvalidInput)
}

/// Asks for the password on stderr and reads one line of stdin.
fn prompt_password(prompt: &str) -> Result<String, Error> {
    eprint!("{prompt}");
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
