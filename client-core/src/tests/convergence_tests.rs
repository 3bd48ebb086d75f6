//! Two to five devices of one family edit offline (bookings, withdrawals, dossier fields)
//! and sync in random orders against the fake server (which decides with the server's own
//! core). The devices that come back converge to the server's state, and every edit a sync
//! acknowledged is kept: the last acknowledged wish of each cell and field is what everyone
//! reads, and every current request is decided with the places counted.

use super::fake_server::{CAMILLE, CANTINE, LEA};
use super::{Family, MONDAY};
use crate::Client;
use cartable_domain::dossier::Dossier;
use cartable_domain::planning::{CellKey, RequestState};
use cartable_domain::school_year::SchoolYear;
use jiff::civil::Date;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Cells a device books and withdraws on its own (no other device writes them).
const OWN_CELLS: usize = 3;

/// What one device does next.
#[derive(Debug, Clone)]
enum Step {
    /// Books (`wanted`) or withdraws one of its own canteen days.
    Own {
        device: usize,
        cell: usize,
        wanted: bool,
    },
    /// Books or withdraws the one day every device writes (concurrent edits of one cell).
    Shared { device: usize, wanted: bool },
    /// Writes its own dossier field.
    Field { device: usize, value: u8 },
    /// Syncs: every edit made before is acknowledged.
    Sync { device: usize },
}

fn step(devices: usize) -> impl Strategy<Value = Step> {
    let d = 0..devices;
    prop_oneof![
        3 => (d.clone(), 0..OWN_CELLS, any::<bool>())
            .prop_map(|(device, cell, wanted)| Step::Own { device, cell, wanted }),
        1 => (d.clone(), any::<bool>()).prop_map(|(device, wanted)| Step::Shared { device, wanted }),
        1 => (d.clone(), any::<u8>()).prop_map(|(device, value)| Step::Field { device, value }),
        2 => d.prop_map(|device| Step::Sync { device }),
    ]
}

/// A family's devices, their scripts, and which of them come back at the end.
fn scenario() -> impl Strategy<Value = (usize, Vec<Step>, Vec<bool>)> {
    (2usize..=5).prop_flat_map(|devices| {
        (
            Just(devices),
            proptest::collection::vec(step(devices), 1..30),
            proptest::collection::vec(any::<bool>(), devices),
        )
    })
}

/// The dossier field each device writes (free text, one per device).
const FIELDS: [&str; 5] = ["school", "class", "medical_treatments", "doctor", "address"];

fn write_field(client: &Client, device: usize, value: &str) -> crate::Result<()> {
    match FIELDS[device] {
        "address" => client.set_adult_field(CAMILLE, "address", value),
        field => client.set_child_field(LEA, field, value),
    }
}

fn read_field(dossier: &Dossier, device: usize) -> String {
    match FIELDS[device] {
        "address" => dossier.adults[CAMILLE].address.clone(),
        "school" => dossier.children[LEA].school.clone(),
        "class" => dossier.children[LEA].class.clone(),
        "medical_treatments" => dossier.children[LEA].medical_treatments.clone(),
        _ => dossier.children[LEA].doctor.clone(),
    }
}

/// Canteen days from Monday 30 November on (Monday, Tuesday, Thursday, Friday).
fn canteen_days(n: usize) -> Vec<Date> {
    MONDAY
        .series(jiff::Span::new().days(1))
        .filter(|d| [1, 2, 4, 5].contains(&d.weekday().to_monday_one_offset()))
        .take(n)
        .collect()
}

/// A wish (book / withdraw a cell, a field's value) and whether a sync acknowledged it.
#[derive(Debug, Clone, Default)]
struct Wishes<T> {
    /// Per device: (value, acknowledged) in the order written.
    made: Vec<Vec<(T, bool)>>,
}

impl<T: Clone> Wishes<T> {
    fn new(devices: usize) -> Self {
        Self {
            made: vec![Vec::new(); devices],
        }
    }
    fn write(&mut self, device: usize, value: T) {
        self.made[device].push((value, false));
    }
    fn acknowledge(&mut self, device: usize) {
        for w in &mut self.made[device] {
            w.1 = true;
        }
    }
    /// The owner's last acknowledged value.
    fn last_acknowledged(&self, device: usize) -> Option<T> {
        self.made[device]
            .iter()
            .rev()
            .find(|(_, ack)| *ack)
            .map(|(v, _)| v.clone())
    }
}

