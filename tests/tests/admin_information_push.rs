//! The information page's notifications, over HTTP on SQLite and PostgreSQL with the tests'
//! own push service: a message shown today is notified at once and counted (sent, failed,
//! waiting) next to it; a message published from a later day says when its notification
//! will leave, leaves nothing before that day's midnight, and is counted once sent; the
//! forms need their token; another structure's administrator sees none of it.

use cartable_domain::push::PushKind;
use cartable_server::clock::Clock;
use cartable_tests::admin_page::{Browser, assert_accessible, code, sign_in};
use cartable_tests::family::signed_in;
use cartable_tests::push_service::{PushService, Reply, server_key, subscribe};
use cartable_tests::{Device, on_each_backend};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The text of the table row of message `title`.
fn row_of(html: &str, title: &str) -> String {
    let at = html
        .find(&format!("<th scope=\"row\">{title}</th>"))
        .unwrap_or_else(|| panic!("{title}: {html}"));
    let end = html[at..].find("</tr>").expect("row end");
    html[at..at + end].to_string()
}

#[test]
fn messages_show_their_notifications_sent_failed_waiting_or_scheduled() {
    on_each_backend(|server| {
        let seed = server.seed(2);
        let other = server.seed(1);
        let service = PushService::start(&server_key(server));
        let (phone_a, phone_b) = (Device::new(), Device::new());
        let client_a = signed_in(server, &seed.families[0], 0, &phone_a);
        let client_b = signed_in(server, &seed.families[1], 0, &phone_b);
        subscribe(&client_a, &service, "a", &[PushKind::Information]);
        subscribe(&client_b, &service, "b", &[PushKind::Information]);
        // The second phone's subscription no longer exists at the push service.
        service.script("b", [Reply::status(410)]);
        let signed = sign_in(server, &seed.staff.login, &seed.staff.password);
        let secret = signed.secret.clone().expect("administrator's secret");
        let mut admin = signed.browser;

        let today = cartable_domain::calendar::paris_date(server.clock.now());
        let later = today.checked_add(jiff::Span::new().days(3)).expect("date");
        let forged = admin.post_raw(
            "/admin/informations",
            &[("titre", "Sans jeton"), ("texte", "Texte.")],
        );
        assert_eq!(forged.status, 403);
        let now = admin.post_form(
            "/admin/informations",
            "/admin/informations",
            &[
                ("titre", "Menu de la semaine"),
                ("texte", "Poisson vendredi."),
            ],
        );
        assert_eq!(now.status, 303, "{}", now.text());
        assert!(service.wait_until(WAIT, |r| r.len() >= 2));
        let scheduled = admin.post_form(
            "/admin/informations",
            "/admin/informations",
            &[
                ("titre", "Fermeture du centre"),
                ("texte", "Le centre ferme pour travaux."),
                ("du", &later.to_string()),
            ],
        );
        assert_eq!(scheduled.status, 303, "{}", scheduled.text());
        let page = admin.get(scheduled.header("location"));
        assert_eq!(page.status, 200);
        assert_accessible("information with notifications", &page);
        let html = page.text();
        assert!(html.contains("Message programmé"), "{html}");
        // Wait for the gone subscription to be counted before reading the counts.
        for _ in 0..200 {
            if admin
                .get("/admin/informations")
                .text()
                .contains("En échec : <strong>1</strong>")
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let html = admin.get("/admin/informations").text();
        let shown = row_of(&html, "Menu de la semaine");
        assert!(
            shown.contains("Envoyées : <strong>1</strong>")
                && shown.contains("En échec : <strong>1</strong>")
                && shown.contains("En attente : <strong>0</strong>"),
            "{shown}"
        );
        let waiting = row_of(&html, "Fermeture du centre");
        let midnight = format!(
            "Envoi prévu le {} à 0 h 00",
            cartable_domain::calendar::format_date_fr(later)
        );
        assert!(waiting.contains(&midnight), "{midnight}: {waiting}");
        assert!(waiting.contains("programmé"), "{waiting}");
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(service.delivered_to("a").len(), 1, "nothing before the day");

        // The first day: the notification leaves and the page counts it.
        server.clock.set(
            cartable_domain::calendar::start_of_day(later).expect("instant")
                + jiff::SignedDuration::from_mins(1),
        );
        assert!(service.wait_until(WAIT, |_| service.delivered_to("a").len() == 2));
        let mut admin = Browser::new(&server.url);
        let login = admin.post_form(
            "/admin/connexion",
            "/admin/connexion",
            &[
                ("login", seed.staff.login.as_str()),
                ("password", seed.staff.password.as_str()),
            ],
        );
        assert_eq!(login.status, 303, "{}", login.text());
        let second = admin.post_form(
            "/admin/double-authentification",
            "/admin/double-authentification",
            &[("code", &code(server, &secret, 0))],
        );
        assert_eq!(second.status, 303, "{}", second.text());
        let html = admin.get("/admin/informations").text();
        let sent = row_of(&html, "Fermeture du centre");
        assert!(
            sent.contains("Envoyées : <strong>1</strong>") && !sent.contains("Envoi prévu"),
            "{sent}"
        );

        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        let foreign = admin_b.get("/admin/informations").text();
        assert!(
            !foreign.contains("Fermeture du centre") && !foreign.contains("Envoyées : <strong>1")
        );
    });
}
