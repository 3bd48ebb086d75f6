//! The journal of staff actions: every change of the structure's configuration, tariffs and
//! families' quotient is in it, and written in the same transaction as the change, so that
//! no change is stored without its entry.

use cartable_server::admin_page::journal::readable_detail;
use cartable_tests::billing::put_ok;
use cartable_tests::family::staff_token;
use cartable_tests::refusals::{allow_inserts, refuse_inserts};
use cartable_tests::{TestServer, on_each_backend, staff};
use serde_json::{Value, json};
use sqlx::Row;

fn send(server: &TestServer, token: &str, method: &str, path: &str, body: Option<Value>) -> u16 {
    staff::send(&server.url, method, path, Some(token), body.as_ref()).0
}

/// The structure's journal, oldest first: (action, detail as the journal page shows it).
fn journal(server: &TestServer, structure_id: &str) -> Vec<(String, String)> {
    server.block_on(async {
        sqlx::query(
            "SELECT action, detail FROM audit_log WHERE structure_id = $1 \
             AND action NOT LIKE 'read_%' ORDER BY at_ms, id",
        )
        .bind(structure_id)
        .fetch_all(&server.state.db.pool)
        .await
        .expect("journal")
        .iter()
        .map(|r| {
            (
                r.get("action"),
                readable_detail(&r.get::<String, _>("detail")),
            )
        })
        .collect()
    })
}

/// Makes every insertion into the journal fail, as a full disk or a broken table would.
fn break_journal(server: &TestServer) {
    refuse_inserts(
        server,
        "journal_down",
        "audit_log",
        "TRUE",
        "journal indisponible",
    );
}

fn repair_journal(server: &TestServer) {
    allow_inserts(server, "journal_down", "audit_log");
}

fn catalogue(server: &TestServer, token: &str) -> Value {
    staff::send(
        &server.url,
        "GET",
        "/api/v1/staff/catalogue",
        Some(token),
        None,
    )
    .1
}

#[test]
fn every_change_of_configuration_tariffs_and_quotients_is_in_the_journal() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let family_id = &seed.families[0].family_id;
        let tariff = "/api/v1/staff/catalogue/activities/cantine/tariff";
        put_ok(
            server,
            &token,
            tariff,
            json!({"price": {"kind": "flat", "cents": 350}}),
        );
        assert_eq!(send(server, &token, "DELETE", tariff, None), 204);
        put_ok(
            server,
            &token,
            "/api/v1/staff/catalogue/billing",
            json!({"mode": "prepaid", "payment_days": 30}),
        );
        put_ok(
            server,
            &token,
            &format!("/api/v1/staff/families/{family_id}/quotient"),
            json!({"qf": 850}),
        );
        put_ok(
            server,
            &token,
            "/api/v1/staff/catalogue/settings",
            json!({"structure_name": "Mairie de Testville", "open_on_public_holidays": false}),
        );
        let mut canteen = catalogue(server, &token)["activities"]["cantine"].take();
        canteen["name"] = json!("Restauration scolaire");
        put_ok(
            server,
            &token,
            "/api/v1/staff/catalogue/activities/cantine",
            canteen,
        );
        assert_eq!(
            send(
                server,
                &token,
                "DELETE",
                "/api/v1/staff/catalogue/activities/cantine",
                None
            ),
            204
        );

        let message = json!({"title": "Grève du 12", "body": "Pas de cantine jeudi."});
        let (status, published) = staff::send(
            &server.url,
            "POST",
            "/api/v1/staff/information",
            Some(&token),
            Some(&message),
        );
        assert_eq!(status, 201, "{published}");
        let id = published["id"].as_str().expect("message id");
        let path = format!("/api/v1/staff/information/{id}");
        assert_eq!(send(server, &token, "DELETE", &path, None), 204);

        let expected = [
            ("change_tariff", "cantine"),
            ("delete_tariff", "cantine"),
            ("change_billing", "prépaiement, paiement à 30 jours"),
            ("change_quotient", "QF 850"),
            (
                "change_settings",
                "nom « Mairie de Testville », fermé les jours fériés",
            ),
            ("change_activity", "cantine : Restauration scolaire"),
            ("delete_activity", "cantine : Restauration scolaire"),
            ("publish_information", "Grève du 12"),
            ("withdraw_information", "Grève du 12"),
        ];
        let got = journal(server, &seed.structure_id);
        let got: Vec<(&str, &str)> = got.iter().map(|(a, d)| (a.as_str(), d.as_str())).collect();
        assert_eq!(got, expected);
    });
}

#[test]
fn a_change_whose_journal_entry_cannot_be_written_is_not_made() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let tariff = "/api/v1/staff/catalogue/activities/cantine/tariff";
        let before = catalogue(server, &token)["activities"]["cantine"]["tariff"].clone();
        break_journal(server);

        let price = json!({"price": {"kind": "flat", "cents": 420}});
        assert_eq!(
            send(server, &token, "PUT", tariff, Some(price.clone())),
            500
        );
        assert_eq!(
            catalogue(server, &token)["activities"]["cantine"]["tariff"],
            before,
            "a tariff changed without its journal entry"
        );
        let message = json!({
            "title": "Grève du 12",
            "body": "Pas de cantine jeudi.",
        });
        assert_eq!(
            send(
                server,
                &token,
                "POST",
                "/api/v1/staff/information",
                Some(message)
            ),
            500
        );
        let (_, messages) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/information",
            Some(&token),
            None,
        );
        assert_eq!(
            messages,
            json!([]),
            "a message published without its journal entry"
        );

        repair_journal(server);
        put_ok(server, &token, tariff, price);
        assert_eq!(
            catalogue(server, &token)["activities"]["cantine"]["tariff"]["price"]["cents"],
            420
        );
        let got = journal(server, &seed.structure_id);
        assert_eq!(
            got,
            vec![("change_tariff".to_string(), "cantine".to_string())]
        );
    });
}
