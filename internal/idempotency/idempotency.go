// Package idempotency makes POST retries safe: a client that sends the same
// Idempotency-Key again gets the first answer back and nothing new is
// created. Keys live in the owning service's database (table
// idempotency_keys) and are written in the same transaction as what the
// POST creates; the gateway has no database and only passes the header.
package idempotency

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
)

// Header is the request header clients send (IETF httpapi-idempotency-key).
const Header = "Idempotency-Key"

// TTL is how long a key is remembered.
const TTL = 24 * time.Hour

// Saved is a stored answer.
type Saved struct {
	Fingerprint string
	Status      int // 0 while the first request is still running
	ContentType string
	Body        []byte
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// CheckKey validates a client's key: 1–255 visible ASCII characters.
func CheckKey(key string) error {
	if len(key) == 0 || len(key) > 255 {
		return problem.Field(Header, "must be 1 to 255 characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return problem.Field(Header, "must be visible ASCII characters")
		}
	}
	return nil
}

// Fingerprint identifies a request's content, so that a key reused for a
// different request is refused rather than answered with someone else's reply.
func Fingerprint(method, path, contentType string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", method, path, contentType)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Lookup returns the saved answer for (scope, key), or nil.
func Lookup(ctx context.Context, q querier, scope, key string) (*Saved, error) {
	var s Saved
	var body string
	err := q.QueryRowContext(ctx, `SELECT fingerprint, status, content_type, body FROM idempotency_keys WHERE scope = $1 AND idem_key = $2`, scope, key).
		Scan(&s.Fingerprint, &s.Status, &s.ContentType, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency lookup: %w", err)
	}
	s.Body = []byte(body)
	return &s, nil
}

// Save stores an answer. It fails with a unique violation if the key exists.
func Save(ctx context.Context, q querier, scope, key string, s Saved, at time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, status, content_type, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		scope, key, s.Fingerprint, s.Status, s.ContentType, string(s.Body), at.UTC())
	if err != nil {
		return fmt.Errorf("idempotency save: %w", err)
	}
	return nil
}

// Purge forgets keys older than TTL.
func Purge(ctx context.Context, db *store.DB, now time.Time) error {
	_, err := db.W.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, now.Add(-TTL).UTC())
	return err
}
