//! What a family's device may write into its documents: the schema and size checks run on
//! the patches of a merge, as the server runs them before storing anything.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc};
use cartable_domain::DocKind;
use cartable_domain::dossier::{AdultRoles, AdultSheet, ChildSheet, Diet, Dossier, Submission};
use cartable_domain::planning::{AbsenceDeclaration, BookingRequest, CellKey, Planning};
use cartable_domain::school_year::SchoolYear;
use cartable_reconcile::validate::patches::{Context, check};
use cartable_reconcile::validate::{Limits, RefusalKind};

const PARENT: &str = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";
const OTHER_PARENT: &str = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
const CHILD: &str = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";

/// A document as the server creates it, and a device's copy of it.
fn created<T: autosurgeon::Reconcile>(value: &T) -> (AutoCommit, AutoCommit) {
    let mut server = AutoCommit::new();
    autosurgeon::reconcile(&mut server, value).expect("server writes");
    server.commit();
    let device = server.fork();
    (server, device)
}

fn dossier() -> (AutoCommit, AutoCommit) {
    created(&Dossier {
        family_id: "f1".into(),
        ..Default::default()
    })
}

fn planning() -> (AutoCommit, AutoCommit) {
    created(&Planning::new("f1", SchoolYear(2026)))
}

/// Merges the device's changes into the server copy and checks them as `author` would have
/// sent them, with `limits`.
fn merge_with(
    server: &mut AutoCommit,
    device: &mut AutoCommit,
    kind: DocKind,
    author: &str,
    limits: &Limits,
) -> Result<(), RefusalKind> {
    let before = server.get_heads();
    server.merge(device).expect("merge");
    let after = server.get_heads();
    let patches = server.diff(&before, &after);
    let ctx = Context {
        kind,
        author,
        limits,
    };
    check(server, &ctx, &patches).map_err(|r| {
        assert!(!r.message.is_empty());
        r.kind
    })
}

fn merge(
    server: &mut AutoCommit,
    device: &mut AutoCommit,
    kind: DocKind,
) -> Result<(), RefusalKind> {
    merge_with(server, device, kind, PARENT, &Limits::default())
}

fn map(doc: &AutoCommit, obj: &ObjId, key: &str) -> ObjId {
    match doc.get(obj, key).expect("read") {
        Some((automerge::Value::Object(_), id)) => id,
        other => panic!("{key} is not an object: {other:?}"),
    }
}

fn child_sheet(doc: &mut AutoCommit) -> ObjId {
    let children = map(doc, &ROOT, "children");
    let sheet = ChildSheet {
        first_name: "Léa".into(),
        last_name: "Martin".into(),
        birth_date: "2018-04-12".into(),
        diet: Diet::SansPorc,
        allergies: vec!["arachide".into()],
        pai: true,
        ..Default::default()
    };
    autosurgeon::reconcile_prop(doc, &children, CHILD, &sheet).expect("write sheet");
    map(doc, &children, CHILD)
}

#[test]
fn everything_an_honest_phone_writes_passes() {
    let (mut server, mut device) = dossier();
    child_sheet(&mut device);
    let adults = map(&device, &ROOT, "adults");
    let adult = AdultSheet {
        first_name: "Camille".into(),
        roles: AdultRoles {
            legal_guardian: true,
            ..Default::default()
        },
        quotient_familial: Some(850),
        account_id: Some(PARENT.into()),
        ..Default::default()
    };
    autosurgeon::reconcile_prop(&mut device, &adults, "a1", &adult).expect("adult");
    let submission = Submission {
        rev: "r1".into(),
        by: PARENT.into(),
        at_ms: 5,
    };
    autosurgeon::reconcile_prop(&mut device, ROOT, "submission", &submission).expect("submit");
    assert_eq!(merge(&mut server, &mut device, DocKind::Dossier), Ok(()));

    // Editing a field, removing a sheet, emptying a list.
    let sheet = map(&device, &map(&device, &ROOT, "children"), CHILD);
    device.put(&sheet, "school", "École Jaurès").expect("edit");
    let allergies = map(&device, &sheet, "allergies");
    device.delete(&allergies, 0).expect("empty list");
    device.delete(&adults, "a1").expect("remove adult");
    assert_eq!(merge(&mut server, &mut device, DocKind::Dossier), Ok(()));

    let (mut server, mut device) = planning();
    let key = CellKey::new(CHILD, jiff::civil::date(2026, 12, 7), "cantine").encode();
    let requests = map(&device, &ROOT, "requests");
    let request = BookingRequest {
        wanted: true,
        rev: "r1".into(),
        by: PARENT.into(),
        at_ms: 1,
    };
    autosurgeon::reconcile_prop(&mut device, &requests, key.as_str(), &request).expect("book");
    let absences = map(&device, &ROOT, "absences");
    let absence = AbsenceDeclaration {
        rev: "a1".into(),
        by: PARENT.into(),
        at_ms: 2,
        reason: "malade".into(),
        document_id: None,
    };
    autosurgeon::reconcile_prop(&mut device, &absences, key.as_str(), &absence).expect("absence");
    assert_eq!(merge(&mut server, &mut device, DocKind::Planning), Ok(()));
}

