//! The shape of each writable document, as the phone and the server read it.
//!
//! Scalars are checked by the very domain type that reads them ([`reads_as`]): a field is
//! valid when `autosurgeon` can hydrate it into the type the dossier or planning declares, so
//! an integer where a `u32` is expected, an unknown diet or an Automerge Text where a string
//! is expected are refused here exactly as they would fail on an honest phone. Tests check
//! that every document the domain types write passes, so a new field is added here too.

use automerge::ScalarValue;
use autosurgeon::Hydrate;
use cartable_domain::DocKind;
use cartable_domain::dossier::Diet;
use cartable_domain::planning::{BookingRequest, CellKey};
use std::fmt;

/// What a value of a document must be.
#[derive(Debug)]
pub enum Shape {
    /// A scalar the domain type reads.
    Scalar(Scalar),
    /// The account id of the parent who wrote the value (`by`): it must name the sender.
    Author,
    /// A map with these fields only.
    Record(&'static [Field]),
    /// A map keyed by ids or cell keys, each holding a value of the shape.
    Dict(KeyKind, &'static Shape),
    /// A list of values of the shape.
    List(&'static Shape),
    /// Null, or a value of the shape.
    Optional(&'static Shape),
    /// A planning cell: one JSON string, or (documents of earlier builds) a map of fields.
    Cell(Json, &'static Shape),
    /// Written by the server only; compensation writes back whatever a device puts there.
    ServerOnly,
}

/// One field of a [`Shape::Record`].
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub shape: &'static Shape,
    /// The domain type cannot be read without it.
    pub required: bool,
}

/// A scalar check, with what it expects in words.
pub struct Scalar {
    /// French, e.g. "un texte".
    pub expected: &'static str,
    pub accepts: fn(&ScalarValue) -> bool,
}

impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }
}

/// A JSON string check: `check(text, author)` says what is wrong, in French.
pub struct Json {
    pub expected: &'static str,
    pub check: fn(&str, &str) -> Result<(), String>,
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expected)
    }
}

/// What the keys of a [`Shape::Dict`] look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// An id (`[0-9a-z_-]`, 1 to 64 characters).
    Id,
    /// A planning cell key, `child|YYYY-MM-DD|activity`.
    Cell,
}

impl KeyKind {
    pub fn accepts(self, key: &str) -> bool {
        match self {
            KeyKind::Id => cartable_domain::ids::is_valid_id(key),
            KeyKind::Cell => CellKey::decode(key).is_ok(),
        }
    }

    pub fn expected(self) -> &'static str {
        match self {
            KeyKind::Id => "un identifiant",
            KeyKind::Cell => "une case « enfant|AAAA-MM-JJ|activité »",
        }
    }
}

/// True when the domain type `T` reads `value`.
pub fn reads_as<T: Hydrate>(value: &ScalarValue) -> bool {
    match value {
        ScalarValue::Str(s) => T::hydrate_string(s).is_ok(),
        ScalarValue::Boolean(b) => T::hydrate_bool(*b).is_ok(),
        ScalarValue::Int(i) => T::hydrate_int(*i).is_ok(),
        ScalarValue::Uint(u) => T::hydrate_uint(*u).is_ok(),
        ScalarValue::F64(f) => T::hydrate_f64(*f).is_ok(),
        ScalarValue::Counter(c) => T::hydrate_counter(c.into()).is_ok(),
        ScalarValue::Timestamp(t) => T::hydrate_timestamp(*t).is_ok(),
        ScalarValue::Bytes(b) => T::hydrate_bytes(b).is_ok(),
        ScalarValue::Null => T::hydrate_none().is_ok(),
        ScalarValue::Unknown { type_code, bytes } => T::hydrate_unknown(*type_code, bytes).is_ok(),
    }
}

const fn field(name: &'static str, shape: &'static Shape) -> Field {
    Field {
        name,
        shape,
        required: false,
    }
}

