//! The admin page's configuration, over HTTP on SQLite and PostgreSQL: activities and
//! tariffs in words; closing a day that families booked first says what it cancels, then
//! cancels it (by the structure, not billed, seen by the parents at their next sync); a
//! closure removed; an activity and a tariff edited with the staff API's checks; agents
//! refused; forms without their token change nothing.

use cartable_domain::catalogue::{Catalogue, DeadlineRule};
use cartable_domain::ids::StructureId;
use cartable_domain::planning::RequestState;
use cartable_domain::tariffs::{PriceRule, QfBand, SiblingDiscount, Surcharge};
use cartable_server::demo;
use cartable_tests::admin_page::{assert_accessible, sign_in};
use cartable_tests::daily::{DAY, demo_with_canteen};
use cartable_tests::{Device, TestServer, on_each_backend};

fn held_on_day(server: &TestServer) -> i64 {
    server.count(
        "SELECT COUNT(*) FROM booking_requests WHERE day = $1 AND activity_id = 'cantine' \
         AND holds_place = 1",
        DAY,
    )
}

fn catalogue_of(server: &TestServer, structure_id: &str) -> Catalogue {
    server
        .block_on(cartable_server::docs::catalogue::read(
            &server.state,
            &StructureId::new(structure_id.to_string()),
        ))
        .expect("catalogue")
}

#[test]
fn a_closure_shows_what_it_cancels_then_cancels_it() {
    on_each_backend(|server| {
        let demo = demo_with_canteen(server);
        let other = server.seed(1);
        // Camille Martin's phone, synced before the closure.
        let phone = Device::new().open();
        phone
            .login(
                &server.url,
                "camille.martin",
                demo::PARENT_PASSWORD,
                "téléphone de Camille",
            )
            .expect("login");
        phone.sync().expect("sync");
        let day: jiff::civil::Date = DAY.parse().expect("date");
        let lea = demo.children["Léa"].clone();

        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let page = admin.get("/admin/configuration");
        assert_eq!(page.status, 200, "{}", page.text());
        assert_accessible("configuration", &page);
        let html = page.text();
        for expected in [
            "Restauration scolaire",
            "lundi, mardi, jeudi, vendredi",
            "2 jours ouvrés avant, à 12 h 00",
            "le jeudi de la semaine précédente, à 12 h 00",
            "Vacances d&#39;hiver",
            "du samedi 20 février 2027 au dimanche 7 mars 2027",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }

        let fields = [
            ("libelle", "Grève des agents"),
            ("du", DAY),
            ("au", DAY),
            ("activite", "cantine"),
        ];
        // The preview says what would be cancelled and changes nothing.
        let preview = admin.post_form(
            "/admin/configuration",
            "/admin/configuration/fermetures/apercu",
            &fields,
        );
        assert_eq!(preview.status, 200, "{}", preview.text());
        assert_accessible("closure preview", &preview);
        assert!(
            preview
                .text()
                .contains("Cette fermeture annule 4 réservations de 2 familles."),
            "{}",
            preview.text()
        );
        assert_eq!(held_on_day(server), 4);
        // Without the token: refused, nothing changes.
        let forged = admin.post_raw("/admin/configuration/fermetures", &fields);
        assert_eq!(forged.status, 403);
        assert_eq!(held_on_day(server), 4);
        // An agent may neither see nor change the configuration.
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_eq!(agent.get("/admin/configuration").status, 403);
        let by_agent = agent.post_form("/admin/", "/admin/configuration/fermetures", &fields);
        assert_eq!(by_agent.status, 403);
        assert_eq!(held_on_day(server), 4);
        assert!(!agent.get("/admin/").text().contains("/admin/configuration"));

        // Wrong dates: said next to the field.
        let wrong = admin.post_form(
            "/admin/configuration",
            "/admin/configuration/fermetures/apercu",
            &[("libelle", "Grève"), ("du", "2027-03-17"), ("au", DAY)],
        );
        assert_eq!(wrong.status, 400);
        assert_accessible("closure refused", &wrong);
        assert!(wrong.text().contains("aria-describedby=\"erreur-au\""));

        // Confirmed: the bookings are cancelled by the structure, not billed.
        let done = admin.post_form(
            "/admin/configuration",
            "/admin/configuration/fermetures",
            &fields,
        );
        assert_eq!(done.status, 303, "{}", done.text());
        let after = admin.get(done.header("location"));
        assert!(
            after
                .text()
                .contains("4 réservations annulées par la structure, non facturées."),
            "{}",
            after.text()
        );
        assert!(after.text().contains("Grève des agents"));
        assert_eq!(held_on_day(server), 0);
        phone.sync().expect("sync");
        let state = phone
            .planning(None)
            .expect("planning")
            .into_iter()
            .find(|e| e.date == day && e.child_id == lea && e.activity_id == "cantine")
            .map(|e| e.state)
            .expect("Léa's canteen that day");
        match state {
            RequestState::CancelledByStructure { reason } => {
                assert!(reason.contains("Grève des agents"), "{reason}")
            }
            other => panic!("cancelled by the structure expected, got {other:?}"),
        }
        // The other structure's configuration knows nothing of it.
        let mut admin_b = sign_in(server, &other.staff.login, &other.staff.password).browser;
        assert!(
            !admin_b
                .get("/admin/configuration")
                .text()
                .contains("Grève des agents")
        );

        // Removed: the list no longer has it, and nobody is booked again.
        let closures = catalogue_of(server, &demo.structure_id).closures;
        let index = closures
            .iter()
            .position(|c| c.label == "Grève des agents")
            .expect("the closure")
            .to_string();
        let stale = admin.post_form(
            "/admin/configuration",
            "/admin/configuration/fermetures/retirer",
            &[("numero", &index), ("libelle", "Autre chose")],
        );
        assert_eq!(stale.status, 409);
        let removed = admin.post_form(
            "/admin/configuration",
            "/admin/configuration/fermetures/retirer",
            &[("numero", &index), ("libelle", "Grève des agents")],
        );
        assert_eq!(removed.status, 303, "{}", removed.text());
        assert!(
            !catalogue_of(server, &demo.structure_id)
                .closures
                .iter()
                .any(|c| c.label == "Grève des agents")
        );
        assert_eq!(held_on_day(server), 0);
    });
}

