-- +goose Up
-- The reference data is a cache of the MIS, replaced whole on each refresh;
-- position keeps the MIS's (or our) display order.
CREATE TABLE branches (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    address  TEXT NOT NULL,
    phone    TEXT NOT NULL,
    position BIGINT NOT NULL
);
CREATE TABLE specialties (
    id       TEXT PRIMARY KEY,
    code_system  TEXT NOT NULL,
    name     TEXT NOT NULL,
    position BIGINT NOT NULL
);
CREATE TABLE doctors (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    position BIGINT NOT NULL
);
-- A role has no primary key of its own: a FHIR PractitionerRole may carry
-- several specialties and branches, one row each.
CREATE TABLE doctor_roles (
    doctor_id    TEXT NOT NULL,
    role_id      TEXT NOT NULL,
    branch_id    TEXT NOT NULL,
    specialty_id TEXT NOT NULL,
    PRIMARY KEY (doctor_id, role_id, branch_id, specialty_id)
);
CREATE TABLE cache_state (
    name         TEXT PRIMARY KEY,
    refreshed_at DATETIME NOT NULL
);
CREATE TABLE appointments (
    id           TEXT PRIMARY KEY,
    mis_id       TEXT NOT NULL,
    slot_id      TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    status       TEXT NOT NULL,
    start_at     DATETIME NOT NULL,
    end_at       DATETIME NOT NULL,
    doctor_id    TEXT NOT NULL,
    branch_id    TEXT NOT NULL,
    specialty_id TEXT NOT NULL,
    booked_by    TEXT NOT NULL,
    booked_at    DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX appointments_mis_id ON appointments (mis_id);
CREATE INDEX appointments_contact ON appointments (contact_id, start_at);
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
DROP TABLE appointments;
DROP TABLE cache_state;
DROP TABLE doctor_roles;
DROP TABLE doctors;
DROP TABLE specialties;
DROP TABLE branches;