const fn required(name: &'static str, shape: &'static Shape) -> Field {
    Field {
        name,
        shape,
        required: true,
    }
}

const fn server(name: &'static str) -> Field {
    field(name, &SERVER_ONLY)
}

static SERVER_ONLY: Shape = Shape::ServerOnly;
static AUTHOR: Shape = Shape::Author;
static TEXT: Shape = Shape::Scalar(Scalar {
    expected: "un texte",
    accepts: reads_as::<String>,
});
static BOOL: Shape = Shape::Scalar(Scalar {
    expected: "oui ou non",
    accepts: reads_as::<bool>,
});
static MILLIS: Shape = Shape::Scalar(Scalar {
    expected: "un entier",
    accepts: reads_as::<i64>,
});
static U32: Shape = Shape::Scalar(Scalar {
    expected: "un entier positif",
    accepts: reads_as::<u32>,
});
static DIET: Shape = Shape::Scalar(Scalar {
    expected: "un régime connu",
    accepts: reads_as::<Diet>,
});
static OPTIONAL_TEXT: Shape = Shape::Optional(&TEXT);
static OPTIONAL_U32: Shape = Shape::Optional(&U32);
static TEXT_LIST: Shape = Shape::List(&TEXT);

static CHILD: Shape = Shape::Record(&[
    field("first_name", &TEXT),
    field("last_name", &TEXT),
    field("birth_date", &TEXT),
    field("school", &TEXT),
    field("class", &TEXT),
    field("diet", &DIET),
    field("allergies", &TEXT_LIST),
    field("pai", &BOOL),
    field("medical_treatments", &TEXT),
    field("doctor", &TEXT),
    field("vaccinations_up_to_date", &BOOL),
    field("image_authorisation", &BOOL),
    field("may_leave_alone", &BOOL),
]);
static ROLES: Shape = Shape::Record(&[
    field("legal_guardian", &BOOL),
    field("may_pick_up", &BOOL),
    field("billing", &BOOL),
    field("emergency_contact", &BOOL),
]);
static ADULT: Shape = Shape::Record(&[
    field("first_name", &TEXT),
    field("last_name", &TEXT),
    field("mobile_phone", &TEXT),
    field("home_phone", &TEXT),
    field("work_phone", &TEXT),
    field("email", &TEXT),
    field("address", &TEXT),
    field("roles", &ROLES),
    field("quotient_familial", &OPTIONAL_U32),
    field("caf_number", &TEXT),
    field("account_id", &OPTIONAL_TEXT),
]);
static SUBMISSION: Shape = Shape::Record(&[
    field("rev", &TEXT),
    field("by", &AUTHOR),
    field("at_ms", &MILLIS),
]);
static OPTIONAL_SUBMISSION: Shape = Shape::Optional(&SUBMISSION);
static CHILDREN: Shape = Shape::Dict(KeyKind::Id, &CHILD);
static ADULTS: Shape = Shape::Dict(KeyKind::Id, &ADULT);

/// The dossier: sheets and the submission are the family's; `review`, `family_id` and
/// `authors` (who is behind each actor, for conflicts) the server's.
pub static DOSSIER: Shape = Shape::Record(&[
    server("family_id"),
    server("authors"),
    field("children", &CHILDREN),
    field("adults", &ADULTS),
    server("review"),
    field("submission", &OPTIONAL_SUBMISSION),
]);

/// A request as documents of earlier builds hold it: a map of fields.
static REQUEST_FIELDS: Shape = Shape::Record(&[
    required("wanted", &BOOL),
    required("rev", &TEXT),
    required("by", &AUTHOR),
    required("at_ms", &MILLIS),
]);
static REQUEST: Shape = Shape::Cell(
    Json {
        expected: "une demande de réservation",
        check: booking_request,
    },
    &REQUEST_FIELDS,
);
static ABSENCE: Shape = Shape::Record(&[
    required("rev", &TEXT),
    required("by", &AUTHOR),
    required("at_ms", &MILLIS),
    field("reason", &TEXT),
    field("document_id", &OPTIONAL_TEXT),
]);
static REQUESTS: Shape = Shape::Dict(KeyKind::Cell, &REQUEST);
static ABSENCES: Shape = Shape::Dict(KeyKind::Cell, &ABSENCE);

