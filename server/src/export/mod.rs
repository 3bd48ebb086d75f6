//! "Your data": everything the structure holds about one family, as one ZIP archive.
//!
//! JSON files (family and logins, devices, the dossier and its reviewed versions, each school
//! year's planning, supporting documents, the log of staff access to the family's data), every
//! file the family sent, and the Automerge documents themselves with their full history.
//! `resume.html` says the same for a parent to read (names, dates and decisions in French).
//! Every query is scoped to the family and its structure.

pub mod archive;
pub mod summary;

use crate::AppState;
use crate::db::{documents, supporting};
use crate::error::{AppError, AppResult};
use automerge::AutoCommit;
use cartable_domain::DocKind;
use cartable_domain::catalogue::Catalogue;
use cartable_domain::dossier::Dossier;
use cartable_domain::ids::{DocumentId, FamilyId, StructureId};
use cartable_domain::planning::Planning;
use cartable_domain::supporting::sanitize_file_name;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};

/// The archive's content before it is written: small entries in memory, files by object key.
#[derive(Debug, Default)]
pub struct Export {
    /// Path in the archive and bytes.
    pub entries: Vec<(String, Vec<u8>)>,
    /// Path in the archive and object-store key of each file the family sent.
    pub files: Vec<(String, String)>,
}

impl Export {
    fn json(&mut self, path: &str, value: &impl Serialize) -> AppResult<()> {
        let bytes = serde_json::to_vec_pretty(value)
            .map_err(|e| AppError::internal(format!("export {path} : {e}")))?;
        self.entries.push((path.to_string(), bytes));
        Ok(())
    }
}

const README: &str = "Export des données de votre famille (Cartable)\n\
\n\
resume.html             le résumé de tout ce qui suit, à ouvrir dans un navigateur\n\
famille.json            la famille, ses comptes parents et leurs appareils\n\
dossier.json            le dossier famille tel qu'il est aujourd'hui (enfants, adultes)\n\
dossier-versions.json   les versions envoyées avec « Je valide mes modifications » et les réponses\n\
planning/AAAA-AAAA.json les réservations, décisions et absences de chaque année scolaire\n\
documents.json          les justificatifs envoyés et leur état ; les fichiers sont dans documents/\n\
journal.json            les consultations et actions du personnel sur les données de la famille\n\
automerge/              les documents synchronisés avec tout leur historique (format Automerge)\n";

fn rows_json(rows: &[sqlx::any::AnyRow], columns: &[&str]) -> AppResult<Vec<Value>> {
    rows.iter()
        .map(|r| {
            let mut object = serde_json::Map::new();
            for c in columns {
                let value = match r.try_get::<Option<String>, _>(*c) {
                    Ok(text) => json!(text),
                    Err(_) => json!(r.try_get::<Option<i64>, _>(*c)?),
                };
                object.insert((*c).to_string(), value);
            }
            Ok(Value::Object(object))
        })
        .collect()
}

