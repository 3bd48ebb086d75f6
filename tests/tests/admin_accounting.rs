//! The admin page's accounting, over HTTP on SQLite and PostgreSQL: the month's CSV for the
//! accounting software (its lines checked against the invoices and payments stored), the
//! overdue invoices across months sorted by amount or age with the billing adult's contact,
//! the annual statements per family and child (page, CSV, PDF from the list and from the
//! family's page); agents refused; another structure's families never shown nor served.

use cartable_server::demo;
use cartable_tests::admin_page::{assert_accessible, sign_in};
use cartable_tests::billing::pdf_text;
use cartable_tests::daily::demo_with_canteen;
use cartable_tests::family::Answer;
use cartable_tests::{TestServer, on_each_backend};
use sqlx::Row;

/// An issued invoice as stored: (number, family id, family name, issued on, due on, cents).
#[derive(Debug, Clone)]
struct Stored {
    number: String,
    family_id: String,
    family_name: String,
    issued_on: String,
    due_on: String,
    cents: i64,
}

fn stored(server: &TestServer, month: &str) -> Vec<Stored> {
    server.block_on(async {
        sqlx::query(
            "SELECT i.number, i.family_id, f.name, i.issued_on, i.due_on, i.total_cents \
             FROM invoices i JOIN families f ON f.id = i.family_id \
             WHERE i.run_month = $1 AND i.kind = 'invoice' ORDER BY f.name",
        )
        .bind(month)
        .fetch_all(&server.state.db.pool)
        .await
        .expect("invoices")
        .iter()
        .map(|r| Stored {
            number: r.get(0),
            family_id: r.get(1),
            family_name: r.get(2),
            issued_on: r.get(3),
            due_on: r.get(4),
            cents: r.get(5),
        })
        .collect()
    })
}

/// "1234,56" as the CSV writes amounts under 1,000 euros.
fn amount(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

fn set_day(server: &TestServer, instant: &str) {
    server
        .clock
        .set(instant.parse::<jiff::Timestamp>().expect("instant"));
}

fn days_between(from: &str, to: &str) -> i64 {
    let from: jiff::civil::Date = from.parse().expect("date");
    let to: jiff::civil::Date = to.parse().expect("date");
    i64::from((to - from).get_days())
}

#[test]
fn the_month_is_exported_as_csv_for_the_accounting_software() {
    on_each_backend(|server| {
        demo_with_canteen(server);
        let other = server.seed(1);
        let february = stored(server, "2027-02");
        assert_eq!(february.len(), 2, "{february:?}");
        let (martin, benali) = (&february[1], &february[0]);
        assert_eq!(martin.family_name, "Famille Martin");
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;

        let list = admin.get("/admin/factures?mois=2027-02");
        assert_accessible("invoices with their export", &list);
        assert!(
            list.text()
                .contains("href=\"/admin/factures/export.csv?mois=2027-02\""),
            "{}",
            list.text()
        );
        let csv = admin.get("/admin/factures/export.csv?mois=2027-02");
        assert_eq!(csv.status, 200, "{}", csv.text());
        assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
        assert!(
            csv.header("content-disposition")
                .contains("factures-2027-02.csv")
        );
        let text = csv.text();
        let text = text
            .strip_prefix('\u{feff}')
            .expect("a byte order mark for spreadsheets");
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines[0],
            "type;numero;date;echeance;famille;id_famille;montant_eur;montant_centimes;\
             moyen;reference;facture_liee"
        );
        for i in [martin, benali] {
            let expected = format!(
                "Facture;{};{};{};{};{};{};{};;;",
                i.number,
                i.issued_on,
                i.due_on,
                i.family_name,
                i.family_id,
                amount(i.cents),
                i.cents
            );
            assert!(lines.contains(&expected.as_str()), "{expected}\n{text}");
        }
        // February's invoices only: the card payment came in March.
        assert_eq!(lines.len(), 3, "{text}");
        let march = admin.get("/admin/factures/export.csv?mois=2027-03").text();
        let paid = format!(
            "Paiement;;2027-03-15;;Famille Martin;{};{};{};carte bancaire;paiement en ligne;{}",
            martin.family_id,
            amount(martin.cents),
            martin.cents,
            martin.number
        );
        assert!(march.contains(&paid), "{paid}\n{march}");
        assert!(!march.contains("Famille Benali"), "{march}");

        assert_eq!(
            admin.get("/admin/factures/export.csv?mois=mars").status,
            400
        );
        // Nothing is due yet on 15 March.
        let none = admin.get("/admin/impayes");
        assert_eq!(none.status, 200, "{}", none.text());
        assert_accessible("no overdue invoice", &none);
        assert!(none.text().contains("Aucune facture en retard"));
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_eq!(
            agent.get("/admin/factures/export.csv?mois=2027-02").status,
            403
        );
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        let foreign = admin_b.get("/admin/factures/export.csv?mois=2027-02");
        assert_eq!(foreign.status, 200);
        assert!(!foreign.text().contains("Famille"), "{}", foreign.text());
    });
}

