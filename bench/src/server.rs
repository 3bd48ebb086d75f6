//! The real server, started in this process on a runtime of its own, and the seeding of
//! structures and families through the server's own admin functions.

use crate::start::{self, Start};
use anyhow::{Context, anyhow, bail};
use cartable_domain::catalogue::Contact;
use cartable_domain::dossier::{ChildSheet, Diet};
use cartable_server::docs::catalogue;
use cartable_server::settings::Settings;
use cartable_server::{AppState, admin};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tokio::runtime::Runtime;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;

/// Where the server keeps its data.
#[derive(Debug, Clone)]
pub enum Storage {
    /// SQLite in a fresh temporary folder under `parent`.
    Sqlite { parent: Option<std::path::PathBuf> },
    /// PostgreSQL at `url`; `reset` drops and recreates the `public` schema first.
    Postgres { url: String, reset: bool },
}

/// A running in-process server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    pub data_dir: Option<tempfile::TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Starts the server on `rt`, listening on an ephemeral loopback port.
pub fn start(rt: &Runtime, storage: &Storage) -> anyhow::Result<Server> {
    let mut settings = Settings::default();
    // Same knobs as the real binary: `CARTABLE_DB_MAX_CONNECTIONS=32` etc. apply here too.
    settings
        .apply_env(std::env::vars())
        .context("CARTABLE_* environment")?;
    settings.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let data_dir = match storage {
        Storage::Sqlite { parent } => {
            let dir = match parent {
                Some(p) => tempfile::Builder::new()
                    .prefix("cartable-bench-")
                    .tempdir_in(p),
                None => tempfile::Builder::new().prefix("cartable-bench-").tempdir(),
            }
            .context("creating the data folder")?;
            settings.data_dir = dir.path().to_path_buf();
            settings.database_url = None;
            Some(dir)
        }
        Storage::Postgres { url, reset } => {
            if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
                bail!("--database-url must be a postgres:// URL");
            }
            if *reset {
                rt.block_on(reset_postgres(url))?;
            }
            settings.database_url = Some(url.clone());
            None
        }
    };
    let (state, listener) = rt.block_on(async {
        let state = AppState::open(settings).await.context("opening storage")?;
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("binding 127.0.0.1")?;
        anyhow::Ok((state, listener))
    })?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let handle = rt.spawn(cartable_server::launch(
        state.clone(),
        listener,
        async move {
            let _ = rx.await;
        },
    ));
    Ok(Server {
        addr,
        state,
        data_dir,
        shutdown: Some(tx),
        handle: Some(handle),
    })
}

impl Server {
    /// Stops accepting, lets in-flight requests finish, and reports how serving ended.
    pub fn stop(&mut self, rt: &Runtime) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.handle.take() {
            rt.block_on(async {
                match tokio::time::timeout(std::time::Duration::from_secs(10), handle).await {
                    Ok(Ok(served)) => served,
                    Ok(Err(e)) => Err(anyhow!("server task: {e}")),
                    Err(_) => Err(anyhow!("server did not stop within 10 s")),
                }
            })?;
        }
        Ok(())
    }

    pub fn data_path(&self) -> Option<&Path> {
        self.data_dir.as_ref().map(|d| d.path())
    }
}

async fn reset_postgres(url: &str) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    sqlx::query("DROP SCHEMA public CASCADE")
        .execute(&pool)
        .await
        .context("DROP SCHEMA public CASCADE")?;
    sqlx::query("CREATE SCHEMA public")
        .execute(&pool)
        .await
        .context("CREATE SCHEMA public")?;
    pool.close().await;
    Ok(())
}

/// The password of every seeded parent.
pub const PASSWORD: &str = "bench-parent-password";

/// One seeded family: its parent's login.
#[derive(Debug, Clone)]
pub struct SeededFamily {
    pub index: usize,
    pub login: String,
}

