-- Push notifications (Web Push with VAPID).

-- The server's VAPID key pairs. The newest is used for new subscriptions; a subscription is
-- always signed with the key it was made with, so rotating does not silence devices that
-- have not subscribed again yet.
CREATE TABLE push_vapid_keys (
    id BIGSERIAL PRIMARY KEY,
    private_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- One push subscription per signed-in device; `kinds` lists what the family chose on it,
-- as `,invoice,booking,` (so one LIKE finds the devices of a kind).
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL UNIQUE REFERENCES devices(id),
    structure_id TEXT NOT NULL,
    family_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    kinds TEXT NOT NULL,
    vapid_key_id BIGINT NOT NULL REFERENCES push_vapid_keys(id),
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_family ON push_subscriptions(structure_id, family_id);

-- The outbox: one row per event, written in the same transaction as its cause. The worker
-- expands a due event into one delivery per subscribed device. `family_id` NULL: every
-- family of the structure. `subject`: what the event is about (e.g. an information message),
-- so withdrawing it before it is sent cancels the event.
CREATE TABLE push_events (
    id BIGSERIAL PRIMARY KEY,
    structure_id TEXT NOT NULL,
    family_id TEXT,
    event TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    subject TEXT,
    exclude_device_id TEXT,
    created_at_ms BIGINT NOT NULL,
    due_at_ms BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'expanded', 'cancelled'))
);
CREATE INDEX push_events_due ON push_events(state, due_at_ms);

-- One message to one device. `expires_at_ms` is the event's time to live: no retry after it.
-- A claimed delivery carries a lease: if the process dies after sending and before marking
-- it sent, it is sent once more after the lease (same Topic, so the device shows it once).
CREATE TABLE push_deliveries (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL,
    subscription_id TEXT NOT NULL,
    structure_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'expired', 'rejected', 'gone', 'cancelled')),
    attempts BIGINT NOT NULL DEFAULT 0,
    due_at_ms BIGINT NOT NULL,
    lease_until_ms BIGINT,
    expires_at_ms BIGINT NOT NULL,
    last_status BIGINT,
    last_error TEXT,
    created_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX push_deliveries_due ON push_deliveries(state, due_at_ms);
CREATE INDEX push_deliveries_stats ON push_deliveries(structure_id, created_at_ms);
CREATE INDEX push_deliveries_subscription ON push_deliveries(subscription_id, state);

-- Documents whose "about to expire" reminder was queued (once per document and end date).
CREATE TABLE push_expiry_reminders (
    document_id TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    queued_at_ms BIGINT NOT NULL,
    PRIMARY KEY (document_id, valid_until)
);
