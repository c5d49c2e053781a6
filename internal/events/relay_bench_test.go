package events_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/testenv"
)

// BenchmarkRelay moves b.N outbox rows to the embedded JetStream, which
// fsyncs every message (sync_interval: always).
func BenchmarkRelay(b *testing.B) {
	db := testenv.OpenDB(b, testenv.Backend{Name: "sqlite"}, "contactcenter")
	if err := db.Migrate(context.Background(), migrationsFS); err != nil {
		b.Fatal(err)
	}
	bus := testenv.OpenBus(b, testenv.BusKind{Name: "embedded"})
	ctx := context.Background()
	evs := make([]events.Event, b.N)
	for i := range evs {
		evs[i] = events.Event{Subject: "contactcenter.request.created", Data: map[string]int{"n": i}}
	}
	if err := db.InTx(ctx, func(tx *sql.Tx) error { return events.AddMany(ctx, db, tx, time.Now(), evs) }); err != nil {
		b.Fatal(err)
	}
	r := events.NewRelay(db, bus.JS)
	b.ResetTimer()
	moved := 0
	for moved < b.N {
		n, err := r.Flush(ctx)
		if err != nil {
			b.Fatal(err)
		}
		moved += n
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
