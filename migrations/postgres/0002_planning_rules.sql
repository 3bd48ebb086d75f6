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
