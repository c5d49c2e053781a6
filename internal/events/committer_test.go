package events_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/testenv"
)

func outboxCount(t *testing.T, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, subject string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM outbox WHERE subject = $1`, subject).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Records waiting for the committer ride in another writer's transaction:
// they are stored with its commit, and stored on their own when it fails.
func TestCommitterJoinsAnotherTransaction(t *testing.T) {
	for _, be := range testenv.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			if be.Name == "postgres" {
				testenv.RequirePostgres(t)
			}
			db := openDB(t, be)
			ctx := context.Background()
			c := events.NewCommitter(db, nil) // not running: only Join commits
			add := func(n int) chan error {
				out := make(chan error, 1)
				go func() {
					out <- c.Add(ctx, time.Now(), events.Event{Subject: "contactcenter.audit.test", Data: map[string]int{"n": n}})
				}()
				return out
			}
			waiting := func(want int) {
				t.Helper()
				deadline := time.Now().Add(5 * time.Second)
				for c.Waiting() < want {
					if time.Now().After(deadline) {
						t.Fatalf("%d records waiting, want %d", c.Waiting(), want)
					}
					time.Sleep(time.Millisecond)
				}
			}
			first, second := add(1), add(2)
			waiting(2)
			var joined func(error)
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := events.Add(ctx, tx, "contactcenter.request.created", time.Now(), map[string]int{}); err != nil {
					return err
				}
				joined = c.Join(ctx, tx)
				if n := c.Waiting(); n != 0 {
					t.Errorf("%d records left waiting after the join", n)
				}
				return nil
			})
			joined(err)
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range []chan error{first, second} {
				if err := <-ch; err != nil {
					t.Fatalf("joined record: %v", err)
				}
			}
			if n := outboxCount(t, db.R, "contactcenter.audit.test"); n != 2 {
				t.Fatalf("%d joined records stored, want 2", n)
			}

			// The host transaction fails: its own write is gone, the
			// joined record is still stored, once.
			third := add(3)
			waiting(1)
			boom := errors.New("host failed")
			err = db.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := events.Add(ctx, tx, "contactcenter.request.created", time.Now(), map[string]int{}); err != nil {
					return err
				}
				joined = c.Join(ctx, tx)
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("host: %v", err)
			}
			joined(err)
			if err := <-third; err != nil {
				t.Fatalf("record of a failed host: %v", err)
			}
			if n := outboxCount(t, db.R, "contactcenter.audit.test"); n != 3 {
				t.Fatalf("%d records stored, want 3", n)
			}
			if n := outboxCount(t, db.R, "contactcenter.request.created"); n != 1 {
				t.Fatalf("%d host events stored, want 1 (the failed host's is rolled back)", n)
			}
		})
	}
}
