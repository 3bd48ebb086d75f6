-- Erasure of a family (CNIL): the family row stays for the accounting that must be kept
-- (invoices, payments, credit notes), named as on its invoices, and says when it was erased.
ALTER TABLE families ADD COLUMN erased_at_ms BIGINT;

-- Children whose health data the purge removed (their dossier rewritten without its history),
-- so that a later purge rewrites the dossier again only if health data came back.
CREATE TABLE retention_purged_children (
    family_id TEXT NOT NULL,
    child_id TEXT NOT NULL,
    purged_at_ms BIGINT NOT NULL,
    PRIMARY KEY (family_id, child_id)
);
