//! The parents' command line against a real server: French help and messages, children by
//! first name with or without accents, adults by name, activities by their label, dates read
//! as JJ/MM/AAAA and written "lundi 7 décembre 2026", diets in words, and an offline error
//! that says nothing is lost.

use cartable_domain::calendar::{add_days, format_date_fr, paris_date};
use cartable_server::clock::Clock;
use cartable_tests::cli::{fails, ok, run};
use cartable_tests::family::PASSWORD;
use cartable_tests::{Backend, Device, TestServer, on_each_backend};
use jiff::civil::{Date, Weekday};
use std::path::Path;

/// A Monday at least a week ahead (the canteen runs on Mondays).
fn next_monday(server: &TestServer) -> Date {
    let mut day = add_days(paris_date(server.clock.now()), 7).expect("a week ahead");
    while day.weekday() != Weekday::Monday {
        day = day.tomorrow().expect("next day");
    }
    day
}

fn jj_mm_aaaa(day: Date) -> String {
    format!("{:02}/{:02}/{}", day.day(), day.month(), day.year())
}

fn login(server: &TestServer, store: &Path, login: &str) -> String {
    ok(
        store,
        &[
            "login",
            "--server",
            &server.url,
            login,
            "--password",
            PASSWORD,
            "--device-name",
            "ordinateur de la cuisine",
        ],
    )
}

#[test]
fn the_command_line_speaks_french_with_names_and_french_dates() {
    on_each_backend(|server| {
        let seed = server.seed(1);
        let family = &seed.families[0];
        let phone = Device::new();
        let store = phone.dir.path();

        let hello = login(server, store, &family.parents[0].login);
        assert!(hello.contains("Bonjour Alex Famille0"), "{hello}");

        // The dossier in words, without ids.
        let dossier = ok(store, &["dossier", "show"]);
        assert!(dossier.contains("Enfant : Léa Famille0"), "{dossier}");
        assert!(dossier.contains("né(e) le 4 mai 2018"), "{dossier}");
        assert!(
            dossier.contains("régime : sans régime particulier"),
            "{dossier}"
        );
        for (id, _) in &family.children {
            assert!(!dossier.contains(id.as_str()), "id {id} shown:\n{dossier}");
        }

        // A child by first name without accents, a field and a diet in words.
        let set = ok(
            store,
            &["dossier", "set", "enfant", "lea", "régime", "sans porc"],
        );
        assert!(
            set.contains("Fiche de Léa : champ « régime alimentaire » modifié"),
            "{set}"
        );
        assert!(ok(store, &["dossier", "show"]).contains("régime : sans porc"));
        // An adult by name.
        let set = ok(
            store,
            &[
                "dossier",
                "set",
                "adulte",
                "Sam",
                "portable",
                "06 12 34 56 78",
            ],
        );
        assert!(set.contains("Fiche de Sam Famille0"), "{set}");
        let bad = fails(
            store,
            &["dossier", "set", "enfant", "Léa", "régime", "halal"],
        );
        assert!(
            bad.contains("sans porc, sans viande, végétarien ou sans gluten"),
            "{bad}"
        );

        // Dates as JJ/MM/AAAA or ISO, written back in words; activities by their label.
        let monday = next_monday(server);
        let booked = ok(
            store,
            &["book", "LÉA", &jj_mm_aaaa(monday), "restauration scolaire"],
        );
        assert_eq!(
            booked.trim(),
            format!(
                "Réservation demandée pour Léa le {} (Restauration scolaire) : elle partira à la \
                 prochaine synchronisation, puis la structure décidera.",
                format_date_fr(monday)
            )
        );
        ok(store, &["book", "hugo", &monday.to_string(), "cantine"]);
        let synced = ok(store, &["sync"]);
        assert!(synced.starts_with("Synchronisé"), "{synced}");
        // Dates in sentences are written in words, never as numbers.
        let status = ok(store, &["status"]);
        let last = status
            .lines()
            .find(|l| l.starts_with("Dernière synchronisation : "))
            .unwrap_or_default();
        assert!(last.contains(" à ") && !last.contains('/'), "{status}");
        let week = ok(store, &["planning", "--week", &jj_mm_aaaa(monday)]);
        assert!(
            week.starts_with(&format!("Planning du {}", format_date_fr(monday))),
            "{week}"
        );
        let requests = ok(store, &["requests"]);
        assert!(requests.contains("Restauration scolaire"), "{requests}");
        assert!(requests.contains("réservé"), "{requests}");

        // Two children matching a first name: the error lists both.
        ok(
            store,
            &["dossier", "add-child", "Léa", "Autre", "12/04/2019"],
        );
        let ambiguous = fails(store, &["book", "lea", &jj_mm_aaaa(monday), "cantine"]);
        assert!(
            ambiguous
                .contains("plusieurs enfants correspondent à « lea » : Léa Autre et Léa Famille0"),
            "{ambiguous}"
        );
        ok(
            store,
            &["cancel", "lea famille0", &jj_mm_aaaa(monday), "cantine"],
        );
        let bad_date = fails(store, &["book", "Hugo", "31/02/2027", "cantine"]);
        assert!(bad_date.contains("JJ/MM/AAAA"), "{bad_date}");
        let unknown = fails(store, &["book", "Zoé", &jj_mm_aaaa(monday), "cantine"]);
        assert!(unknown.contains("aucun enfant « Zoé »"), "{unknown}");

        // A day the structure closed is refused in advance with its words, unless insisting.
        let thursday = add_days(monday, 3).expect("Thursday");
        let token = cartable_tests::family::staff_token(server, &seed);
        let closure = serde_json::json!([
            {"from": thursday.to_string(), "to": thursday.to_string(), "label": "Grève des agents"}
        ]);
        let (status, body) = cartable_tests::staff::send(
            &server.url,
            "PUT",
            "/api/v1/staff/catalogue/closures",
            Some(&token),
            Some(&closure),
        );
        assert_eq!(status, 200, "{body}");
        ok(store, &["sync"]);
        let refused = fails(store, &["book", "Hugo", &jj_mm_aaaa(thursday), "cantine"]);
        assert!(
            refused.contains("réservation refusée d'avance : Fermé : Grève des agents")
                && refused.contains("--insist"),
            "{refused}"
        );
        let insisted = ok(
            store,
            &["book", "--insist", "Hugo", &jj_mm_aaaa(thursday), "cantine"],
        );
        assert!(
            insisted.starts_with("Demande de dérogation enregistrée pour Hugo"),
            "{insisted}"
        );

        // Scripts still get ids in JSON.
        let json: serde_json::Value =
            serde_json::from_str(&ok(store, &["--json", "dossier", "show"])).expect("JSON");
        assert!(
            json["dossier"]["children"]
                .as_object()
                .is_some_and(|c| c.contains_key(family.children[0].0.as_str()))
        );
    });
}

