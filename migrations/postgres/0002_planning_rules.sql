-- Places taken per activity and day, counted under a row lock so capacity is never exceeded.
CREATE TABLE activity_places (
    structure_id TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    day TEXT NOT NULL,
    taken BIGINT NOT NULL,
    PRIMARY KEY (structure_id, activity_id, day)
);

-- Who read or changed sensitive data (health, diet) and when: append-only.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    structure_id TEXT NOT NULL,
    action TEXT NOT NULL,
    family_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_structure ON audit_log(structure_id, at_ms);

-- Absences declared by parents for booked days, and whether each day is billed.
CREATE TABLE absences (
    doc_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    day TEXT NOT NULL,
    activity_id TEXT NOT NULL,
    rev TEXT NOT NULL,
    declared_by TEXT NOT NULL,
    declared_at_ms BIGINT NOT NULL,
    reason TEXT NOT NULL,
    document_id TEXT,
    billed BIGINT,
    outcome_reason TEXT,
    decided_at_ms BIGINT,
    PRIMARY KEY (doc_id, child_id, day, activity_id)
);
CREATE INDEX absences_family ON absences(family_id);
