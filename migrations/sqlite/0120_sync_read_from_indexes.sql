-- The read that starts every sync (the device's session, its family's and its structure's
-- documents, the device's sync state of each) answered from indexes alone. Under a steady
-- stream of commits each read finds its connection's page cache emptied and fetches every
-- page again, so each B-tree it descends costs: an index lookup followed by a seek in its
-- table was two descents, now one.

-- A device's sync states kept in their primary key's order: one B-tree instead of an
-- index beside a table, for the read and for the write of every sync.
CREATE TABLE sync_states_by_device (
    device_id TEXT NOT NULL REFERENCES devices(id),
    doc_id TEXT NOT NULL REFERENCES documents(id),
    state BLOB NOT NULL,
    PRIMARY KEY (device_id, doc_id)
) WITHOUT ROWID;
INSERT INTO sync_states_by_device (device_id, doc_id, state)
    SELECT device_id, doc_id, state FROM sync_states;
DROP TABLE sync_states;
ALTER TABLE sync_states_by_device RENAME TO sync_states;

-- The session of a token, and its account, with the columns a request reads.
CREATE INDEX devices_session
    ON devices(token_hash, revoked_at_ms, id, account_id, created_at_ms, last_seen_ms);
CREATE INDEX accounts_session
    ON accounts(id, disabled_at_ms, structure_id, family_id, role, must_change_password);

-- An owner's documents with the columns a sync reads; it replaces the owner's index, of
-- which it is an extension.
CREATE INDEX documents_visible
    ON documents(structure_id, family_id, id, kind, school_year, version);
DROP INDEX documents_owner;
