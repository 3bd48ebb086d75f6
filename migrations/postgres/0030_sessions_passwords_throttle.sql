-- Sessions, passwords and login throttling.
--
-- A device's session expires when idle (since `devices.last_seen_ms`) or too old (since
-- `devices.created_at_ms`), by the limits in the settings; an ended session says why.
ALTER TABLE devices ADD COLUMN revoked_reason TEXT;

-- A password printed by an administrator is one-time: the first login must replace it.
ALTER TABLE accounts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN password_changed_at_ms BIGINT;

-- Login attempts per key (a login name, a client address, a known device) in the current
-- window, counted before the password is checked.
CREATE TABLE login_attempts (
    key TEXT PRIMARY KEY,
    window_start_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);

-- Devices that signed in to an account before, by the SHA-256 of the proof they keep: their
-- attempts are counted apart, so someone else's failures never lock them out.
CREATE TABLE known_devices (
    proof_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    created_at_ms BIGINT NOT NULL,
    last_used_ms BIGINT NOT NULL
);
CREATE INDEX known_devices_account ON known_devices(account_id);
