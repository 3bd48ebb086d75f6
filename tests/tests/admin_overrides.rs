//! Staff accepting or refusing a child's booking from the admin page, over HTTP on SQLite
//! and PostgreSQL: the decision goes through the staff API's override (the family's phone
//! reads it after its next sync, the day's places are counted again, the journal shows it);
//! a form without its token, with an empty reason, or about another structure's family,
//! child or activity changes nothing.

use cartable_domain::planning::{CellKey, Outcome};
use cartable_server::demo;
use cartable_tests::admin_page::{assert_accessible, sign_in};
use cartable_tests::daily::{DAY, demo_with_canteen, family_of};
use cartable_tests::raw::{RawPeer, decision};
use cartable_tests::{TestServer, on_each_backend};
use sqlx::Row;

fn places_taken(server: &TestServer) -> i64 {
    server.block_on(async {
        sqlx::query("SELECT taken FROM activity_places WHERE activity_id = 'cantine' AND day = $1")
            .bind(DAY)
            .fetch_optional(&server.state.db.pool)
            .await
            .expect("counter")
            .map_or(0, |r| r.get::<i64, _>("taken"))
    })
}

fn overrides(server: &TestServer) -> i64 {
    server.block_on(async {
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'override_decision'")
            .fetch_one(&server.state.db.pool)
            .await
            .expect("count")
            .get::<i64, _>(0)
    })
}

#[test]
fn staff_refuse_and_accept_a_booking_with_a_reason_the_family_reads() {
    on_each_backend(|server| {
        let demo = demo_with_canteen(server);
        let lea = demo.children["Léa"].clone();
        let family = family_of(server, &lea);
        let day: jiff::civil::Date = DAY.parse().expect("date");
        let key = CellKey::new(lea.as_str(), day, "cantine").encode();
        let mut parent = RawPeer::login(&server.url, "camille.martin", demo::PARENT_PASSWORD);
        parent.sync();
        assert_eq!(
            decision(&mut parent, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );
        let taken = places_taken(server);
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;

        // From the day's list, a link to the form, filled in for Léa.
        let list = agent.get("/admin/listes?jour=2027-03-16&activite=cantine");
        let form_path = format!(
            "/admin/familles/{family}/decision?enfant={lea}&amp;jour=2027-03-16&amp;activite=cantine&amp;choix=refuser&amp;retour=liste"
        );
        let html = list.text().replace("&#38;", "&amp;");
        assert!(html.contains(&form_path), "{html}");
        let form_path = form_path.replace("&amp;", "&");
        let form = agent.get(&form_path);
        assert_eq!(form.status, 200, "{}", form.text());
        assert_accessible("decision form", &form);
        let html = form.text();
        assert!(
            html.contains("État actuel : <strong>Réservé</strong>"),
            "{html}"
        );
        assert!(html.contains("value=\"refuser\" checked"), "{html}");

        let action = format!("/admin/familles/{family}/decision");
        let fields = |reason: &'static str| {
            vec![
                ("enfant", lea.clone()),
                ("jour", DAY.to_string()),
                ("activite", "cantine".to_string()),
                ("choix", "refuser".to_string()),
                ("motif", reason.to_string()),
                ("retour", "liste".to_string()),
            ]
        };
        let post = |b: &mut cartable_tests::admin_page::Browser,
                    with_token: bool,
                    path: &str,
                    v: Vec<(&'static str, String)>| {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
            if with_token {
                b.post_form(&form_path, path, &pairs)
            } else {
                b.post_raw(path, &pairs)
            }
        };

        // Without the token: refused, nothing changed.
        let none = post(&mut agent, false, &action, fields("Sortie scolaire"));
        assert_eq!(none.status, 403);
        // An empty reason: the form again, the error tied to its field, nothing changed.
        let empty = post(&mut agent, true, &action, fields("   "));
        assert_eq!(empty.status, 400, "{}", empty.text());
        assert_accessible("decision form with an error", &empty);
        let html = empty.text();
        assert!(
            html.contains("aria-describedby=\"aide-motif erreur-motif\""),
            "{html}"
        );
        assert!(
            html.contains("Écrivez le motif que la famille lira"),
            "{html}"
        );
        assert_eq!(overrides(server), 0);
        assert_eq!(places_taken(server), taken);

        // Another structure's family, a child of another family, an unknown activity: not
        // found, nothing changed.
        let other = server.seed(1);
        let foreign_family = format!("/admin/familles/{}/decision", other.families[0].family_id);
        assert_eq!(agent.get(&foreign_family).status, 404);
        let mut foreign = fields("Sortie scolaire");
        foreign[0].1 = other.families[0].children[0].0.clone();
        assert_eq!(
            post(&mut agent, true, &foreign_family, foreign.clone()).status,
            404
        );
        assert_eq!(post(&mut agent, true, &action, foreign).status, 404);
        let mut activity = fields("Sortie scolaire");
        activity[2].1 = "piscine".into();
        assert_eq!(post(&mut agent, true, &action, activity).status, 404);
        assert_eq!(overrides(server), 0);
        assert_eq!(places_taken(server), taken);

        // It happens: back to the list, Léa no longer expected, her place given back.
        let done = post(&mut agent, true, &action, fields("Sortie scolaire"));
        assert_eq!(done.status, 303, "{}", done.text());
        let back = done.header("location").to_string();
        assert_eq!(
            back,
            format!("/admin/listes?jour=2027-03-16&activite=cantine&fait=refus&enfant={lea}")
        );
        let list = agent.get(&back).text();
        assert!(
            list.contains("Réservation refusée pour Léa Martin : la famille verra la décision"),
            "{list}"
        );
        assert!(!list.contains(&format!("enfant={lea}")), "{list}");
        assert_eq!(places_taken(server), taken - 1);
        assert_eq!(overrides(server), 1);

        // The family's phone reads the refusal and its reason after its next sync.
        parent.sync();
        let d = decision(&mut parent, &key).expect("decision");
        assert_eq!(d.outcome, Outcome::Refused);
        assert_eq!(
            d.reason.as_deref(),
            Some("Sortie scolaire (décision de la structure)")
        );

        // Accepted again from the family's page: the place is taken again.
        let mut accept = fields("Place rendue après la sortie");
        accept[3].1 = "accepter".into();
        accept.pop();
        let done = post(&mut agent, true, &action, accept);
        assert_eq!(done.status, 303, "{}", done.text());
        let page = agent.get(done.header("location"));
        assert_eq!(page.status, 200);
        assert!(page.text().contains("La décision est enregistrée"));
        assert_eq!(places_taken(server), taken);
        parent.sync();
        assert_eq!(
            decision(&mut parent, &key).map(|d| d.outcome),
            Some(Outcome::Accepted)
        );

        // The journal shows who did what, in words, without ids.
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let journal = admin.get("/admin/journal").text();
        assert!(
            journal.contains("Décision de réservation modifiée"),
            "{journal}"
        );
        assert!(
            journal.contains(
                "Léa Martin, Restauration scolaire, mardi 16 mars 2027 : réservation refusée. \
                 Motif : Sortie scolaire"
            ),
            "{journal}"
        );
        assert!(!journal.contains(&lea), "{journal}");
    });
}