/// The planning: requests and absences are the family's; decisions, outcomes, `family_id` and
/// `school_year` the server's.
pub static PLANNING: Shape = Shape::Record(&[
    server("family_id"),
    server("school_year"),
    field("requests", &REQUESTS),
    server("decisions"),
    field("absences", &ABSENCES),
    server("absence_decisions"),
]);

/// A booking request as one JSON string, written by the sender.
fn booking_request(text: &str, author: &str) -> Result<(), String> {
    let request: BookingRequest = serde_json::from_str(text)
        .map_err(|e| format!("une demande de réservation attendue ({e})"))?;
    if request.rev.is_empty() {
        return Err("une demande de réservation sans révision".into());
    }
    if request.by != author {
        return Err("une demande écrite au nom d'un autre compte".into());
    }
    Ok(())
}

/// The shape of a document families may write; `None` for read-only ones.
pub fn root(kind: DocKind) -> Option<&'static Shape> {
    match kind {
        DocKind::Dossier => Some(&DOSSIER),
        DocKind::Planning => Some(&PLANNING),
        DocKind::Catalogue | DocKind::Ledger => None,
    }
}

impl Shape {
    /// The field `name` of a record.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        match self {
            Shape::Record(fields) => fields.iter().find(|f| f.name == name),
            _ => None,
        }
    }

    /// The shape itself, or what an optional value holds.
    pub fn unwrap_optional(&self) -> &Shape {
        match self {
            Shape::Optional(inner) => inner,
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_only_fields_are_the_domains_server_only_keys() {
        for kind in [DocKind::Dossier, DocKind::Planning] {
            let Some(Shape::Record(fields)) = root(kind) else {
                panic!("{kind:?} is a record");
            };
            let mut ours: Vec<&str> = fields
                .iter()
                .filter(|f| matches!(f.shape, Shape::ServerOnly))
                .map(|f| f.name)
                .collect();
            let mut domain = kind.server_only_keys().to_vec();
            ours.sort();
            domain.sort();
            assert_eq!(ours, domain, "{kind:?}");
        }
        assert!(root(DocKind::Catalogue).is_none());
    }

    #[test]
    fn scalars_are_checked_by_the_domain_types() {
        assert!(reads_as::<String>(&ScalarValue::Str("x".into())));
        assert!(!reads_as::<String>(&ScalarValue::Int(1)));
        assert!(reads_as::<u32>(&ScalarValue::Uint(850)));
        assert!(!reads_as::<u32>(&ScalarValue::Int(850)));
        assert!(!reads_as::<u32>(&ScalarValue::Uint(u64::MAX)));
        assert!(reads_as::<Diet>(&ScalarValue::Str("SansPorc".into())));
        assert!(!reads_as::<Diet>(&ScalarValue::Str("halal".into())));
        assert!(!reads_as::<bool>(&ScalarValue::Str("oui".into())));
    }

    #[test]
    fn a_request_cell_must_be_the_senders_request() {
        let ok = r#"{"wanted":true,"rev":"r1","by":"a1","at_ms":0}"#;
        assert_eq!(booking_request(ok, "a1"), Ok(()));
        assert!(booking_request(ok, "a2").is_err());
        assert!(booking_request("{pas du json", "a1").is_err());
        assert!(
            booking_request(r#"{"wanted":"oui","rev":"r","by":"a1","at_ms":0}"#, "a1").is_err()
        );
        assert!(KeyKind::Cell.accepts("c1|2026-12-07|cantine"));
        assert!(!KeyKind::Cell.accepts("c1|07/12/2026|cantine"));
        assert!(!KeyKind::Id.accepts("Élodie"));
    }
}
