-- The booking projection keeps the domain's answers rather than restating the rules in SQL:
-- `holds_place` is `Outcome::holds_place` of the cell's standing decision (place counters are
-- rebuilt from it) and `refusal_cause` the decision's typed cause (`RefusalCause` code).
ALTER TABLE booking_requests ADD COLUMN holds_place INTEGER NOT NULL DEFAULT 0;
ALTER TABLE booking_requests ADD COLUMN refusal_cause TEXT;
-- Rows projected by earlier builds (a rebuild of the projections gives the same values).
UPDATE booking_requests SET holds_place = 1 WHERE outcome IN ('accepted', 'kept_billable');
