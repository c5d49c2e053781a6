package events_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/bus"
	ccmigrations "github.com/okno-crm/okno/internal/contactcenter/migrations"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/store"
	"github.com/okno-crm/okno/internal/testenv"
)

// The contact center's schema has an outbox and an inbox; the tests use it.
func openDB(t *testing.T, b testenv.Backend) *store.DB {
	db := testenv.OpenDB(t, b, "contactcenter")
	if err := db.Migrate(context.Background(), migrationsFS); err != nil {
		t.Fatal(err)
	}
	return db
}

func addEvents(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	var ids []string
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			id, err := events.Add(context.Background(), tx, "contactcenter.request.created", time.Now(), map[string]int{"n": i})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func streamCount(t *testing.T, b *bus.Bus) uint64 {
	t.Helper()
	s, err := b.JS.Stream(context.Background(), bus.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestBusRelayAndInbox(t *testing.T) {
	testenv.ForEachBus(t, func(t *testing.T, k testenv.BusKind) {
		testenv.ForEachBackend(t, func(t *testing.T, be testenv.Backend) {
			if k.Name == "external" {
				testenv.ResetExternalStream(t, k.URL)
			}
			b := testenv.OpenBus(t, k)
			db := openDB(t, be)
			ctx := context.Background()
			ids := addEvents(t, db, 5)

			r := events.NewRelay(db, b.JS)
			clock := time.Now()
			r.Now = func() time.Time { return clock }
			n, err := r.Flush(ctx)
			if err != nil || n != 5 {
				t.Fatalf("flush moved %d, %v", n, err)
			}
			if n, _ := r.Flush(ctx); n != 0 {
				t.Fatalf("a second round sent %d acknowledged events again", n)
			}
			count := func(where string) int {
				var n int
				if err := db.R.QueryRow(`SELECT COUNT(*) FROM outbox WHERE ` + where).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			// Acknowledged rows are marked sent and held until the bus
			// has certainly synced them.
			if err := r.Purge(ctx); err != nil {
				t.Fatal(err)
			}
			if sent, unsent := count("sent_at IS NOT NULL"), count("sent_at IS NULL"); sent != 5 || unsent != 0 {
				t.Fatalf("after the purge %d rows held as sent and %d unsent, want 5 and 0", sent, unsent)
			}
			if n, _ := r.Flush(ctx); n != 0 {
				t.Fatalf("held rows were sent again (%d)", n)
			}
			// The machine crashes: the relay that starts next sends what
			// was held again, and the stream keeps one copy of each.
			again := events.NewRelay(db, b.JS)
			again.Now = func() time.Time { return clock }
			if n, err := again.Flush(ctx); err != nil || n != 5 {
				t.Fatalf("after a restart the held rows were sent %d times, %v; want 5", n, err)
			}
			if got := streamCount(t, b); got != 5 {
				t.Fatalf("stream holds %d messages, want 5", got)
			}
			// Past the hold they are deleted.
			if err := again.Purge(ctx); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(events.DefaultHold - time.Second)
			if err := again.Purge(ctx); err != nil {
				t.Fatal(err)
			}
			if left := count("1 = 1"); left != 5 {
				t.Fatalf("%d rows left before the hold ended, want 5", left)
			}
			clock = clock.Add(time.Second)
			if err := again.Purge(ctx); err != nil {
				t.Fatal(err)
			}
			if left := count("1 = 1"); left != 0 {
				t.Fatalf("%d outbox rows left after the hold", left)
			}
			// A relay that crashed after publishing and before marking sends
			// the same ids again: the stream keeps one copy.
			_ = db.InTx(ctx, func(tx *sql.Tx) error {
				for _, id := range ids[:2] {
					_, err := tx.Exec(`INSERT INTO outbox (id, subject, payload, created_at) VALUES ($1, 'contactcenter.request.created', $2, $3)`,
						id, `{"id":"`+id+`","type":"contactcenter.request.created","data":{}}`, time.Now().UTC())
					if err != nil {
						return err
					}
				}
				return nil
			})
			if _, err := events.NewRelay(db, b.JS).Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got := streamCount(t, b); got != 5 {
				t.Fatalf("stream holds %d messages, want 5", got)
			}

			// A consumer applies each event once, even when it is redelivered.
			consumerDB := openDB(t, be)
			var applied atomic.Int32
			c := &events.Consumer{DB: consumerDB, JS: b.JS, Stream: bus.Stream, Durable: "test-" + be.Name,
				Filters: []string{"contactcenter.>"},
				Handle: func(ctx context.Context, tx *sql.Tx, e events.Envelope) error {
					applied.Add(1)
					return nil
				}}
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { _ = c.Run(cctx); close(done) }()
			waitFor(t, func() bool { return applied.Load() == 5 })
			cancel()
			<-done
			// Replay the same messages past JetStream's window: the inbox holds.
			cons, err := b.JS.OrderedConsumer(ctx, bus.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"contactcenter.>"}})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 5; i++ {
				m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
				if err != nil {
					t.Fatal(err)
				}
				var e events.Envelope
				_ = json.Unmarshal(m.Data(), &e)
				err = consumerDB.InTx(ctx, func(tx *sql.Tx) error {
					fresh, err := events.MarkHandled(ctx, tx, e.ID, time.Now())
					if fresh {
						t.Errorf("event %s handled twice", e.ID)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var migrationsFS = ccmigrations.FS
