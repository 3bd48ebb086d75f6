//! Issued invoices, credit notes and statements, their numbering counters, and payments.

use super::Db;
use super::multi_row::{self, Query, rows_per_statement};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// An issued document as stored (`content` is the JSON of
/// [`crate::invoicing::content::InvoiceContent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRow {
    pub id: String,
    pub structure_id: String,
    pub family_id: String,
    pub kind: String,
    pub number: String,
    pub year: i64,
    pub seq: i64,
    pub run_month: Option<String>,
    pub issued_on: String,
    pub due_on: String,
    pub total_cents: i64,
    pub refers_to: String,
    pub reason: String,
    pub content: String,
    pub issued_by: String,
    pub issued_at_ms: i64,
    pub pdf_key: Option<String>,
    pub pdf_sha256: Option<String>,
    /// Where the PDF starts in the object `pdf_key` when that object is a pack of several
    /// documents' PDFs (`None`: the object is this PDF alone).
    pub pdf_offset: Option<i64>,
    pub pdf_length: Option<i64>,
}

impl InvoiceRow {
    /// The bytes of `pdf_key` that are this document's PDF: `None` for the whole object,
    /// an error when the stored range is not one.
    pub fn pdf_range(&self) -> Result<Option<std::ops::Range<u64>>, String> {
        match (self.pdf_offset, self.pdf_length) {
            (None, None) => Ok(None),
            (Some(offset), Some(length)) => {
                let start = u64::try_from(offset).map_err(|_| format!("début {offset}"))?;
                let length = u64::try_from(length).map_err(|_| format!("longueur {length}"))?;
                start
                    .checked_add(length)
                    .filter(|_| length > 0)
                    .map(|end| Some(start..end))
                    .ok_or_else(|| format!("plage {offset} + {length}"))
            }
            _ => Err("plage incomplète".to_string()),
        }
    }
}

/// The columns of an issued document's row, written once.
const COLUMNS: &str = "id, structure_id, family_id, kind, number, year, seq, run_month, \
    issued_on, due_on, total_cents, refers_to, reason, content, issued_by, issued_at_ms";

/// How many values [`bind`] gives a row.
const WRITTEN: usize = 16;

/// A document with where its PDF is stored, as [`invoice`] reads it: `SELECT {SELECTED}
/// WHERE …`, whose conditions name `invoices`' own columns (`invoice_pdfs` shares none).
const SELECTED: &str = "i.id, i.structure_id, i.family_id, i.kind, i.number, i.year, i.seq, \
    i.run_month, i.issued_on, i.due_on, i.total_cents, i.refers_to, i.reason, i.content, \
    i.issued_by, i.issued_at_ms, p.pdf_key, p.pdf_sha256, p.pdf_offset, p.pdf_length \
    FROM invoices i LEFT JOIN invoice_pdfs p ON p.invoice_id = i.id";

fn invoice(r: &sqlx::any::AnyRow) -> Result<InvoiceRow, sqlx::Error> {
    Ok(InvoiceRow {
        id: r.try_get("id")?,
        structure_id: r.try_get("structure_id")?,
        family_id: r.try_get("family_id")?,
        kind: r.try_get("kind")?,
        number: r.try_get("number")?,
        year: r.try_get("year")?,
        seq: r.try_get("seq")?,
        run_month: r.try_get("run_month")?,
        issued_on: r.try_get("issued_on")?,
        due_on: r.try_get("due_on")?,
        total_cents: r.try_get("total_cents")?,
        refers_to: r.try_get("refers_to")?,
        reason: r.try_get("reason")?,
        content: r.try_get("content")?,
        issued_by: r.try_get("issued_by")?,
        issued_at_ms: r.try_get("issued_at_ms")?,
        pdf_key: r.try_get("pdf_key")?,
        pdf_sha256: r.try_get("pdf_sha256")?,
        pdf_offset: r.try_get("pdf_offset")?,
        pdf_length: r.try_get("pdf_length")?,
    })
}

/// Inserts the document `i` (its PDF is recorded by [`set_pdfs`] once stored).
pub async fn insert(conn: &mut AnyConnection, i: &InvoiceRow) -> Result<(), sqlx::Error> {
    insert_many(conn, std::slice::from_ref(i)).await
}

