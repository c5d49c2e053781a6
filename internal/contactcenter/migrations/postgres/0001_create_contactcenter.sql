-- +goose Up
CREATE TABLE web_forms (
    form_key        TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    consent_text    TEXT NOT NULL,
    consent_version TEXT NOT NULL,
    allowed_origins TEXT NOT NULL DEFAULT '',
    success_url     TEXT NOT NULL DEFAULT '',
    active          BOOLEAN NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
-- Personal data is sealed field by field (package vault); phones and
-- e-mails are found through keyed blind indexes, never by their plaintext.
CREATE TABLE data_keys (
    version    BIGINT PRIMARY KEY,
    wrapped    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE contacts (
    id           TEXT PRIMARY KEY,
    name_sealed  TEXT NOT NULL,
    phone_sealed TEXT NOT NULL,
    email_sealed TEXT NOT NULL,
    phone_index  TEXT NOT NULL,
    email_index  TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    -- set when the person asked to be forgotten (152-FZ art. 21)
    anonymized_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX contacts_phone ON contacts (phone_index) WHERE phone_index <> '';
CREATE INDEX contacts_email ON contacts (email_index) WHERE email_index <> '';
CREATE TABLE requests (
    id         TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts (id),
    channel    TEXT NOT NULL,
    status     TEXT NOT NULL,
    source     TEXT NOT NULL,
    message_sealed TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX requests_status ON requests (status, id);
CREATE INDEX requests_channel ON requests (channel, id);
CREATE INDEX requests_contact ON requests (contact_id);
CREATE TABLE consents (
    id           TEXT PRIMARY KEY,
    contact_id   TEXT NOT NULL REFERENCES contacts (id),
    request_id   TEXT REFERENCES requests (id),
    purpose      TEXT NOT NULL,
    text_version TEXT NOT NULL,
    channel      TEXT NOT NULL,
    given_at     TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ
);
CREATE INDEX consents_contact ON consents (contact_id);
CREATE INDEX consents_request ON consents (request_id);
CREATE TABLE operators (
    user_id    TEXT PRIMARY KEY,
    login      TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    blocked    BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE inbox (
    event_id   TEXT PRIMARY KEY,
    handled_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE inbox;
DROP TABLE outbox;
DROP TABLE operators;
DROP TABLE consents;
DROP TABLE requests;
DROP TABLE contacts;
DROP TABLE web_forms;
DROP TABLE data_keys;
