//! The quotient familial history: a QF recorded on a day applies from the next month, never
//! backdated (`family_quotients`). A family with no recorded QF is priced with the QF of its
//! dossier's billing adult (or any adult) as projected, in force since always.

use crate::db::multi_row;
use crate::error::AppResult;
use cartable_domain::calendar::paris_date;
use cartable_domain::pricing::{QuotientPeriod, qf_applies_from};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// Records `qf` (or "no QF known") for the family, applying from the month after `now`.
/// Returns the first month it applies to.
pub async fn record(
    conn: &mut AnyConnection,
    family_id: &str,
    qf: Option<u32>,
    recorded_by: &str,
    now: jiff::Timestamp,
) -> AppResult<String> {
    let from = qf_applies_from(paris_date(now)).to_string();
    sqlx::query(
        "INSERT INTO family_quotients (family_id, from_month, qf, recorded_by, recorded_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (family_id, from_month) DO UPDATE SET \
         qf = excluded.qf, recorded_by = excluded.recorded_by, \
         recorded_at_ms = excluded.recorded_at_ms",
    )
    .bind(family_id)
    .bind(&from)
    .bind(qf.map(i64::from))
    .bind(recorded_by)
    .bind(now.as_millisecond())
    .execute(&mut *conn)
    .await?;
    Ok(from)
}

fn period(r: &sqlx::any::AnyRow) -> Result<(String, QuotientPeriod), sqlx::Error> {
    let qf: Option<i64> = r.try_get("qf")?;
    Ok((
        r.try_get("family_id")?,
        QuotientPeriod {
            from_month: r.try_get("from_month")?,
            qf: qf.and_then(|q| u32::try_from(q).ok()),
        },
    ))
}

/// The histories of every family of the structure, with the dossier fallback.
pub async fn histories(
    conn: &mut AnyConnection,
    structure_id: &str,
) -> AppResult<BTreeMap<String, Vec<QuotientPeriod>>> {
    let rows = sqlx::query(
        "SELECT q.family_id, q.from_month, q.qf FROM family_quotients q \
         JOIN families f ON f.id = q.family_id WHERE f.structure_id = $1 \
         ORDER BY q.family_id, q.from_month",
    )
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<String, Vec<QuotientPeriod>> = BTreeMap::new();
    for r in &rows {
        let (family, p) = period(r)?;
        out.entry(family).or_default().push(p);
    }
    // Families never recorded: the dossier's QF (billing adult first).
    let rows = sqlx::query(
        "SELECT a.family_id, a.quotient_familial, a.billing FROM adults a \
         JOIN families f ON f.id = a.family_id WHERE f.structure_id = $1 \
         AND a.quotient_familial IS NOT NULL ORDER BY a.family_id, a.billing DESC, a.adult_id",
    )
    .bind(structure_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in &rows {
        let family: String = r.try_get("family_id")?;
        let qf: Option<i64> = r.try_get("quotient_familial")?;
        out.entry(family).or_insert_with(|| {
            vec![QuotientPeriod {
                from_month: "1900-01".into(),
                qf: qf.and_then(|q| u32::try_from(q).ok()),
            }]
        });
    }
    Ok(out)
}

/// The dossier's quotients of `families` families of the structure (`$1`), given from `$2`
/// on, billing adult first: the second statement of [`histories_of`].
pub fn dossier_quotients_sql(families: usize) -> String {
    format!(
        "SELECT a.family_id, a.quotient_familial FROM adults a \
         JOIN families f ON f.id = a.family_id WHERE f.structure_id = $1 \
         AND a.family_id IN ({}) AND a.quotient_familial IS NOT NULL \
         ORDER BY a.family_id, a.billing DESC, a.adult_id",
        multi_row::list(2, families)
    )
}

/// The histories of `family_ids` (of the structure), with the dossier fallback: each
/// family's as [`history`] gives it (empty when no QF is known), in two statements.
pub async fn histories_of(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_ids: &[&str],
) -> AppResult<BTreeMap<String, Vec<QuotientPeriod>>> {
    let mut out: BTreeMap<String, Vec<QuotientPeriod>> = BTreeMap::new();
    if family_ids.is_empty() {
        return Ok(out);
    }
    let ids = multi_row::list(2, family_ids.len());
    let sql = format!(
        "SELECT q.family_id, q.from_month, q.qf FROM family_quotients q \
         JOIN families f ON f.id = q.family_id WHERE f.structure_id = $1 \
         AND q.family_id IN ({ids}) ORDER BY q.family_id, q.from_month"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(structure_id);
    for id in family_ids {
        q = q.bind(*id);
    }
    for r in &q.fetch_all(&mut *conn).await? {
        let (family, p) = period(r)?;
        out.entry(family).or_default().push(p);
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(dossier_quotients_sql(family_ids.len())))
        .bind(structure_id);
    for id in family_ids {
        q = q.bind(*id);
    }
    for r in &q.fetch_all(&mut *conn).await? {
        let family: String = r.try_get("family_id")?;
        let qf: Option<i64> = r.try_get("quotient_familial")?;
        out.entry(family).or_insert_with(|| {
            qf.and_then(|q| u32::try_from(q).ok())
                .map(|q| {
                    vec![QuotientPeriod {
                        from_month: "1900-01".into(),
                        qf: Some(q),
                    }]
                })
                .unwrap_or_default()
        });
    }
    Ok(out)
}

/// One family's history (with the dossier fallback).
pub async fn history(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
) -> AppResult<Vec<QuotientPeriod>> {
    let rows = sqlx::query(
        "SELECT family_id, from_month, qf FROM family_quotients WHERE family_id = $1 \
         ORDER BY from_month",
    )
    .bind(family_id)
    .fetch_all(&mut *conn)
    .await?;
    let recorded: Vec<QuotientPeriod> = rows
        .iter()
        .map(|r| period(r).map(|(_, p)| p))
        .collect::<Result<_, _>>()?;
    if !recorded.is_empty() {
        return Ok(recorded);
    }
    let row = sqlx::query(
        "SELECT a.quotient_familial FROM adults a JOIN families f ON f.id = a.family_id \
         WHERE f.structure_id = $1 AND a.family_id = $2 AND a.quotient_familial IS NOT NULL \
         ORDER BY a.billing DESC, a.adult_id LIMIT 1",
    )
    .bind(structure_id)
    .bind(family_id)
    .fetch_optional(&mut *conn)
    .await?;
    let qf: Option<i64> = match row {
        Some(r) => r.try_get("quotient_familial")?,
        None => None,
    };
    Ok(qf
        .and_then(|q| u32::try_from(q).ok())
        .map(|q| {
            vec![QuotientPeriod {
                from_month: "1900-01".into(),
                qf: Some(q),
            }]
        })
        .unwrap_or_default())
}
