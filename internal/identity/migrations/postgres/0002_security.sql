-- +goose Up
-- A session opened with a second factor (TOTP or recovery code), or whose
-- user proved one by enabling two-factor: roles that require 2FA are
-- restricted until it is.
ALTER TABLE sessions ADD COLUMN second_factor BOOLEAN NOT NULL DEFAULT FALSE;
-- JSON list of permissions; NULL acts with all of the user's permissions
-- (tokens made by 'okno token create').
ALTER TABLE api_tokens ADD COLUMN scopes TEXT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
-- One TOTP secret per user, sealed with AES-256-GCM; enabled_at is NULL
-- between setup and the first valid code. last_step is the last time step
-- accepted, so that a code is never accepted twice.
CREATE TABLE totp (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    secret     TEXT NOT NULL,
    last_step  BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    enabled_at TIMESTAMPTZ
);
-- Recovery codes, kept only as keyed hashes.
CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    code_hash  TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
-- Lockout state per subject: "login:<normalized login>" (consecutive
-- failures) or "addr:<client address>" (locked_until only).
CREATE TABLE login_lockouts (
    subject      TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    locked_until TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL
);
-- Recent failures per client address, for the sliding ten-minute window.
CREATE TABLE login_failures (
    id          TEXT PRIMARY KEY,
    client_addr TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_addr ON login_failures (client_addr, at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE login_lockouts;
DROP TABLE recovery_codes;
DROP TABLE totp;
DROP INDEX api_tokens_user;
ALTER TABLE api_tokens DROP COLUMN scopes;
ALTER TABLE sessions DROP COLUMN second_factor;
