//! "Informations" and "Téléchargement" end to end: staff publish through the JSON API, the
//! catalogue carries what is shown today, phones read it offline (messages appear and end by
//! the server's clock, read markers, files cached and checked), and nothing leaks to another
//! structure.

use cartable_core::domain::api::{DeviceSummary, LoginRequest, LoginResponse};
use cartable_core::domain::protocol::{SyncRequest, SyncResponse};
use cartable_core::{Client, Error, SystemClock, Transport};
use cartable_server::demo_publications::one_page_pdf;
use cartable_tests::family::{family_token, get, paris, post_bytes, signed_in, staff_token};
use cartable_tests::{Device, TestServer, on_each_backend, staff};
use jiff::civil::date;
use serde_json::{Value, json};
use std::sync::Arc;

fn send(server: &TestServer, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    staff::send(&server.url, method, path, Some(token), Some(&body))
}

fn titles(client: &Client) -> Vec<String> {
    client
        .information()
        .expect("information")
        .messages
        .into_iter()
        .map(|m| m.title)
        .collect()
}

/// A transport with no network: every call fails as a phone in airplane mode would.
struct Offline;

impl Transport for Offline {
    fn login(&self, _: &str, _: &LoginRequest) -> cartable_core::Result<LoginResponse> {
        Err(Error::Network("hors ligne".into()))
    }
    fn sync(&self, _: &str, _: &str, _: &SyncRequest) -> cartable_core::Result<SyncResponse> {
        Err(Error::Network("hors ligne".into()))
    }
    fn devices(&self, _: &str, _: &str) -> cartable_core::Result<Vec<DeviceSummary>> {
        Err(Error::Network("hors ligne".into()))
    }
    fn revoke_device(&self, _: &str, _: &str, _: &str) -> cartable_core::Result<()> {
        Err(Error::Network("hors ligne".into()))
    }
    fn logout(&self, _: &str, _: &str) -> cartable_core::Result<()> {
        Err(Error::Network("hors ligne".into()))
    }
}

