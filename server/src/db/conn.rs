//! The connection of a write: sqlx's, or on a SQLite file the writer connection that runs
//! its statements where the request runs.
//!
//! sqlx runs each SQLite connection on a worker thread of its own: every statement is sent
//! to that thread and its result sent back, two thread wake-ups a statement, while the write
//! gate is held. A family's booking sync runs about nine statements in the gate (savepoint,
//! version, counters, projections, sync state, chunk, release), so those hand-offs, not
//! SQLite's work, set how long each writer holds the gate. A [`Conn::Direct`] write runs
//! the same statements, built with sqlx's query builder as every other statement of the
//! server, on a `rusqlite` connection to the same file, in the calling thread: the SQL text
//! and the bound values are taken from the query and the rows are given back as sqlx's
//! `Any` rows, so the functions that read and write do not know which connection they use.
//!
//! The rows and arguments of sqlx's `Any` driver are read through fields that sqlx marks as
//! exempt from semantic versioning, hence `sqlx-core` pinned to one version.

use futures_core::stream::BoxStream;
use futures_util::future::BoxFuture;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo, AnyTypeInfoKind, AnyValue};
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::{Any, AnyConnection, Either, Execute, Executor, SqlStr};
use sqlx_core::any::{AnyColumn, AnyValueKind};
use sqlx_core::ext::ustr::UStr;
use std::borrow::Cow;
use std::sync::Arc;

/// A write's connection. `&mut Conn` runs sqlx queries as `&mut AnyConnection` does.
pub enum Conn<'a> {
    /// A connection of sqlx (PostgreSQL, SQLite in memory, and writes that hold sqlx's
    /// transaction).
    Any(&'a mut AnyConnection),
    /// The SQLite writer connection, inside the write gate's transaction.
    Direct(&'a mut rusqlite::Connection),
}

impl std::fmt::Debug for Conn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conn::Any(_) => f.write_str("Conn::Any"),
            Conn::Direct(_) => f.write_str("Conn::Direct"),
        }
    }
}

impl Conn<'_> {
    /// Whether statements run on PostgreSQL (the writer connection is always SQLite).
    pub fn is_postgres(&self) -> bool {
        match self {
            Conn::Any(conn) => conn.backend_name() == "PostgreSQL",
            Conn::Direct(_) => false,
        }
    }
}

impl<'a> From<&'a mut AnyConnection> for Conn<'a> {
    fn from(conn: &'a mut AnyConnection) -> Self {
        Conn::Any(conn)
    }
}

type Step = Either<AnyQueryResult, AnyRow>;

impl<'c, 'a: 'c> Executor<'c> for &'c mut Conn<'a> {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Step, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Conn::Any(conn) => (&mut **conn).fetch_many(query),
            Conn::Direct(conn) => {
                let steps = match run(conn, query) {
                    Ok(steps) => steps.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                };
                Box::pin(futures_util::stream::iter(steps))
            }
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Conn::Any(conn) => (&mut **conn).fetch_optional(query),
            Conn::Direct(conn) => {
                let first = run(conn, query).map(|steps| {
                    steps.into_iter().find_map(|step| match step {
                        Either::Right(row) => Some(row),
                        Either::Left(_) => None,
                    })
                });
                Box::pin(std::future::ready(first))
            }
        }
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            Conn::Any(conn) => (&mut **conn).prepare_with(sql, parameters),
            Conn::Direct(_) => Box::pin(std::future::ready(Err(sqlx::Error::Protocol(
                "instruction préparée non prise en charge par la connexion d'écriture".into(),
            )))),
        }
    }
}