/// Inserts `rows` with as few statements as [`rows_per_statement`] allows (their PDFs are
/// recorded by [`set_pdfs`] once stored).
pub async fn insert_many(conn: &mut AnyConnection, rows: &[InvoiceRow]) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(rows_per_statement(WRITTEN)) {
        let sql = format!(
            "INSERT INTO invoices ({COLUMNS}) VALUES {}",
            multi_row::values(chunk.len(), WRITTEN)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in chunk {
            q = bind(q, i);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Binds the values of `i`'s row, in [`COLUMNS`]' order.
fn bind<'q>(q: Query<'q>, i: &InvoiceRow) -> Query<'q> {
    q.bind(&i.id)
        .bind(&i.structure_id)
        .bind(&i.family_id)
        .bind(&i.kind)
        .bind(&i.number)
        .bind(i.year)
        .bind(i.seq)
        .bind(&i.run_month)
        .bind(&i.issued_on)
        .bind(&i.due_on)
        .bind(i.total_cents)
        .bind(&i.refers_to)
        .bind(&i.reason)
        .bind(&i.content)
        .bind(&i.issued_by)
        .bind(i.issued_at_ms)
}

/// The documents of each of `family_ids` (of the structure), in [`of_family`]'s order.
pub async fn of_each_family(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_ids: &[&str],
) -> Result<BTreeMap<String, Vec<InvoiceRow>>, sqlx::Error> {
    let select = format!("SELECT {SELECTED}");
    let family = |i: &InvoiceRow| i.family_id.clone();
    of_each(
        conn,
        &select,
        "year, kind, seq",
        structure_id,
        family_ids,
        invoice,
        family,
    )
    .await
}

/// The rows of `select` (`SELECT … FROM` a table with `structure_id` and `family_id`) of
/// each of `family_ids` (of the structure), read by `read`, in `order` within a family.
async fn of_each<T>(
    conn: &mut AnyConnection,
    select: &str,
    order: &str,
    structure_id: &str,
    family_ids: &[&str],
    read: fn(&sqlx::any::AnyRow) -> Result<T, sqlx::Error>,
    family: fn(&T) -> String,
) -> Result<BTreeMap<String, Vec<T>>, sqlx::Error> {
    let mut out: BTreeMap<String, Vec<T>> = BTreeMap::new();
    if family_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "{select} WHERE structure_id = $1 AND family_id IN ({}) ORDER BY family_id, {order}",
        multi_row::list(2, family_ids.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(structure_id);
    for id in family_ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(&mut *conn).await?.iter() {
        let row = read(r)?;
        out.entry(family(&row)).or_default().push(row);
    }
    Ok(out)
}

async fn select(
    conn: &mut AnyConnection,
    filter: &str,
    binds: &[&str],
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    let sql = format!("SELECT {SELECTED} WHERE {filter} ORDER BY year, kind, seq");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_all(&mut *conn).await?.iter().map(invoice).collect()
}

pub async fn by_number(
    conn: &mut AnyConnection,
    structure_id: &str,
    number: &str,
) -> Result<Option<InvoiceRow>, sqlx::Error> {
    Ok(select(
        conn,
        "structure_id = $1 AND number = $2",
        &[structure_id, number],
    )
    .await?
    .into_iter()
    .next())
}

pub async fn of_family(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    select(
        conn,
        "structure_id = $1 AND family_id = $2",
        &[structure_id, family_id],
    )
    .await
}

/// Documents of a monthly run, and the credit notes issued during that month.
pub async fn of_month(
    conn: &mut AnyConnection,
    structure_id: &str,
    month: &str,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    select(
        conn,
        "structure_id = $1 AND (run_month = $2 OR (run_month IS NULL AND substr(issued_on, 1, 7) = $2))",
        &[structure_id, month],
    )
    .await
}

/// The structure's invoices (not credit notes nor statements) due before `date` (ISO).
pub async fn due_before(
    conn: &mut AnyConnection,
    structure_id: &str,
    date: &str,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    select(
        conn,
        "structure_id = $1 AND kind = 'invoice' AND due_on <> '' AND due_on < $2",
        &[structure_id, date],
    )
    .await
}

pub async fn of_families(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_ids: &[String],
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    let mut out = Vec::new();
    for id in family_ids {
        out.extend(of_family(conn, structure_id, id).await?);
    }
    Ok(out)
}

/// Families that already have this month's document.
pub async fn issued_families(
    conn: &mut AnyConnection,
    structure_id: &str,
    month: &str,
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT family_id, number FROM invoices WHERE structure_id = $1 AND run_month = $2",
    )
    .bind(structure_id)
    .bind(month)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("family_id")?, r.try_get("number")?)))
        .collect()
}

