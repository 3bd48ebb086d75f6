//! Migrations compiled into the binary, one tree per backend.

use super::{Backend, Db};
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../../migrations/sqlite/0001_foundation.sql"),
    ),
    (
        2,
        "planning rules",
        include_str!("../../../migrations/sqlite/0002_planning_rules.sql"),
    ),
    (
        3,
        "dossier review",
        include_str!("../../../migrations/sqlite/0003_dossier_review.sql"),
    ),
    (
        4,
        "supporting documents",
        include_str!("../../../migrations/sqlite/0004_supporting_documents.sql"),
    ),
    (
        5,
        "information and downloads",
        include_str!("../../../migrations/sqlite/0005_information_downloads.sql"),
    ),
    (
        6,
        "decision causes",
        include_str!("../../../migrations/sqlite/0006_decision_causes.sql"),
    ),
    (
        10,
        "invoicing",
        include_str!("../../../migrations/sqlite/0010_invoicing.sql"),
    ),
    (
        20,
        "push notifications",
        include_str!("../../../migrations/sqlite/0020_push.sql"),
    ),
    (
        30,
        "sessions, passwords and login throttling",
        include_str!("../../../migrations/sqlite/0030_sessions_passwords_throttle.sql"),
    ),
    (
        40,
        "admin page sessions and second factor",
        include_str!("../../../migrations/sqlite/0040_admin_page.sql"),
    ),
    (
        50,
        "invoicing lookups",
        include_str!("../../../migrations/sqlite/0050_invoicing_lookups.sql"),
    ),
    (
        51,
        "invoicing lookups by family",
        include_str!("../../../migrations/sqlite/0051_invoicing_family_lookups.sql"),
    ),
    (
        70,
        "staff accounts disabled",
        include_str!("../../../migrations/sqlite/0070_staff_accounts_disabled.sql"),
    ),
    (
        80,
        "retention and erasure",
        include_str!("../../../migrations/sqlite/0080_retention.sql"),
    ),
    (
        90,
        "name search keys",
        include_str!("../../../migrations/sqlite/0090_name_search_keys.sql"),
    ),
    (
        100,
        "invoice PDF packs",
        include_str!("../../../migrations/sqlite/0100_invoice_pdf_packs.sql"),
    ),
    (
        110,
        "invoice PDF places",
        include_str!("../../../migrations/sqlite/0110_invoice_pdf_places.sql"),
    ),
    (
        120,
        "sync read from indexes",
        include_str!("../../../migrations/sqlite/0120_sync_read_from_indexes.sql"),
    ),
];

const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "planning rules",
        include_str!("../../../migrations/postgres/0002_planning_rules.sql"),
    ),
    (
        3,
        "dossier review",
        include_str!("../../../migrations/postgres/0003_dossier_review.sql"),
    ),
    (
        4,
        "supporting documents",
        include_str!("../../../migrations/postgres/0004_supporting_documents.sql"),
    ),
    (
        5,
        "information and downloads",
        include_str!("../../../migrations/postgres/0005_information_downloads.sql"),
    ),
    (
        6,
        "decision causes",
        include_str!("../../../migrations/postgres/0006_decision_causes.sql"),
    ),
    (
        10,
        "invoicing",
        include_str!("../../../migrations/postgres/0010_invoicing.sql"),
    ),
    (
        20,
        "push notifications",
        include_str!("../../../migrations/postgres/0020_push.sql"),
    ),
    (
        30,
        "sessions, passwords and login throttling",
        include_str!("../../../migrations/postgres/0030_sessions_passwords_throttle.sql"),
    ),
    (
        40,
        "admin page sessions and second factor",
        include_str!("../../../migrations/postgres/0040_admin_page.sql"),
    ),
    (
        50,
        "invoicing lookups",
        include_str!("../../../migrations/postgres/0050_invoicing_lookups.sql"),
    ),
    (
        51,
        "invoicing lookups by family",
        include_str!("../../../migrations/postgres/0051_invoicing_family_lookups.sql"),
    ),
    (
        70,
        "staff accounts disabled",
        include_str!("../../../migrations/postgres/0070_staff_accounts_disabled.sql"),
    ),
    (
        80,
        "retention and erasure",
        include_str!("../../../migrations/postgres/0080_retention.sql"),
    ),
    (
        90,
        "name search keys",
        include_str!("../../../migrations/postgres/0090_name_search_keys.sql"),
    ),
    (
        100,
        "invoice PDF packs",
        include_str!("../../../migrations/postgres/0100_invoice_pdf_packs.sql"),
    ),
    (
        110,
        "invoice PDF places",
        include_str!("../../../migrations/postgres/0110_invoice_pdf_places.sql"),
    ),
];

pub async fn run(db: &Db) -> Result<(), sqlx::migrate::MigrateError> {
    run_until(&db.pool, db.backend, i64::MAX).await
}

/// Runs the migrations of `backend` numbered up to `last` on `pool`: a test of a migration
/// that moves data writes the rows of the schema before it, then runs the rest.
pub async fn run_until(
    pool: &sqlx::AnyPool,
    backend: Backend,
    last: i64,
) -> Result<(), sqlx::migrate::MigrateError> {
    let tree = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrations = tree
        .iter()
        .filter(|(version, ..)| *version <= last)
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                (*name).into(),
                MigrationType::Simple,
                (*sql).into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations).run(pool).await
}