fn run(devices: usize, steps: Vec<Step>, back: Vec<bool>) {
    let family = Family::new();
    let dirs: Vec<_> = (0..devices)
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    let clients: Vec<Client> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| family.device(dir.path(), &format!("Téléphone {i}")))
        .collect();
    let days = canteen_days(devices * OWN_CELLS + 1);
    let shared_day = days[devices * OWN_CELLS];
    let own_day = |device: usize, cell: usize| days[device * OWN_CELLS + cell];
    let mut own: BTreeMap<(usize, usize), Wishes<bool>> = BTreeMap::new();
    let mut shared: Wishes<bool> = Wishes::new(devices);
    let mut fields: Wishes<String> = Wishes::new(devices);

    for s in steps {
        match s {
            Step::Own {
                device,
                cell,
                wanted,
            } => {
                let written = if wanted {
                    clients[device].book(LEA, own_day(device, cell), CANTINE)
                } else {
                    clients[device].cancel(LEA, own_day(device, cell), CANTINE)
                };
                // A withdrawal of a day never asked for is refused on the phone: no edit.
                if written.is_ok() {
                    own.entry((device, cell))
                        .or_insert_with(|| Wishes::new(devices))
                        .write(device, wanted);
                }
            }
            Step::Shared { device, wanted } => {
                let written = if wanted {
                    clients[device].book(LEA, shared_day, CANTINE)
                } else {
                    clients[device].cancel(LEA, shared_day, CANTINE)
                };
                if written.is_ok() {
                    shared.write(device, wanted);
                }
            }
            Step::Field { device, value } => {
                let value = format!("valeur {value} du téléphone {device}");
                write_field(&clients[device], device, &value).expect("field written");
                fields.write(device, value);
            }
            Step::Sync { device } => {
                clients[device].sync().expect("sync");
                for wishes in own.values_mut() {
                    wishes.acknowledge(device);
                }
                shared.acknowledge(device);
                fields.acknowledge(device);
            }
        }
    }
    // Some devices come back (at least one): each syncs, then each again, so every one of
    // them has heard what the others sent.
    let mut survivors: Vec<usize> = (0..devices).filter(|d| back[*d]).collect();
    if survivors.is_empty() {
        survivors.push(0);
    }
    for _ in 0..2 {
        for d in &survivors {
            clients[*d].sync().expect("final sync");
            for wishes in own.values_mut() {
                wishes.acknowledge(*d);
            }
            shared.acknowledge(*d);
            fields.acknowledge(*d);
        }
    }

    let server_planning = family.server.planning(SchoolYear(2026));
    let server_dossier = family.server.dossier();
    // Converged: every device that came back reads what the server holds.
    let reference = clients[survivors[0]].planning(None).expect("planning");
    for d in &survivors {
        assert_eq!(clients[*d].planning(None).expect("planning"), reference);
        assert_eq!(clients[*d].dossier().expect("dossier"), server_dossier);
    }
    assert_eq!(reference.len(), server_planning.requests.len());
    let wanted_on = |day: Date| {
        server_planning
            .requests
            .get(&CellKey::new(LEA, day, CANTINE).encode())
            .map(|r| r.wanted)
    };
    // Every acknowledged edit kept: each own cell and field shows its owner's last
    // acknowledged wish (nobody else writes them).
    for device in 0..devices {
        for cell in 0..OWN_CELLS {
            let expected = own
                .get(&(device, cell))
                .and_then(|w| w.last_acknowledged(device));
            assert_eq!(
                wanted_on(own_day(device, cell)),
                expected,
                "device {device} cell {cell}"
            );
        }
        if let Some(value) = fields.last_acknowledged(device) {
            assert_eq!(
                read_field(&server_dossier, device),
                value,
                "field of {device}"
            );
        }
    }
    // The shared day holds one of the acknowledged wishes (the last writer wins), or none.
    let acknowledged: Vec<bool> = (0..devices)
        .flat_map(|d| shared.made[d].iter().filter(|(_, a)| *a).map(|(v, _)| *v))
        .collect();
    match wanted_on(shared_day) {
        Some(w) => assert!(
            acknowledged.contains(&w),
            "shared day {w} never acknowledged"
        ),
        None => assert!(
            acknowledged.is_empty(),
            "an acknowledged wish on the shared day lost"
        ),
    }
    // Every current request is decided, and the places match the decisions.
    for entry in &reference {
        assert_ne!(entry.state, RequestState::Pending, "{entry:?} undecided");
    }
    let mut held: BTreeMap<Date, i64> = BTreeMap::new();
    for (key, decision) in &server_planning.decisions {
        if decision.holds_place() {
            let cell = CellKey::decode(key).expect("key");
            *held.entry(cell.date).or_default() += 1;
        }
    }
    for day in days {
        assert_eq!(
            family.server.places(CANTINE, day),
            held.get(&day).copied().unwrap_or(0),
            "places on {day}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn devices_editing_offline_converge_and_keep_every_acknowledged_edit(
        (devices, steps, back) in scenario()
    ) {
        run(devices, steps, back);
    }
}
