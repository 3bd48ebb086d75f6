//! The database refusing a write, as a full disk, a broken table or a value taken meanwhile
//! would: a trigger makes inserts into a table fail, on either backend, until it is dropped.

use crate::{Backend, TestServer};

/// Makes the database refuse, with `message`, every insert into `table` for which `condition`
/// holds (an SQL expression on `NEW` that both backends read alike, e.g.
/// `NEW.login = 'yann.lg'`, or `TRUE`). The trigger is named `name`; [`allow_inserts`]
/// drops it.
pub fn refuse_inserts(
    server: &TestServer,
    name: &str,
    table: &str,
    condition: &str,
    message: &str,
) {
    let statements = match server.backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {condition} \
             BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF {condition} THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$"
            ),
            format!(
                "CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW \
                 EXECUTE FUNCTION {name}()"
            ),
        ],
    };
    server.execute_all(statements);
}

/// Drops the trigger `name` on `table` that [`refuse_inserts`] created.
pub fn allow_inserts(server: &TestServer, name: &str, table: &str) {
    let sql = match server.backend {
        Backend::Sqlite => format!("DROP TRIGGER {name}"),
        Backend::Postgres => format!("DROP TRIGGER {name} ON {table}"),
    };
    server.execute_all([sql]);
}
