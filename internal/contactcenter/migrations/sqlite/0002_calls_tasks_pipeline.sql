-- +goose Up
-- PBX integrations. The secret (Standard Webhooks whsec_, Mango salt,
-- Zadarma API secret, AMI password) is sealed like personal data; settings
-- hold what is not secret (AMI address, Mango vpbx_api_key, originate context).
CREATE TABLE pbx_integrations (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    webhook_key   TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    settings      TEXT NOT NULL,
    queue_id      TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE UNIQUE INDEX pbx_integrations_webhook ON pbx_integrations (webhook_key);
-- Every delivery's id, kept at least 7 days: providers retry for days, and a
-- replay must change nothing.
CREATE TABLE pbx_deliveries (
    integration_id TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    received_at    DATETIME NOT NULL,
    PRIMARY KEY (integration_id, event_id)
);
CREATE INDEX pbx_deliveries_received ON pbx_deliveries (received_at);
-- The fact that someone called the clinic is protected like a patient's
-- card: numbers and the recording link are sealed; the outside party is
-- found by the same blind index as contacts' phones.
CREATE TABLE calls (
    id               TEXT PRIMARY KEY,
    integration_id   TEXT NOT NULL,
    provider_call_id TEXT NOT NULL,
    direction        TEXT NOT NULL,
    from_sealed      TEXT NOT NULL,
    to_sealed        TEXT NOT NULL,
    phone_index      TEXT NOT NULL,
    contact_id       TEXT NOT NULL,
    extension        TEXT NOT NULL,
    operator_id      TEXT NOT NULL,
    queue_id         TEXT NOT NULL,
    state            TEXT NOT NULL,
    result           TEXT NOT NULL,
    started_at       DATETIME NOT NULL,
    answered_at      DATETIME,
    ended_at         DATETIME,
    duration_seconds BIGINT NOT NULL,
    recording_sealed TEXT NOT NULL,
    request_id       TEXT NOT NULL,
    updated_at       DATETIME NOT NULL
);
CREATE UNIQUE INDEX calls_provider ON calls (integration_id, provider_call_id);
CREATE INDEX calls_contact ON calls (contact_id, started_at);
CREATE INDEX calls_result ON calls (result, id);
-- The highest sequence number seen per call leg (Mango's seq): a lower one
-- arriving later is stale and ignored.
CREATE TABLE call_legs (
    call_id TEXT NOT NULL,
    leg     TEXT NOT NULL,
    seq     BIGINT NOT NULL,
    PRIMARY KEY (call_id, leg)
);
-- Operators' telephone extension and presence.
CREATE TABLE operator_state (
    user_id     TEXT PRIMARY KEY,
    extension   TEXT NOT NULL,
    presence    TEXT NOT NULL,
    presence_at DATETIME NOT NULL,
    last_assigned_at DATETIME,
    updated_at  DATETIME NOT NULL
);
CREATE UNIQUE INDEX operator_state_extension ON operator_state (extension) WHERE extension <> '';
-- Queues: requests and callbacks wait here for an operator.
CREATE TABLE queues (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    strategy    TEXT NOT NULL,
    hours       TEXT NOT NULL,
    first_response_seconds BIGINT NOT NULL,
    resolution_seconds     BIGINT NOT NULL,
    callback_seconds       BIGINT NOT NULL,
    last_assigned TEXT NOT NULL,
    position    BIGINT NOT NULL,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE TABLE queue_members (
    queue_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (queue_id, user_id)
);
-- Routing: the first rule (by position) whose set fields all match the
-- channel, the line called (a PBX integration's number) or the web form
-- chooses the queue.
CREATE TABLE routing_rules (
    id        TEXT PRIMARY KEY,
    position  BIGINT NOT NULL,
    channel   TEXT NOT NULL,
    line      TEXT NOT NULL,
    source    TEXT NOT NULL,
    specialty TEXT NOT NULL,
    branch    TEXT NOT NULL,
    queue_id  TEXT NOT NULL
);
CREATE TABLE lost_reasons (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    active   BOOLEAN NOT NULL,
    position BIGINT NOT NULL
);
ALTER TABLE requests ADD COLUMN queue_id TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN assignee_id TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN lost_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN merged_into TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN first_response_due DATETIME;
ALTER TABLE requests ADD COLUMN first_response_at DATETIME;
ALTER TABLE requests ADD COLUMN resolution_due DATETIME;
ALTER TABLE requests ADD COLUMN resolved_at DATETIME;
ALTER TABLE requests ADD COLUMN breached TEXT NOT NULL DEFAULT '';
CREATE INDEX requests_assignee ON requests (assignee_id, status);
CREATE INDEX requests_queue ON requests (queue_id, status);
CREATE TABLE request_comments (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    body_sealed TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX request_comments_request ON request_comments (request_id, id);
-- History of changes: field names and non-personal values only (status,
-- assignee id, queue id, tags); comments live sealed in their own table.
CREATE TABLE request_history (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    field      TEXT NOT NULL,
    old_value  TEXT NOT NULL,
    new_value  TEXT NOT NULL,
    at         DATETIME NOT NULL
);
CREATE INDEX request_history_request ON request_history (request_id, id);
-- Tasks: callbacks for missed calls, no-show follow-ups, anything with a due
-- time. One open callback per number: repeated misses merge into it.
CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    call_id      TEXT NOT NULL,
    phone_index  TEXT NOT NULL,
    queue_id     TEXT NOT NULL,
    assignee_id  TEXT NOT NULL,
    note_sealed  TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    due_at       DATETIME NOT NULL,
    remind_at    DATETIME,
    escalated_at DATETIME,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    closed_at    DATETIME,
    closed_by    TEXT NOT NULL,
    close_reason TEXT NOT NULL
);
CREATE UNIQUE INDEX tasks_open_callback ON tasks (phone_index) WHERE kind = 'callback' AND status = 'open';
CREATE INDEX tasks_status_due ON tasks (status, due_at);
CREATE INDEX tasks_kind ON tasks (kind, status, id);
CREATE INDEX tasks_contact ON tasks (contact_id);
-- Further phones and e-mails of a contact (merges and new numbers); the
-- contact's own columns keep the first ones.
CREATE TABLE contact_points (
    id           TEXT PRIMARY KEY,
    contact_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    value_sealed TEXT NOT NULL,
    value_index  TEXT NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE UNIQUE INDEX contact_points_value ON contact_points (kind, value_index);
CREATE INDEX contact_points_contact ON contact_points (contact_id);
ALTER TABLE contacts ADD COLUMN merged_into TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE contacts DROP COLUMN merged_into;
DROP TABLE contact_points;
DROP TABLE tasks;
DROP TABLE request_history;
DROP TABLE request_comments;
DROP INDEX requests_queue;
DROP INDEX requests_assignee;
ALTER TABLE requests DROP COLUMN breached;
ALTER TABLE requests DROP COLUMN resolved_at;
ALTER TABLE requests DROP COLUMN resolution_due;
ALTER TABLE requests DROP COLUMN first_response_at;
ALTER TABLE requests DROP COLUMN first_response_due;
ALTER TABLE requests DROP COLUMN merged_into;
ALTER TABLE requests DROP COLUMN tags;
ALTER TABLE requests DROP COLUMN lost_reason;
ALTER TABLE requests DROP COLUMN assignee_id;
ALTER TABLE requests DROP COLUMN queue_id;
DROP TABLE lost_reasons;
DROP TABLE routing_rules;
DROP TABLE queue_members;
DROP TABLE queues;
DROP TABLE operator_state;
DROP TABLE call_legs;
DROP TABLE calls;
DROP TABLE pbx_deliveries;
DROP TABLE pbx_integrations;
