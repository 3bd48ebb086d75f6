-- A staff account disabled by an administrator: its sessions ended when it was disabled,
-- it cannot sign in nor use a token until it is enabled again. NULL while enabled.
ALTER TABLE accounts ADD COLUMN disabled_at_ms BIGINT;
