//! Reads that look up many rows by key in one statement, on PostgreSQL.
//!
//! A batch of the monthly run reads a hundred families' invoices with their PDFs' places,
//! and their quotients, by family. With PostgreSQL's default `random_page_cost` (4, set for
//! spinning disks) the planner prices a hundred index lookups above reading the whole of
//! `invoice_pdfs` (two rows a family each month, for as long as invoices are kept) or of
//! `adults` and `families`, and reads them whole for every batch. The database's pages are
//! in memory while a run reads them, where a lookup costs about what a page read in
//! sequence does.
//!
//! Only these reads get the lower cost: with it for every statement of a run, the month's
//! bookings read plans a slower scan (docs/BENCHMARKS.md, monthly invoicing).

use sqlx::AnyConnection;

/// The cost of a page read out of sequence that [`prefer_lookups`] sets: what PostgreSQL's
/// documentation suggests for storage whose random reads cost about what sequential ones do.
const LOOKUP_PAGE_COST: &str = "1.1";

/// Until the end of the transaction `conn` is in, has PostgreSQL's planner price a page read
/// out of sequence at [`LOOKUP_PAGE_COST`], or lower if the server is set lower. Nothing on
/// SQLite, whose planner has no such cost.
pub async fn prefer_lookups(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    // `set_config(…, true)` is `SET LOCAL`: the pooled connection's later transactions keep
    // the server's setting.
    sqlx::query(
        "SELECT set_config('random_page_cost', \
         LEAST(current_setting('random_page_cost')::float8, $1::float8)::text, true)",
    )
    .bind(LOOKUP_PAGE_COST)
    .execute(conn)
    .await
    .map(drop)
}
