//! The demo structure: a town hall with a school, two families of two children, two parent
//! logins per family, a staff administrator and an agent, last month invoiced (see
//! `demo_billing`).
//! Created once, reopened afterwards.

use crate::AppState;
use crate::admin::{self, Credentials, NewLogin};
use crate::db::accounts;
use crate::error::AppResult;
use cartable_domain::catalogue::{AbsenceRule, Catalogue, Closure, Contact, DeadlineRule};
use cartable_domain::dossier::{ChildSheet, Diet};

pub const STRUCTURE_NAME: &str = "Mairie de Saint-Aubin-sur-Loire";
/// Demo passwords are public: they only ever protect demo data.
pub const PARENT_PASSWORD: &str = "demo-parent";
pub const STAFF_PASSWORD: &str = "demo-admin";
pub const AGENT_PASSWORD: &str = "demo-agent";

/// A demo login as printed at start-up.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: &'static str,
    pub family: Option<&'static str>,
    pub credentials: Credentials,
}

fn login(first: &str, last: &str, login: &str, password: &str) -> NewLogin {
    NewLogin {
        first_name: first.into(),
        last_name: last.into(),
        login: login.into(),
        password: Some(password.into()),
    }
}

fn child(first: &str, last: &str, birth: &str, class: &str, diet: Diet) -> ChildSheet {
    ChildSheet {
        first_name: first.into(),
        last_name: last.into(),
        birth_date: birth.into(),
        school: "École élémentaire Jules-Ferry".into(),
        class: class.into(),
        diet,
        image_authorisation: true,
        vaccinations_up_to_date: true,
        ..Default::default()
    }
}

struct DemoFamily {
    name: &'static str,
    parents: [NewLogin; 2],
    children: [ChildSheet; 2],
}

fn families() -> [DemoFamily; 2] {
    [
        DemoFamily {
            name: "Famille Martin",
            parents: [
                login("Camille", "Martin", "camille.martin", PARENT_PASSWORD),
                login("Julien", "Martin", "julien.martin", PARENT_PASSWORD),
            ],
            children: [
                child("Léa", "Martin", "2017-03-14", "CM1", Diet::Standard),
                child("Hugo", "Martin", "2019-10-02", "CE1", Diet::SansPorc),
            ],
        },
        DemoFamily {
            name: "Famille Benali",
            parents: [
                login("Samira", "Benali", "samira.benali", PARENT_PASSWORD),
                login("Karim", "Benali", "karim.benali", PARENT_PASSWORD),
            ],
            children: [
                child("Inès", "Benali", "2018-06-21", "CE2", Diet::Vegetarien),
                child("Yanis", "Benali", "2020-01-30", "CP", Diet::Standard),
            ],
        },
    ]
}

fn days_before(days: u32, at: &str, skip_weekends: bool) -> DeadlineRule {
    DeadlineRule::DaysBefore {
        days,
        at: at.into(),
        skip_weekends,
        skip_public_holidays: skip_weekends,
        skip_weekdays: vec![],
    }
}

/// Rules seen in real town halls (see DOMAIN.md): canteen two working days ahead at noon,
/// childcare the day before at 18:00, Wednesday centre Thursday noon the week before with
/// 24 places, Christmas and winter holidays closed. The load generator's structures use them
/// too, with places for their number of families.
pub fn demo_rules(c: &mut Catalogue) {
    for (id, activity) in c.activities.iter_mut() {
        match id.as_str() {
            "cantine" => {
                activity.start_time = "11:45".into();
                activity.capacity = Some(120);
                activity.booking_rules = vec![days_before(2, "12:00", true)];
                activity.cancel_rules = vec![days_before(2, "12:00", true)];
                activity.absence = AbsenceRule {
                    same_day_billed: true,
                    free_before: "10:00".into(),
                    medical_note_days: 7,
                    billed_days_even_with_note: 0,
                };
            }
            "garderie-matin" | "garderie-soir" => {
                activity.start_time = if id == "garderie-matin" {
                    "07:30"
                } else {
                    "16:30"
                }
                .into();
                activity.booking_rules = vec![days_before(1, "18:00", false)];
                activity.cancel_rules = vec![days_before(1, "18:00", false)];
            }
            "mercredi" => {
                activity.start_time = "08:30".into();
                activity.capacity = Some(24);
                activity.eligibility.min_age_years = Some(3);
                activity.eligibility.max_age_years = Some(12);
                let thursday_before = DeadlineRule::WeekdayOfPreviousWeek {
                    weekday: 4,
                    at: "12:00".into(),
                    weeks_before: 1,
                };
                activity.booking_rules = vec![thursday_before.clone()];
                activity.cancel_rules = vec![thursday_before];
            }
            _ => {}
        }
    }
    c.closures = vec![
        Closure {
            from: "2026-12-19".into(),
            to: "2027-01-03".into(),
            label: "Vacances de Noël".into(),
            activities: vec![],
        },
        Closure {
            from: "2027-02-20".into(),
            to: "2027-03-07".into(),
            label: "Vacances d'hiver".into(),
            activities: vec![],
        },
    ];
}

