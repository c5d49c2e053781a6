package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/store"
)

// Relay publishes a service's outbox to JetStream and deletes what the bus
// acknowledged. A crash after publishing but before deleting republishes the
// same ids: JetStream drops them inside its de-duplication window and the
// consumers' inboxes drop them after it.
type Relay struct {
	DB      *store.DB
	JS      jetstream.JetStream
	Batch   int           // rows a round; default 512
	Poll    time.Duration // idle re-check; default 500ms
	wake    chan struct{}
	backlog atomic.Int64
}

// NewRelay makes a relay for one service.
func NewRelay(db *store.DB, js jetstream.JetStream) *Relay {
	return &Relay{DB: db, JS: js, Batch: 512, Poll: 500 * time.Millisecond, wake: make(chan struct{}, 1)}
}

// Wake asks the relay to look at the outbox now (after a commit).
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Backlog is the number of rows the last round left behind, for metrics.
func (r *Relay) Backlog() int64 { return r.backlog.Load() }

// Run relays until ctx ends, then makes one last attempt.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	failures := 0
	for {
		n, err := r.Flush(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			if failures == 1 || failures%20 == 0 {
				slog.Warn("outbox relay: bus unavailable, will retry", "service", r.DB.Service, "err", err)
			}
		case err == nil:
			failures = 0
		}
		if err == nil && n == r.Batch {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_, _ = r.Flush(fctx)
			cancel()
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Flush publishes one round of the outbox and returns how many rows it moved.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	rows, err := r.DB.R.QueryContext(ctx, `SELECT id, subject, payload FROM outbox ORDER BY id LIMIT $1`, r.Batch)
	if err != nil {
		return 0, fmt.Errorf("outbox read: %w", err)
	}
	type row struct{ id, subject, payload string }
	var pending []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.subject, &x.payload); err != nil {
			rows.Close()
			return 0, fmt.Errorf("outbox scan: %w", err)
		}
		pending = append(pending, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(pending) == 0 {
		r.backlog.Store(0)
		return 0, nil
	}
	futures := make([]jetstream.PubAckFuture, len(pending))
	for i, x := range pending {
		msg := &nats.Msg{Subject: x.subject, Data: []byte(x.payload), Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, x.id)
		f, err := r.JS.PublishMsgAsync(msg)
		if err != nil {
			return 0, fmt.Errorf("publish %s: %w", x.subject, err)
		}
		futures[i] = f
	}
	var done []string
	var firstErr error
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for i, f := range futures {
		select {
		case <-f.Ok():
			done = append(done, pending[i].id)
		case err := <-f.Err():
			if firstErr == nil {
				firstErr = err
			}
		case <-timeout.C:
			if firstErr == nil {
				firstErr = fmt.Errorf("publish ack timeout")
			}
		case <-ctx.Done():
			if firstErr == nil {
				firstErr = ctx.Err()
			}
		}
		if firstErr != nil {
			break
		}
	}
	if len(done) > 0 {
		if err := r.remove(ctx, done); err != nil {
			return 0, err
		}
	}
	r.backlog.Store(int64(len(pending) - len(done)))
	return len(done), firstErr
}

func (r *Relay) remove(ctx context.Context, idsDone []string) error {
	// Bound the IN list: both databases accept a few hundred parameters.
	const chunk = 256
	for start := 0; start < len(idsDone); start += chunk {
		end := min(start+chunk, len(idsDone))
		part := idsDone[start:end]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		if _, err := r.DB.W.ExecContext(ctx, "DELETE FROM outbox WHERE id IN ("+r.DB.Params(1, len(part))+")", args...); err != nil {
			return fmt.Errorf("outbox delete: %w", err)
		}
	}
	return nil
}
