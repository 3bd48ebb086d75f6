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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_numbered_one_after_the_other() {
        assert_eq!(list(2, 3), "$2, $3, $4");
        assert_eq!(values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values(0, 3), "");
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