async fn family_json(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
    now_ms: i64,
) -> AppResult<Value> {
    let family = sqlx::query(
        "SELECT f.id, f.name, f.created_at_ms, s.name AS structure_name FROM families f \
         JOIN structures s ON s.id = f.structure_id WHERE f.id = $1 AND f.structure_id = $2",
    )
    .bind(family_id)
    .bind(structure_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(AppError::not_found)?;
    let accounts = sqlx::query(
        "SELECT id, login, display_name, role, created_at_ms FROM accounts \
         WHERE family_id = $1 AND structure_id = $2 ORDER BY created_at_ms, id",
    )
    .bind(family_id)
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    let devices = sqlx::query(
        "SELECT d.id, d.account_id, d.name, d.created_at_ms, d.last_seen_ms, d.revoked_at_ms \
         FROM devices d JOIN accounts a ON a.id = d.account_id \
         WHERE a.family_id = $1 AND a.structure_id = $2 ORDER BY d.created_at_ms, d.id",
    )
    .bind(family_id)
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(json!({
        "exported_at_ms": now_ms,
        "structure": { "id": structure_id, "name": family.try_get::<String, _>("structure_name")? },
        "family": {
            "id": family.try_get::<String, _>("id")?,
            "name": family.try_get::<String, _>("name")?,
            "created_at_ms": family.try_get::<i64, _>("created_at_ms")?,
        },
        "accounts": rows_json(&accounts, &["id", "login", "display_name", "role", "created_at_ms"])?,
        "devices": rows_json(
            &devices,
            &["id", "account_id", "name", "created_at_ms", "last_seen_ms", "revoked_at_ms"],
        )?,
    }))
}

async fn versions_json(conn: &mut AnyConnection, family_id: &str) -> AppResult<Vec<Value>> {
    let rows = sqlx::query(
        "SELECT v.id, v.submitted_by, s.display_name AS submitted_by_name, v.submitted_at_ms, \
         v.status, v.reviewed_by, r.display_name AS reviewed_by_name, v.reviewed_at_ms, v.reason, \
         v.requested_documents FROM dossier_versions v \
         LEFT JOIN accounts s ON s.id = v.submitted_by \
         LEFT JOIN accounts r ON r.id = v.reviewed_by \
         WHERE v.family_id = $1 ORDER BY v.id",
    )
    .bind(family_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut versions = rows_json(
        &rows,
        &[
            "id",
            "submitted_by",
            "submitted_by_name",
            "submitted_at_ms",
            "status",
            "reviewed_by",
            "reviewed_by_name",
            "reviewed_at_ms",
            "reason",
            "requested_documents",
        ],
    )?;
    // Stored as JSON text: exported as the list it is.
    for v in &mut versions {
        if let Some(field) = v.get_mut("requested_documents")
            && let Some(list) = field
                .as_str()
                .and_then(|text| serde_json::from_str::<Value>(text).ok())
        {
            *field = list;
        }
    }
    Ok(versions)
}

async fn journal_json(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
) -> AppResult<Vec<Value>> {
    let rows = sqlx::query(
        "SELECT l.at_ms, l.account_id, a.display_name AS by_name, l.action, l.detail \
         FROM audit_log l LEFT JOIN accounts a ON a.id = l.account_id \
         WHERE l.family_id = $1 AND l.structure_id = $2 ORDER BY l.at_ms, l.id",
    )
    .bind(family_id)
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    rows_json(
        &rows,
        &["at_ms", "account_id", "by_name", "action", "detail"],
    )
}

/// The raw document, saved again as one compact file.
async fn automerge_bytes(conn: &mut AnyConnection, doc_id: &str) -> AppResult<Vec<u8>> {
    let stored = documents::load_stored(conn, &DocumentId::from(doc_id)).await?;
    let mut doc = AutoCommit::load(&stored.bytes)
        .map_err(|e| AppError::internal(format!("document {doc_id} illisible : {e}")))?;
    Ok(doc.save())
}

/// Gathers the family's export.
pub async fn collect(state: &AppState, structure_id: &str, family_id: &str) -> AppResult<Export> {
    let mut export = Export::default();
    export
        .entries
        .push(("LISEZMOI.txt".into(), README.as_bytes().to_vec()));
    let now_ms = state.clock.now().as_millisecond();
    let mut conn = state.db.pool.acquire().await?;
    let family = family_json(&mut conn, structure_id, family_id, now_ms).await?;
    export.json("famille.json", &family)?;
    let versions = versions_json(&mut conn, family_id).await?;
    export.json("dossier-versions.json", &versions)?;
    let journal = journal_json(&mut conn, structure_id, family_id).await?;
    export.json("journal.json", &journal)?;
    let docs = documents::of_family(
        &mut conn,
        &StructureId::from(structure_id),
        &FamilyId::from(family_id),
    )
    .await?;
    drop(conn);
    let mut dossier = None;
    let mut plannings = Vec::new();
    for row in &docs {
        let year = row.school_year.map(|y| y.to_string());
        let name = match (row.kind, year.as_deref()) {
            (DocKind::Dossier, _) => {
                let read: Dossier = state.docs.read(&row.id).await?;
                export.json("dossier.json", &read)?;
                dossier = Some(read);
                "dossier".to_string()
            }
            (DocKind::Planning, Some(year)) => {
                let planning: Planning = state.docs.read(&row.id).await?;
                export.json(
                    &format!("planning/{}.json", sanitize_file_name(year)),
                    &planning,
                )?;
                plannings.push((year.to_string(), planning));
                format!("planning-{}", sanitize_file_name(year))
            }
            _ => format!("{}-{}", sanitize_file_name(row.kind.code()), row.id),
        };
        let mut conn = state.db.pool.acquire().await?;
        let bytes = automerge_bytes(&mut conn, &row.id).await?;
        export
            .entries
            .push((format!("automerge/{name}.automerge"), bytes));
    }
    let sent = supporting::of_family(&state.db, family_id).await?;
    let mut listed = Vec::with_capacity(sent.len());
    let mut included = Vec::with_capacity(sent.len());
    for doc in sent {
        let Some(stored) = supporting::by_id(&state.db, &doc.id).await? else {
            continue;
        };
        if stored.structure_id != structure_id {
            continue;
        }
        let path = format!(
            "documents/{}-{}",
            doc.id,
            sanitize_file_name(&doc.file_name)
        );
        export.files.push((path.clone(), stored.object_key));
        listed.push(json!({ "file": path, "document": doc }));
        included.push(doc);
    }
    export.json("documents.json", &listed)?;

    // Activities are named from the structure's catalogue; without it, by their ids.
    let catalogue =
        match crate::docs::catalogue::read(state, &StructureId::from(structure_id)).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "export : catalogue illisible, activités non nommées");
                Catalogue::default()
            }
        };
    plannings.sort_by(|a, b| a.0.cmp(&b.0));
    let page = summary::html(&summary::SummaryInput {
        family: &family,
        versions: &versions,
        journal: &journal,
        dossier: dossier.as_ref(),
        plannings: &plannings,
        catalogue: &catalogue,
        documents: &included,
    });
    export
        .entries
        .insert(1, ("resume.html".into(), page.into_bytes()));
    Ok(export)
}
