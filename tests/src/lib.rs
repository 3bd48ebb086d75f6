//! Test harness: a real `cartable-server` on port 0, on SQLite and on PostgreSQL.
//!
//! Every scenario runs once per available backend. SQLite is always there. PostgreSQL runs
//! when `CARTABLE_TEST_DATABASE_URL` names a server where the test user may create
//! databases (each server under test gets a fresh database); without it the PostgreSQL run
//! is reported as skipped, and with `CARTABLE_REQUIRE_ALL=1` it is a failure.

pub mod admin_page;
pub mod axe;
pub mod billing;
pub mod binaries;
pub mod chromium;
pub mod cli;
pub mod daily;
pub mod empty_database;
pub mod family;
pub mod hostile;
pub mod http;
pub mod private_postgres;
pub mod process;
pub mod push_service;
pub mod raw;
pub mod refusals;
pub mod routes;
pub mod staff;
pub mod traces;

use cartable_domain::dossier::ChildSheet;
use cartable_server::AppState;
use cartable_server::admin::{self, Credentials, NewLogin};
use cartable_server::clock::ManualClock;
use cartable_server::settings::Settings;
use sqlx::{Connection, Executor, Row};
use std::future::Future;
use std::sync::Arc;

/// Which storage a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// True when missing optional test dependencies must fail the run.
pub fn require_all() -> bool {
    std::env::var("CARTABLE_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

fn postgres_admin_url() -> Option<String> {
    std::env::var("CARTABLE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// The backends to run on, announcing a skipped PostgreSQL run.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    if postgres_admin_url().is_some() {
        out.push(Backend::Postgres);
    } else if require_all() {
        panic!(
            "CARTABLE_REQUIRE_ALL=1 but CARTABLE_TEST_DATABASE_URL is not set: PostgreSQL tests cannot run"
        );
    } else {
        eprintln!("SKIPPED on PostgreSQL: CARTABLE_TEST_DATABASE_URL is not set (SQLite ran)");
    }
    out
}

/// Runs `scenario` once per backend.
pub fn on_each_backend(scenario: impl Fn(&TestServer)) {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let server = TestServer::start(backend);
        scenario(&server);
    }
}

/// Runs `scenario` once per backend, with a server it may restart.
pub fn on_each_backend_mut(scenario: impl Fn(&mut TestServer)) {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let mut server = TestServer::start(backend);
        scenario(&mut server);
    }
}

/// A family created for a test.
#[derive(Debug, Clone)]
pub struct SeedFamily {
    pub family_id: String,
    pub parents: Vec<Credentials>,
    /// (child id, first name), in first-name order.
    pub children: Vec<(String, String)>,
}

/// A structure created for a test.
#[derive(Debug, Clone)]
pub struct Seed {
    pub structure_id: String,
    /// An administrator of the structure.
    pub staff: Credentials,
    pub families: Vec<SeedFamily>,
}