#[test]
fn a_whole_dossier_written_by_the_domain_types_fits_the_schema() {
    // Every field of every sheet, as autosurgeon writes them: a field added to the domain
    // types without the schema fails here.
    let (mut server, mut device) = dossier();
    let mut full = Dossier {
        family_id: "f1".into(),
        submission: Some(Submission {
            rev: "r".into(),
            by: PARENT.into(),
            at_ms: 1,
        }),
        ..Default::default()
    };
    full.children.insert(CHILD.into(), ChildSheet::default());
    full.adults.insert(
        "a1".into(),
        AdultSheet {
            quotient_familial: Some(1),
            account_id: Some("x".into()),
            ..Default::default()
        },
    );
    autosurgeon::reconcile(&mut device, &full).expect("write");
    assert_eq!(merge(&mut server, &mut device, DocKind::Dossier), Ok(()));
}

#[test]
fn wrong_types_are_refused() {
    type Forge = fn(&mut AutoCommit, &ObjId);
    let cases: Vec<(&str, Forge)> = vec![
        ("a number for a name", |d, s| {
            d.put(s, "first_name", 42).expect("put");
        }),
        ("an unknown diet", |d, s| {
            d.put(s, "diet", "halal").expect("put");
        }),
        ("a string for a flag", |d, s| {
            d.put(s, "pai", "oui").expect("put");
        }),
        ("a map for a name", |d, s| {
            d.put_object(s, "doctor", ObjType::Map).expect("put");
        }),
        ("a number in the allergies", |d, s| {
            let list = map(d, s, "allergies");
            d.insert(&list, 0, 7).expect("insert");
        }),
        ("a field no sheet has", |d, s| {
            d.put(s, "religion", "x").expect("put");
        }),
        ("a deleted field", |d, s| {
            d.delete(s, "first_name").expect("delete");
        }),
        ("a counter", |d, s| {
            d.put(s, "pai", automerge::ScalarValue::counter(1))
                .expect("put");
        }),
    ];
    for (what, forge) in cases {
        let (mut server, mut device) = dossier();
        child_sheet(&mut device);
        merge(&mut server, &mut device, DocKind::Dossier).expect("honest sheet");
        let sheet = map(&device, &map(&device, &ROOT, "children"), CHILD);
        forge(&mut device, &sheet);
        assert_eq!(
            merge(&mut server, &mut device, DocKind::Dossier),
            Err(RefusalKind::Invalid),
            "{what}"
        );
    }
}

#[test]
fn an_automerge_text_where_a_string_is_expected_is_refused() {
    let (mut server, mut device) = dossier();
    child_sheet(&mut device);
    merge(&mut server, &mut device, DocKind::Dossier).expect("honest sheet");
    let sheet = map(&device, &map(&device, &ROOT, "children"), CHILD);
    let text = device
        .put_object(&sheet, "first_name", ObjType::Text)
        .expect("text");
    device.splice_text(&text, 0, 0, "Léa").expect("splice");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Dossier),
        Err(RefusalKind::Invalid)
    );
    // Also as a list item.
    let (mut server, mut device) = dossier();
    child_sheet(&mut device);
    merge(&mut server, &mut device, DocKind::Dossier).expect("honest sheet");
    let sheet = map(&device, &map(&device, &ROOT, "children"), CHILD);
    let allergies = map(&device, &sheet, "allergies");
    let item = device
        .insert_object(&allergies, 0, ObjType::Text)
        .expect("text item");
    device.splice_text(&item, 0, 0, "lait").expect("splice");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Dossier),
        Err(RefusalKind::Invalid)
    );
}

#[test]
fn root_maps_are_never_replaced_or_deleted() {
    for key in ["children", "adults", "review"] {
        let (mut server, mut device) = dossier();
        device.put_object(ROOT, key, ObjType::Map).expect("replace");
        assert_eq!(
            merge(&mut server, &mut device, DocKind::Dossier),
            Err(RefusalKind::Invalid),
            "{key} replaced"
        );
    }
    for key in ["requests", "decisions", "absences"] {
        let (mut server, mut device) = planning();
        device.delete(ROOT, key).expect("delete");
        assert_eq!(
            merge(&mut server, &mut device, DocKind::Planning),
            Err(RefusalKind::Invalid),
            "{key} deleted"
        );
    }
    let (mut server, mut device) = planning();
    device.put(ROOT, "requests", "plus rien").expect("clobber");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Planning),
        Err(RefusalKind::Invalid)
    );
    let (mut server, mut device) = planning();
    device.put(ROOT, "nouveau", 1).expect("unknown root key");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Planning),
        Err(RefusalKind::Invalid)
    );
}

