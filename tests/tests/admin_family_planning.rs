//! A family's planning and ledger on its page, on SQLite and PostgreSQL: the weeks ahead per
//! child with what the phones show (booked, refused with the server's reason, a declared
//! absence, the structure's closures), other weeks by the page's links, and the family's
//! invoices, payments and balance for administrators only.

use cartable_server::demo;
use cartable_tests::admin_page::{assert_accessible, sign_in};
use cartable_tests::family::paris;
use cartable_tests::{Device, TestServer, on_each_backend};
use jiff::civil::Date;
use sqlx::Row;

fn day(text: &str) -> Date {
    text.parse().expect("date")
}

fn martin(server: &TestServer) -> String {
    server.block_on(async {
        sqlx::query("SELECT id FROM families WHERE name = 'Famille Martin'")
            .fetch_one(&server.state.db.pool)
            .await
            .expect("family")
            .get::<String, _>("id")
    })
}

/// The text of the planning's cell of `activity` on the `column`-th day, for the table whose
/// caption starts with `child`, in the page's first week shown.
fn cell<'a>(html: &'a str, child: &str, activity: &str, column: usize) -> &'a str {
    let table = html
        .split("<table class=\"planning\">")
        .find(|t| t.contains(&format!("<caption>{child}")))
        .unwrap_or_else(|| panic!("no planning for {child}: {html}"));
    let row = table
        .split("<tr>")
        .find(|r| r.starts_with(&format!("<th scope=\"row\">{activity}</th>")))
        .unwrap_or_else(|| panic!("no row {activity}: {table}"));
    row.split("<td class=\"cell ")
        .nth(column + 1)
        .and_then(|c| c.split("</td>").next())
        .unwrap_or_else(|| panic!("no column {column}: {row}"))
}

#[test]
fn the_family_page_shows_the_weeks_ahead_and_the_ledger_to_administrators() {
    on_each_backend(|server| {
        // Tuesday 1 December 2026, 15:00: Thursday's canteen closed at noon today.
        server.clock.set(paris(day("2026-12-01"), 15, 0));
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo");
        let device = Device::new();
        let phone = device.open();
        phone
            .login(
                &server.url,
                "camille.martin",
                demo::PARENT_PASSWORD,
                "téléphone",
            )
            .expect("login");
        phone.sync().expect("sync");
        let lea = phone
            .dossier()
            .expect("dossier")
            .children
            .iter()
            .find(|(_, c)| c.first_name == "Léa")
            .map(|(id, _)| id.clone())
            .expect("Léa");
        phone
            .book(&lea, day("2026-12-07"), "cantine")
            .expect("Monday's canteen");
        phone
            .book(&lea, day("2026-12-08"), "cantine")
            .expect("Tuesday's canteen");
        phone
            .book_insisting(&lea, day("2026-12-03"), "cantine")
            .expect("Thursday's canteen, too late");
        phone.sync().expect("sync");
        phone
            .declare_absence(&lea, day("2026-12-08"), day("2026-12-08"), "malade", None)
            .expect("absence");
        phone.sync().expect("sync");

        let family = martin(server);
        let path = format!("/admin/familles/{family}");
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let page = admin.get(&format!("{path}?semaine=2026-12-03"));
        assert_eq!(page.status, 200);
        assert_accessible("family with planning and ledger", &page);
        let html = page.text();
        assert!(
            html.contains("<h3>Semaine du lundi 30 novembre 2026</h3>"),
            "{html}"
        );
        assert!(
            html.contains("<h3>Semaine du lundi 7 décembre 2026</h3>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"sr-only\">jeudi 3 décembre 2026</span>"));
        // Thursday (fourth column): refused, with the server's reason.
        let thursday = cell(&html, "Léa Martin", "Restauration scolaire", 3);
        assert!(
            thursday.starts_with("refused\"><strong>Refusé</strong><span class=\"reason\">"),
            "{thursday}"
        );
        assert!(thursday.len() > 80, "a reason is given: {thursday}");
        // Wednesday: no canteen.
        assert!(cell(&html, "Léa Martin", "Restauration scolaire", 2).starts_with("off\""));

        // The next week, by the page's link: Monday booked, Tuesday absent.
        assert!(html.contains(&format!("href=\"{path}?semaine=2026-12-07#planning\"")));
        let next = admin.get(&format!("{path}?semaine=2026-12-07")).text();
        assert!(
            cell(&next, "Léa Martin", "Restauration scolaire", 0)
                .starts_with("booked\"><strong>Réservé")
        );
        let tuesday = cell(&next, "Léa Martin", "Restauration scolaire", 1);
        assert!(tuesday.starts_with("absent\"><strong>Absent"), "{tuesday}");
        assert!(tuesday.contains("malade"), "{tuesday}");
        assert!(cell(&next, "Hugo Martin", "Restauration scolaire", 0).starts_with("none\""));

        // The Christmas closure.
        let christmas = admin.get(&format!("{path}?semaine=2026-12-21")).text();
        let closed = cell(&christmas, "Hugo Martin", "Restauration scolaire", 0);
        assert!(closed.starts_with("closed\"><strong>Fermé"), "{closed}");
        assert!(closed.contains("Vacances de Noël"), "{closed}");
        // A date that is not one shows this week.
        let wrong = admin.get(&format!("{path}?semaine=demain"));
        assert_eq!(wrong.status, 200);
        assert!(wrong.text().contains("Semaine du lundi 30 novembre 2026"));

        // The ledger: last month's invoice, for administrators.
        let number: String = server.block_on(async {
            sqlx::query("SELECT number FROM invoices WHERE family_id = $1 ORDER BY number LIMIT 1")
                .bind(&family)
                .fetch_one(&server.state.db.pool)
                .await
                .expect("an invoice")
                .get("number")
        });
        assert!(html.contains("Factures et paiements"), "{html}");
        assert!(
            html.contains(&format!(
                "<th scope=\"row\"><a href=\"/admin/factures/{number}\">{number}</a></th><td>Facture</td><td>novembre 2026</td>"
            )),
            "{html}"
        );
        assert!(html.contains("\u{a0}€"));
        let invoice = admin.get(&format!("/admin/factures/{number}"));
        assert_eq!(invoice.status, 200, "the ledger's link opens the invoice");
        assert!(invoice.text().contains(&number));
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        let agents = agent.get(&path).text();
        assert!(agents.contains("Semaine du lundi 30 novembre 2026"));
        assert!(!agents.contains("Factures et paiements"), "{agents}");
        assert!(!agents.contains(&number));

        // Another structure's administrator: not found, nothing of the planning.
        let other = server.seed(0);
        let mut outsider = sign_in(server, &other.staff.login, "mot-de-passe-test").browser;
        let refused = outsider.get(&format!("{path}?semaine=2026-12-07"));
        assert_eq!(refused.status, 404);
        assert!(!refused.text().contains("Réservé"));
    });
}
