-- Structures, families, logins, devices, synced documents and their projections.

CREATE TABLE structures (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE families (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL REFERENCES structures(id),
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX families_structure ON families(structure_id);

-- Parents (family_id set) and staff (family_id NULL) log in with their own account.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL REFERENCES structures(id),
    family_id TEXT REFERENCES families(id),
    login TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('parent', 'staff_admin', 'staff_agent')),
    created_at_ms INTEGER NOT NULL
);

-- One row per signed-in device; the token itself is never stored, only its SHA-256.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    last_seen_ms INTEGER,
    revoked_at_ms INTEGER
);
CREATE INDEX devices_account ON devices(account_id);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL REFERENCES structures(id),
    family_id TEXT REFERENCES families(id),
    kind TEXT NOT NULL,
    school_year TEXT,
    version INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX documents_owner ON documents(structure_id, family_id);

-- Automerge storage: a snapshot and the incremental chunks saved after it.
CREATE TABLE document_chunks (
    doc_id TEXT NOT NULL REFERENCES documents(id),
    seq INTEGER NOT NULL,
    is_snapshot INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
);

-- Automerge sync state (shared heads) per device and document.
CREATE TABLE sync_states (
    device_id TEXT NOT NULL REFERENCES devices(id),
    doc_id TEXT NOT NULL REFERENCES documents(id),
    state BLOB NOT NULL,
    PRIMARY KEY (device_id, doc_id)
);

-- Writes by a device that the server undid.
CREATE TABLE compensations (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    paths TEXT NOT NULL
);

-- Projections of the documents, rebuilt from them on demand.
CREATE TABLE children (
    family_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    school TEXT NOT NULL,
    class TEXT NOT NULL,
    diet TEXT NOT NULL,
    allergies TEXT NOT NULL,
    pai INTEGER NOT NULL,
    medical_treatments TEXT NOT NULL,
    doctor TEXT NOT NULL,
    vaccinations_up_to_date INTEGER NOT NULL,
    image_authorisation INTEGER NOT NULL,
    may_leave_alone INTEGER NOT NULL,
    PRIMARY KEY (family_id, child_id)
);

CREATE TABLE adults (
    family_id TEXT NOT NULL,
    adult_id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    mobile_phone TEXT NOT NULL,
    home_phone TEXT NOT NULL,
    work_phone TEXT NOT NULL,
    email TEXT NOT NULL,
    address TEXT NOT NULL,
    legal_guardian INTEGER NOT NULL,
    may_pick_up INTEGER NOT NULL,
    billing INTEGER NOT NULL,
    emergency_contact INTEGER NOT NULL,
    quotient_familial INTEGER,
    caf_number TEXT NOT NULL,
    account_id TEXT,
    PRIMARY KEY (family_id, adult_id)
);

CREATE TABLE booking_requests (
    doc_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    day TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    wanted INTEGER NOT NULL,
    rev TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    outcome TEXT,
    reason TEXT,
    decided_at_ms INTEGER,
    PRIMARY KEY (doc_id, child_id, day, activity_id)
);
CREATE INDEX booking_requests_day ON booking_requests(activity_id, day);
CREATE INDEX booking_requests_family ON booking_requests(family_id);
