//! An empty database on a backend, with no migration run: for tests of the migrations
//! themselves, and of statements on tables a test fills by hand. [`EmptyDatabase::drop_now`] drops a PostgreSQL one at the test's end (a test
//! that panics before leaves it, named `cartable_test_…`, on the tests' server).

use crate::Backend;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Executor};

/// Runs `scenario` once per backend ([`crate::backends`]) on a new empty database, through a
/// pool of one connection (every statement and transaction of the scenario on that same
/// connection), then closes the pool and drops the database.
pub fn on_each_empty_database(scenario: impl AsyncFn(Backend, &EmptyDatabase, &AnyPool)) {
    sqlx::any::install_default_drivers();
    for backend in crate::backends() {
        eprintln!("-- backend {backend:?}");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let database = EmptyDatabase::create(backend).await;
            let pool = AnyPoolOptions::new()
                .max_connections(1)
                .connect(&database.url)
                .await
                .expect("connect");
            scenario(backend, &database, &pool).await;
            pool.close().await;
            database.drop_now().await;
        });
    }
}

/// An empty database and the URL that names it.
pub struct EmptyDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl EmptyDatabase {
    /// Creates one on `backend` (PostgreSQL's on the tests' server).
    pub async fn create(backend: Backend) -> EmptyDatabase {
        let dir = tempfile::tempdir().expect("temporary folder");
        match backend {
            Backend::Sqlite => EmptyDatabase {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("empty.db").display()
                ),
                postgres: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let admin_url = crate::postgres_admin_url().expect("PostgreSQL URL");
                let name = crate::create_postgres_database(&admin_url).await;
                EmptyDatabase {
                    url: crate::with_database(&admin_url, &name),
                    postgres: Some((admin_url, name)),
                    _dir: dir,
                }
            }
        }
    }

    /// The server's name for the database's backend.
    pub fn backend(&self) -> cartable_server::db::Backend {
        if self.postgres.is_some() {
            cartable_server::db::Backend::Postgres
        } else {
            cartable_server::db::Backend::Sqlite
        }
    }

    /// Drops a PostgreSQL database (nothing to do for SQLite's file, removed with its
    /// folder). The pools on it must be closed first.
    pub async fn drop_now(mut self) {
        if let Some((admin_url, name)) = self.postgres.take()
            && let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await
        {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await;
        }
    }
}