#[test]
fn activities_and_tariffs_are_edited_with_the_api_checks() {
    on_each_backend(|server| {
        let demo = demo_with_canteen(server);
        let mut admin = sign_in(server, "admin", demo::STAFF_PASSWORD).browser;
        let form = "/admin/configuration/activites/cantine";
        let page = admin.get(form);
        assert_eq!(page.status, 200, "{}", page.text());
        assert_accessible("activity form", &page);
        assert_eq!(
            admin.get("/admin/configuration/activites/piscine").status,
            404
        );

        let changed = admin.post_form(
            form,
            form,
            &[
                ("nom", "Restauration scolaire"),
                ("jour", "1"),
                ("jour", "2"),
                ("jour", "4"),
                ("jour", "5"),
                ("debut", "11:30"),
                ("places", "100"),
                ("age-min", ""),
                ("age-max", ""),
                ("classes", "CP, CE1"),
                ("reservation-jours", "3"),
                ("reservation-heure", "10:00"),
                ("reservation-ouvres", "1"),
                ("annulation-jours", ""),
                ("annulation-heure", ""),
            ],
        );
        assert_eq!(changed.status, 303, "{}", changed.text());
        let c = catalogue_of(server, &demo.structure_id);
        let canteen = &c.activities["cantine"];
        assert_eq!(canteen.capacity, Some(100));
        assert_eq!(canteen.start_time, "11:30");
        assert_eq!(canteen.eligibility.classes, vec!["CP", "CE1"]);
        assert_eq!(
            canteen.booking_rules,
            vec![DeadlineRule::DaysBefore {
                days: 3,
                at: "10:00".into(),
                skip_weekends: true,
                skip_public_holidays: true,
                skip_weekdays: vec![],
            }]
        );
        assert!(canteen.cancel_rules.is_empty());
        assert!(
            canteen.absence.same_day_billed,
            "what the form does not edit is kept"
        );

        // Errors are said next to their fields; nothing is saved.
        let refused = admin.post_form(form, form, &[("nom", "Cantine"), ("places", "beaucoup")]);
        assert_eq!(refused.status, 400);
        assert_accessible("activity refused", &refused);
        let html = refused.text();
        assert!(html.contains("aria-describedby=\"erreur-jours\""), "{html}");
        assert!(html.contains("erreur-places"));
        assert_eq!(
            catalogue_of(server, &demo.structure_id).activities["cantine"].name,
            "Restauration scolaire"
        );

        // The Wednesday centre's rule is of another kind: shown, and kept.
        let wednesday = "/admin/configuration/activites/mercredi";
        assert!(
            admin
                .get(wednesday)
                .text()
                .contains("le jeudi de la semaine précédente")
        );
        let kept = admin.post_form(
            wednesday,
            wednesday,
            &[("nom", "Mercredis"), ("jour", "3"), ("places", "30")],
        );
        assert_eq!(kept.status, 303, "{}", kept.text());
        let wed = &catalogue_of(server, &demo.structure_id).activities["mercredi"];
        assert_eq!(wed.name, "Mercredis");
        assert!(matches!(
            wed.booking_rules.as_slice(),
            [DeadlineRule::WeekdayOfPreviousWeek { .. }]
        ));

        // A new activity.
        let new = "/admin/configuration/nouvelle-activite";
        assert_accessible("new activity", &admin.get(new));
        let created = admin.post_form(
            new,
            new,
            &[
                ("identifiant", "etude-soir"),
                ("type", "evening_childcare"),
                ("nom", "Étude surveillée"),
                ("jour", "1"),
                ("jour", "4"),
            ],
        );
        assert_eq!(created.status, 303, "{}", created.text());
        let c = catalogue_of(server, &demo.structure_id);
        assert_eq!(c.activities["etude-soir"].name, "Étude surveillée");
        assert_eq!(c.activities["etude-soir"].weekdays, vec![1, 4]);
        let twice = admin.post_form(
            new,
            new,
            &[
                ("identifiant", "etude-soir"),
                ("nom", "Autre"),
                ("jour", "1"),
            ],
        );
        assert_eq!(twice.status, 400);

        // A tariff by bands of quotient familial.
        let tariff = "/admin/configuration/activites/cantine/tarif";
        let page = admin.get(tariff);
        assert_eq!(page.status, 200);
        assert_accessible("tariff form", &page);
        let fields = [
            ("mode", "tranches"),
            ("tranches", "0 : 1,20\n700 : 4,50"),
            ("fratrie", "pourcentages"),
            ("fratrie-valeurs", "0 ; 50"),
            ("sans-reservation-type", "supplement"),
            ("sans-reservation-montant", "3,75"),
            ("hors-delai-type", "aucun"),
            ("hors-delai-montant", ""),
            ("pai", "0,64"),
        ];
        let saved = admin.post_form(tariff, tariff, &fields);
        assert_eq!(saved.status, 303, "{}", saved.text());
        let t = catalogue_of(server, &demo.structure_id).activities["cantine"]
            .tariff
            .clone()
            .expect("a tariff");
        assert_eq!(
            t.price,
            PriceRule::QfBands {
                bands: vec![
                    QfBand {
                        from_qf: 0,
                        cents: 120
                    },
                    QfBand {
                        from_qf: 700,
                        cents: 450
                    }
                ]
            }
        );
        assert_eq!(
            t.sibling,
            SiblingDiscount::PercentOff {
                by_rank: vec![0, 50]
            }
        );
        assert_eq!(t.unbooked_presence, Surcharge::Extra { cents: 375 });
        assert_eq!(t.pai_meal_cents, Some(64));
        let shown = admin.get("/admin/configuration").text();
        assert!(
            shown.contains("Journée, QF 700 et plus, ou inconnu : 4,50\u{a0}€"),
            "{shown}"
        );
        // The API's own check: the first band starts at QF 0.
        let mut bad = fields;
        bad[1].1 = "300 : 1,20";
        let refused = admin.post_form(tariff, tariff, &bad);
        assert_eq!(refused.status, 400);
        assert_accessible("tariff refused", &refused);
        assert!(
            refused
                .text()
                .contains("la première tranche doit commencer à QF 0")
        );

        // Agents: refused, nothing changed.
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;
        assert_eq!(agent.get(form).status, 403);
        assert_eq!(
            agent
                .post_form("/admin/", tariff, &[("mode", "unique"), ("prix", "0")])
                .status,
            403
        );
        assert!(
            catalogue_of(server, &demo.structure_id).activities["cantine"]
                .tariff
                .as_ref()
                .is_some_and(|t| matches!(t.price, PriceRule::QfBands { .. }))
        );
    });
}