/// Creates the demo structure unless it exists; returns the demo logins either way.
pub async fn ensure_demo(state: &AppState) -> AppResult<Vec<DemoLogin>> {
    let exists = accounts::structure_by_name(&state.db, STRUCTURE_NAME)
        .await?
        .is_some();
    if !exists {
        let structure_id = admin::create_structure(
            state,
            STRUCTURE_NAME,
            Contact {
                phone: "02 40 00 00 00".into(),
                email: "periscolaire@saint-aubin.example".into(),
                address: "1 place de la Mairie, 44000 Saint-Aubin-sur-Loire".into(),
                opening_hours: "Lundi au vendredi, 8 h 30 – 12 h".into(),
            },
        )
        .await?;
        crate::docs::catalogue::update(state, &structure_id, |c| {
            demo_rules(c);
            crate::demo_billing::demo_billing_rules(c);
            Ok(())
        })
        .await?;
        let staff = admin::create_staff(
            state,
            &structure_id,
            &login("Nadia", "Leroy", "admin", STAFF_PASSWORD),
            true,
        )
        .await?;
        let staff = accounts::account_by_login(&state.db, &staff.login)
            .await?
            .ok_or_else(|| crate::error::AppError::internal("compte admin introuvable"))?;
        crate::demo_publications::publish(state, &structure_id, &staff.id).await?;
        let mut billed = Vec::new();
        for (f, qf) in families().into_iter().zip([820, 540]) {
            let (family_id, _) =
                admin::create_family(state, &structure_id, f.name, &f.parents, &f.children).await?;
            billed.push((family_id, qf));
        }
        crate::demo_billing::fill_last_month(state, &structure_id, &staff.id, &billed).await?;
    }
    // The agent came later than the demo's first version: created on its own.
    if accounts::account_by_login(&state.db, "agent")
        .await?
        .is_none()
        && let Some(structure_id) = accounts::structure_by_name(&state.db, STRUCTURE_NAME).await?
    {
        admin::create_staff(
            state,
            &cartable_domain::ids::StructureId::new(structure_id),
            &login("Paul", "Girard", "agent", AGENT_PASSWORD),
            false,
        )
        .await?;
    }
    let mut logins = vec![
        DemoLogin {
            role: "personnel (administratrice)",
            family: None,
            credentials: Credentials {
                login: "admin".into(),
                password: STAFF_PASSWORD.into(),
                display_name: "Nadia Leroy".into(),
            },
        },
        DemoLogin {
            role: "personnel (agent)",
            family: None,
            credentials: Credentials {
                login: "agent".into(),
                password: AGENT_PASSWORD.into(),
                display_name: "Paul Girard".into(),
            },
        },
    ];
    for f in families() {
        for p in f.parents {
            logins.push(DemoLogin {
                role: "parent",
                family: Some(f.name),
                credentials: Credentials {
                    login: p.login,
                    password: PARENT_PASSWORD.into(),
                    display_name: format!("{} {}", p.first_name, p.last_name),
                },
            });
        }
    }
    Ok(logins)
}
