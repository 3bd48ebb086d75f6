//! Placeholders of statements that take many rows or many ids at once (`$N` numbered), so a
//! batch of families costs one statement instead of one per family.

/// Most rows one multi-row `INSERT` takes: well under the bound parameters SQLite (32,766)
/// and PostgreSQL (65,535) accept, for rows of up to 20 columns.
pub const ROWS_PER_INSERT: usize = 100;

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
}
