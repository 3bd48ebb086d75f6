-- The admin page: staff sign in with a session cookie; administrators add a second factor.
--
-- A session opened by the admin page's login (a row of `devices`) has a row here; an
-- administrator's first session waits for the second factor (`second_factor_done = 0`) and
-- is replaced by a new one once it is given. Failed codes are counted per session.
CREATE TABLE admin_page_sessions (
    device_id TEXT PRIMARY KEY REFERENCES devices(id),
    second_factor_done BIGINT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0
);

-- An account's TOTP secret (RFC 6238, base32), confirmed by a first code; `last_step` is
-- the last time step accepted, so that a code is never accepted twice.
CREATE TABLE staff_second_factors (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id),
    secret TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    confirmed_at_ms BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0
);

-- Recovery codes, each usable once, kept as SHA-256 of the code.
CREATE TABLE staff_recovery_codes (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    code_hash TEXT NOT NULL,
    used_at_ms BIGINT,
    PRIMARY KEY (account_id, code_hash)
);
