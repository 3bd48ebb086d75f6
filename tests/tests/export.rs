//! "Your data": a family's export archive holds its dossier, its planning and every file it
//! sent, and nothing of another family.

use automerge::AutoCommit;
use cartable_core::domain::dossier::Dossier;
use cartable_server::clock::Clock;
use cartable_tests::family::{family_token, get, signed_in, staff_token};
use cartable_tests::{Device, SeedFamily, TestServer, on_each_backend, staff};
use jiff::civil::Date;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Read;

fn pdf(marker: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {marker}\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n")
        .into_bytes()
}

/// Every entry of a ZIP archive.
fn entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP archive");
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("read entry");
        let name = file.name().expect("entry name").to_string();
        out.insert(name, content);
    }
    out
}

fn json_of(entries: &BTreeMap<String, Vec<u8>>, name: &str) -> Value {
    let bytes = entries
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing: {:?}", entries.keys()));
    serde_json::from_slice(bytes).expect("JSON entry")
}

/// A family with a booking, a doctor's name of its own and a sent document.
fn active_family(
    server: &TestServer,
    family: &SeedFamily,
    device: &Device,
    marker: &str,
    day: Date,
) -> cartable_core::Client {
    let client = signed_in(server, family, 0, device);
    let child = &family.children[0].0;
    client
        .set_child_field(child, "doctor", &format!("Dr {marker}"))
        .expect("doctor");
    client.book(child, day, "cantine").expect("book");
    client
        .submit_dossier()
        .expect("Je valide mes modifications");
    client
        .queue_document(
            &format!("assurance-{marker}.pdf"),
            &pdf(marker),
            "insurance",
            None,
            None,
        )
        .expect("queue");
    client.sync().expect("sync");
    client
}

