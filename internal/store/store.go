// Package store opens a service's own database — an SQLite file under the
// data directory (the embedded default) or a PostgreSQL schema — runs its
// embedded migrations and checks that the database is set up to keep what
// it acknowledged.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the SQL engine under a service.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is one service's database: a write pool and a read pool (the same pool
// on PostgreSQL; on SQLite a single writer connection, because SQLite takes
// one writer at a time and queueing in Go is cheaper than busy-waiting).
type DB struct {
	W       *sql.DB
	R       *sql.DB
	Dialect Dialect
	Service string
}

// Options say where a service's database lives.
type Options struct {
	Service     string // also the PostgreSQL schema and the SQLite file name
	DataDir     string // SQLite: <DataDir>/<Service>.db
	PostgresURL string // when set, PostgreSQL is used instead of SQLite
}

var schemaName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Open opens (and creates) the service's database.
func Open(ctx context.Context, o Options) (*DB, error) {
	if !schemaName.MatchString(o.Service) {
		return nil, fmt.Errorf("store: bad service name %q", o.Service)
	}
	if o.PostgresURL != "" {
		return openPostgres(ctx, o)
	}
	return openSQLite(ctx, o)
}

func openSQLite(ctx context.Context, o Options) (*DB, error) {
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: data dir: %w", err)
	}
	path := filepath.Join(o.DataDir, o.Service+".db")
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=foreign_keys(1)&_pragma=synchronous(full)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", o.Service, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", o.Service, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	db := &DB{W: w, R: r, Dialect: SQLite, Service: o.Service}
	if err := db.checkDurable(ctx); err != nil {
		db.Close()
		return nil, err
	}
	_ = os.Chmod(path, 0o600)
	return db, nil
}

func openPostgres(ctx context.Context, o Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(o.PostgresURL)
	if err != nil {
		return nil, fmt.Errorf("store: parse OKNO_DB: %w", redact(err))
	}
	boot := stdlib.OpenDB(*cfg.Copy())
	_, err = boot.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+o.Service)
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("store: create schema %s: %w", o.Service, err)
	}
	cfg.RuntimeParams["search_path"] = o.Service
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	db := &DB{W: pool, R: pool, Dialect: Postgres, Service: o.Service}
	if err := db.checkDurable(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// redact keeps a connection string's password out of error messages.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New("invalid connection string")
	}
	return errors.New(strings.SplitN(err.Error(), "(", 2)[0])
}

// checkDurable refuses to start on settings that lose acknowledged writes.
func (db *DB) checkDurable(ctx context.Context) error {
	switch db.Dialect {
	case SQLite:
		var mode string
		var sync int
		if err := db.W.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			return fmt.Errorf("store: %s: %w", db.Service, err)
		}
		if err := db.W.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
			return fmt.Errorf("store: %s: %w", db.Service, err)
		}
		if mode != "wal" || sync != 2 {
			return fmt.Errorf("store: %s: SQLite must run with journal_mode=wal and synchronous=FULL (got %s, %d)", db.Service, mode, sync)
		}
	case Postgres:
		var fsync, commit string
		if err := db.W.QueryRowContext(ctx, "SHOW fsync").Scan(&fsync); err != nil {
			return fmt.Errorf("store: %s: %w", db.Service, err)
		}
		if err := db.W.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&commit); err != nil {
			return fmt.Errorf("store: %s: %w", db.Service, err)
		}
		if fsync != "on" || (commit != "on" && commit != "remote_write" && commit != "remote_apply") {
			return fmt.Errorf("store: %s: PostgreSQL must run with fsync=on and synchronous_commit=on (got fsync=%s, synchronous_commit=%s)", db.Service, fsync, commit)
		}
	}
	return nil
}

// Migrate applies the service's embedded migrations: fsys holds one folder per
// dialect ("sqlite", "postgres") of goose SQL files.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS) error {
	sub, err := fs.Sub(fsys, string(db.Dialect))
	if err != nil {
		return fmt.Errorf("store: %s migrations: %w", db.Service, err)
	}
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, db.W, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("store: %s migrations: %w", db.Service, err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: %s migrate: %w", db.Service, err)
	}
	for _, r := range res {
		slog.Info("migration applied", "service", db.Service, "version", r.Source.Version)
	}
	return nil
}

// InTx runs fn in a write transaction, committing when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s begin: %w", db.Service, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %s commit: %w", db.Service, err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.W.PingContext(ctx) }

// Close closes both pools.
func (db *DB) Close() error {
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	return err
}

// IsUniqueViolation reports a unique-constraint failure on either database.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// Values returns "($1, $2), ($3, $4), …" for a multi-row INSERT of rows rows
// of cols columns, numbering from 1.
func Values(rows, cols int) string { return values("$", rows, cols) }

func values(mark string, rows, cols int) string {
	var b strings.Builder
	n := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(mark)
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Params returns n parameter markers numbered from first, separated by
// commas, for an IN list: "$3, $4" on PostgreSQL, "?3, ?4" on SQLite (see
// InsertRows for why).
func (db *DB) Params(first, n int) string {
	mark := "$"
	if db.Dialect == SQLite {
		mark = "?"
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(mark)
		b.WriteString(strconv.Itoa(first + i))
	}
	return b.String()
}

// InsertRows runs "head VALUES (…), (…) tail" for rows of cols arguments
// each, in chunks, calling scan for every row the statements return when
// scan is not nil. One statement carries many rows: on PostgreSQL that
// saves a network round trip per row, on SQLite a statement execution per
// row. SQLite reads "$N" as a named parameter and looks names up linearly,
// so a statement with thousands of them costs more to parse than to run;
// its statements use the numbered "?N" form instead, which modernc binds
// by number exactly as PostgreSQL binds "$N".
func (db *DB) InsertRows(ctx context.Context, tx *sql.Tx, head string, cols int, args []any, tail string, scan func(*sql.Rows) error) error {
	rows := len(args) / cols
	mark, chunk := "$", 500
	if db.Dialect == SQLite {
		mark, chunk = "?", 100
	}
	for start := 0; start < rows; start += chunk {
		n := min(chunk, rows-start)
		q := head + " VALUES " + values(mark, n, cols) + " " + tail
		a := args[start*cols : (start+n)*cols]
		if scan == nil {
			if _, err := tx.ExecContext(ctx, q, a...); err != nil {
				return err
			}
			continue
		}
		res, err := tx.QueryContext(ctx, q, a...)
		if err != nil {
			return err
		}
		for res.Next() {
			if err := scan(res); err != nil {
				res.Close()
				return err
			}
		}
		res.Close()
		if err := res.Err(); err != nil {
			return err
		}
	}
	return nil
}
