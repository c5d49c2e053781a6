-- +goose Up
-- The relay marks what the bus acknowledged and deletes it only once the
-- bus has certainly written it to disk (see docs/architecture.md, "Events");
-- the partial index keeps finding what is still to send cheap while the
-- acknowledged rows wait.
ALTER TABLE outbox ADD COLUMN sent_at TIMESTAMPTZ;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- +goose Down
DROP INDEX outbox_unsent;
ALTER TABLE outbox DROP COLUMN sent_at;