#[test]
fn messages_are_shown_in_their_window_read_offline_and_unread_again_when_changed() {
    on_each_backend(|server| {
        server.clock.set(paris(date(2026, 11, 25), 10, 0));
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let (status, body) = send(
            server,
            &token,
            "PUT",
            "/api/v1/staff/catalogue/settings",
            json!({"contact": {"phone": "02 40 00 00 00", "email": "accueil@mairie.example",
                               "address": "1 place de la Mairie", "opening_hours": "8 h 30 – 12 h"}}),
        );
        assert_eq!(status, 200, "{body}");

        let publish = |title: &str, from: Option<&str>, until: Option<&str>| {
            let (status, body) = send(
                server,
                &token,
                "POST",
                "/api/v1/staff/information",
                json!({"title": title, "body": format!("Texte de « {title} »."),
                       "published_from": from, "published_until": until}),
            );
            assert_eq!(status, 201, "{body}");
            body
        };
        let now = publish("Inscriptions de Noël", None, None);
        assert_eq!(now["state"], "shown");
        assert_eq!(now["published_from"], "2026-11-25", "today by default");
        let later = publish("Repas de fête", Some("2026-12-01"), Some("2026-12-18"));
        assert_eq!(later["state"], "scheduled");
        let past = publish("Grève du 20", Some("2026-11-19"), Some("2026-11-20"));
        assert_eq!(past["state"], "ended");
        let (status, list) = staff::send(
            &server.url,
            "GET",
            "/api/v1/staff/information",
            Some(&token),
            None,
        );
        assert_eq!(status, 200);
        assert_eq!(list.as_array().map(Vec::len), Some(3), "{list:#}");

        // Bad input is refused with the field named, and nothing is stored.
        for (body, field) in [
            (json!({"title": " ", "body": "x"}), "title"),
            (json!({"title": "t", "body": ""}), "body"),
            (
                json!({"title": "t", "body": "x", "published_from": "le 3"}),
                "published_from",
            ),
            (
                json!({"title": "t", "body": "x", "published_from": "2026-12-10",
                       "published_until": "2026-12-01"}),
                "published_until",
            ),
        ] {
            let (status, err) = send(server, &token, "POST", "/api/v1/staff/information", body);
            assert_eq!(status, 400, "{err}");
            assert!(
                err["message"].as_str().is_some_and(|m| m.contains(field)),
                "{err}"
            );
        }

        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let page = client.information().expect("information");
        assert_eq!(page.contact.phone, "02 40 00 00 00");
        assert_eq!(titles(&client), ["Inscriptions de Noël"]);
        assert_eq!(page.unread, 1);
        let id = now["id"].as_str().expect("id");
        client.mark_information_read(id).expect("read");
        assert_eq!(client.information().expect("information").unread, 0);
        assert!(client.mark_information_read("inconnu").is_err());

        // Staff correct the message: it is unread again, with the new text.
        let (status, body) = send(
            server,
            &token,
            "PUT",
            &format!("/api/v1/staff/information/{id}"),
            json!({"title": "Inscriptions de Noël", "body": "Jusqu'au 12 décembre."}),
        );
        assert_eq!(status, 200, "{body}");
        client.sync().expect("sync");
        let page = client.information().expect("information");
        assert_eq!(page.unread, 1);
        assert_eq!(page.messages[0].body, "Jusqu'au 12 décembre.");

        // Days pass: the scheduled message appears with the first sync of its first day...
        server.clock.set(paris(date(2026, 12, 1), 7, 0));
        client.sync().expect("sync");
        assert_eq!(titles(&client), ["Repas de fête", "Inscriptions de Noël"]);
        // ...and ends after its last day, also on a phone that stays offline.
        let offline = Client::open_with(phone.dir.path(), Arc::new(Offline), Arc::new(SystemClock))
            .expect("reopen offline");
        assert_eq!(titles(&offline), ["Repas de fête", "Inscriptions de Noël"]);
        drop(offline);
        server.clock.set(paris(date(2026, 12, 19), 7, 0));
        client.sync().expect("sync");
        assert_eq!(titles(&client), ["Inscriptions de Noël"]);

        // Another structure's staff can neither change nor withdraw it; families cannot at all.
        let other = server.seed(1);
        let other_token = staff_token(server, &other);
        let (status, _) = send(
            server,
            &other_token,
            "PUT",
            &format!("/api/v1/staff/information/{id}"),
            json!({"title": "Piratage", "body": "x"}),
        );
        assert_eq!(status, 404);
        let (status, _) = staff::send(
            &server.url,
            "DELETE",
            &format!("/api/v1/staff/information/{id}"),
            Some(&other_token),
            None,
        );
        assert_eq!(status, 404);
        let parent = family_token(server, family, 1);
        let (status, _) = send(
            server,
            &parent,
            "POST",
            "/api/v1/staff/information",
            json!({"title": "t", "body": "x"}),
        );
        assert!(status == 401 || status == 403 || status == 404, "{status}");
        let other_phone = Device::new();
        let other_client = signed_in(server, &other.families[0], 0, &other_phone);
        assert!(
            titles(&other_client).is_empty(),
            "nothing of another structure"
        );

        // Weeks later the agent signs in again (staff sessions end after half an hour unused).
        let token = staff_token(server, &seed);
        let (status, _) = staff::send(
            &server.url,
            "DELETE",
            &format!("/api/v1/staff/information/{id}"),
            Some(&token),
            None,
        );
        assert_eq!(status, 204);
        client.sync().expect("sync");
        assert!(titles(&client).is_empty());
        let audited = server.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'publish_information' \
             AND structure_id = $1",
            &seed.structure_id,
        );
        assert_eq!(audited, 3);
    });
}