#[test]
fn overdue_invoices_across_months_are_sorted_by_amount_or_age() {
    on_each_backend(|server| {
        let canteen = demo_with_canteen(server);
        let other = server.seed(1);
        // March is issued in April; in late May the Benalis owe two months, the Martins
        // March only (they paid February).
        set_day(server, "2027-04-20T08:00:00Z");
        server.block_on(async {
            let admin_id: String = sqlx::query("SELECT id FROM accounts WHERE login = 'admin'")
                .fetch_one(&server.state.db.pool)
                .await
                .expect("admin")
                .get(0);
            let month = "2027-03".parse().expect("month");
            cartable_server::invoicing::run::issue(
                &server.state,
                &canteen.structure_id,
                month,
                &admin_id,
            )
            .await
            .expect("March issued")
        });
        set_day(server, "2027-05-20T08:00:00Z");
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let february = stored(server, "2027-02");
        let march = stored(server, "2027-03");
        assert_eq!(march.len(), 2, "{march:?}");
        let mut late: Vec<Stored> = february
            .iter()
            .filter(|i| i.family_name == "Famille Benali")
            .chain(march.iter())
            .cloned()
            .collect();
        assert_eq!(late.len(), 3);

        let by_amount = admin.get("/admin/impayes");
        assert_eq!(by_amount.status, 200);
        assert_accessible("overdue invoices", &by_amount);
        let html = by_amount.text();
        let total: i64 = late.iter().map(|i| i.cents).sum();
        assert!(
            html.contains(&format!("{}\u{a0}€", amount(total))),
            "{total}: {html}"
        );
        for i in &late {
            assert!(
                html.contains(&format!("href=\"/admin/factures/{}\"", i.number)),
                "{html}"
            );
            assert!(
                html.contains(&format!("href=\"/admin/familles/{}#compte\"", i.family_id)),
                "{html}"
            );
            let days = days_between(&i.due_on, "2027-05-20");
            assert!(html.contains(&format!("{days} jours")), "{days}: {html}");
        }
        assert!(!html.contains(&february[1].number), "paid invoice: {html}");
        assert!(html.contains("ni téléphone ni e-mail au dossier"), "{html}");
        server.block_on(async {
            sqlx::query(
                "UPDATE adults SET email = 'samira.benali@example.org', \
                 mobile_phone = '06 12 34 56 78' WHERE family_id = $1",
            )
            .bind(&february[0].family_id)
            .execute(&server.state.db.pool)
            .await
            .expect("contact")
        });
        let html = admin.get("/admin/impayes").text();
        assert!(
            html.contains("<a href=\"mailto:samira.benali@example.org\">")
                && html.contains("<a href=\"tel:0612345678\">06 12 34 56 78</a>"),
            "{html}"
        );
        let order = |html: &str, rows: &[Stored]| -> Vec<usize> {
            rows.iter()
                .map(|i| {
                    html.find(&format!("/admin/factures/{}\"", i.number))
                        .expect("row")
                })
                .collect()
        };
        late.sort_by(|a, b| b.cents.cmp(&a.cents).then(a.due_on.cmp(&b.due_on)));
        let at = order(&html, &late);
        assert!(at.windows(2).all(|w| w[0] < w[1]), "by amount: {late:?}");
        let by_age = admin.get("/admin/impayes?tri=retard").text();
        late.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(b.cents.cmp(&a.cents)));
        let at = order(&by_age, &late);
        assert!(at.windows(2).all(|w| w[0] < w[1]), "by age: {late:?}");
        assert!(by_age.contains("<option value=\"retard\" selected>"));

        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_eq!(agent.get("/admin/impayes").status, 403);
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        let foreign = admin_b.get("/admin/impayes").text();
        assert!(foreign.contains("Aucune facture en retard"), "{foreign}");
    });
}