/// Runs `query` on `conn`: each statement's rows, then its result, as sqlx's SQLite driver
/// gives them.
fn run<'q, E: Execute<'q, Any>>(
    conn: &rusqlite::Connection,
    mut query: E,
) -> Result<Vec<Step>, sqlx::Error> {
    let values = query
        .take_arguments()
        .map_err(sqlx::Error::Encode)?
        .map(|a| a.values.0)
        .unwrap_or_default();
    let sql = query.sql();
    let sql = sql.as_str();
    match conn.prepare_cached(sql) {
        Ok(mut statement) => {
            let mut steps = Vec::new();
            let mut positional = 0;
            step(conn, &mut statement, &values, &mut positional, &mut steps)?;
            Ok(steps)
        }
        Err(rusqlite::Error::MultipleStatement) => {
            // Several statements (rare: a savepoint's rollback and release): each in turn,
            // their parameters numbered across the whole text as sqlx numbers them.
            let mut steps = Vec::new();
            let mut positional = 0;
            use rusqlite::fallible_iterator::FallibleIterator;
            let mut batch = rusqlite::Batch::new(conn, sql);
            while let Some(mut statement) = batch.next().map_err(error)? {
                step(conn, &mut statement, &values, &mut positional, &mut steps)?;
            }
            Ok(steps)
        }
        Err(e) => Err(error(e)),
    }
}

/// Binds `values` to `statement` and runs it to the end.
fn step(
    conn: &rusqlite::Connection,
    statement: &mut rusqlite::Statement<'_>,
    values: &[AnyValueKind],
    positional: &mut usize,
    steps: &mut Vec<Step>,
) -> Result<(), sqlx::Error> {
    for i in 1..=statement.parameter_count() {
        let n = match statement.parameter_name(i) {
            Some(name) => name
                .strip_prefix('$')
                .or_else(|| name.strip_prefix('?'))
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| {
                    sqlx::Error::Protocol(format!("paramètre SQL non pris en charge : {name}"))
                })?,
            None => {
                *positional += 1;
                *positional
            }
        };
        let value = n
            .checked_sub(1)
            .and_then(|n| values.get(n))
            .ok_or_else(|| {
                sqlx::Error::Protocol(format!(
                    "paramètre SQL {n} sans valeur ({} données)",
                    values.len()
                ))
            })?;
        statement
            .raw_bind_parameter(i, Bound(value))
            .map_err(error)?;
    }
    let read_only = statement.readonly();
    if statement.column_count() == 0 {
        statement.raw_execute().map_err(error)?;
    } else {
        let names: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let column_names: Arc<sqlx_core::HashMap<UStr, usize>> = Arc::new(
            names
                .iter()
                .enumerate()
                .map(|(i, name)| (UStr::new(name), i))
                .collect(),
        );
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next().map_err(error)? {
            steps.push(Either::Right(any_row(row, &names, &column_names)?));
        }
    }
    let rows_affected = if read_only { 0 } else { conn.changes() };
    steps.push(Either::Left(AnyQueryResult {
        rows_affected,
        last_insert_id: Some(conn.last_insert_rowid()),
    }));
    Ok(())
}

/// A row as sqlx's `Any` driver gives it: each value typed by what SQLite stored.
fn any_row(
    row: &rusqlite::Row<'_>,
    names: &[String],
    column_names: &Arc<sqlx_core::HashMap<UStr, usize>>,
) -> Result<AnyRow, sqlx::Error> {
    let mut columns = Vec::with_capacity(names.len());
    let mut values = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let decode = |source: Box<dyn std::error::Error + Send + Sync>| sqlx::Error::ColumnDecode {
            index: name.clone(),
            source,
        };
        let kind = match row.get_ref(i).map_err(|e| decode(Box::new(e)))? {
            ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
            ValueRef::Integer(n) => AnyValueKind::BigInt(n),
            ValueRef::Real(x) => AnyValueKind::Double(x),
            ValueRef::Text(bytes) => AnyValueKind::Text(Arc::new(
                String::from_utf8(bytes.to_vec()).map_err(|e| decode(Box::new(e)))?,
            )),
            ValueRef::Blob(bytes) => AnyValueKind::Blob(Arc::new(bytes.to_vec())),
        };
        let type_info = AnyTypeInfo {
            kind: match &kind {
                AnyValueKind::Null(_) => AnyTypeInfoKind::Null,
                AnyValueKind::BigInt(_) => AnyTypeInfoKind::BigInt,
                AnyValueKind::Double(_) => AnyTypeInfoKind::Double,
                AnyValueKind::Text(_) => AnyTypeInfoKind::Text,
                _ => AnyTypeInfoKind::Blob,
            },
        };
        columns.push(AnyColumn {
            ordinal: i,
            name: UStr::new(name),
            type_info,
        });
        values.push(AnyValue { kind });
    }
    Ok(AnyRow {
        column_names: column_names.clone(),
        columns,
        values,
    })
}

