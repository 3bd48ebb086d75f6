//! The per-family upload quota under concurrent uploads: sixteen files sent at once, with room
//! for three, store three and refuse the others with 413 `quota_exceeded`; on PostgreSQL half
//! of them go to a second server process on the same database.

use cartable_domain::api::{ApiErrorBody, ErrorCode};
use cartable_tests::family::family_token;
use cartable_tests::raw::agent;
use cartable_tests::{Backend, TestServer, backends};
use sqlx::Row;
use std::path::Path;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n";
const AT_ONCE: usize = 16;
const ROOM: usize = 3;

fn upload(url: &str, token: &str, key: &str) -> (u16, Vec<u8>) {
    let mut resp = agent()
        .post(&format!("{url}/api/v1/documents?kind=insurance"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/pdf")
        .header("Idempotency-Key", key)
        .send(PDF)
        .expect("HTTP");
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_vec()
        .expect("body");
    (status, body)
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { files_under(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn concurrent_uploads_cannot_pass_the_family_quota_together() {
    for backend in backends() {
        eprintln!("-- backend {backend:?}");
        let quota = (ROOM * PDF.len()) as u64 + 10;
        let server = TestServer::start_with(backend, |s| s.family_documents_quota_bytes = quota);
        let other = (backend == Backend::Postgres).then(|| server.another_process());
        let seed = server.seed(3);
        for (round, family) in seed.families.iter().enumerate() {
            let token = family_token(&server, family, 0);
            let answers: Vec<(u16, Vec<u8>)> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..AT_ONCE)
                    .map(|i| {
                        let url = match (&other, i % 2) {
                            (Some(o), 1) => o.url.clone(),
                            _ => server.url.clone(),
                        };
                        let token = token.clone();
                        s.spawn(move || upload(&url, &token, &format!("r{round}-u{i}")))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("upload thread"))
                    .collect()
            });
            let stored = answers.iter().filter(|(status, _)| *status == 201).count();
            for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
                assert_eq!(*status, 413, "{}", String::from_utf8_lossy(body));
                let err: ApiErrorBody = serde_json::from_slice(body).expect("typed error");
                assert_eq!(err.code, ErrorCode::QuotaExceeded);
            }
            let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
            assert_eq!(stored, ROOM, "round {round}: {statuses:?}");
            let (rows, bytes) = server.block_on(async {
                let r = sqlx::query(
                    "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS b \
                     FROM supporting_documents WHERE family_id = $1",
                )
                .bind(&family.family_id)
                .fetch_one(&server.state.db.pool)
                .await
                .expect("count");
                (r.get::<i64, _>("n"), r.get::<i64, _>("b"))
            });
            assert_eq!(rows as usize, ROOM);
            assert!(bytes as u64 <= quota);
        }
        // No file is left behind by a refused upload (both processes share the data folder).
        let files = files_under(&server.state.settings.data_dir.join("files"));
        assert_eq!(files, ROOM * seed.families.len());
    }
}
