-- +goose Up
-- seq is assigned by the service (last + 1, read in the appending
-- transaction), not by the database: the hash chain needs gapless numbers,
-- and the primary key turns two racing appends into a retry, never a fork.
CREATE TABLE audit_records (
    seq         BIGINT PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    service     TEXT NOT NULL,
    recorded_at DATETIME NOT NULL,
    at          DATETIME NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_login TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    fields      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
-- Searches list newest first, so each index ends with seq.
CREATE INDEX audit_records_actor_id ON audit_records (actor_id, seq);
CREATE INDEX audit_records_actor_login ON audit_records (actor_login, seq);
CREATE INDEX audit_records_object_id ON audit_records (object_id, seq);
CREATE INDEX audit_records_at ON audit_records (at);
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE TABLE inbox (
    event_id   TEXT PRIMARY KEY,
    handled_at DATETIME NOT NULL
);
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE inbox;
DROP TABLE outbox;
DROP TABLE audit_records;
