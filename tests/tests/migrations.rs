//! Migrations that move rows keep every one of them, on each backend.

use cartable_server::db::migrations;
use cartable_tests::empty_database::on_each_empty_database;
use sqlx::{AnyPool, Row};

/// On each backend, on a new database: the migrations up to `before`, rows written by
/// `write` in that schema, the migrations after it, then `check`.
fn across_the_migrations_after(
    before: i64,
    write: impl AsyncFn(&AnyPool),
    check: impl AsyncFn(&AnyPool),
) {
    on_each_empty_database(async |_, database, pool| {
        migrations::run_until(pool, database.backend(), before)
            .await
            .unwrap_or_else(|e| panic!("migrations up to {before}: {e}"));
        write(pool).await;
        migrations::run_until(pool, database.backend(), i64::MAX)
            .await
            .unwrap_or_else(|e| panic!("the migrations after {before}: {e}"));
        check(pool).await;
    });
}

/// An issued document as the schema before 110 stored it, with its PDF's place on its row.
async fn invoice_with_pdf(
    pool: &sqlx::AnyPool,
    id: &str,
    number: &str,
    place: Option<(&str, i64)>,
) {
    sqlx::query(
        "INSERT INTO invoices (id, structure_id, family_id, kind, number, year, seq, run_month, \
         issued_on, due_on, total_cents, refers_to, reason, content, issued_by, issued_at_ms, \
         pdf_key, pdf_sha256, pdf_offset, pdf_length) VALUES ($1, 's1', $1, 'invoice', $2, \
         2026, $3, '2026-11', '2026-12-01', '2026-12-31', 1250, '', '', '{}', 'staff', 0, \
         $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(number)
    .bind(i64::from(number.ends_with('2')) + 1)
    .bind(place.map(|(key, _)| key))
    .bind(place.map(|_| "ab".repeat(32)))
    .bind(place.map(|(_, offset)| offset))
    .bind(place.map(|_| 17_114_i64))
    .execute(pool)
    .await
    .expect("an invoice of the schema before 110");
}

#[test]
fn the_pdfs_places_move_beside_their_documents_and_none_is_lost() {
    across_the_migrations_after(
        100,
        async |pool| {
            invoice_with_pdf(pool, "i1", "F2026-000001", Some(("invoices/s1/a.pdfs", 0))).await;
            invoice_with_pdf(pool, "i2", "F2026-000002", None).await;
        },
        async |pool| {
            let places = sqlx::query(
                "SELECT i.number, p.pdf_key, p.pdf_sha256, p.pdf_offset, p.pdf_length \
                 FROM invoices i LEFT JOIN invoice_pdfs p ON p.invoice_id = i.id ORDER BY i.number",
            )
            .fetch_all(pool)
            .await
            .expect("places")
            .iter()
            .map(|r| {
                (
                    r.get::<String, _>(0),
                    r.get::<Option<String>, _>(1),
                    r.get::<Option<String>, _>(2),
                    r.get::<Option<i64>, _>(3),
                    r.get::<Option<i64>, _>(4),
                )
            })
            .collect::<Vec<_>>();
            assert_eq!(
                places,
                vec![
                    (
                        "F2026-000001".to_string(),
                        Some("invoices/s1/a.pdfs".to_string()),
                        Some("ab".repeat(32)),
                        Some(0),
                        Some(17_114),
                    ),
                    ("F2026-000002".to_string(), None, None, None, None),
                ]
            );
            // The document's own row no longer has them.
            let old = sqlx::query("SELECT pdf_key FROM invoices")
                .fetch_all(pool)
                .await;
            assert!(old.is_err(), "pdf_key still on invoices");
        },
    );
}

/// A family with a device and two documents, and the device's sync state of each, as the
/// schema before 120 stored them.
async fn device_with_sync_states(pool: &sqlx::AnyPool) {
    let rows: [(&str, Vec<&str>); 6] = [
        (
            "INSERT INTO structures (id, name, created_at_ms) VALUES ($1, 'Mairie', 0)",
            vec!["s1"],
        ),
        (
            "INSERT INTO families (id, structure_id, name, created_at_ms) \
             VALUES ($1, 's1', 'Moreau', 0)",
            vec!["f1"],
        ),
        (
            "INSERT INTO accounts (id, structure_id, family_id, login, password_hash, \
             display_name, role, created_at_ms) \
             VALUES ($1, 's1', 'f1', 'moreau', 'x', 'Camille Moreau', 'parent', 0)",
            vec!["a1"],
        ),
        (
            "INSERT INTO devices (id, account_id, token_hash, name, created_at_ms) \
             VALUES ($1, 'a1', 'hash-d1', 'Téléphone', 0)",
            vec!["d1"],
        ),
        (
            "INSERT INTO documents (id, structure_id, family_id, kind, school_year, version, \
             created_at_ms) VALUES ($1, 's1', 'f1', 'dossier', NULL, 3, 0), \
             ($2, 's1', 'f1', 'planning', '2026-2027', 7, 0)",
            vec!["doc-dossier", "doc-planning"],
        ),
        (
            "INSERT INTO sync_states (device_id, doc_id, state) \
             VALUES ('d1', $1, $3), ('d1', $2, $4)",
            vec![
                "doc-dossier",
                "doc-planning",
                "state-of-dossier",
                "state-of-planning",
            ],
        ),
    ];
    for (sql, binds) in rows {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = if b.starts_with("state-") {
                q.bind(b.as_bytes().to_vec())
            } else {
                q.bind(b)
            };
        }
        q.execute(pool)
            .await
            .expect("a row of the schema before 120");
    }
}

#[test]
fn sync_states_keep_every_device_s_state_when_read_from_indexes() {
    across_the_migrations_after(110, device_with_sync_states, async |pool| {
        let states = || async {
            sqlx::query("SELECT device_id, doc_id, state FROM sync_states ORDER BY doc_id")
                .fetch_all(pool)
                .await
                .expect("states")
                .iter()
                .map(|r| {
                    (
                        r.get::<String, _>(0),
                        r.get::<String, _>(1),
                        r.get::<Vec<u8>, _>(2),
                    )
                })
                .collect::<Vec<_>>()
        };
        let state = |doc: &str, s: &str| ("d1".to_string(), doc.to_string(), s.as_bytes().to_vec());
        assert_eq!(
            states().await,
            vec![
                state("doc-dossier", "state-of-dossier"),
                state("doc-planning", "state-of-planning"),
            ]
        );
        // A sync's write of its state still replaces the one kept.
        sqlx::query(
            "INSERT INTO sync_states (device_id, doc_id, state) VALUES ('d1', 'doc-planning', $1) \
                 ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
        )
        .bind(b"state-after-sync".to_vec())
        .execute(pool)
        .await
        .expect("upsert");
        assert_eq!(
            states().await,
            vec![
                state("doc-dossier", "state-of-dossier"),
                state("doc-planning", "state-after-sync"),
            ]
        );
        // A state for a document that does not exist is still refused.
        let orphan = sqlx::query(
            "INSERT INTO sync_states (device_id, doc_id, state) VALUES ('d1', 'doc-none', $1)",
        )
        .bind(b"x".to_vec())
        .execute(pool)
        .await;
        assert!(orphan.is_err(), "a state without its document was kept");
    });
}