/// A running server with its own storage.
pub struct TestServer {
    pub url: String,
    pub state: AppState,
    /// The server's clock, set by tests to cross deadlines.
    pub clock: Arc<ManualClock>,
    settings: Settings,
    pub backend: Backend,
    runtime: tokio::runtime::Runtime,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    postgres_db: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

/// Settings tests start from: small limits so that limits are testable.
pub fn test_settings(dir: &std::path::Path) -> Settings {
    Settings {
        data_dir: dir.to_path_buf(),
        max_sync_body_bytes: 256 * 1024,
        compaction_threshold: 4,
        // The tests' push service listens on plain http on loopback.
        push_allow_http_endpoints: true,
        push_poll_ms: 100,
        ..Settings::default()
    }
}

impl TestServer {
    pub fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {})
    }

    /// Starts a server after `adjust` changed its settings.
    pub fn start_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestServer {
        // Server errors reach stderr (level from RUST_LOG, `error` by default), so a test
        // that fails on a 500 shows why.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
            )
            .with_writer(std::io::stderr)
            .try_init();
        let dir = tempfile::tempdir().expect("temporary folder");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let mut settings = test_settings(dir.path());
        let postgres_db = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin_url = postgres_admin_url().expect("PostgreSQL URL");
                let name = runtime.block_on(create_postgres_database(&admin_url));
                settings.database_url = Some(with_database(&admin_url, &name));
                Some((admin_url, name))
            }
        };
        adjust(&mut settings);
        let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
        Self::serve(runtime, settings, backend, postgres_db, dir, clock)
    }

    /// A server on the PostgreSQL database at `url` (e.g. a private cluster of the test's own).
    pub fn start_on_postgres(url: &str) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut settings = test_settings(dir.path());
        settings.database_url = Some(url.to_string());
        let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
        Self::serve(runtime, settings, Backend::Postgres, None, dir, clock)
    }

    /// A second server process on the same PostgreSQL database (its own caches and actor).
    pub fn another_process(&self) -> TestServer {
        assert_eq!(self.backend, Backend::Postgres, "SQLite serves one process");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let dir = tempfile::tempdir().expect("temporary folder");
        Self::serve(
            runtime,
            self.settings.clone(),
            self.backend,
            None,
            dir,
            self.clock.clone(),
        )
    }

    fn serve(
        runtime: tokio::runtime::Runtime,
        settings: Settings,
        backend: Backend,
        postgres_db: Option<(String, String)>,
        dir: tempfile::TempDir,
        clock: Arc<ManualClock>,
    ) -> TestServer {
        let state = runtime
            .block_on(AppState::open(settings.clone()))
            .expect("server state")
            .with_clock(clock.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind port 0");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        runtime.spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = cartable_server::launch(serving, listener, shutdown).await {
                eprintln!("test server stopped: {e}");
            }
        });
        TestServer {
            url,
            state,
            clock,
            settings,
            backend,
            runtime,
            shutdown: Some(tx),
            postgres_db,
            _dir: dir,
        }
    }

    /// Stops the server and starts it again on the same storage and address, as an operator's
    /// restart would: new connections, empty caches, nothing kept in memory.
    pub fn restart(&mut self) {
        let addr = self
            .url
            .trim_start_matches("http://")
            .parse::<std::net::SocketAddr>()
            .expect("server address");
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.runtime.block_on(self.state.db.close());
        let state = self
            .runtime
            .block_on(AppState::open(self.settings.clone()))
            .expect("server state after restart")
            .with_clock(self.clock.clone());
        let listener = self.runtime.block_on(async {
            for _ in 0..100 {
                if let Ok(l) = tokio::net::TcpListener::bind(addr).await {
                    return l;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the server's address stayed busy after its shutdown");
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        self.runtime.spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = cartable_server::launch(serving, listener, shutdown).await {
                eprintln!("test server stopped: {e}");
            }
        });
        self.state = state;
        self.shutdown = Some(tx);
    }

    /// Stops serving and closes the storage, leaving it for another process (see
    /// [`process::ServerProcess`]); [`TestServer::restart`] serves it again in this process.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.runtime.block_on(self.state.db.close());
    }

    /// The settings the server runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs a future on the server's runtime (for direct storage checks).
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// A structure with `families` families of two parents and two children each.
    pub fn seed(&self, families: usize) -> Seed {
        self.block_on(async {
            let structure_id = admin::create_structure(&self.state, "Mairie de Test", Default::default())
                .await
                .expect("structure");
            let staff = admin::create_staff(
                &self.state,
                &structure_id,
                &NewLogin {
                    first_name: "Nadia".into(),
                    last_name: "Agent".into(),
                    login: format!("admin.{}", &structure_id[..8]),
                    password: Some("mot-de-passe-test".into()),
                },
                true,
            )
            .await
            .expect("staff");
            let mut out = Vec::new();
            for i in 0..families {
                let parents = [("Alex", "a"), ("Sam", "b")]
                    .iter()
                    .map(|(first, tag)| NewLogin {
                        first_name: first.to_string(),
                        last_name: format!("Famille{i}"),
                        login: format!("parent{i}{tag}.{}", &structure_id[..8]),
                        password: Some("mot-de-passe-test".into()),
                    })
                    .collect::<Vec<_>>();
                let children = ["Léa", "Hugo"]
                    .iter()
                    .map(|first| ChildSheet {
                        first_name: first.to_string(),
                        last_name: format!("Famille{i}"),
                        birth_date: "2018-05-04".into(),
                        ..Default::default()
                    })
                    .collect::<Vec<_>>();
                let (family_id, parents) =
                    admin::create_family(&self.state, &structure_id, &format!("Famille {i}"), &parents, &children)
                        .await
                        .expect("family");
                let rows = sqlx::query(
                    "SELECT child_id, first_name FROM children WHERE family_id = $1 ORDER BY first_name",
                )
                .bind(family_id.as_str())
                .fetch_all(&self.state.db.pool)
                .await
                .expect("children");
                let children = rows
                    .iter()
                    .map(|r| (r.get::<String, _>("child_id"), r.get::<String, _>("first_name")))
                    .collect();
                out.push(SeedFamily {
                    family_id: family_id.into_string(),
                    parents,
                    children,
                });
            }
            Seed {
                structure_id: structure_id.into_string(),
                staff,
                families: out,
            }
        })
    }

    /// Runs test-only statements (triggers that make storage fail, their removal) one after
    /// the other on the server's storage.
    pub fn execute_all(&self, statements: impl IntoIterator<Item = String>) {
        self.block_on(async {
            for sql in statements {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&self.state.db.pool)
                    .await
                    .expect("test statement");
            }
        })
    }

    /// Runs one SQL query returning a single integer.
    pub fn count(&self, sql: &'static str, family_id: &str) -> i64 {
        self.block_on(async {
            sqlx::query(sql)
                .bind(family_id)
                .fetch_one(&self.state.db.pool)
                .await
                .expect("count query")
                .get::<i64, _>(0)
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some((admin_url, name)) = self.postgres_db.take() {
            let db = self.state.db.clone();
            self.runtime.block_on(async move {
                db.close().await;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                }
            });
        }
    }
}

/// Creates a database of a new name on the tests' PostgreSQL server; returns its name.
async fn create_postgres_database(admin_url: &str) -> String {
    let name = format!("cartable_test_{}", cartable_server::auth::new_id());
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to PostgreSQL");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create test database");
    name
}

fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A fresh client-core store in a temporary folder.
pub struct Device {
    pub dir: tempfile::TempDir,
}

impl Device {
    pub fn new() -> Device {
        Device {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }
    pub fn open(&self) -> cartable_core::Client {
        cartable_core::Client::open(self.dir.path()).expect("open client store")
    }
}

impl Default for Device {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_replaces_the_admin_database() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5432/postgres", "t1"),
            "postgres://u:p@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
    }
}