fn child(first: &str, last: &str, birth: &str, class: &str, diet: Diet) -> ChildSheet {
    ChildSheet {
        first_name: first.into(),
        last_name: last.into(),
        birth_date: birth.into(),
        school: "École élémentaire Jules-Ferry".into(),
        class: class.into(),
        diet,
        image_authorisation: true,
        vaccinations_up_to_date: true,
        ..Default::default()
    }
}

/// Creates `structures` structures and `families` families spread over them (one parent
/// login, two children each), `parallel` at a time, starting as `start` says. Runs on the
/// server's runtime: argon2 hashing of the parents' passwords dominates, then booking the
/// school year.
pub fn seed(
    rt: &Runtime,
    state: &AppState,
    run_id: &str,
    structures: usize,
    families: usize,
    parallel: usize,
    start: Start,
) -> anyhow::Result<Vec<SeededFamily>> {
    let structures = structures.max(1);
    // Family i belongs to structure i % structures.
    let families_in = |s: usize| (families + structures - 1 - s) / structures;
    rt.block_on(async {
        let mut structure_ids = Vec::with_capacity(structures);
        let mut catalogues = Vec::with_capacity(structures);
        for s in 0..structures {
            let id = admin::create_structure(
                state,
                &format!("Mairie de Banc-d'Essai {run_id} n°{s}"),
                Contact {
                    phone: "02 40 00 00 00".into(),
                    email: "periscolaire@banc-essai.example".into(),
                    address: "1 place de la Mairie, 44000 Banc-d'Essai".into(),
                    opening_hours: "Lundi au vendredi, 8 h 30 – 12 h".into(),
                },
            )
            .await
            .map_err(|e| anyhow!("create_structure: {e}"))?;
            let catalogue = if start.rules {
                start::apply_rules(state, &id, families_in(s)).await?
            } else {
                catalogue::read(state, &id)
                    .await
                    .map_err(|e| anyhow!("catalogue: {e}"))?
            };
            structure_ids.push(id);
            catalogues.push(Arc::new(catalogue));
        }
        let started = Instant::now();
        let done = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(Semaphore::new(parallel.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..families {
            let state = state.clone();
            let structure_id = structure_ids[i % structures].clone();
            let catalogue = catalogues[i % structures].clone();
            let children_in_structure = u32::try_from(2 * families_in(i % structures))?;
            let login = format!("bench-{run_id}-{i}");
            let gate = gate.clone();
            let done = done.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await?;
                let last = format!("Famille{i}");
                let parents = [admin::NewLogin {
                    first_name: "Camille".into(),
                    last_name: last.clone(),
                    login: login.clone(),
                    password: Some(PASSWORD.into()),
                }];
                let diets = [Diet::Standard, Diet::SansPorc, Diet::Vegetarien];
                let children = [
                    child("Léa", &last, "2017-03-14", "CM1", diets[i % 3]),
                    child("Hugo", &last, "2019-10-02", "CE1", diets[(i + 1) % 3]),
                ];
                let (family_id, _) = admin::create_family(
                    &state,
                    &structure_id,
                    &format!("Famille {last}"),
                    &parents,
                    &children,
                )
                .await
                .map_err(|e| anyhow!("create_family {i}: {e}"))?;
                if start.booked_year {
                    start::book_year(
                        &state,
                        &structure_id,
                        &family_id,
                        &catalogue,
                        children_in_structure,
                    )
                    .await?;
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_multiple_of((families / 10).max(1)) || n == families {
                    eprintln!(
                        "  seeded {n}/{families} families ({:.1} s)",
                        started.elapsed().as_secs_f64()
                    );
                }
                anyhow::Ok(SeededFamily { index: i, login })
            });
        }
        let mut seeded = Vec::with_capacity(families);
        while let Some(joined) = tasks.join_next().await {
            seeded.push(joined.map_err(|e| anyhow!("seeding task: {e}"))??);
        }
        seeded.sort_by_key(|f| f.index);
        // The planner's statistics of the seeded tables, as a running server has them within
        // a minute (`db::statistics`), before anything is measured.
        cartable_server::db::statistics::refresh(&state.db)
            .await
            .context("the planner's statistics")?;
        Ok(seeded)
    })
}
