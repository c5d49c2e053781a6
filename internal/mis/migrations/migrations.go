// Package migrations holds the mis service's schema, one folder per dialect.
package migrations

import "embed"

// FS holds sqlite/ and postgres/ goose migrations.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
