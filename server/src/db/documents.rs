//! Automerge documents as rows: metadata, chunks (a snapshot plus incremental saves), and
//! the sync state of each device for each document.

use super::accounts::{self, DeviceSession};
use super::chunk_codec::StoredDoc;
use super::multi_row::{self, Query, rows_per_statement};
use super::{Columns, Db, coded, id, opt_id};
use crate::db::Conn;
use cartable_domain::DocKind;
use cartable_domain::ids::{DeviceId, DocumentId, FamilyId, StructureId};
use cartable_domain::school_year::SchoolYear;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// A stored document's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRow {
    pub id: DocumentId,
    pub structure_id: StructureId,
    /// `None` for the structure's shared documents (the catalogue).
    pub family_id: Option<FamilyId>,
    pub kind: DocKind,
    /// Plannings only.
    pub school_year: Option<SchoolYear>,
    pub version: i64,
}

fn doc_from_row(r: &(impl Columns + ?Sized)) -> Result<DocRow, sqlx::Error> {
    let school_year = r.opt_text("school_year")?;
    let school_year = school_year
        .map(|y| {
            y.parse::<SchoolYear>()
                .map_err(|e| sqlx::Error::ColumnDecode {
                    index: "school_year".into(),
                    source: e.to_string().into(),
                })
        })
        .transpose()?;
    Ok(DocRow {
        id: id(r, "id")?,
        structure_id: id(r, "structure_id")?,
        family_id: opt_id(r, "family_id")?,
        kind: coded(r, "kind", "document kind", DocKind::from_code)?,
        school_year,
        version: r.int("version")?,
    })
}

/// The documents a session may see, each with the device's sync state, after the session's
/// own columns (as `accounts::SESSION_COLUMNS` names them) selected `FROM {session}`.
///
/// Two exact lookups on `documents_visible` joined by `UNION ALL` rather than one
/// `family_id = … OR family_id IS NULL`: without table statistics, SQLite's planner reads
/// that `OR` as a scan of every document of the structure (756 µs at 10,000 families instead
/// of 22 µs), and a fresh or never-analysed database has no statistics. The family's lookup
/// is a `LEFT JOIN`, so that a live session whose family has no document yet still comes
/// back (as a row without a document).
fn visible_sql(session: &str) -> String {
    let docs = "d.id, d.structure_id, d.family_id, d.kind, d.school_year, d.version, s.state";
    let state = "LEFT JOIN sync_states s ON s.doc_id = d.id AND s.device_id = me.device_id";
    format!(
        "WITH me AS (SELECT {} FROM {session}) \
         SELECT me.*, {docs} FROM me LEFT JOIN documents d \
         ON d.structure_id = me.session_structure_id AND d.family_id = me.session_family_id \
         {state} \
         UNION ALL \
         SELECT me.*, {docs} FROM me JOIN documents d \
         ON d.structure_id = me.session_structure_id AND d.family_id IS NULL \
         {state} \
         ORDER BY 9",
        accounts::SESSION_COLUMNS,
    )
}

/// [`visible_sql`] for the live session of a token's hash (`$1`).
static SESSION_AND_VISIBLE: LazyLock<String> =
    LazyLock::new(|| visible_sql(accounts::SESSION_OF_TOKEN));

/// [`visible_sql`] for a live device (`$1`).
static VISIBLE_TO_DEVICE: LazyLock<String> =
    LazyLock::new(|| visible_sql(accounts::SESSION_OF_DEVICE));

/// The live session behind a token's hash and the documents its family may see, each with
/// the sync state the device persisted for it: what every sync request reads first, in one
/// statement (one hand-off to SQLite's thread instead of two). `None` when no live session
/// has that token.
pub async fn session_and_visible(
    db: &Db,
    token_hash: &str,
) -> Result<Option<(DeviceSession, Visible)>, sqlx::Error> {
    session_with_visible(db, SESSION_AND_VISIBLE.as_str(), token_hash).await
}

/// The documents a live device's family may see, each with the device's sync state, as
/// [`session_and_visible`] reads them; `None` once the device's session ended.
pub async fn visible_to(db: &Db, device_id: &DeviceId) -> Result<Option<Visible>, sqlx::Error> {
    let found = session_with_visible(db, VISIBLE_TO_DEVICE.as_str(), device_id.as_str()).await?;
    Ok(found.map(|(_, visible)| visible))
}

