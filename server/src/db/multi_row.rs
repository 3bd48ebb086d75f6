//! Placeholders of statements that take many rows or many ids at once (`$N` numbered), so a
//! batch of families costs one statement instead of one per family.

/// Most rows (or ids) one multi-row statement takes.
pub const ROWS_PER_INSERT: usize = 100;

/// Most parameters one multi-row statement binds, well under what SQLite (32,766) and
/// PostgreSQL (65,535) accept. SQLite finds a numbered parameter (`$N`) by walking the
/// statement's list of parameter names, and sqlx asks it for every parameter it binds, so
/// binding n parameters costs n²/2 steps: with the 2,000 of 100 invoice rows, that lookup was
/// the busiest function of SQLite's thread in a monthly run.
pub const PARAMETERS_PER_STATEMENT: usize = 500;

/// How many rows of `columns` values one multi-row statement takes: [`ROWS_PER_INSERT`],
/// fewer for wide rows ([`PARAMETERS_PER_STATEMENT`]).
pub const fn rows_per_statement(columns: usize) -> usize {
    let rows = PARAMETERS_PER_STATEMENT / if columns == 0 { 1 } else { columns };
    if rows == 0 {
        1
    } else if rows > ROWS_PER_INSERT {
        ROWS_PER_INSERT
    } else {
        rows
    }
}

/// A statement whose values are bound row after row.
pub type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// `$from, $from+1, …` for `n` values: an `IN (…)` list.
pub fn list(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $columns), ($columns+1, …)` for `rows` rows: a multi-row `VALUES`.
pub fn values(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", list(1 + r * columns, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The placeholders of column `column` (from 1) of [`values`]`(rows, columns)`, as an `IN (…)`
/// list: `UPDATE t … FROM (VALUES …) AS v WHERE t.id = v.column1 AND t.id IN (…)` looks each
/// row up by its key whatever the planner's statistics say. Without the list, SQLite with
/// statistics gathered while the table was nearly empty (the minute after a town's families
/// are imported, or a connection opened before they were) scanned the whole table for each
/// row of the `VALUES`: 43 ms instead of 1.6 ms for a hundred documents' versions among
/// 30,000.
pub fn column(rows: usize, columns: usize, column: usize) -> String {
    (0..rows)
        .map(|r| format!("${}", r * columns + column))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_numbered_one_after_the_other() {
        assert_eq!(list(2, 3), "$2, $3, $4");
        assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values(0, 3), "");
        assert_eq!(column(3, 2, 1), "$1, $3, $5");
        assert_eq!(column(2, 3, 2), "$2, $5");
        assert_eq!(column(0, 3, 1), "");
    }

    #[test]
    fn wide_rows_go_fewer_to_a_statement() {
        assert_eq!(rows_per_statement(1), ROWS_PER_INSERT);
        assert_eq!(rows_per_statement(5), 100);
        assert_eq!(rows_per_statement(20), 25);
        assert_eq!(rows_per_statement(1000), 1);
        assert_eq!(rows_per_statement(0), ROWS_PER_INSERT);
    }
}
