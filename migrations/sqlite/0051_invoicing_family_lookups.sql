-- A family's invoices, payments and held "invoice issued" events, looked up through indexes
-- that lead with the family: the structure-wide indexes matched as many of these lookups'
-- conditions, so SQLite could pick them and read every invoice, payment or pending event
-- of the structure for each family (a run's time then grew with the square of its size).
CREATE INDEX invoices_family ON invoices(family_id, structure_id);
CREATE INDEX payments_family_structure ON payments(family_id, structure_id, received_on);
DROP INDEX push_events_family;
CREATE INDEX push_events_family ON push_events(family_id, event, state, due_at_ms);