#[test]
fn annual_statements_list_what_each_family_paid_per_child() {
    on_each_backend(|server| {
        demo_with_canteen(server);
        let other = server.seed(1);
        let february = stored(server, "2027-02");
        let martin = february
            .iter()
            .find(|i| i.family_name == "Famille Martin")
            .expect("Martin")
            .clone();
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;

        // No payment in 2026: the page opens on 2027, the year money came in.
        let page = admin.get("/admin/attestations");
        assert_eq!(page.status, 200, "{}", page.text());
        assert_accessible("annual statements", &page);
        let html = page.text();
        assert!(html.contains("Paiements reçus en 2027"), "{html}");
        assert!(html.contains("Famille Martin") && !html.contains("Famille Benali"));
        assert!(html.contains(&format!("{}\u{a0}€", amount(martin.cents))));
        assert!(html.contains(&format!(
            "href=\"/admin/familles/{}/attestation/2027\"",
            martin.family_id
        )));
        let empty = admin.get("/admin/attestations?annee=2026").text();
        assert!(empty.contains("Aucun paiement reçu en 2026"), "{empty}");
        let bad = admin.get("/admin/attestations?annee=deux");
        assert_eq!(bad.status, 400);
        assert_accessible("bad year", &bad);
        assert!(bad.text().contains("erreur-annee"));

        let csv = admin.get("/admin/attestations/export.csv?annee=2027");
        assert_eq!(csv.status, 200, "{}", csv.text());
        assert!(
            csv.header("content-disposition")
                .contains("attestations-2027.csv")
        );
        let text = csv.text();
        assert!(
            text.starts_with('\u{feff}'),
            "a byte order mark for spreadsheets"
        );
        let text = text.trim_start_matches('\u{feff}');
        let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines[0],
            "annee;famille;id_famille;payeur;enfant;montant_paye_eur;montant_paye_centimes"
        );
        let children: Vec<String> = server.block_on(async {
            sqlx::query("SELECT first_name FROM children WHERE family_id = $1")
                .bind(&martin.family_id)
                .fetch_all(&server.state.db.pool)
                .await
                .expect("children")
                .iter()
                .map(|r| r.get(0))
                .collect()
        });
        assert_eq!(lines.len(), 1 + children.len(), "{text}");
        let mut sum = 0;
        for (line, _) in lines[1..].iter().zip(&children) {
            let fields: Vec<&str> = line.split(';').collect();
            assert_eq!(&fields[..3], &["2027", "Famille Martin", &martin.family_id]);
            assert!(
                children.iter().any(|c| fields[4].starts_with(c.as_str())),
                "{line}"
            );
            sum += fields[6].parse::<i64>().expect("cents");
        }
        assert_eq!(sum, martin.cents, "{text}");

        // The certificate, from the list and from the family's page.
        let family = admin.get(&format!("/admin/familles/{}", martin.family_id));
        assert!(
            family.text().contains(&format!(
                "/admin/familles/{}/attestation/2027",
                martin.family_id
            )),
            "{}",
            family.text()
        );
        let pdf = admin.get(&format!(
            "/admin/familles/{}/attestation/2027",
            martin.family_id
        ));
        assert_eq!(pdf.status, 200, "{}", pdf.text());
        assert_eq!(pdf.header("content-type"), "application/pdf");
        assert!(pdf.body.starts_with(b"%PDF"));
        if let Some(t) = pdf_text(&pdf.body) {
            assert!(t.contains("Attestation de paiement"), "{t}");
            assert!(t.contains(&amount(martin.cents)), "{t}");
        }
        assert_eq!(
            admin
                .get(&format!(
                    "/admin/familles/{}/attestation/douze",
                    martin.family_id
                ))
                .status,
            400
        );

        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_eq!(agent.get("/admin/attestations").status, 403);
        assert_eq!(
            agent
                .get("/admin/attestations/export.csv?annee=2027")
                .status,
            403
        );
        assert_eq!(
            agent
                .get(&format!(
                    "/admin/familles/{}/attestation/2027",
                    martin.family_id
                ))
                .status,
            403
        );
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        assert_eq!(
            admin_b
                .get(&format!(
                    "/admin/familles/{}/attestation/2027",
                    martin.family_id
                ))
                .status,
            404
        );
        let foreign = admin_b.get("/admin/attestations?annee=2027").text();
        assert!(!foreign.contains("Famille Martin"), "{foreign}");
        let foreign = admin_b
            .get("/admin/attestations/export.csv?annee=2027")
            .text();
        assert!(!foreign.contains("Martin"), "{foreign}");
    });
}