/// Documents with the sync state a device persisted for each.
pub type Visible = Vec<(DocRow, Option<Vec<u8>>)>;

async fn session_with_visible(
    db: &Db,
    sql: &'static str,
    key: &str,
) -> Result<Option<(DeviceSession, Visible)>, sqlx::Error> {
    let mut found = SessionRows::default();
    if let Some(direct) = db.direct() {
        direct.rows(sql, key, |r| found.add(r))?;
        return Ok(found.finish());
    }
    let mut conn = db.read().await?;
    let rows = sqlx::query(sql).bind(key).fetch_all(&mut *conn).await?;
    conn.done();
    for r in &rows {
        found.add(r)?;
    }
    Ok(found.finish())
}

/// The session and documents read from the rows of [`visible_sql`], from either driver.
#[derive(Default)]
struct SessionRows {
    session: Option<DeviceSession>,
    visible: Visible,
}

impl SessionRows {
    /// Every row holds the session; a row without a document is that of a family without
    /// documents.
    fn add(&mut self, r: &(impl Columns + ?Sized)) -> Result<(), sqlx::Error> {
        if self.session.is_none() {
            self.session = Some(accounts::session_from_row(r)?);
        }
        if r.opt_text("id")?.is_some() {
            self.visible.push((doc_from_row(r)?, r.opt_bytes("state")?));
        }
        Ok(())
    }

    /// `None` when no row came back (no live session).
    fn finish(self) -> Option<(DeviceSession, Visible)> {
        self.session.map(|session| (session, self.visible))
    }
}

/// A family's own documents (dossier, plannings), oldest first.
pub async fn of_family(
    conn: &mut AnyConnection,
    structure_id: &StructureId,
    family_id: &FamilyId,
) -> Result<Vec<DocRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, structure_id, family_id, kind, school_year, version FROM documents \
         WHERE structure_id = $1 AND family_id = $2 ORDER BY created_at_ms, id",
    )
    .bind(structure_id.as_str())
    .bind(family_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(doc_from_row).collect()
}

/// Every document (for rebuilding projections).
pub async fn all_documents(db: &Db) -> Result<Vec<DocRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, structure_id, family_id, kind, school_year, version FROM documents ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(doc_from_row).collect()
}

/// The structure's shared document of `kind` (the catalogue).
pub async fn structure_document(
    conn: &mut AnyConnection,
    structure_id: &StructureId,
    kind: DocKind,
) -> Result<Option<DocRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, structure_id, family_id, kind, school_year, version FROM documents \
         WHERE structure_id = $1 AND family_id IS NULL AND kind = $2 ORDER BY created_at_ms LIMIT 1",
    )
    .bind(structure_id.as_str())
    .bind(kind.code())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(doc_from_row).transpose()
}

/// The family's document of `kind` (and school year for plannings).
pub async fn family_document(
    conn: &mut AnyConnection,
    family_id: &FamilyId,
    kind: DocKind,
    school_year: Option<SchoolYear>,
) -> Result<Option<DocRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, structure_id, family_id, kind, school_year, version FROM documents \
         WHERE family_id = $1 AND kind = $2 AND ($3 IS NULL OR school_year = $3) \
         ORDER BY created_at_ms LIMIT 1",
    )
    .bind(family_id.as_str())
    .bind(kind.code())
    .bind(school_year.map(|y| y.to_string()))
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(doc_from_row).transpose()
}

