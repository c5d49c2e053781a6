-- +goose Up
-- Permissions introduced after an installation's roles were seeded are
-- granted once to the built-in roles meant to hold them (perm.Added); this
-- remembers which were, so a permission an administrator took away is not
-- granted again at the next start.
CREATE TABLE permission_grants (
    permission TEXT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE permission_grants;
