-- A monthly run stores its PDFs packed, many documents back to back in one object (one
-- file created per pack instead of one per invoice): a document's PDF is the byte range
-- [pdf_offset, pdf_offset + pdf_length) of the object pdf_key. Both NULL when pdf_key holds
-- that one PDF alone (a PDF rendered on demand, and every PDF stored before packs).
ALTER TABLE invoices ADD COLUMN pdf_offset INTEGER;
ALTER TABLE invoices ADD COLUMN pdf_length INTEGER;