#[test]
fn writes_to_server_only_values_pass_to_compensation() {
    let (mut server, mut device) = planning();
    let decisions = map(&device, &ROOT, "decisions");
    device.put(&decisions, "invented", "x").expect("forge");
    device.put(ROOT, "family_id", "autre").expect("forge");
    assert_eq!(merge(&mut server, &mut device, DocKind::Planning), Ok(()));
}

#[test]
fn requests_and_absences_are_the_senders_and_well_formed() {
    let key = CellKey::new(CHILD, jiff::civil::date(2026, 12, 7), "cantine").encode();
    let request = |by: &str| BookingRequest {
        wanted: true,
        rev: "r1".into(),
        by: by.into(),
        at_ms: 1,
    };
    let (mut server, mut device) = planning();
    let requests = map(&device, &ROOT, "requests");
    autosurgeon::reconcile_prop(&mut device, &requests, key.as_str(), request(OTHER_PARENT))
        .expect("forge");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Planning),
        Err(RefusalKind::Invalid),
        "in another parent's name"
    );

    let (mut server, mut device) = planning();
    let requests = map(&device, &ROOT, "requests");
    autosurgeon::reconcile_prop(&mut device, &requests, "pas une case", request(PARENT))
        .expect("bad key");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Planning),
        Err(RefusalKind::Invalid),
        "a key that is not a cell"
    );

    let (mut server, mut device) = planning();
    let requests = map(&device, &ROOT, "requests");
    device
        .put(&requests, key.as_str(), "{}")
        .expect("empty json");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Planning),
        Err(RefusalKind::Invalid)
    );

    // An absence without its revision would make the whole planning unreadable.
    let (mut server, mut device) = planning();
    let absences = map(&device, &ROOT, "absences");
    let absence = device
        .put_object(&absences, key.as_str(), ObjType::Map)
        .expect("absence");
    device.put(&absence, "reason", "malade").expect("reason");
    device.put(&absence, "by", PARENT).expect("by");
    device.put(&absence, "at_ms", 3).expect("at");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Planning),
        Err(RefusalKind::Invalid)
    );
}

#[test]
fn strings_lists_and_maps_are_bounded() {
    let limits = Limits {
        max_string_bytes: 64,
        max_list_items: 3,
        max_map_keys: 4,
        ..Limits::default()
    };
    let (mut server, mut device) = dossier();
    let sheet = child_sheet(&mut device);
    merge_with(&mut server, &mut device, DocKind::Dossier, PARENT, &limits).expect("small");
    device.put(&sheet, "doctor", "x".repeat(65)).expect("long");
    assert_eq!(
        merge_with(&mut server, &mut device, DocKind::Dossier, PARENT, &limits),
        Err(RefusalKind::TooLarge)
    );

    let (mut server, mut device) = dossier();
    let sheet = child_sheet(&mut device);
    let allergies = map(&device, &sheet, "allergies");
    for i in 0..3 {
        device
            .insert(&allergies, 0, format!("a{i}"))
            .expect("insert");
    }
    assert_eq!(
        merge_with(&mut server, &mut device, DocKind::Dossier, PARENT, &limits),
        Err(RefusalKind::TooLarge)
    );

    let (mut server, mut device) = dossier();
    let children = map(&device, &ROOT, "children");
    for i in 0..5 {
        device
            .put_object(&children, format!("c{i}"), ObjType::Map)
            .expect("sheet");
    }
    assert_eq!(
        merge_with(&mut server, &mut device, DocKind::Dossier, PARENT, &limits),
        Err(RefusalKind::TooLarge)
    );
}

#[test]
fn a_bad_value_hidden_in_a_conflict_is_refused_too() {
    let (mut server, mut device) = dossier();
    child_sheet(&mut device);
    merge(&mut server, &mut device, DocKind::Dossier).expect("honest sheet");
    let mut honest = server.fork();
    let mut hostile = server.fork();
    let sheet = map(&honest, &map(&honest, &ROOT, "children"), CHILD);
    honest
        .put(&sheet, "doctor", "Dr Durand")
        .expect("honest edit");
    merge(&mut server, &mut honest, DocKind::Dossier).expect("honest edit passes");
    // Concurrent with the honest edit: whichever value wins, the number is seen.
    hostile.put(&sheet, "doctor", 12).expect("forge");
    assert_eq!(
        merge(&mut server, &mut hostile, DocKind::Dossier),
        Err(RefusalKind::Invalid)
    );
}

#[test]
fn any_write_to_a_read_only_document_is_refused() {
    let (mut server, mut device) = created(&cartable_domain::catalogue::Catalogue::default());
    device.put(ROOT, "structure_name", "Piraté").expect("forge");
    assert_eq!(
        merge(&mut server, &mut device, DocKind::Catalogue),
        Err(RefusalKind::ReadOnly)
    );
}
