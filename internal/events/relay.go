package events

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/store"
)

// Relay publishes a service's outbox to JetStream. What the bus
// acknowledged is marked sent and deleted only Hold later: the bus
// acknowledges a message once it is written, and fsyncs its files every
// second (internal/bus), so an event is forgotten here only when the bus
// has certainly made it durable. A crash of the machine in between — the
// one case where the bus can lose what it acknowledged — republishes the
// rows still held, when the relay starts again. (fsyncing every message in
// the bus instead capped the whole system near 2,000 events a second.)
//
// The marks and deletes are made about every PurgeEvery rather than after
// every round: each is a write, and on SQLite every write waits for the
// one writer and an fsync. The relay must not keep a "published up to id
// X" cursor instead: transactions may commit out of id order on
// PostgreSQL, and a row committed late behind the cursor would never be
// sent. JetStream drops republished ids inside its de-duplication window
// and the consumers' inboxes drop them after it.
type Relay struct {
	DB         *store.DB
	JS         jetstream.JetStream
	Batch      int           // rows a round; default 512
	Poll       time.Duration // idle re-check; default 500ms
	PurgeEvery time.Duration // default 250ms
	Hold       time.Duration // acknowledged rows are kept this long; default DefaultHold
	Now        func() time.Time
	wake       chan struct{}
	backlog    atomic.Int64
	acked      map[string]bool // acknowledged, not yet marked sent
	marks      []time.Time     // when rows still held were marked, oldest first
	lastPurge  time.Time
	started    bool
}

// DefaultHold is how long an acknowledged event stays in the outbox: ten
// times the embedded bus's fsync interval.
const DefaultHold = 10 * time.Second

// NewRelay makes a relay for one service.
func NewRelay(db *store.DB, js jetstream.JetStream) *Relay {
	return &Relay{DB: db, JS: js, Batch: 512, Poll: 500 * time.Millisecond, PurgeEvery: 250 * time.Millisecond, Hold: DefaultHold,
		Now: time.Now, wake: make(chan struct{}, 1), acked: map[string]bool{}}
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
		if time.Since(r.lastPurge) >= r.PurgeEvery {
			if err := r.Purge(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("outbox relay: purge failed", "service", r.DB.Service, "err", err)
			}
		}
		if err == nil && n == r.Batch {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_, _ = r.Flush(fctx)
			_ = r.Purge(fctx)
			cancel()
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Flush publishes one round of the outbox and returns how many rows it moved.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	if !r.started {
		// Rows marked sent before a crash or a stop may be what the bus
		// had not yet made durable: send them again.
		if _, err := r.DB.W.ExecContext(ctx, `UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL`); err != nil {
			return 0, fmt.Errorf("outbox resend: %w", err)
		}
		r.started = true
	}
	if len(r.acked) >= 8*r.Batch {
		if err := r.Purge(ctx); err != nil {
			return 0, err
		}
	}
	rows, err := r.DB.R.QueryContext(ctx, `SELECT id, subject, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1`, r.Batch+len(r.acked))
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
		if !r.acked[x.id] && len(pending) < r.Batch {
			pending = append(pending, x)
		}
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
	for _, id := range done {
		r.acked[id] = true
	}
	r.backlog.Store(int64(len(pending) - len(done)))
	return len(done), firstErr
}

// Purge marks the rows the bus has acknowledged as sent and deletes those
// sent more than Hold ago, in one transaction.
func (r *Relay) Purge(ctx context.Context) error {
	r.lastPurge = time.Now()
	now := r.Now().UTC()
	expired := len(r.marks) > 0 && !now.Before(r.marks[0].Add(r.Hold))
	if len(r.acked) == 0 && !expired {
		return nil // nothing to mark, nothing due: no write
	}
	all := make([]any, 0, len(r.acked))
	for id := range r.acked {
		all = append(all, id)
	}
	err := r.DB.InTx(ctx, func(tx *sql.Tx) error {
		const chunk = 500
		for start := 0; start < len(all); start += chunk {
			part := all[start:min(start+chunk, len(all))]
			args := append([]any{now}, part...)
			if _, err := tx.ExecContext(ctx, "UPDATE outbox SET sent_at = $1 WHERE id IN ("+r.DB.Params(2, len(part))+")", args...); err != nil {
				return err
			}
		}
		if !expired {
			return nil
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE sent_at <= $1`, now.Add(-r.Hold))
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox mark and delete: %w", err)
	}
	if expired {
		for len(r.marks) > 0 && !now.Before(r.marks[0].Add(r.Hold)) {
			r.marks = r.marks[1:]
		}
	}
	if len(r.acked) > 0 {
		r.marks = append(r.marks, now)
		clear(r.acked)
	}
	return nil
}
