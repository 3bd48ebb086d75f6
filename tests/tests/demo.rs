//! The demo town hall as a new user meets it: "Mes Factures" filled in on the first sync
//! (last month's invoices, one paid and one not), and a catalogue that agrees with its
//! information (the Christmas holiday centre it announces exists and can be booked).

use cartable_core::domain::planning::RequestState;
use cartable_server::demo::{self, PARENT_PASSWORD};
use cartable_server::demo_billing::HOLIDAY_CENTRE;
use cartable_tests::family::paris;
use cartable_tests::{Device, TestServer, on_each_backend};
use jiff::civil::date;

fn phone_of(server: &TestServer, login: &str, device: &Device) -> cartable_core::Client {
    let client = device.open();
    client
        .login(&server.url, login, PARENT_PASSWORD, "téléphone")
        .expect("demo login");
    client.sync().expect("first sync");
    client
}

#[test]
fn the_demo_shows_last_months_invoices_one_paid_one_not_on_the_first_sync() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 30), 10, 0));
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo");
        // Running it again changes nothing (the demo command is run at every start).
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo again");

        let martins = Device::new();
        let camille = phone_of(server, "camille.martin", &martins);
        let invoices = camille.invoices().expect("invoices");
        let october: Vec<_> = invoices.iter().filter(|i| i.month == "2026-10").collect();
        assert_eq!(october.len(), 1, "{invoices:#?}");
        let paid = october[0];
        assert_eq!(paid.kind_label, "Facture");
        assert!(paid.total_cents > 0);
        assert_eq!(paid.status, "paid", "{paid:#?}");
        assert!(
            paid.lines.iter().any(|l| l.child_name == "Léa Martin"),
            "{paid:#?}"
        );
        assert!(paid.lines.iter().any(|l| l.child_name == "Hugo Martin"));
        let balance = camille.balance().expect("balance");
        assert_eq!(balance.balance_cents, 0, "{balance:#?}");
        assert_eq!(balance.payments.len(), 1);

        let benalis = Device::new();
        let samira = phone_of(server, "samira.benali", &benalis);
        let theirs = samira.invoices().expect("invoices");
        assert_eq!(theirs.len(), 1, "{theirs:#?}");
        assert_eq!(theirs[0].status, "unpaid", "{theirs:#?}");
        assert_ne!(theirs[0].number, paid.number);
        assert_eq!(
            samira.balance().expect("balance").balance_cents,
            -theirs[0].total_cents
        );
        let pdf = samira.invoice_pdf(&theirs[0].number).expect("PDF");
        assert!(std::fs::read(pdf).expect("PDF file").starts_with(b"%PDF-"));
    });
}

#[test]
fn the_christmas_holiday_centre_the_demo_announces_exists_and_can_be_booked() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 30), 10, 0));
        server
            .block_on(demo::ensure_demo(&server.state))
            .expect("demo");
        let device = Device::new();
        let client = phone_of(server, "camille.martin", &device);

        let news = client.information().expect("information");
        assert!(
            news.messages
                .iter()
                .any(|m| m.title.contains("vacances de Noël")),
            "{news:#?}"
        );
        let catalogue = client.catalogue().expect("catalogue");
        let centre = catalogue
            .activities
            .get(HOLIDAY_CENTRE)
            .expect("the announced holiday centre is in the catalogue");
        assert!(centre.name.contains("vacances de Noël"), "{}", centre.name);

        let dossier = client.dossier().expect("dossier");
        let (lea, _) = dossier
            .children
            .iter()
            .find(|(_, c)| c.first_name == "Léa")
            .expect("Léa");
        let monday = date(2026, 12, 21);
        let quote = client
            .booking_price(lea, monday, HOLIDAY_CENTRE)
            .expect("price offline");
        assert!(quote.billed && quote.cents > 0, "{quote:?}");
        client.book(lea, monday, HOLIDAY_CENTRE).expect("book");
        client.sync().expect("sync");
        let entry = client
            .planning(None)
            .expect("planning")
            .into_iter()
            .find(|e| e.date == monday && e.activity_id == HOLIDAY_CENTRE)
            .expect("the booking");
        assert_eq!(entry.state, RequestState::Accepted, "{entry:#?}");
    });
}
