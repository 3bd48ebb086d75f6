//! Creating a family is one transaction, on SQLite and PostgreSQL: when the second parent's
//! login is refused by the database half-way (taken meanwhile; here a trigger refuses it),
//! neither the family, nor the first parent's account, nor the dossier or planning are
//! left behind, whether the family comes from the `admin` command's function or from the
//! admin page, where the form comes back with everything typed and the failure in words
//! (409 when a login was taken meanwhile, 500 for another refusal); with the login free
//! again, the same family is created whole, with its journal entry.

use cartable_domain::dossier::ChildSheet;
use cartable_domain::ids::StructureId;
use cartable_server::admin::{self, NewLogin, NewParent};
use cartable_tests::admin_page::sign_in;
use cartable_tests::family::PASSWORD;
use cartable_tests::refusals::{allow_inserts, refuse_inserts};
use cartable_tests::{Backend, TestServer, on_each_backend};
use sqlx::Row;

/// Rows of every table a family's creation writes.
fn rows(server: &TestServer) -> [i64; 5] {
    server.block_on(async {
        let mut out = [0; 5];
        for (i, table) in ["families", "accounts", "documents", "adults", "children"]
            .iter()
            .enumerate()
        {
            out[i] = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&server.state.db.pool)
                .await
                .expect("count")
                .get::<i64, _>(0);
        }
        out
    })
}

/// The database refuses the account `login` (as if taken between the checks and the write).
fn refuse_login(server: &TestServer, login: &str) {
    let condition = format!("NEW.login = '{login}'");
    refuse_inserts(
        server,
        "refuse_login",
        "accounts",
        &condition,
        "identifiant déjà pris",
    );
}

fn allow_logins(server: &TestServer) {
    allow_inserts(server, "refuse_login", "accounts");
}

fn parent(first: &str, login: &str) -> NewParent {
    NewParent::from(&NewLogin {
        first_name: first.into(),
        last_name: "Le Gall".into(),
        login: login.into(),
        password: None,
    })
}

#[test]
fn a_family_is_created_whole_or_not_at_all() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let structure = StructureId::new(seed.structure_id.clone());
        let before = rows(server);
        refuse_login(server, "yann.lg");

        // The admin command's function.
        let parents = [parent("Élodie", "elodie.lg"), parent("Yann", "yann.lg")];
        let children = [ChildSheet {
            first_name: "Maël".into(),
            last_name: "Le Gall".into(),
            birth_date: "2019-02-11".into(),
            ..Default::default()
        }];
        let failed = server.block_on(admin::create_family_with_contacts(
            &server.state,
            &structure,
            "Famille Le Gall",
            &parents,
            &children,
        ));
        assert!(failed.is_err(), "{failed:?}");
        assert_eq!(rows(server), before, "nothing left behind");

        // The admin page: an error page, nothing left behind either.
        let mut page = sign_in(server, &seed.staff.login, PASSWORD).browser;
        let after_sign_in = rows(server);
        let answer = page.post_form("/admin/familles/nouvelle", "/admin/familles/nouvelle", FORM);
        // Not the generic error page: the form again, with everything typed and what happened.
        assert_eq!(answer.status, 500, "{}", answer.text());
        let html = answer.text();
        assert_failure_on_kept_form(&html, "L'enregistrement a échoué sur le serveur");
        assert_eq!(rows(server), after_sign_in, "nothing left behind");
        assert_eq!(journal_entries(server), 0, "no journal entry");

        // The login free again: the whole family.
        allow_logins(server);
        let (family_id, credentials) = server
            .block_on(admin::create_family_with_contacts(
                &server.state,
                &structure,
                "Famille Le Gall",
                &parents,
                &children,
            ))
            .expect("family");
        assert_eq!(credentials.len(), 2);
        let now = rows(server);
        assert_eq!(now[0], after_sign_in[0] + 1, "one family");
        assert_eq!(now[1], after_sign_in[1] + 2, "two parents");
        assert_eq!(now[2], after_sign_in[2] + 2, "dossier and planning");
        assert_eq!(now[3], after_sign_in[3] + 2, "two adults");
        assert_eq!(now[4], after_sign_in[4] + 1, "one child");
        let owners: i64 = server.block_on(async {
            sqlx::query("SELECT COUNT(*) FROM accounts WHERE family_id = $1")
                .bind(family_id.as_str())
                .fetch_one(&server.state.db.pool)
                .await
                .expect("count")
                .get(0)
        });
        assert_eq!(owners, 2);
    });
}

