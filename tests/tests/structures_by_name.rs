//! The `admin` command's structures, on SQLite and PostgreSQL: `list-structures` lists them
//! with their families and staff logins, and `--structure` takes an id or a name that only
//! one structure has (an unknown or shared name is refused with the way out).

use cartable_domain::catalogue::Contact;
use cartable_server::admin::{self, NewLogin};
use cartable_tests::on_each_backend;

fn contact() -> Contact {
    Contact {
        phone: String::new(),
        email: String::new(),
        address: String::new(),
        opening_hours: String::new(),
    }
}

#[test]
fn structures_are_listed_and_named_where_the_name_is_unique() {
    on_each_backend(|server| {
        let state = &server.state;
        let seed = server.seed(2);
        let saint_aubin = server
            .block_on(admin::create_structure(
                state,
                "Mairie de Saint-Aubin",
                contact(),
            ))
            .expect("structure");
        for _ in 0..2 {
            server
                .block_on(admin::create_structure(
                    state,
                    "Centre de loisirs",
                    contact(),
                ))
                .expect("structure");
        }

        // By name when unique, by id always.
        let by_name = server
            .block_on(admin::resolve_structure(state, " Mairie de Saint-Aubin "))
            .expect("unique name");
        assert_eq!(by_name, saint_aubin);
        let by_id = server
            .block_on(admin::resolve_structure(state, &seed.structure_id))
            .expect("id");
        assert_eq!(by_id.as_str(), seed.structure_id);
        let shared = server
            .block_on(admin::resolve_structure(state, "Centre de loisirs"))
            .expect_err("shared name");
        assert!(
            shared
                .to_string()
                .contains("Plusieurs structures s'appellent"),
            "{shared}"
        );
        let unknown = server
            .block_on(admin::resolve_structure(state, "Mairie de Nulle-Part"))
            .expect_err("unknown");
        assert!(
            unknown.to_string().contains("admin list-structures"),
            "{unknown}"
        );

        // A staff login created in the structure named.
        let agent = NewLogin {
            first_name: "Paul".into(),
            last_name: "Girard".into(),
            login: "paul.girard".into(),
            password: None,
        };
        server
            .block_on(admin::create_staff(state, &by_name, &agent, false))
            .expect("staff");

        let all = server
            .block_on(admin::list_structures(state))
            .expect("list");
        assert_eq!(all.len(), 4);
        assert_eq!(
            all.iter().map(|s| s.name.as_str()).collect::<Vec<_>>()[..2],
            ["Centre de loisirs", "Centre de loisirs"]
        );
        let ours = all
            .iter()
            .find(|s| s.id == saint_aubin.as_str())
            .expect("listed");
        assert_eq!((ours.families, ours.staff), (0, 1));
        let seeded = all
            .iter()
            .find(|s| s.id == seed.structure_id)
            .expect("listed");
        assert_eq!(seeded.families, 2);
        assert!(seeded.staff >= 1);
    });
}
