-- "Informations": messages staff publish for every family of the structure, shown from
-- `published_from` to `published_until` (inclusive ISO dates, Europe/Paris; NULL: no end).
-- The catalogue document carries the messages shown today.
CREATE TABLE information_messages (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_from TEXT NOT NULL,
    published_until TEXT,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX information_messages_structure ON information_messages(structure_id, published_from);

-- "Téléchargement": files staff offer to every family (rules, menus, forms). The bytes live
-- in the object store under `object_key`; a row is written only once they are stored.
CREATE TABLE downloads (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    published_by TEXT NOT NULL,
    published_at_ms INTEGER NOT NULL
);
CREATE INDEX downloads_structure ON downloads(structure_id, published_at_ms);