/// The family form's fields as the admin page posts them, parents `elodie.lg` and `yann.lg`.
const FORM: &[(&str, &str)] = &[
    ("nom", "Famille Le Gall"),
    ("parent1_prenom", "Élodie"),
    ("parent1_nom", "Le Gall"),
    ("parent1_courriel", ""),
    ("parent1_telephone", ""),
    ("parent1_identifiant", "elodie.lg"),
    ("parent2_prenom", "Yann"),
    ("parent2_nom", "Le Gall"),
    ("parent2_courriel", ""),
    ("parent2_telephone", ""),
    ("parent2_identifiant", "yann.lg"),
    ("enfant1_prenom", "Maël"),
    ("enfant1_nom", ""),
    ("enfant1_naissance", "2019-02-11"),
    ("enfant1_ecole", ""),
    ("enfant1_classe", "CE1"),
];

/// The creation form shown again: the failure said in French above it, every value typed
/// kept, and no credentials letter.
fn assert_failure_on_kept_form(html: &str, said: &str) {
    let html = &html.replace("&#39;", "'");
    assert!(html.contains("La famille n'a pas été créée"), "{html}");
    assert!(html.contains(said), "{said}: {html}");
    assert!(html.contains("rien n'a été enregistré"), "{html}");
    assert!(
        !html.contains("Erreur interne"),
        "not the generic page: {html}"
    );
    for kept in [
        "value=\"elodie.lg\"",
        "value=\"yann.lg\"",
        "value=\"Maël\"",
        "value=\"CE1\"",
    ] {
        assert!(html.contains(kept), "{kept}: {html}");
    }
    assert!(
        !html.contains("Mot de passe provisoire"),
        "no letter: {html}"
    );
}

/// The journal's "Famille créée" entries.
fn journal_entries(server: &TestServer) -> i64 {
    server.count(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'create_family' AND detail <> $1",
        "",
    )
}

/// Another record takes the login `login` while the family is being written: the family's
/// first row inserts an account with it (in the same transaction, as a concurrent creation
/// committed between the form's checks and the write would), so that the second parent's
/// account breaks the logins' uniqueness.
fn take_login_meanwhile(server: &TestServer, login: &str) {
    let insert = format!(
        "INSERT INTO accounts (id, structure_id, family_id, login, password_hash, display_name, \
         role, created_at_ms) VALUES ('pris-entre-temps', NEW.structure_id, NULL, '{login}', \
         'x', 'Autre compte', 'staff_agent', 0)"
    );
    let statements: Vec<String> = match server.backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER take_login AFTER INSERT ON families BEGIN {insert}; END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION take_login() RETURNS trigger AS $$ BEGIN {insert}; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER take_login AFTER INSERT ON families FOR EACH ROW \
             EXECUTE FUNCTION take_login()"
                .to_string(),
        ],
    };
    server.execute_all(statements);
}

#[test]
fn a_login_taken_meanwhile_is_said_on_the_kept_form_and_nothing_is_created() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let mut page = sign_in(server, &seed.staff.login, PASSWORD).browser;
        let before = rows(server);
        take_login_meanwhile(server, "yann.lg");
        let answer = page.post_form("/admin/familles/nouvelle", "/admin/familles/nouvelle", FORM);
        assert_eq!(answer.status, 409, "{}", answer.text());
        assert_failure_on_kept_form(&answer.text(), "vient d'être attribué à un autre compte");
        assert_eq!(
            rows(server),
            before,
            "nothing left behind, the other account neither"
        );
        assert_eq!(journal_entries(server), 0, "no journal entry");

        // Once created, the family has its journal entry, written with it.
        let drop = match server.backend {
            Backend::Sqlite => "DROP TRIGGER take_login",
            Backend::Postgres => "DROP TRIGGER take_login ON families",
        };
        server.block_on(async {
            sqlx::query(drop)
                .execute(&server.state.db.pool)
                .await
                .expect("drop trigger");
        });
        let created = page.post_form("/admin/familles/nouvelle", "/admin/familles/nouvelle", FORM);
        assert_eq!(created.status, 200, "{}", created.text());
        assert!(
            created.text().contains("Mot de passe provisoire"),
            "the letter"
        );
        assert_eq!(rows(server)[0], before[0] + 1);
        assert_eq!(journal_entries(server), 1);
    });
}
