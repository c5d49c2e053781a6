// Package testenv gives tests the real things they run against: a fresh
// SQLite directory and a fresh PostgreSQL database for each storage test,
// an embedded NATS JetStream or the external one.
//
// PostgreSQL: OKNO_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres).
// When it cannot be reached the PostgreSQL cases are skipped with the reason
// printed — unless OKNO_TEST_REQUIRE_PG=1 (CI), where that is a failure.
// External NATS: OKNO_TEST_NATS (e.g. nats://127.0.0.1:4222); unset skips
// those cases with the reason printed. Tests on the external NATS delete the
// OKNO stream first, so run them with go test -p 1.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/okno-crm/okno/internal/bus"
	"github.com/okno-crm/okno/internal/store"
)

// Backend is one database engine a storage test runs on.
type Backend struct {
	Name string // "sqlite" or "postgres"
	// URL is the PostgreSQL server URL (empty for SQLite).
	URL string
}

var (
	pgOnce sync.Once
	pgErr  error
)

func pgAdminURL() string {
	if u := os.Getenv("OKNO_TEST_PG"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func pgReachable() error {
	pgOnce.Do(func() {
		db, err := sql.Open("pgx", pgAdminURL())
		if err != nil {
			pgErr = err
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		pgErr = db.PingContext(ctx)
	})
	return pgErr
}

var _ = stdlib.GetDefaultDriver // registers "pgx"

// Backends returns SQLite and PostgreSQL, skipping or failing PostgreSQL as
// the environment says.
func Backends() []Backend {
	return []Backend{{Name: "sqlite"}, {Name: "postgres", URL: pgAdminURL()}}
}

// RequirePostgres skips (or fails, under OKNO_TEST_REQUIRE_PG=1) when
// PostgreSQL cannot be reached.
func RequirePostgres(t testing.TB) {
	t.Helper()
	if err := pgReachable(); err != nil {
		if os.Getenv("OKNO_TEST_REQUIRE_PG") == "1" {
			t.Fatalf("PostgreSQL required (OKNO_TEST_REQUIRE_PG=1) but unreachable: %v", err)
		}
		t.Skipf("PostgreSQL at OKNO_TEST_PG is unreachable (%v): PostgreSQL case skipped", err)
	}
}

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "okno_test_" + hex.EncodeToString(b)
}

// NewPostgresDB creates a fresh database and returns its URL; it is dropped
// when the test ends.
func NewPostgresDB(t testing.TB) string {
	t.Helper()
	RequirePostgres(t)
	admin, err := sql.Open("pgx", pgAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	name := randomName()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(pgAdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Storage returns (dataDir, postgresURL) for a backend: a temp dir for
// SQLite, a fresh database for PostgreSQL.
func Storage(t testing.TB, b Backend) (string, string) {
	t.Helper()
	dir := t.TempDir()
	if b.Name == "postgres" {
		return dir, NewPostgresDB(t)
	}
	return dir, ""
}

// OpenDB opens a migrated-later service database on the backend.
func OpenDB(t testing.TB, b Backend, service string) *store.DB {
	t.Helper()
	dir, pg := Storage(t, b)
	db, err := store.Open(context.Background(), store.Options{Service: service, DataDir: dir, PostgresURL: pg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ForEachBackend runs f as a subtest on SQLite and on PostgreSQL.
func ForEachBackend(t *testing.T, f func(t *testing.T, b Backend)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			if b.Name == "postgres" {
				RequirePostgres(t)
			}
			f(t, b)
		})
	}
}

// BusKind is an embedded or external NATS.
type BusKind struct {
	Name string // "embedded" or "external"
	URL  string
}

// BusKinds returns the NATS setups to test.
func BusKinds() []BusKind {
	return []BusKind{{Name: "embedded"}, {Name: "external", URL: os.Getenv("OKNO_TEST_NATS")}}
}

// ForEachBus runs f on the embedded NATS and, when OKNO_TEST_NATS is set, on
// the external one (after deleting its OKNO stream for a clean slate).
func ForEachBus(t *testing.T, f func(t *testing.T, k BusKind)) {
	for _, k := range BusKinds() {
		t.Run(k.Name, func(t *testing.T) {
			if k.Name == "external" {
				RequireExternalNATS(t)
				ResetExternalStream(t, k.URL)
			}
			f(t, k)
		})
	}
}

// RequireExternalNATS skips (with the reason) when OKNO_TEST_NATS is unset.
func RequireExternalNATS(t testing.TB) {
	t.Helper()
	if os.Getenv("OKNO_TEST_NATS") == "" {
		t.Skip("OKNO_TEST_NATS is not set: external NATS case skipped (make test-external runs it)")
	}
}

// ResetExternalStream deletes the OKNO stream on an external server.
func ResetExternalStream(t testing.TB, natsURL string) {
	t.Helper()
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Options{URL: natsURL, Name: "okno-test-reset"})
	if err != nil {
		t.Fatalf("external NATS: %v", err)
	}
	_ = b.JS.DeleteStream(ctx, bus.Stream)
	b.Close()
}

// OpenBus opens a bus of kind k (embedded under a temp dir).
func OpenBus(t testing.TB, k BusKind) *bus.Bus {
	t.Helper()
	b, err := bus.Open(context.Background(), bus.Options{URL: k.URL, DataDir: t.TempDir(), Name: "okno-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}
