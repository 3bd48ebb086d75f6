//! The admin page's daily lists and attendance, over HTTP on SQLite and PostgreSQL: the
//! list of a day with diets, allergies and PAI in words, its print view and CSV download
//! (logged as reads of health data); the attendance sheet, "all booked children present",
//! marks changed, a child who came without a booking; forms without their token change
//! nothing; another structure's children are not found and never shown.

use cartable_server::demo;
use cartable_tests::admin_page::{Browser, assert_accessible, sign_in};
use cartable_tests::daily::{DAY, demo_with_canteen};
use cartable_tests::{TestServer, on_each_backend};
use sqlx::Row;

const LIST: &str = "/admin/listes?jour=2027-03-16&activite=cantine";
const SHEET: &str = "/admin/pointage?jour=2027-03-16&activite=cantine";

fn count(server: &TestServer, sql: &str, binds: &[&str]) -> i64 {
    server.block_on(async {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for b in binds {
            q = q.bind(b.to_string());
        }
        q.fetch_one(&server.state.db.pool)
            .await
            .expect("count")
            .get::<i64, _>(0)
    })
}

fn mark_of(server: &TestServer, child_id: &str) -> Option<(String, String)> {
    server.block_on(async {
        sqlx::query(
            "SELECT status, note FROM attendance WHERE child_id = $1 AND day = $2 \
             AND activity_id = 'cantine'",
        )
        .bind(child_id)
        .bind(DAY)
        .fetch_optional(&server.state.db.pool)
        .await
        .expect("mark")
        .map(|r| (r.get("status"), r.get("note")))
    })
}

fn health_reads(server: &TestServer, structure_id: &str) -> i64 {
    count(
        server,
        "SELECT COUNT(*) FROM audit_log WHERE structure_id = $1 \
         AND action = 'read_day_list_health_diet'",
        &[structure_id],
    )
}

