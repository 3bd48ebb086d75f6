//! The `cartable-server` command line.

use crate::AppState;
use crate::admin::{self, NewLogin};
use crate::settings::Settings;
use cartable_domain::catalogue::Contact;
use cartable_domain::dossier::ChildSheet;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "cartable-server",
    version,
    about = "Cartable: family portal server"
)]
struct Cli {
    /// Settings file (TOML); `CARTABLE_*` variables override it.
    #[arg(long, global = true, env = "CARTABLE_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, global = true)]
    listen: Option<SocketAddr>,
    /// Data folder (default ./cartable-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run with a demo town hall, families and logins (created on first run).
    Demo,
    /// Run without demo data.
    Serve,
    /// Administration tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a structure (town hall or association); prints its id.
    CreateStructure {
        name: String,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        address: String,
    },
    /// List the structures: id, name, families and staff logins.
    ListStructures,
    /// Create a staff login; prints a one-time password.
    CreateStaff {
        /// The structure's id, or its name when no other structure has it.
        #[arg(long)]
        structure: String,
        login: String,
        first_name: String,
        last_name: String,
        /// Agent (daily work) instead of administrator.
        #[arg(long)]
        agent: bool,
    },
    /// Create a family with its parents' logins; prints one-time passwords.
    CreateFamily {
        /// The structure's id, or its name when no other structure has it.
        #[arg(long)]
        structure: String,
        /// Family name, e.g. "Famille Martin".
        name: String,
        /// Parent as FIRST:LAST:LOGIN (repeat for each parent).
        #[arg(long = "parent", required = true)]
        parents: Vec<String>,
        /// Child as FIRST:LAST:BIRTHDATE (repeat for each child).
        #[arg(long = "child")]
        children: Vec<String>,
    },
    /// Rebuild the relational projections from the documents alone.
    RebuildProjections,
    /// Issue a new one-time password for a login (ends its sessions); prints it.
    ResetPassword { login: String },
    /// Forget a staff login's second factor (a lost phone): set up again at the next login
    /// (ends its sessions).
    ResetSecondFactor { login: String },
    /// Delete personal data past their retention periods (health data of children who left,
    /// supporting documents, attendance and plannings, audit log, families gone, accounting
    /// after 10 years); prints the count per category.
    Purge {
        /// Count only, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Erase a family (by id or a parent's login): personal data, documents, files, logins,
    /// devices and push subscriptions; invoices and payments are kept for the accounting.
    EraseFamily { family: String },
    /// Create a new VAPID key pair for push notifications. Devices subscribed with the old
    /// key keep receiving messages until they subscribe again; `--prune` deletes keys no
    /// subscription uses any more.
    RotateVapidKey {
        #[arg(long)]
        prune: bool,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CARTABLE_LOG")
                .unwrap_or_else(|_| "cartable_server=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erreur : {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut s = Settings::load(cli.config.as_deref())?;
    if let Some(l) = cli.listen {
        s.listen = l;
    }
    if let Some(d) = &cli.data_dir {
        s.data_dir = d.clone();
    }
    Ok(s)
}

fn split3(value: &str, what: &str) -> anyhow::Result<(String, String, String)> {
    let parts: Vec<&str> = value.split(':').collect();
    match parts.as_slice() {
        [a, b, c] if !a.is_empty() && !b.is_empty() => {
            Ok((a.to_string(), b.to_string(), c.to_string()))
        }
        _ => anyhow::bail!("{what} attendu au format A:B:C, reçu « {value} »"),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = settings(&cli)?;
    let state = AppState::open(settings.clone()).await?;
    match cli.command {
        Command::Demo => {
            let logins = crate::demo::ensure_demo(&state).await?;
            serve(state, settings, Some(logins)).await
        }
        Command::Serve => serve(state, settings, None).await,
        Command::Admin(cmd) => admin_command(&state, cmd).await,
    }
}

async fn serve(
    state: AppState,
    settings: Settings,
    demo: Option<Vec<crate::demo::DemoLogin>>,
) -> anyhow::Result<()> {
    crate::open_files::raise_and_log();
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    println!("Cartable écoute sur http://{addr}");
    println!("  API : http://{addr}/api/openapi.json   santé : http://{addr}/healthz");
    println!("  stockage : {}", state.db.backend.name());
    println!("Page d'administration (personnel) : http://{addr}/admin/");
    if let Some(logins) = demo {
        println!("Comptes de démonstration :");
        for l in logins {
            println!(
                "  {:<28} {:<16} mot de passe {:<12} {}",
                l.role,
                l.credentials.login,
                l.credentials.password,
                l.family.unwrap_or("")
            );
        }
        println!(
            "  L'administratrice active la double authentification à sa première connexion \
             (une application TOTP sur téléphone : FreeOTP, Aegis...)."
        );
        println!(
            "Essayez : cargo run -p cartable-core --bin cartable -- login --server http://{addr} \
             camille.martin --password demo-parent"
        );
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    crate::launch(state, listener, shutdown).await
}

async fn admin_command(state: &AppState, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::CreateStructure {
            name,
            phone,
            email,
            address,
        } => {
            let contact = Contact {
                phone,
                email,
                address,
                opening_hours: String::new(),
            };
            let id = admin::create_structure(state, &name, contact).await?;
            println!("structure créée : {id}");
        }
        AdminCommand::CreateStaff {
            structure,
            login,
            first_name,
            last_name,
            agent,
        } => {
            let who = NewLogin {
                first_name,
                last_name,
                login,
                password: None,
            };
            let structure = admin::resolve_structure(state, &structure).await?;
            let c = admin::create_staff(state, &structure, &who, !agent).await?;
            println!(
                "compte créé : {} / mot de passe (à usage unique) : {}",
                c.login, c.password
            );
        }
        AdminCommand::CreateFamily {
            structure,
            name,
            parents,
            children,
        } => {
            let parents = parents
                .iter()
                .map(|p| {
                    split3(p, "--parent").map(|(first_name, last_name, login)| NewLogin {
                        first_name,
                        last_name,
                        login,
                        password: None,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let children = children
                .iter()
                .map(|c| {
                    let (first_name, last_name, birth_date) = split3(c, "--child")?;
                    if !birth_date.is_empty() && birth_date.parse::<jiff::civil::Date>().is_err() {
                        anyhow::bail!("date de naissance invalide « {birth_date} » (AAAA-MM-JJ)");
                    }
                    Ok(ChildSheet {
                        first_name,
                        last_name,
                        birth_date,
                        ..Default::default()
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let structure = admin::resolve_structure(state, &structure).await?;
            let (family_id, creds) =
                admin::create_family(state, &structure, &name, &parents, &children).await?;
            println!("famille créée : {family_id}");
            for c in creds {
                println!(
                    "  {} ({}) / mot de passe (à usage unique) : {}",
                    c.login, c.display_name, c.password
                );
            }
        }
        AdminCommand::ListStructures => {
            let all = admin::list_structures(state).await?;
            if all.is_empty() {
                println!(
                    "aucune structure : `cartable-server admin create-structure NOM` en crée une"
                );
            }
            for s in all {
                println!(
                    "{}  {}  ({} famille{}, {} compte{} du personnel)",
                    s.id,
                    s.name,
                    s.families,
                    if s.families > 1 { "s" } else { "" },
                    s.staff,
                    if s.staff > 1 { "s" } else { "" }
                );
            }
        }
        AdminCommand::ResetPassword { login } => {
            let otp =
                crate::auth::account_ops::issue_one_time_password_for_login(state, &login).await?;
            println!(
                "{} / nouveau mot de passe (à usage unique) : {}",
                otp.login, otp.password
            );
        }
        AdminCommand::ResetSecondFactor { login } => {
            admin::reset_second_factor(state, &login).await?;
            println!(
                "{login} : double authentification réinitialisée, à activer à la prochaine connexion"
            );
        }
        AdminCommand::RebuildProjections => {
            let (docs, rows) = admin::rebuild_projections(state).await?;
            println!("projections reconstruites : {docs} documents, {rows} lignes");
        }
        AdminCommand::Purge { dry_run } => {
            let report = crate::retention::purge(state, dry_run).await?;
            println!(
                "{}",
                if dry_run {
                    "purge (simulation, rien n'est supprimé) :"
                } else {
                    "purge effectuée :"
                }
            );
            for (label, n) in report.lines() {
                println!("  {label:<58} {n}");
            }
        }
        AdminCommand::EraseFamily { family } => {
            let e = crate::retention::erase::erase_family(state, &family).await?;
            if e.already_erased {
                println!("famille {} déjà effacée", e.family_id);
            } else {
                println!("famille {} effacée :", e.family_id);
            }
            println!(
                "  {} comptes, {} appareils, {} abonnements push, {} documents synchronisés, \
                 {} justificatifs, {} fichiers supprimés",
                e.accounts,
                e.devices,
                e.push_subscriptions,
                e.documents,
                e.supporting_documents,
                e.files
            );
            println!(
                "  conservés pour la comptabilité, au nom « {} » : {} factures ou avoirs, {} paiements",
                e.kept_name, e.invoices_kept, e.payments_kept
            );
        }
        AdminCommand::RotateVapidKey { prune } => {
            let key =
                crate::push::vapid::rotate(&state.db, state.clock.now().as_millisecond()).await?;
            println!("nouvelle clé VAPID publique : {}", key.public_key);
            if prune {
                let n = crate::push::vapid::prune(&state.db).await?;
                println!("anciennes clés supprimées : {n}");
            }
        }
    }
    Ok(())
}
