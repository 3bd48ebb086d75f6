//! The admin page's name searches ignore case and accents, on SQLite and PostgreSQL: the
//! families search ("élodie", "ELODIE" and "elodie" find Élodie, "Ines" finds Inès) and the
//! journal's filter by family or child. Names are compared through the search keys stored beside them;
//! keys missing from rows written before they existed are computed when the server starts.

use cartable_domain::dossier::ChildSheet;
use cartable_domain::ids::StructureId;
use cartable_server::admin::{self, NewLogin};
use cartable_server::demo;
use cartable_tests::admin_page::{Browser, sign_in};
use cartable_tests::{TestServer, on_each_backend_mut};

/// The demo's structure with the Le Gall family added: Élodie and Yann, their son Maël.
fn demo_with_le_gall(server: &TestServer) {
    server
        .block_on(demo::ensure_demo(&server.state))
        .expect("demo data");
    server.block_on(async {
        let structure_id = cartable_server::db::accounts::structure_by_name(
            &server.state.db,
            demo::STRUCTURE_NAME,
        )
        .await
        .expect("query")
        .expect("demo structure");
        let parent = |first: &str, login: &str| NewLogin {
            first_name: first.into(),
            last_name: "Le Gall".into(),
            login: login.into(),
            password: Some("mot-de-passe-test".into()),
        };
        admin::create_family(
            &server.state,
            &StructureId::new(structure_id),
            "Famille Le Gall",
            &[
                parent("Élodie", "elodie.le-gall"),
                parent("Yann", "yann.le-gall"),
            ],
            &[ChildSheet {
                first_name: "Maël".into(),
                last_name: "Le Gall".into(),
                birth_date: "2019-02-11".into(),
                ..Default::default()
            }],
        )
        .await
        .expect("family");
    });
}

/// The families the search `q` (already percent-encoded) lists.
fn found(agent: &mut Browser, q: &str) -> Vec<&'static str> {
    let page = agent.get(&format!("/admin/familles?q={q}"));
    assert_eq!(page.status, 200, "{q}: {}", page.text());
    let html = page.text();
    let results = html
        .split_once("id=\"titre-resultats\"")
        .map(|(_, after)| after.to_string())
        .unwrap_or_default();
    ["Famille Benali", "Famille Le Gall", "Famille Martin"]
        .into_iter()
        .filter(|name| results.contains(name))
        .collect()
}

fn assert_searches_fold_case_and_accents(agent: &mut Browser) {
    for (q, expected) in [
        // "élodie", "ELODIE", "elodie", "Élodie", "ÉLODIE"
        ("%C3%A9lodie", "Famille Le Gall"),
        ("ELODIE", "Famille Le Gall"),
        ("elodie", "Famille Le Gall"),
        ("%C3%89lodie", "Famille Le Gall"),
        ("%C3%89LODIE", "Famille Le Gall"),
        // A child's name, either way round, and a hyphen read as a space.
        ("MAEL", "Famille Le Gall"),
        ("le+gall+ma%C3%ABl", "Famille Le Gall"),
        ("le-gall", "Famille Le Gall"),
        // "Ines", "INÈS", "inès"
        ("Ines", "Famille Benali"),
        ("IN%C3%88S", "Famille Benali"),
        ("in%C3%A8s", "Famille Benali"),
        // The family's own name, and a parent's.
        ("famille+BENALI", "Famille Benali"),
        ("l%C3%A9a", "Famille Martin"),
    ] {
        assert_eq!(found(agent, q), vec![expected], "{q}");
    }
    // A wildcard typed in the box is a character, not "anything".
    assert_eq!(found(agent, "%25"), Vec::<&str>::new());
    assert_eq!(found(agent, "elo_die"), Vec::<&str>::new());
}

#[test]
fn the_family_search_ignores_case_and_accents() {
    on_each_backend_mut(|server| {
        demo_with_le_gall(server);
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_searches_fold_case_and_accents(&mut agent);

        // Rows written before the keys existed: the keys are computed at start-up.
        server.block_on(async {
            for sql in [
                "UPDATE families SET name_key = NULL",
                "UPDATE children SET first_name_key = NULL, last_name_key = NULL",
                "UPDATE adults SET first_name_key = NULL, last_name_key = NULL",
                "UPDATE accounts SET display_name_key = NULL",
            ] {
                sqlx::query(sql)
                    .execute(&server.state.db.pool)
                    .await
                    .expect("forget the keys");
            }
        });
        assert_eq!(found(&mut agent, "elodie"), Vec::<&str>::new());
        server.restart();
        let missing = server.count(
            "SELECT COUNT(*) FROM children WHERE first_name_key IS NULL AND family_id <> $1",
            "",
        );
        assert_eq!(missing, 0);
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_searches_fold_case_and_accents(&mut agent);
    });
}

#[test]
fn the_journals_family_filter_ignores_case_and_accents() {
    on_each_backend_mut(|server| {
        demo_with_le_gall(server);
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        // An entry about each family: a new one-time password given from its page.
        for login in ["elodie.le-gall", "samira.benali"] {
            let (family, account): (String, String) = server.block_on(async {
                use sqlx::Row;
                let row = sqlx::query("SELECT family_id, id FROM accounts WHERE login = $1")
                    .bind(login)
                    .fetch_one(&server.state.db.pool)
                    .await
                    .expect("account");
                (row.get(0), row.get(1))
            });
            let done = admin.post_form(
                &format!("/admin/familles/{family}"),
                &format!("/admin/familles/{family}/parents/{account}/mot-de-passe"),
                &[],
            );
            assert_eq!(done.status, 200, "{login}: {}", done.text());
        }
        for (q, shown, hidden) in [
            // The filter reads family and children's names: "MAËL", "famille le gall".
            ("MA%C3%8BL", "Famille Le Gall", "Famille Benali"),
            ("famille+le+gall", "Famille Le Gall", "Famille Benali"),
            ("mael", "Famille Le Gall", "Famille Benali"),
            ("INES", "Famille Benali", "Famille Le Gall"),
            ("b%C3%A9nali", "Famille Benali", "Famille Le Gall"),
        ] {
            let page = admin.get(&format!("/admin/journal?famille={q}"));
            assert_eq!(page.status, 200, "{q}: {}", page.text());
            let html = page.text();
            let table = html.split_once("<table").map(|(_, t)| t).unwrap_or("");
            assert!(table.contains(shown), "{q}: {html}");
            assert!(!table.contains(hidden), "{q}: {html}");
        }
    });
}
