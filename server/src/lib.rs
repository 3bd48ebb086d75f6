//! Cartable's server: HTTP API, sync endpoint and storage.
//!
//! The binary (`main.rs`) only parses the command line; everything else is here so that
//! tests and the load generator start the real server with [`launch`] on any listener.

pub mod admin;
pub mod admin_page;
mod allocator;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod data_dir;
pub mod db;
pub mod demo;
pub mod demo_billing;
pub mod demo_publications;
pub mod docs;
pub mod error;
pub mod export;
pub mod invoicing;
pub mod objects;
pub mod open_files;
pub mod push;
pub mod retention;
pub mod routes;
pub mod sealed;
pub mod seen;
pub mod settings;
pub mod sync;

use crate::db::Db;
use crate::docs::store::DocStore;
use crate::settings::Settings;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// Everything a request handler may need, behind one `Arc`: axum clones the state for each
/// request's extractors and layers, and a clone is then one counter instead of one per part
/// (a profile of up-to-date syncs put about 3 % of the server's CPU in cloning and dropping
/// the parts one by one, their counters shared by both cores).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub docs: Arc<DocStore>,
    /// Turns of the syncs that write a document (see [`docs::writers`]).
    pub sync_writers: Arc<docs::writers::SyncWriters>,
    /// Supporting documents' bytes, under `<data_dir>/files` (never served as a folder).
    pub files: Arc<dyn object_store::ObjectStore>,
    pub seen: Arc<seen::LastSeen>,
    /// The clock decisions are made with.
    pub clock: Arc<dyn clock::Clock>,
    /// Hydrated catalogues, by storage version.
    pub catalogues: Arc<docs::catalogue::CatalogueCache>,
    /// When each structure's "Informations" must next be republished.
    pub publication: Arc<docs::publication::PublicationSchedule>,
    /// Which device owns each Automerge actor (checked on every incoming change).
    pub actors: Arc<docs::actors::ActorRegistry>,
    /// Incoming changes waiting for the changes they depend on.
    pub orphans: Arc<docs::orphans::OrphanStash>,
    /// The last up-to-date sync reply of each document, given again without loading it.
    pub up_to_date: Arc<docs::up_to_date::UpToDateReplies>,
    /// Push notifications: sender and worker wake-up.
    pub push: Arc<push::PushRuntime>,
    /// Seals the secrets kept at rest (TOTP), with the data folder's key.
    pub seal_key: sealed::SealKey,
}

impl AppState {
    /// Connects to storage (running migrations) and builds the shared state.
    pub async fn open(settings: Settings) -> anyhow::Result<AppState> {
        let db = Db::connect(&settings).await?;
        // The VAPID key pair devices subscribe with, created at first start.
        push::vapid::ensure(&db, jiff::Timestamp::now().as_millisecond()).await?;
        let state = Self::with_db(db, settings)?;
        // Second factors stored before secrets were sealed are sealed now.
        let sealed = db::admin_page::seal_plain_secrets(&state.db, &state.seal_key).await?;
        if sealed > 0 {
            tracing::info!(
                event = "secrets_sealed",
                count = sealed,
                "TOTP secrets sealed"
            );
        }
        Ok(state)
    }

    pub fn with_db(db: Db, settings: Settings) -> anyhow::Result<AppState> {
        let files_dir = settings.data_dir.join("files");
        data_dir::create_private(&settings.data_dir)?;
        data_dir::create_private(&files_dir)?;
        let files = object_store::local::LocalFileSystem::new_with_prefix(&files_dir)?;
        let seal_key = sealed::SealKey::load_or_create(&settings.data_dir)?;
        // Recognisable as the server's by every process, and usable by no device.
        let actor = cartable_reconcile::validate::actors::server_actor(rand::random());
        Ok(AppState(Arc::new(Shared {
            files: Arc::new(files),
            docs: Arc::new(DocStore::new(db.clone(), actor, settings.doc_cache_bytes)),
            sync_writers: Arc::new(docs::writers::SyncWriters::new(settings.sync_writers)),
            seen: Arc::new(seen::LastSeen::default()),
            clock: Arc::new(clock::SystemClock),
            catalogues: Arc::default(),
            publication: Arc::default(),
            actors: Arc::default(),
            orphans: Arc::default(),
            up_to_date: Arc::default(),
            push: Arc::new(push::PushRuntime::new(&settings)?),
            settings: Arc::new(settings),
            db,
            seal_key,
        })))
    }

    /// The same state deciding with `clock` (tests set the time); shared with no one yet,
    /// or else copied.
    pub fn with_clock(mut self, clock: Arc<dyn clock::Clock>) -> AppState {
        Arc::make_mut(&mut self.0).clock = clock;
        self
    }
}

/// Serves the API on `listener` until `shutdown` completes, with the push worker running
/// beside it (unless `push_worker` is off) and the planner's statistics kept current; all
/// stop together.
pub async fn launch(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = state.settings.push_worker.then(|| {
        let state = state.clone();
        let mut stopped = worker_stopped.clone();
        tokio::spawn(push::worker::run(state, async move {
            let _ = stopped.wait_for(|s| *s).await;
        }))
    });
    let purge = state.settings.retention_daily.then(|| {
        let state = state.clone();
        let mut stopped = worker_stopped.clone();
        tokio::spawn(retention::run_daily(state, async move {
            let _ = stopped.wait_for(|s| *s).await;
        }))
    });
    let statistics = {
        let db = state.db.clone();
        let mut stopped = worker_stopped.clone();
        tokio::spawn(db::statistics::keep_fresh(db, async move {
            let _ = stopped.wait_for(|s| *s).await;
        }))
    };
    let app = routes::router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stop_worker.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    if let Some(purge) = purge {
        purge.abort();
    }
    statistics.abort();
    served?;
    Ok(())
}