#[test]
fn published_files_are_checked_fetched_once_read_offline_and_removed_when_withdrawn() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let token = staff_token(server, &seed);
        let pdf = one_page_pdf(&["Menus de decembre"]);
        let path = "/api/v1/staff/downloads?title=Menus%20de%20d%C3%A9cembre&description=Cantine";
        let refused = [
            (b"Bonjour, ceci n'est pas un PDF".to_vec(), 415),
            (b"<html><script>alert(1)</script></html>".to_vec(), 415),
            (b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), 415),
            (pdf[..pdf.len() / 2].to_vec(), 415),
            (Vec::new(), 400),
        ];
        for (bytes, expected) in refused {
            let a = post_bytes(
                server,
                &token,
                path,
                &[("X-File-Name", "menus.pdf")],
                &bytes,
            );
            assert_eq!(a.status, expected, "{}", a.text());
        }
        let a = post_bytes(server, &token, "/api/v1/staff/downloads", &[], &pdf);
        assert_eq!(a.status, 400, "a title is required: {}", a.text());
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM downloads WHERE structure_id = $1",
                &seed.structure_id
            ),
            0,
            "nothing stored for a refused file"
        );

        let a = post_bytes(
            server,
            &token,
            path,
            &[("X-File-Name", "..%2F..%2Fmenus%20d%C3%A9cembre.pdf")],
            &pdf,
        );
        assert_eq!(a.status, 201, "{}", a.text());
        let published = a.json();
        let id = published["id"].as_str().expect("id").to_string();
        assert_eq!(
            published["file_name"], "menus décembre.pdf",
            "no folder part kept"
        );
        assert_eq!(published["content_type"], "application/pdf");

        let family = &seed.families[0];
        let phone = Device::new();
        let client = signed_in(server, family, 0, &phone);
        let listed = client.downloads().expect("downloads");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].download.title, "Menus de décembre");
        assert_eq!(listed[0].local_path, None);
        let local = client.fetch_download(&id).expect("fetch");
        assert_eq!(std::fs::read(&local).expect("cached file"), pdf);
        assert_eq!(
            client.downloads().expect("downloads")[0]
                .local_path
                .as_deref(),
            Some(local.to_string_lossy().as_ref())
        );

        // Offline, the list and the cached file are still there.
        let offline = Client::open_with(phone.dir.path(), Arc::new(Offline), Arc::new(SystemClock))
            .expect("reopen offline");
        assert_eq!(offline.fetch_download(&id).expect("from cache"), local);
        drop(offline);

        // Served as an attachment to the structure's families and staff, 404 to anyone else.
        let parent = family_token(server, family, 1);
        let content = format!("/api/v1/downloads/{id}/content");
        let a = get(server, Some(&parent), &content);
        assert_eq!(a.status, 200);
        assert_eq!(a.body, pdf);
        assert!(a.header("content-disposition").starts_with("attachment"));
        assert_eq!(a.header("x-content-type-options"), "nosniff");
        assert_eq!(get(server, Some(&token), &content).status, 200);
        let other = server.seed(1);
        let outsider = family_token(server, &other.families[0], 0);
        assert_eq!(get(server, Some(&outsider), &content).status, 404);
        assert_eq!(
            get(server, Some(&staff_token(server, &other)), &content).status,
            404
        );
        assert_eq!(get(server, None, &content).status, 401);
        assert_eq!(
            get(
                server,
                Some(&parent),
                "/api/v1/downloads/..%2F..%2Fetc/content"
            )
            .status,
            404
        );

        // Withdrawn: gone from the list, from the phone's cache and from the server.
        let (status, _) = staff::send(
            &server.url,
            "DELETE",
            &format!("/api/v1/staff/downloads/{id}"),
            Some(&token),
            None,
        );
        assert_eq!(status, 204);
        client.sync().expect("sync");
        assert!(client.downloads().expect("downloads").is_empty());
        assert!(!local.exists(), "the cached copy is removed");
        assert_eq!(get(server, Some(&parent), &content).status, 404);
    });
}
