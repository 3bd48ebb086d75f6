-- Supporting documents ("Mes Documents"): files a family sends (QF certificate, insurance, PAI,
-- ...). The bytes live in the object store under `object_key` (a random id, never the file
-- name); a row is written only once its bytes are stored.
CREATE TABLE supporting_documents (
    id TEXT PRIMARY KEY,
    structure_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    child_id TEXT,
    kind TEXT NOT NULL,
    -- Sanitised original name, shown and used in Content-Disposition.
    file_name TEXT NOT NULL,
    -- From the content: application/pdf, image/jpeg or image/png.
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    object_key TEXT NOT NULL UNIQUE,
    -- YYYY-MM-DD, when the document stops being valid (insurance, QF certificate).
    valid_until TEXT,
    -- The client's id for the upload: a retried upload arrives once.
    idempotency_key TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at_ms BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'accepted', 'rejected')),
    reviewed_by TEXT,
    reviewed_at_ms BIGINT,
    reason TEXT,
    UNIQUE (family_id, idempotency_key)
);
CREATE INDEX supporting_documents_family ON supporting_documents(family_id, uploaded_at_ms);
CREATE INDEX supporting_documents_status ON supporting_documents(structure_id, status);
CREATE INDEX supporting_documents_valid_until ON supporting_documents(structure_id, valid_until);