#[test]
fn the_export_holds_the_dossier_the_planning_and_every_file_and_nothing_of_another_family() {
    on_each_backend(|server| {
        let seed = server.seed(2);
        let token = staff_token(server, &seed);
        let (status, body) = staff::send(
            &server.url,
            "PUT",
            "/api/v1/staff/catalogue/activities/cantine",
            Some(&token),
            Some(&json!({"name": "Restauration scolaire", "kind": "canteen",
                         "weekdays": [1, 2, 3, 4, 5, 6, 7]})),
        );
        assert_eq!(status, 200, "{body}");
        let day = cartable_domain::calendar::paris_date(server.clock.now())
            .tomorrow()
            .expect("tomorrow");
        let (ours, theirs) = (&seed.families[0], &seed.families[1]);
        let (phone, other_phone) = (Device::new(), Device::new());
        let client = active_family(server, ours, &phone, "Lambert", day);
        active_family(server, theirs, &other_phone, "Secretin", day);
        // A staff read of the family's health data shows in its access log.
        let (status, _) = staff::send(
            &server.url,
            "GET",
            &format!("/api/v1/staff/dossiers/{}", ours.family_id),
            Some(&token),
            None,
        );
        assert_eq!(status, 200);

        let dest = phone.dir.path().join("mes-donnees.zip");
        let summary = client.export_data(&dest).expect("export");
        let bytes = std::fs::read(&dest).expect("archive on disk");
        assert_eq!(summary.size_bytes, bytes.len() as u64);
        let archive = entries(&bytes);

        let family = json_of(&archive, "famille.json");
        assert_eq!(family["family"]["id"], ours.family_id.as_str());
        assert_eq!(family["accounts"].as_array().map(Vec::len), Some(2));
        assert!(
            family["accounts"][0]["created_at_ms"].is_i64(),
            "{family:#}"
        );
        assert!(family["accounts"][0].get("password_hash").is_none());
        assert!(
            family["devices"][0]["revoked_at_ms"].is_null(),
            "{family:#}"
        );
        assert!(family["devices"].as_array().is_some_and(|d| !d.is_empty()));
        let dossier: Dossier =
            serde_json::from_value(json_of(&archive, "dossier.json")).expect("dossier JSON");
        assert_eq!(dossier, client.dossier().expect("phone's dossier"));
        assert_eq!(dossier.children[&ours.children[0].0].doctor, "Dr Lambert");

        let year = cartable_domain::school_year::SchoolYear::of(day).to_string();
        let planning = json_of(&archive, &format!("planning/{year}.json"));
        let key =
            cartable_domain::planning::CellKey::new(&ours.children[0].0, day, "cantine").encode();
        assert_eq!(planning["requests"][&key]["wanted"], true, "{planning:#}");
        assert_eq!(planning["decisions"][&key]["outcome"], "accepted");

        let documents = json_of(&archive, "documents.json");
        let listed = documents.as_array().expect("documents");
        assert_eq!(listed.len(), 1, "{documents:#}");
        let file = listed[0]["file"].as_str().expect("file path");
        assert_eq!(
            archive.get(file),
            Some(&pdf("Lambert")),
            "the very bytes sent"
        );

        let journal = json_of(&archive, "journal.json");
        assert!(
            journal
                .as_array()
                .is_some_and(|j| j.iter().any(|e| e["action"] == "read_dossier_health_diet")),
            "{journal:#}"
        );
        let raw = archive
            .get("automerge/dossier.automerge")
            .expect("raw dossier");
        let doc = AutoCommit::load(raw).expect("an Automerge document");
        let hydrated: Dossier = autosurgeon::hydrate(&doc).expect("hydrate");
        assert_eq!(hydrated, dossier);
        assert!(archive.contains_key("LISEZMOI.txt"));
        // The summary a parent reads: names, French dates and decisions, no ids.
        let page = String::from_utf8(archive.get("resume.html").expect("resume.html").clone())
            .expect("UTF-8");
        let child = &dossier.children[&ours.children[0].0];
        for expected in [
            format!("{} {}", child.first_name, child.last_name),
            cartable_domain::calendar::format_date_fr(day),
            "Restauration scolaire".to_string(),
            "acceptée".to_string(),
            "Dr Lambert".to_string(),
            "assurance-Lambert.pdf".to_string(),
            "attestation d&#39;assurance".to_string(),
            "en attente de la réponse de la structure".to_string(),
            "consultation du dossier (santé et régime alimentaire)".to_string(),
        ] {
            assert!(page.contains(&expected), "« {expected} » missing:\n{page}");
        }
        for id in [ours.children[0].0.as_str(), ours.family_id.as_str()] {
            assert!(!page.contains(id), "{id} shown in the summary");
        }
        // Staff actions are named in French, never by their code.
        for entry in journal.as_array().into_iter().flatten() {
            if let Some(code) = entry["action"].as_str() {
                assert!(!page.contains(code), "the code {code} shown in the summary");
            }
        }
        let versions = json_of(&archive, "dossier-versions.json");
        assert_eq!(versions[0]["status"], "pending", "{versions:#}");
        assert_eq!(
            versions[0]["requested_documents"],
            json!([]),
            "a list, not JSON text"
        );

        // Nothing of the other family, in any entry.
        let foreign = [
            theirs.family_id.as_str(),
            theirs.children[0].0.as_str(),
            theirs.parents[0].login.as_str(),
            "Secretin",
        ];
        for (name, content) in &archive {
            let text = String::from_utf8_lossy(content);
            for needle in foreign {
                assert!(!text.contains(needle), "{name} mentions {needle}");
            }
        }
        assert_eq!(
            server.count(
                "SELECT COUNT(*) FROM audit_log WHERE family_id = $1 \
                 AND action = 'export_family_data'",
                &ours.family_id
            ),
            1
        );

        // The API: families only, each its own.
        let a = get(
            server,
            Some(&family_token(server, theirs, 1)),
            "/api/v1/export",
        );
        assert_eq!(a.status, 200);
        assert_eq!(a.header("content-type"), "application/zip");
        assert!(a.header("content-disposition").starts_with("attachment"));
        let theirs_archive = entries(&a.body);
        assert_eq!(
            json_of(&theirs_archive, "famille.json")["family"]["id"],
            theirs.family_id.as_str()
        );
        assert_ne!(get(server, Some(&token), "/api/v1/export").status, 200);
        assert_eq!(get(server, None, "/api/v1/export").status, 401);
    });
}
