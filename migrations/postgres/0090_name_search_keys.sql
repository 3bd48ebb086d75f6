-- The search keys of the names staff search by (cartable_domain::search_key: lower case,
-- no accents), written by the server beside each name. NULL until the server fills the
-- rows that existed before this migration (db::search_keys::fill_missing, at start-up).
ALTER TABLE families ADD COLUMN name_key TEXT;
ALTER TABLE children ADD COLUMN first_name_key TEXT;
ALTER TABLE children ADD COLUMN last_name_key TEXT;
ALTER TABLE adults ADD COLUMN first_name_key TEXT;
ALTER TABLE adults ADD COLUMN last_name_key TEXT;
ALTER TABLE accounts ADD COLUMN display_name_key TEXT;
