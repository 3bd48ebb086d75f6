-- Mes Factures: attendance, quotient familial history, invoices and their numbering,
-- payments, and the republication of each family's ledger document.

-- Attendance ("pointage") taken by staff per child, activity and day.
CREATE TABLE attendance (
    structure_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    day TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('present', 'absent', 'absent_justified')),
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    PRIMARY KEY (structure_id, activity_id, day, child_id)
);
CREATE INDEX attendance_family ON attendance(family_id, day);

-- The quotient familial in force from a month on (a change applies from the next month).
CREATE TABLE family_quotients (
    family_id TEXT NOT NULL,
    from_month TEXT NOT NULL,
    qf INTEGER,
    recorded_by TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    PRIMARY KEY (family_id, from_month)
);

-- The last number given per structure, year and kind of document; locked while issuing so
-- numbers follow each other with no gap, also across server processes.
CREATE TABLE invoice_counters (
    structure_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (structure_id, year, kind)
);

-- Issued invoices, credit notes and statements. A row is never changed once written,
-- except for the key of its PDF in the object store (a PDF is a pure function of `content`).
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note', 'statement')),
    number TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    -- The month a monthly run issued this for (NULL for a credit note staff issued).
    run_month TEXT,
    issued_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    refers_to TEXT NOT NULL,
    reason TEXT NOT NULL,
    content TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at_ms INTEGER NOT NULL,
    pdf_key TEXT,
    pdf_sha256 TEXT,
    UNIQUE (structure_id, kind, year, seq),
    UNIQUE (structure_id, number),
    UNIQUE (family_id, run_month)
);
CREATE INDEX invoices_structure_month ON invoices(structure_id, run_month);

-- Payments received by the structure (staff-recorded or from an online provider).
CREATE TABLE payments (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    method TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    received_on TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    reference TEXT NOT NULL,
    provider TEXT,
    provider_ref TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    UNIQUE (provider, provider_ref)
);
CREATE INDEX payments_family ON payments(family_id);
CREATE INDEX payments_structure ON payments(structure_id, received_on);

-- Each family's ledger document is republished when `wanted` moved past `published`.
CREATE TABLE ledger_publications (
    family_id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL,
    wanted INTEGER NOT NULL,
    published INTEGER NOT NULL
);
CREATE INDEX ledger_publications_stale ON ledger_publications(structure_id, published, wanted);