#[test]
fn the_day_list_reads_in_words_prints_and_downloads() {
    on_each_backend(|server| {
        let demo = demo_with_canteen(server);
        let other = server.seed(1);
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;

        let before = health_reads(server, &demo.structure_id);
        let page = agent.get(LIST);
        assert_eq!(page.status, 200, "{}", page.text());
        assert_accessible("day list", &page);
        let html = page.text();
        assert!(
            html.contains("Restauration scolaire, mardi 16 mars 2027"),
            "{html}"
        );
        for expected in [
            "Sans porc",
            "Végétarien",
            "arachide",
            "Absence signalée par la famille",
            "enfants attendus (1 absence signalée sur 4 inscrits)",
            "1 sans porc, 1 végétarien",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        assert_eq!(health_reads(server, &demo.structure_id), before + 1);

        let print = agent.get(&LIST.replace("/admin/listes?", "/admin/listes/imprimer?"));
        assert_eq!(print.status, 200);
        assert_accessible("print view", &print);
        assert!(print.text().contains("arachide"));
        assert!(!print.text().contains("class=\"menu\""), "no menu on paper");

        let csv = agent.get(&LIST.replace("/admin/listes?", "/admin/listes/telecharger?"));
        assert_eq!(csv.status, 200);
        assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
        assert!(
            csv.header("content-disposition")
                .starts_with("attachment; filename=\"liste-cantine-2027-03-16.csv\""),
            "{}",
            csv.header("content-disposition")
        );
        let text = csv.text();
        assert!(text.starts_with(
            "\u{feff}Nom;Prénom;Classe;Famille;Régime;Allergies;PAI;Remarque;\
                 Peut récupérer l'enfant;Contacts d'urgence\r\n"
        ));
        assert!(
            text.contains(
                "Martin;Léa;CM1;Famille Martin;Sans régime particulier;arachide;Oui;;\
                 \"Camille Martin, Julien Martin\";\"Camille Martin (sans numéro) ; Julien Martin (sans numéro)\"\r\n"
            ),
            "{text}"
        );
        assert!(text.contains("Martin;Hugo;CE1;Famille Martin;Sans porc;Aucune;Non;;"));
        assert_eq!(text.lines().count(), 5);
        assert_eq!(health_reads(server, &demo.structure_id), before + 3);

        // A wrong date: the chooser says so next to its field; an unknown activity: not found.
        let bad = agent.get("/admin/listes?jour=16/03/2027&activite=cantine");
        assert_eq!(bad.status, 400);
        assert_accessible("bad date", &bad);
        assert!(bad.text().contains("aria-describedby=\"erreur-jour\""));
        assert_eq!(
            agent
                .get("/admin/listes?jour=2027-03-16&activite=piscine")
                .status,
            404
        );

        // The other structure's staff sees its own (empty) canteen, none of these children.
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        let foreign = admin_b.get(LIST);
        assert_eq!(foreign.status, 200);
        assert!(!foreign.text().contains("Martin"));
        assert!(foreign.text().contains("Aucun enfant inscrit"));
        let foreign_csv = admin_b
            .get(&LIST.replace("/admin/listes?", "/admin/listes/telecharger?"))
            .text();
        assert_eq!(foreign_csv.lines().count(), 1, "{foreign_csv}");

        // Signed out: the login page.
        let mut anonymous = Browser::new(&server.url);
        assert_eq!(anonymous.get(LIST).status, 303);
    });
}

#[test]
fn attendance_is_taken_on_the_sheet() {
    on_each_backend(|server| {
        let demo = demo_with_canteen(server);
        let other = server.seed(1);
        let lea = demo.children["Léa"].clone();
        let hugo = demo.children["Hugo"].clone();
        let ines = demo.children["Inès"].clone();
        let yanis = demo.children["Yanis"].clone();
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;

        let sheet = agent.get(SHEET);
        assert_eq!(sheet.status, 200, "{}", sheet.text());
        assert_accessible("attendance sheet", &sheet);
        let html = sheet.text();
        assert!(html.contains("Tous les enfants inscrits présents"));
        assert!(html.contains("4 non pointés"), "{html}");

        let fields = [("jour", DAY), ("activite", "cantine")];
        // Without the token: refused, nothing written.
        let none = agent.post_raw("/admin/pointage/tous-presents", &fields);
        assert_eq!(none.status, 403);
        assert_eq!(mark_of(server, &lea), None);

        // All booked children present, but not Yanis, declared absent by his parents.
        let done = agent.post_form(SHEET, "/admin/pointage/tous-presents", &fields);
        assert_eq!(done.status, 303, "{}", done.text());
        let after = agent.get(done.header("location"));
        assert!(
            after
                .text()
                .contains("3 enfants inscrits marqués présents."),
            "{}",
            after.text()
        );
        for child in [&lea, &hugo, &ines] {
            assert_eq!(
                mark_of(server, child),
                Some(("present".into(), String::new()))
            );
        }
        assert_eq!(mark_of(server, &yanis), None);

        // The sheet's form: Hugo absent with a note, Yanis justified; the others unchanged.
        let index_of = |html: &str, child: &str| -> String {
            let marker = format!("\" value=\"{child}\"");
            let at = html.find(&marker).expect("child on the sheet");
            let start = html[..at].rfind("name=\"enfant-").expect("field") + 13;
            html[start..at].to_string()
        };
        let html = agent.get(SHEET).text();
        let (h, y) = (index_of(&html, &hugo), index_of(&html, &yanis));
        let (l, i) = (index_of(&html, &lea), index_of(&html, &ines));
        let statut = |n: &str| format!("statut-{n}");
        let note = |n: &str| format!("note-{n}");
        let enfant = |n: &str| format!("enfant-{n}");
        let form: Vec<(String, String)> = vec![
            ("jour".into(), DAY.into()),
            ("activite".into(), "cantine".into()),
            (enfant(&l), lea.clone()),
            (statut(&l), "present".into()),
            (note(&l), String::new()),
            (enfant(&h), hugo.clone()),
            (statut(&h), "absent".into()),
            (note(&h), "Parti à 11 h".into()),
            (enfant(&i), ines.clone()),
            (statut(&i), "present".into()),
            (note(&i), String::new()),
            (enfant(&y), yanis.clone()),
            (statut(&y), "absent_justified".into()),
            (note(&y), String::new()),
        ];
        let borrowed: Vec<(&str, &str)> =
            form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let saved = agent.post_form(SHEET, "/admin/pointage", &borrowed);
        assert_eq!(saved.status, 303, "{}", saved.text());
        let after = agent.get(saved.header("location"));
        assert!(
            after
                .text()
                .contains("Pointage enregistré : 2 enfants mis à jour.")
        );
        assert_eq!(
            mark_of(server, &hugo),
            Some(("absent".into(), "Parti à 11 h".into()))
        );
        assert_eq!(
            mark_of(server, &yanis),
            Some(("absent_justified".into(), String::new()))
        );
        // A status the sheet does not know: refused, nothing written.
        let mut wrong = borrowed.clone();
        wrong[3].1 = "malade";
        wrong[6].1 = "present";
        let refused = agent.post_form(SHEET, "/admin/pointage", &wrong);
        assert_eq!(refused.status, 400);
        assert_eq!(mark_of(server, &hugo).map(|m| m.0), Some("absent".into()));

        // Léa came to the evening childcare without a booking.
        let evening = SHEET.replace("cantine", "garderie-soir");
        let added = agent.post_form(
            &evening,
            "/admin/pointage/ajouter",
            &[
                ("jour", DAY),
                ("activite", "garderie-soir"),
                ("enfant", &lea),
            ],
        );
        assert_eq!(added.status, 303, "{}", added.text());
        let walk_in: String = server.block_on(async {
            sqlx::query(
                "SELECT status FROM attendance WHERE child_id = $1 AND day = $2 \
                 AND activity_id = 'garderie-soir'",
            )
            .bind(&lea)
            .bind(DAY)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("mark")
            .get("status")
        });
        assert_eq!(walk_in, "present");
        let evening_sheet = agent.get(added.header("location")).text();
        assert!(
            evening_sheet.contains("Sans réservation"),
            "{evening_sheet}"
        );
        assert!(evening_sheet.contains("Martin Léa"));

        // Another structure's child: not found, by either form, and nothing written.
        let foreign_child = other.families[0].children[0].0.clone();
        let cross = agent.post_form(
            SHEET,
            "/admin/pointage/ajouter",
            &[
                ("jour", DAY),
                ("activite", "cantine"),
                ("enfant", &foreign_child),
            ],
        );
        assert_eq!(cross.status, 404);
        let cross = agent.post_form(
            SHEET,
            "/admin/pointage",
            &[
                ("jour", DAY),
                ("activite", "cantine"),
                ("enfant-0", &foreign_child),
                ("statut-0", "present"),
            ],
        );
        assert_eq!(cross.status, 404);
        assert_eq!(mark_of(server, &foreign_child), None);
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        let foreign_sheet = admin_b.get(SHEET).text();
        assert!(!foreign_sheet.contains(&lea) && !foreign_sheet.contains("Martin"));
        // B's administrator cannot mark A's children either.
        let by_b = admin_b.post_form(
            SHEET,
            "/admin/pointage",
            &[
                ("jour", DAY),
                ("activite", "cantine"),
                ("enfant-0", &hugo),
                ("statut-0", "present"),
            ],
        );
        assert_eq!(by_b.status, 404);
        assert_eq!(mark_of(server, &hugo).map(|m| m.0), Some("absent".into()));

        // No state change on GET.
        assert_eq!(agent.get("/admin/pointage/tous-presents").status, 405);
        // The administrator takes attendance too.
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        assert_eq!(admin.get(SHEET).status, 200);
    });
}