/// A value of sqlx's arguments, bound as sqlx's SQLite driver binds it.
struct Bound<'v>(&'v AnyValueKind);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            AnyValueKind::Null(_) => ValueRef::Null,
            AnyValueKind::Bool(b) => ValueRef::Integer(i64::from(*b)),
            AnyValueKind::SmallInt(n) => ValueRef::Integer(i64::from(*n)),
            AnyValueKind::Integer(n) => ValueRef::Integer(i64::from(*n)),
            AnyValueKind::BigInt(n) => ValueRef::Integer(*n),
            AnyValueKind::Real(x) => ValueRef::Real(f64::from(*x)),
            AnyValueKind::Double(x) => ValueRef::Real(*x),
            AnyValueKind::Text(s) => ValueRef::Text(s.as_bytes()),
            AnyValueKind::TextSlice(s) => ValueRef::Text(s.as_bytes()),
            AnyValueKind::Blob(b) => ValueRef::Blob(b),
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("valeur SQL non prise en charge : {other:?}").into(),
                ));
            }
        }))
    }
}

/// SQLite's error for a statement of the writer connection, typed as sqlx types those of its
/// own SQLite connections (a unique key violated is a unique violation), but for a lock
/// held past the timeout: storage unavailable, as for the direct readers.
pub(crate) fn error(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(failure, message) => match failure.code {
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                sqlx::Error::Io(std::io::Error::other(rusqlite::Error::SqliteFailure(
                    failure, message,
                )))
            }
            _ => sqlx::Error::Database(Box::new(SqliteFailure {
                extended_code: failure.extended_code,
                message: message.unwrap_or_else(|| failure.to_string()),
            })),
        },
        other => sqlx::Error::AnyDriverError(Box::new(other)),
    }
}

/// An error SQLite returned, with its extended result code.
#[derive(Debug)]
struct SqliteFailure {
    extended_code: i32,
    message: String,
}

impl std::fmt::Display for SqliteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqliteFailure {}

impl DatabaseError for SqliteFailure {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.extended_code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Conn;
    use crate::db::DirectTx;
    use sqlx::Row;

