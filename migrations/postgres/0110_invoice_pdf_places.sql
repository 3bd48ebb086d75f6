-- Where each issued document's PDF is stored, beside the document rather than on its row:
-- an issued document never changes, and recording 10,000 PDFs after a monthly run rewrote
-- 10,000 wide invoice rows with every index on them, where this inserts one narrow row each.
-- The PDF is the object pdf_key, or its byte range [pdf_offset, pdf_offset + pdf_length)
-- when the object packs several documents' PDFs (both NULL otherwise).
CREATE TABLE invoice_pdfs (
    invoice_id TEXT PRIMARY KEY REFERENCES invoices(id),
    pdf_key TEXT NOT NULL,
    pdf_sha256 TEXT,
    pdf_offset BIGINT,
    pdf_length BIGINT
);
INSERT INTO invoice_pdfs (invoice_id, pdf_key, pdf_sha256, pdf_offset, pdf_length)
    SELECT id, pdf_key, pdf_sha256, pdf_offset, pdf_length FROM invoices
    WHERE pdf_key IS NOT NULL;
ALTER TABLE invoices DROP COLUMN pdf_key;
ALTER TABLE invoices DROP COLUMN pdf_sha256;
ALTER TABLE invoices DROP COLUMN pdf_offset;
ALTER TABLE invoices DROP COLUMN pdf_length;
