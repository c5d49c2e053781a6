-- +goose Up
-- A contact (the contact center's) linked to a patient (the MIS's) by a
-- person's explicit decision. Only ids: the patient's name, phones and birth
-- date stay in the MIS and are read live. An unlinked link is kept, with who
-- unlinked it and when, so that the history of the decision survives.
CREATE TABLE patient_links (
    id          TEXT PRIMARY KEY,
    contact_id  TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    linked_by   TEXT NOT NULL,
    linked_at   TIMESTAMPTZ NOT NULL,
    unlinked_by TEXT NOT NULL DEFAULT '',
    unlinked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX patient_links_active ON patient_links (contact_id, patient_id) WHERE unlinked_at IS NULL;
CREATE INDEX patient_links_patient ON patient_links (patient_id);
-- Where a poller of the MIS stands: the MIS's opaque cursor, the change
-- time it stands for, and how the last poll went. Written in the same
-- transaction as the changes it covers.
CREATE TABLE feed_state (
    name          TEXT PRIMARY KEY,
    feed_cursor   TEXT NOT NULL,
    cursor_at     TIMESTAMPTZ,
    last_poll_at  TIMESTAMPTZ,
    last_error    TEXT NOT NULL,
    applied_total BIGINT NOT NULL
);
-- Appointments now also come from the MIS's change feed (made at the
-- reception desk for a linked patient): source says which; booked_by is
-- empty for those. version and mis_updated_at order the MIS's changes.
ALTER TABLE appointments ADD COLUMN patient_id TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN version TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN mis_updated_at TIMESTAMPTZ;
ALTER TABLE appointments ADD COLUMN source TEXT NOT NULL DEFAULT 'okno';
CREATE INDEX appointments_patient ON appointments (patient_id, start_at);
-- The MIS's services and prices, cached like the other reference data.
-- Price is the MIS's decimal text: money is never a float.
CREATE TABLE services (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    specialty_id TEXT NOT NULL,
    price        TEXT NOT NULL,
    currency     TEXT NOT NULL,
    position     BIGINT NOT NULL
);
CREATE INDEX services_specialty ON services (specialty_id, position);

-- +goose Down
DROP TABLE services;
DROP INDEX appointments_patient;
ALTER TABLE appointments DROP COLUMN source;
ALTER TABLE appointments DROP COLUMN mis_updated_at;
ALTER TABLE appointments DROP COLUMN version;
ALTER TABLE appointments DROP COLUMN patient_id;
DROP TABLE feed_state;
DROP TABLE patient_links;