/// Which of `family_ids` already have their document of `month`: number by family, in one
/// statement per [`multi_row::ROWS_PER_INSERT`] families. A batch of a run reads its own
/// families, not every document of the month issued so far.
///
/// The families come as (family, month) pairs joined on `UNIQUE (family_id, run_month)`, not
/// as `run_month = $2 AND family_id IN (…)`: a run's month is new to PostgreSQL's
/// statistics, so the planner estimated one row for it on the (structure, month) index and
/// read there every document of the month issued so far, batch after batch (9 ms for the
/// 100 families of a statement halfway through 10,000). SQLite takes the pairs the same way.
pub async fn issued_among(
    conn: &mut AnyConnection,
    structure_id: &str,
    month: &str,
    family_ids: &[&str],
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    let mut issued = std::collections::HashMap::new();
    for chunk in family_ids.chunks(multi_row::ROWS_PER_INSERT) {
        let pairs = (3..3 + chunk.len())
            .map(|i| format!("(${i}, $2)"))
            .collect::<Vec<_>>()
            .join(", ");
        // The list of families again: looked up by key whatever the statistics say
        // (`multi_row::column`).
        let families = multi_row::list(3, chunk.len());
        let sql = format!(
            "SELECT i.family_id, i.number FROM (VALUES {pairs}) AS f \
             JOIN invoices i ON i.family_id = f.column1 AND i.run_month = f.column2 \
             WHERE i.structure_id = $1 AND i.family_id IN ({families})"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(structure_id)
            .bind(month);
        for family_id in chunk {
            q = q.bind(*family_id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            issued.insert(r.try_get("family_id")?, r.try_get("number")?);
        }
    }
    Ok(issued)
}

/// Where a document's PDF was stored: the object `key`, or the range `offset`, `length` of
/// it when the object packs several PDFs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfPlace<'a> {
    pub invoice_id: &'a str,
    pub key: &'a str,
    pub offset: Option<i64>,
    pub length: Option<i64>,
    pub sha256: &'a str,
}

/// Records where the PDFs of `places` are, in as few statements as [`rows_per_statement`]
/// allows; a PDF stored again (rendered anew when its stored copy could not be read)
/// replaces the place recorded before.
pub async fn set_pdfs(
    conn: &mut AnyConnection,
    places: &[PdfPlace<'_>],
) -> Result<(), sqlx::Error> {
    for chunk in places.chunks(rows_per_statement(5)) {
        let sql = format!(
            "INSERT INTO invoice_pdfs (invoice_id, pdf_key, pdf_sha256, pdf_offset, pdf_length) \
             VALUES {} ON CONFLICT (invoice_id) DO UPDATE SET pdf_key = excluded.pdf_key, \
             pdf_sha256 = excluded.pdf_sha256, pdf_offset = excluded.pdf_offset, \
             pdf_length = excluded.pdf_length",
            multi_row::values(chunk.len(), 5)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for p in chunk {
            q = q
                .bind(p.invoice_id)
                .bind(p.key)
                .bind(p.sha256)
                .bind(p.offset)
                .bind(p.length);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The last number given for (structure, year, kind), locking its counter row until the
/// transaction ends (the SQLite write gate serialises writers already).
pub async fn lock_counter(
    conn: &mut AnyConnection,
    db: &Db,
    structure_id: &str,
    year: i64,
    kind: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO invoice_counters (structure_id, year, kind, last_seq) VALUES ($1, $2, $3, 0) \
         ON CONFLICT (structure_id, year, kind) DO NOTHING",
    )
    .bind(structure_id)
    .bind(year)
    .bind(kind)
    .execute(&mut *conn)
    .await?;
    let sql = format!(
        "SELECT last_seq FROM invoice_counters WHERE structure_id = $1 AND year = $2 AND kind = $3{}",
        db.for_update()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(year)
        .bind(kind)
        .fetch_one(&mut *conn)
        .await?
        .try_get("last_seq")
}

pub async fn save_counter(
    conn: &mut AnyConnection,
    structure_id: &str,
    year: i64,
    kind: &str,
    last_seq: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE invoice_counters SET last_seq = $4 WHERE structure_id = $1 AND year = $2 AND kind = $3",
    )
    .bind(structure_id)
    .bind(year)
    .bind(kind)
    .bind(last_seq)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaymentRow {
    pub id: String,
    pub family_id: String,
    pub method: String,
    pub amount_cents: i64,
    pub received_on: String,
    pub invoice_number: String,
    pub reference: String,
    pub provider: Option<String>,
    pub provider_ref: Option<String>,
    pub recorded_by: String,
    pub recorded_at_ms: i64,
}

const PAYMENT_COLUMNS: &str = "id, family_id, method, amount_cents, received_on, \
    invoice_number, reference, provider, provider_ref, recorded_by, recorded_at_ms";

fn payment(r: &sqlx::any::AnyRow) -> Result<PaymentRow, sqlx::Error> {
    Ok(PaymentRow {
        id: r.try_get("id")?,
        family_id: r.try_get("family_id")?,
        method: r.try_get("method")?,
        amount_cents: r.try_get("amount_cents")?,
        received_on: r.try_get("received_on")?,
        invoice_number: r.try_get("invoice_number")?,
        reference: r.try_get("reference")?,
        provider: r.try_get("provider")?,
        provider_ref: r.try_get("provider_ref")?,
        recorded_by: r.try_get("recorded_by")?,
        recorded_at_ms: r.try_get("recorded_at_ms")?,
    })
}

pub async fn insert_payment(
    conn: &mut AnyConnection,
    structure_id: &str,
    p: &PaymentRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payments (id, structure_id, family_id, method, amount_cents, received_on, \
         invoice_number, reference, provider, provider_ref, recorded_by, recorded_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&p.id)
    .bind(structure_id)
    .bind(&p.family_id)
    .bind(&p.method)
    .bind(p.amount_cents)
    .bind(&p.received_on)
    .bind(&p.invoice_number)
    .bind(&p.reference)
    .bind(&p.provider)
    .bind(&p.provider_ref)
    .bind(&p.recorded_by)
    .bind(p.recorded_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn payments_of_family(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_id: &str,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE structure_id = $1 AND family_id = $2 \
         ORDER BY received_on, recorded_at_ms, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(family_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(payment)
        .collect()
}

/// The payments of each of `family_ids` (of the structure), in [`payments_of_family`]'s
/// order.
pub async fn payments_of_each_family(
    conn: &mut AnyConnection,
    structure_id: &str,
    family_ids: &[&str],
) -> Result<BTreeMap<String, Vec<PaymentRow>>, sqlx::Error> {
    let select = format!("SELECT {PAYMENT_COLUMNS} FROM payments");
    let order = "received_on, recorded_at_ms, id";
    let family = |p: &PaymentRow| p.family_id.clone();
    of_each(
        conn,
        &select,
        order,
        structure_id,
        family_ids,
        payment,
        family,
    )
    .await
}

/// Payments received between two ISO dates (inclusive).
pub async fn payments_between(
    conn: &mut AnyConnection,
    structure_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE structure_id = $1 AND received_on >= $2 \
         AND received_on <= $3 ORDER BY received_on, recorded_at_ms, id"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(structure_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(payment)
        .collect()
}

/// A payment already recorded for this provider reference, if any.
pub async fn payment_by_provider_ref(
    conn: &mut AnyConnection,
    provider: &str,
    provider_ref: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    let sql =
        format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND provider_ref = $2");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(provider)
        .bind(provider_ref)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(payment)
        .transpose()
}