    /// What a few statements give back through `conn`, with `n` counted from `base`.
    async fn scenario(conn: &mut Conn<'_>, base: i64) -> Vec<String> {
        let mut out = Vec::new();
        let inserted = sqlx::query(
            "INSERT INTO t (n, label, data, note) VALUES ($2, $1, $3, $4), ($2 + 1, $1, $3, NULL)",
        )
        .bind("été 12 €")
        .bind(base)
        .bind(vec![0u8, 255])
        .bind(Some("x"))
        .execute(&mut *conn)
        .await
        .expect("insert");
        out.push(format!("inserted {}", inserted.rows_affected()));
        let rows = sqlx::query(
            "SELECT n, label, data, note, n * 0.5 AS half FROM t WHERE n >= $1 ORDER BY n",
        )
        .bind(base)
        .fetch_all(&mut *conn)
        .await
        .expect("rows");
        for r in &rows {
            let n: i64 = r.try_get("n").expect("n");
            let small: i32 = r.try_get("n").expect("n as i32");
            let label: String = r.try_get("label").expect("label");
            let data: Vec<u8> = r.try_get("data").expect("data");
            let note: Option<String> = r.try_get("note").expect("note");
            let half: f64 = r.try_get("half").expect("half");
            out.push(format!(
                "{} {} {label} {data:?} {note:?} {}",
                n - base,
                i64::from(small) - base,
                half - base as f64 / 2.0
            ));
        }
        let missing = sqlx::query("SELECT n FROM t WHERE n = $1")
            .bind(-1i64)
            .fetch_optional(&mut *conn)
            .await
            .expect("no row");
        out.push(format!("missing {}", missing.is_none()));
        match sqlx::query("INSERT INTO t (n, label) VALUES ($1, 'again')")
            .bind(base)
            .execute(&mut *conn)
            .await
        {
            Err(sqlx::Error::Database(e)) => {
                out.push(format!("unique violation {}", e.is_unique_violation()));
            }
            other => out.push(format!("{other:?}")),
        }
        match sqlx::query("INSERT INTO t (n, label) VALUES ($1, NULL)")
            .bind(base + 5)
            .execute(&mut *conn)
            .await
        {
            Err(sqlx::Error::Database(e)) => out.push(format!("{:?}", e.kind())),
            other => out.push(format!("{other:?}")),
        }
        let updated = sqlx::query("UPDATE t SET note = 'y' WHERE n >= $1")
            .bind(base)
            .execute(&mut *conn)
            .await
            .expect("update");
        out.push(format!("updated {}", updated.rows_affected()));
        let returned = sqlx::query("UPDATE t SET label = 'z' WHERE n = $1 RETURNING n")
            .bind(base + 1)
            .fetch_optional(&mut *conn)
            .await
            .expect("returning")
            .map(|r| r.try_get::<i64, _>("n").expect("n") - base);
        out.push(format!("returned {returned:?}"));
        sqlx::query(
            "SAVEPOINT inner; DELETE FROM t WHERE n = $1; ROLLBACK TO inner; RELEASE inner",
        )
        .bind(base)
        .execute(&mut *conn)
        .await
        .expect("several statements");
        let count = sqlx::query("SELECT COUNT(*) AS c FROM t WHERE n >= $1")
            .bind(base)
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        out.push(format!("kept {}", count.try_get::<i64, _>("c").expect("c")));
        out
    }

    #[tokio::test]
    async fn the_writer_connection_answers_as_sqlx_s_own_connections() {
        let (db, _dir) = crate::db::temporary_sqlite().await;
        sqlx::query(
            "CREATE TABLE t (n INTEGER PRIMARY KEY, label TEXT NOT NULL, data BLOB, note TEXT)",
        )
        .execute(&db.pool)
        .await
        .expect("table");

        let mut pooled = db.begin_write().await.expect("pooled write");
        let theirs = scenario(&mut Conn::Any(&mut pooled.tx), 10).await;
        pooled.commit().await.expect("commit");

        let mut direct = db.begin_direct().await.expect("direct write");
        assert!(matches!(direct, DirectTx::Direct(_)));
        let ours = scenario(&mut direct.conn().expect("conn"), 20).await;
        // Stricter than sqlx's own connections, which bind NULL: a parameter the query
        // gives no value for is an error.
        let unbound = sqlx::query("SELECT $2 AS v")
            .bind(1i64)
            .fetch_optional(&mut direct.conn().expect("conn"))
            .await;
        assert!(
            matches!(&unbound, Err(sqlx::Error::Protocol(m)) if m.contains("sans valeur")),
            "{:?}",
            unbound.map(|row| row.is_some())
        );
        direct.commit().await.expect("commit");

        assert_eq!(ours, theirs);
        assert_eq!(theirs[1], "0 0 été 12 € [0, 255] Some(\"x\") 0");
        assert_eq!(theirs[4], "unique violation true");
        assert_eq!(theirs[5], "NotNullViolation");
        let stored: Vec<i64> = sqlx::query("SELECT n FROM t ORDER BY n")
            .fetch_all(&db.pool)
            .await
            .expect("rows")
            .iter()
            .map(|r| r.try_get("n").expect("n"))
            .collect();
        assert_eq!(stored, [10, 11, 20, 21]);
    }
}
