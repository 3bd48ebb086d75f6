//! A day at the canteen of the demo structure, for the admin page's daily lists and
//! attendance tests.

use crate::TestServer;
use cartable_domain::ids::{FamilyId, StructureId};
use cartable_domain::planning::CellKey;
use cartable_server::{demo, demo_billing};
use sqlx::Row;
use std::collections::BTreeMap;

/// A Tuesday of school time (no closure of the demo's catalogue).
pub const DAY: &str = "2027-03-16";

/// The family of a child, by the child's id.
pub fn family_of(server: &TestServer, child_id: &str) -> String {
    server.block_on(async {
        sqlx::query("SELECT family_id FROM children WHERE child_id = $1")
            .bind(child_id)
            .fetch_one(&server.state.db.pool)
            .await
            .expect("child")
            .get("family_id")
    })
}

pub struct Demo {
    pub structure_id: String,
    /// Child id by first name.
    pub children: BTreeMap<String, String>,
}

/// The demo structure on Monday 15 March 2027, its four children booked at the canteen on
/// Tuesday; Léa has a peanut allergy and a PAI, Yanis's parents declared him absent.
pub fn demo_with_canteen(server: &TestServer) -> Demo {
    server.clock.set(
        "2027-03-15T08:00:00Z"
            .parse::<jiff::Timestamp>()
            .expect("instant"),
    );
    server
        .block_on(demo::ensure_demo(&server.state))
        .expect("demo");
    server.block_on(async {
        let state = &server.state;
        let structure_id =
            cartable_server::db::accounts::structure_by_name(&state.db, demo::STRUCTURE_NAME)
                .await
                .expect("query")
                .expect("demo structure");
        let families = sqlx::query(
            "SELECT f.id, MIN(a.id) AS account_id FROM families f JOIN accounts a \
             ON a.family_id = f.id WHERE f.structure_id = $1 GROUP BY f.id ORDER BY f.id",
        )
        .bind(&structure_id)
        .fetch_all(&state.db.pool)
        .await
        .expect("families");
        let mut children = BTreeMap::new();
        let day: jiff::civil::Date = DAY.parse().expect("date");
        for f in &families {
            let family_id: String = f.get("id");
            let account_id: String = f.get("account_id");
            let rows =
                sqlx::query("SELECT child_id, first_name FROM children WHERE family_id = $1")
                    .bind(&family_id)
                    .fetch_all(&state.db.pool)
                    .await
                    .expect("children");
            let mut cells = Vec::new();
            for c in &rows {
                let child: String = c.get("child_id");
                children.insert(c.get::<String, _>("first_name"), child.clone());
                cells.push(CellKey::new(child, day, "cantine"));
            }
            demo_billing::book(
                state,
                &StructureId::new(structure_id.clone()),
                &FamilyId::new(family_id),
                &account_id,
                &cells,
            )
            .await
            .expect("bookings");
        }
        sqlx::query("UPDATE children SET allergies = $1, pai = 1 WHERE child_id = $2")
            .bind("[\"arachide\"]")
            .bind(&children["Léa"])
            .execute(&state.db.pool)
            .await
            .expect("allergy");
        sqlx::query(
            "INSERT INTO absences (doc_id, family_id, child_id, day, activity_id, rev, \
             declared_by, declared_at_ms, reason) SELECT doc_id, family_id, child_id, day, \
             activity_id, 'r1', 'parent', 0, 'malade' FROM booking_requests \
             WHERE child_id = $1 AND day = $2 AND activity_id = 'cantine'",
        )
        .bind(&children["Yanis"])
        .bind(DAY)
        .execute(&state.db.pool)
        .await
        .expect("absence");
        Demo {
            structure_id,
            children,
        }
    })
}
