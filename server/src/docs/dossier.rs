//! Dossier documents on the server: projection of child and adult sheets.

use super::touched_keys;
use crate::db::Conn;
use crate::db::projections;
use automerge::{AutoCommit, Patch, ROOT, ReadDoc};
use autosurgeon::hydrate_prop;
use cartable_domain::dossier::{AdultSheet, ChildSheet, Dossier};

/// Projects the sheets that `patches` touched (all of them when `patches` is `None`).
pub async fn project(
    conn: &mut Conn<'_>,
    family_id: &cartable_domain::ids::FamilyId,
    doc: &AutoCommit,
    patches: Option<&[Patch]>,
) -> Result<(), crate::error::AppError> {
    let family_id = family_id.as_str();
    let dossier: Dossier = autosurgeon::hydrate(doc)
        .map_err(|e| crate::error::AppError::internal(format!("dossier illisible : {e}")))?;
    let children = patches.and_then(|p| touched_keys(p, "children"));
    let adults = patches.and_then(|p| touched_keys(p, "adults"));

    match children {
        Some(ids) => {
            for id in ids {
                match dossier.children.get(&id) {
                    Some(sheet) => projections::upsert_child(conn, family_id, &id, sheet).await?,
                    None => projections::delete_child(conn, family_id, &id).await?,
                }
            }
        }
        None => {
            for old in projections::child_ids(conn, family_id).await? {
                if !dossier.children.contains_key(&old) {
                    projections::delete_child(conn, family_id, &old).await?;
                }
            }
            for (id, sheet) in &dossier.children {
                projections::upsert_child(conn, family_id, id, sheet).await?;
            }
        }
    }
    match adults {
        Some(ids) => {
            for id in ids {
                match dossier.adults.get(&id) {
                    Some(sheet) => projections::upsert_adult(conn, family_id, &id, sheet).await?,
                    None => projections::delete_adult(conn, family_id, &id).await?,
                }
            }
        }
        None => {
            for (id, sheet) in &dossier.adults {
                projections::upsert_adult(conn, family_id, id, sheet).await?;
            }
        }
    }
    Ok(())
}

/// One child sheet, if present and readable.
pub fn child(doc: &AutoCommit, id: &str) -> Option<ChildSheet> {
    let (_, children) = doc.get(ROOT, "children").ok()??;
    hydrate_prop(doc, &children, id).ok()
}

/// One adult sheet, if present and readable.
pub fn adult(doc: &AutoCommit, id: &str) -> Option<AdultSheet> {
    let (_, adults) = doc.get(ROOT, "adults").ok()??;
    hydrate_prop(doc, &adults, id).ok()
}