#[test]
fn help_and_usage_errors_are_in_french() {
    let store = Device::new();
    let help = ok(store.dir.path(), &["--help"]);
    assert!(help.contains("Utilisation : cartable"), "{help}");
    assert!(help.contains("Commandes"), "{help}");
    assert!(help.contains("Réserve une activité"), "{help}");
    assert!(
        !help.contains("Usage:") && !help.contains("Print help"),
        "{help}"
    );
    let book = ok(store.dir.path(), &["book", "--help"]);
    assert!(book.contains("Date, JJ/MM/AAAA"), "{book}");

    let wrong = run(store.dir.path(), &["reserver"]);
    assert_eq!(wrong.code, Some(2));
    assert!(
        wrong.stderr.contains("commande inconnue « reserver »"),
        "{}",
        wrong.stderr
    );
    let not_logged_in = fails(store.dir.path(), &["sync"]);
    assert!(
        not_logged_in.contains("cet appareil n'est pas connecté"),
        "{not_logged_in}"
    );
}

#[test]
fn offline_the_command_line_says_the_changes_are_kept_for_the_next_sync() {
    let server = TestServer::start(Backend::Sqlite);
    let seed = server.seed(1);
    let family = &seed.families[0];
    let phone = Device::new();
    let store = phone.dir.path();
    login(&server, store, &family.parents[0].login);
    let monday = next_monday(&server);
    drop(server); // The network is gone.

    ok(store, &["book", "Léa", &jj_mm_aaaa(monday), "cantine"]);
    ok(
        store,
        &["dossier", "set", "enfant", "Hugo", "école", "Jules-Ferry"],
    );
    let offline = fails(store, &["sync"]);
    assert!(
        offline.contains("pas de connexion au serveur pour le moment"),
        "{offline}"
    );
    assert!(
        offline.contains(
            "Rien n'est perdu : 2 modifications attendent sur cet appareil et partiront à la \
             prochaine synchronisation"
        ),
        "{offline}"
    );
    let status = ok(store, &["status"]);
    assert!(
        status.contains("2 modifications en attente d'envoi"),
        "{status}"
    );
    // The planning still reads offline, in French.
    let planning = ok(store, &["planning", "--week", &jj_mm_aaaa(monday)]);
    assert!(planning.contains("en attente"), "{planning}");
}
