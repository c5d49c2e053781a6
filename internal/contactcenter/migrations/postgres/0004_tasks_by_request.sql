-- +goose Up
-- A request's page lists its tasks (GET /tasks?request_id=), newest first.
CREATE INDEX tasks_request ON tasks (request_id, id);

-- +goose Down
DROP INDEX tasks_request;
