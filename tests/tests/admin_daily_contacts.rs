//! The day's list says who may pick each child up and whom to call, from the family's
//! dossier (its adults' roles and phones, the child's "may leave alone"), on screen, on
//! paper and in the CSV, over HTTP on SQLite and PostgreSQL.

use cartable_server::demo;
use cartable_tests::admin_page::{assert_accessible, sign_in};
use cartable_tests::daily::demo_with_canteen;
use cartable_tests::on_each_backend;

const LIST: &str = "/admin/listes?jour=2027-03-16&activite=cantine";

#[test]
fn the_day_list_says_who_picks_up_and_whom_to_call() {
    on_each_backend(|server| {
        let demo = demo_with_canteen(server);
        let hugo = demo.children["Hugo"].clone();
        server.block_on(async {
            let pool = &server.state.db.pool;
            sqlx::query(
                "UPDATE adults SET mobile_phone = '06 12 34 56 78' \
                 WHERE first_name = 'Camille' AND last_name = 'Martin'",
            )
            .execute(pool)
            .await
            .expect("phone");
            sqlx::query(
                "UPDATE adults SET emergency_contact = 0, work_phone = '01 02 03 04 05' \
                 WHERE first_name = 'Julien' AND last_name = 'Martin'",
            )
            .execute(pool)
            .await
            .expect("roles");
            sqlx::query(
                "INSERT INTO adults (family_id, adult_id, first_name, last_name, mobile_phone, \
                 home_phone, work_phone, email, address, legal_guardian, may_pick_up, billing, \
                 emergency_contact, quotient_familial, caf_number, account_id) \
                 SELECT family_id, 'grand-mere', 'Josette', 'Martin', '', '02 40 00 00 00', '', \
                 '', '', 0, 1, 0, 1, NULL, '', NULL FROM children WHERE child_id = $1",
            )
            .bind(&hugo)
            .execute(pool)
            .await
            .expect("grandmother");
            sqlx::query("UPDATE children SET may_leave_alone = 1 WHERE child_id = $1")
                .bind(&hugo)
                .execute(pool)
                .await
                .expect("leaves alone");
        });
        let mut agent = sign_in(server, "agent", demo::AGENT_PASSWORD).browser;

        let page = agent.get(LIST);
        assert_eq!(page.status, 200);
        assert_accessible("day list with contacts", &page);
        let html = page.text();
        for expected in [
            "<th scope=\"col\">Peut le récupérer</th>",
            "<th scope=\"col\">En cas d'urgence</th>",
            "Camille Martin, Julien Martin, Josette Martin, peut partir seul",
            "Camille Martin, Julien Martin, Josette Martin</td>",
            "Camille Martin 06 12 34 56 78 ; Josette Martin 02 40 00 00 00",
        ] {
            assert!(html.contains(expected), "{expected}: {html}");
        }
        // Another family's adults are not on these children's lines.
        assert!(!html.contains("Julien Martin 01 02 03 04 05"), "{html}");

        let print = agent
            .get(&LIST.replace("/admin/listes?", "/admin/listes/imprimer?"))
            .text();
        assert!(
            print.contains("Camille Martin 06 12 34 56 78 ; Josette Martin 02 40 00 00 00"),
            "{print}"
        );
        assert!(!print.contains("Refuser"), "no action on paper");

        let csv = agent
            .get(&LIST.replace("/admin/listes?", "/admin/listes/telecharger?"))
            .text();
        assert!(
            csv.contains(
                "Martin;Hugo;CE1;Famille Martin;Sans porc;Aucune;Non;;\
                 \"Camille Martin, Julien Martin, Josette Martin, peut partir seul\";\
                 \"Camille Martin 06 12 34 56 78 ; Josette Martin 02 40 00 00 00\"\r\n"
            ),
            "{csv}"
        );
        // The other family's own adults, in order.
        assert!(
            csv.contains(
                "Benali;Inès;CE2;Famille Benali;Végétarien;Aucune;Non;;\
                 \"Karim Benali, Samira Benali\";\"Karim Benali (sans numéro) ; Samira Benali (sans numéro)\"\r\n"
            ),
            "{csv}"
        );
    });
}
