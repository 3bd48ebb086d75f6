-- Lookups the monthly invoice run makes once per family: a family's ledger document, and the
-- family's held "invoice issued" events. Without these, each lookup scanned every document
-- or every pending event, so a run's time grew with the square of the families invoiced.
CREATE INDEX documents_family_kind ON documents(family_id, kind);
CREATE INDEX push_events_family ON push_events(family_id, event, state);