/// What a French Excel needs to open `answer` by a double click, in columns with its accents:
/// UTF-8 with a byte order mark, `;` between fields, CRLF line ends, the CSV type with its
/// charset, and `file_name` to save it under. Returns the text after the byte order mark.
fn assert_opens_in_a_french_spreadsheet(answer: &Answer, file_name: &str) -> String {
    assert_eq!(answer.status, 200, "{file_name}: {}", answer.text());
    assert_eq!(
        answer.header("content-type"),
        "text/csv; charset=utf-8",
        "{file_name}"
    );
    let disposition = answer.header("content-disposition");
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains(&format!("filename=\"{file_name}\"")),
        "{file_name}: {disposition}"
    );
    let text = answer
        .body
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or_else(|| panic!("{file_name}: no byte order mark"));
    let text = String::from_utf8(text.to_vec()).expect("UTF-8");
    assert!(text.ends_with("\r\n"), "{file_name}: {text:?}");
    let lines: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
    let columns = lines[0].split(';').count();
    assert!(columns >= 5, "{file_name}: {}", lines[0]);
    assert!(!lines[0].contains(','), "{file_name}: {}", lines[0]);
    assert!(
        lines.len() >= 2,
        "{file_name}: no line under the header\n{text}"
    );
    for line in &lines {
        assert!(
            !line.contains('\n'),
            "{file_name}: bare line feed in {line:?}"
        );
        if !line.contains('"') {
            assert_eq!(line.split(';').count(), columns, "{file_name}: {line}");
        }
    }
    text
}

#[test]
fn every_csv_of_the_admin_page_opens_in_a_french_spreadsheet() {
    on_each_backend(|server| {
        demo_with_canteen(server);
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let month = assert_opens_in_a_french_spreadsheet(
            &admin.get("/admin/factures/export.csv?mois=2027-02"),
            "factures-2027-02.csv",
        );
        assert!(month.contains(";Famille Martin;"), "{month}");
        assert!(month.contains("moyen;reference;facture_liee"), "{month}");
        let statements = assert_opens_in_a_french_spreadsheet(
            &admin.get("/admin/attestations/export.csv?annee=2027"),
            "attestations-2027.csv",
        );
        assert!(statements.starts_with("annee;famille;"), "{statements}");
        let list = assert_opens_in_a_french_spreadsheet(
            &admin.get("/admin/listes/telecharger?jour=2027-03-16&activite=cantine"),
            "liste-cantine-2027-03-16.csv",
        );
        assert!(
            list.starts_with("Nom;Prénom;Classe;Famille;Régime;"),
            "{list}"
        );
        assert!(list.contains("Martin;Léa;"), "{list}");
    });
}
