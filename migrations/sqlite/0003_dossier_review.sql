-- Dossier review ("Je valide mes modifications"): each submitted version of a family's dossier,
-- named by its Automerge heads, and what staff decided about it.
CREATE TABLE dossier_versions (
    id INTEGER PRIMARY KEY,
    family_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    -- The submission's `rev`, answered by `review.rev` in the document.
    rev TEXT NOT NULL,
    -- JSON list of hex change hashes: the dossier as the parent submitted it.
    heads TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at_ms INTEGER NOT NULL,
    -- superseded: a newer submission arrived before staff answered this one.
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
    reviewed_by TEXT,
    reviewed_at_ms INTEGER,
    reason TEXT,
    -- JSON list of the supporting documents asked for (e.g. qf_certificate).
    requested_documents TEXT NOT NULL
);
CREATE INDEX dossier_versions_family ON dossier_versions(family_id, id);
CREATE INDEX dossier_versions_status ON dossier_versions(status, family_id);

-- Which device (and so which account) sent the changes of each Automerge actor, so that staff
-- see who changed each field. The first device to send an actor's changes owns it.
CREATE TABLE device_actors (
    actor_hex TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL
);