/// The first document of `kind` (not a planning) of each of `family_ids` (of the structure)
/// that has one.
pub async fn family_documents(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_ids: &[&str],
    kind: DocKind,
) -> Result<BTreeMap<FamilyId, DocRow>, sqlx::Error> {
    let mut out = BTreeMap::new();
    if family_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT id, structure_id, family_id, kind, school_year, version FROM documents \
         WHERE structure_id = $1 AND kind = $2 AND family_id IN ({}) \
         ORDER BY created_at_ms DESC",
        multi_row::list(3, family_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(kind.code());
    for id in family_ids {
        q = q.bind(*id);
    }
    // Newest first: the oldest of a family's documents is the one kept, as in
    // [`family_document`].
    for r in q.fetch_all(&mut *conn).await?.iter() {
        let doc = doc_from_row(r)?;
        if let Some(family) = doc.family_id.clone() {
            out.insert(family, doc);
        }
    }
    Ok(out)
}

/// Creates documents with their first snapshots, as few statements as
/// [`rows_per_statement`] allows.
pub async fn insert_documents(
    conn: &mut AnyConnection,
    docs: &[(DocRow, Vec<u8>)],
    created_at_ms: i64,
) -> Result<(), sqlx::Error> {
    for chunk in docs.chunks(rows_per_statement(7)) {
        let sql = format!(
            "INSERT INTO documents (id, structure_id, family_id, kind, school_year, version, \
             created_at_ms) VALUES {}",
            multi_row::values(chunk.len(), 7)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (doc, _) in chunk {
            q = bind(q, doc, created_at_ms);
        }
        q.execute(&mut *conn).await?;
        let sql = format!(
            "INSERT INTO document_chunks (doc_id, seq, is_snapshot, data) VALUES {}",
            (0..chunk.len())
                .map(|i| format!("(${}, ${}, 1, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (doc, snapshot) in chunk {
            q = q
                .bind(doc.id.as_str())
                .bind(doc.version)
                .bind(snapshot.as_slice());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Creates a document with its first snapshot.
pub async fn insert_document(
    conn: &mut AnyConnection,
    doc: &DocRow,
    snapshot: &[u8],
    created_at_ms: i64,
) -> Result<(), sqlx::Error> {
    let q = sqlx::query(
        "INSERT INTO documents (id, structure_id, family_id, kind, school_year, version, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    );
    bind(q, doc, created_at_ms).execute(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO document_chunks (doc_id, seq, is_snapshot, data) VALUES ($1, $2, 1, $3)",
    )
    .bind(doc.id.as_str())
    .bind(doc.version)
    .bind(snapshot)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Binds the values of `doc`'s row in `documents`, created at `created_at_ms`.
fn bind<'q>(q: Query<'q>, doc: &DocRow, created_at_ms: i64) -> Query<'q> {
    q.bind(doc.id.as_str())
        .bind(doc.structure_id.as_str())
        .bind(doc.family_id.as_ref().map(FamilyId::as_str))
        .bind(doc.kind.code())
        .bind(doc.school_year.map(|y| y.to_string()))
        .bind(doc.version)
        .bind(created_at_ms)
}

/// The document's version, locking its row until the transaction ends on PostgreSQL.
pub async fn lock_version(
    conn: &mut Conn<'_>,
    db: &Db,
    doc_id: &DocumentId,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = match db.for_update() {
        "" => VERSION,
        _ => "SELECT version FROM documents WHERE id = $1 FOR UPDATE",
    };
    read_version(conn, sql, doc_id).await
}

/// The document's version, without locking.
pub async fn version(
    conn: &mut AnyConnection,
    doc_id: &DocumentId,
) -> Result<Option<i64>, sqlx::Error> {
    read_version(&mut Conn::Any(conn), VERSION, doc_id).await
}

const VERSION: &str = "SELECT version FROM documents WHERE id = $1";

/// The `version` of the row `sql` (`$1` the document) finds, if any.
async fn read_version(
    conn: &mut Conn<'_>,
    sql: &'static str,
    doc_id: &DocumentId,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(sql)
        .bind(doc_id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get("version")).transpose()
}

/// The document's chunks (snapshot then incremental chunks), joined in order as
/// `Automerge::load` reads them, with their count and their size in storage.
pub async fn load_stored(
    conn: &mut AnyConnection,
    doc_id: &DocumentId,
) -> Result<StoredDoc, sqlx::Error> {
    let rows = sqlx::query("SELECT data FROM document_chunks WHERE doc_id = $1 ORDER BY seq")
        .bind(doc_id.as_str())
        .fetch_all(&mut *conn)
        .await?;
    let chunks = rows
        .iter()
        .map(|r| r.try_get::<&[u8], _>("data"))
        .collect::<Result<Vec<_>, _>>()?;
    StoredDoc::join(&chunks)
}

/// Appends an incremental chunk as version `new_version`. On PostgreSQL the chunk and the
/// new version are one statement (a round trip to the database fewer per sync).
pub async fn append_chunk(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    new_version: i64,
    data: &[u8],
) -> Result<(), sqlx::Error> {
    let postgres = conn.is_postgres();
    let sql = if postgres {
        "WITH v AS (UPDATE documents SET version = $2 WHERE id = $1) \
         INSERT INTO document_chunks (doc_id, seq, is_snapshot, data) VALUES ($1, $2, 0, $3)"
    } else {
        "INSERT INTO document_chunks (doc_id, seq, is_snapshot, data) VALUES ($1, $2, 0, $3)"
    };
    sqlx::query(sql)
        .bind(doc_id.as_str())
        .bind(new_version)
        .bind(data)
        .execute(&mut *conn)
        .await?;
    if postgres {
        return Ok(());
    }
    set_version(conn, doc_id, new_version).await
}

/// Replaces every chunk with one snapshot as version `new_version`.
pub async fn compact(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    new_version: i64,
    snapshot: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM document_chunks WHERE doc_id = $1")
        .bind(doc_id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO document_chunks (doc_id, seq, is_snapshot, data) VALUES ($1, $2, 1, $3)",
    )
    .bind(doc_id.as_str())
    .bind(new_version)
    .bind(snapshot)
    .execute(&mut *conn)
    .await?;
    set_version(conn, doc_id, new_version).await
}

async fn set_version(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE documents SET version = $1 WHERE id = $2")
        .bind(version)
        .bind(doc_id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Number of chunks stored for a document.
pub async fn chunk_count(
    conn: &mut AnyConnection,
    doc_id: &DocumentId,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM document_chunks WHERE doc_id = $1")
        .bind(doc_id.as_str())
        .fetch_one(&mut *conn)
        .await?;
    row.try_get("n")
}

pub async fn put_sync_state(
    conn: &mut Conn<'_>,
    device_id: &DeviceId,
    doc_id: &DocumentId,
    state: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sync_states (device_id, doc_id, state) VALUES ($1, $2, $3) \
         ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
    )
    .bind(device_id.as_str())
    .bind(doc_id.as_str())
    .bind(state)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn log_compensation(
    conn: &mut Conn<'_>,
    doc_id: &DocumentId,
    device_id: &DeviceId,
    paths: &[String],
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO compensations (doc_id, device_id, at_ms, paths) VALUES ($1, $2, $3, $4)",
    )
    .bind(doc_id.as_str())
    .bind(device_id.as_str())
    .bind(at_ms)
    .bind(paths.join(", "))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::SESSION_AND_VISIBLE;

    /// On a database that was never analysed, the per-sync query still finds the device by
    /// its token and its family's documents by index instead of reading the whole structure,
    /// and reads them from the indexes alone (no seek into a table after an index).
    #[tokio::test]
    async fn a_syncs_documents_are_looked_up_not_scanned_without_statistics() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        let explain = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {}",
            SESSION_AND_VISIBLE.as_str()
        )))
        .bind("token");
        let mut conn = db.pool.acquire().await.expect("connection");
        let plan = crate::db::plan_details(&mut conn, explain).await;
        let lookups = |what: &str| plan.iter().filter(|d| d.contains(what)).count();
        assert_eq!(
            lookups(
                "SEARCH d USING COVERING INDEX documents_visible (structure_id=? AND family_id=?)"
            ),
            2,
            "{plan:#?}"
        );
        assert!(lookups("(token_hash=?") >= 1, "{plan:#?}");
        assert!(!plan.iter().any(|d| d.starts_with("SCAN")), "{plan:#?}");
        let searches: Vec<&String> = plan.iter().filter(|d| d.starts_with("SEARCH")).collect();
        assert!(searches.len() >= 6, "{plan:#?}");
        assert!(
            searches
                .iter()
                .all(|d| d.contains("USING COVERING INDEX") || d.contains("USING PRIMARY KEY")),
            "{plan:#?}"
        );
    }
}
