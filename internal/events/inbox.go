package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/store"
)

// Handler applies one event inside the consumer's transaction.
type Handler func(ctx context.Context, tx *sql.Tx, e Envelope) error

// Consumer is a durable JetStream consumer whose handled event ids are
// recorded in the consuming service's own database, in the same transaction
// as the effect: a redelivered event changes nothing, however late it comes.
type Consumer struct {
	DB      *store.DB
	JS      jetstream.JetStream
	Stream  string
	Durable string
	Filters []string
	Handle  Handler
	Now     func() time.Time
	// OnCommit, when set, runs after applied events are committed (to wake
	// the outbox relay when handlers write events of their own).
	OnCommit func()
}

// Run consumes until ctx ends.
func (c *Consumer) Run(ctx context.Context) error {
	cfg := jetstream.ConsumerConfig{
		Durable:       c.Durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
	}
	// One filter goes in the field NATS 2.9 understands too.
	if len(c.Filters) == 1 {
		cfg.FilterSubject = c.Filters[0]
	} else {
		cfg.FilterSubjects = c.Filters
	}
	cons, err := c.JS.CreateOrUpdateConsumer(ctx, c.Stream, cfg)
	if err != nil {
		return fmt.Errorf("consumer %s: %w", c.Durable, err)
	}
	// Events are applied in batches: whatever is waiting (up to 256) goes
	// into one transaction, so a burst costs one fsync, not one per event.
	it, err := cons.Messages(jetstream.PullMaxMessages(512))
	if err != nil {
		return fmt.Errorf("consumer %s: %w", c.Durable, err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			slog.Warn("consumer stopped reading, retrying", "consumer", c.Durable, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		msgs := []jetstream.Msg{m}
		for len(msgs) < 256 {
			more, err := it.Next(jetstream.NextMaxWait(time.Millisecond))
			if err != nil {
				break
			}
			msgs = append(msgs, more)
		}
		c.applyBatch(ctx, msgs)
	}
}

// applyBatch applies msgs in one transaction and acknowledges them; when
// that fails it applies them one by one, so that one bad event holds up
// only itself.
func (c *Consumer) applyBatch(ctx context.Context, msgs []jetstream.Msg) {
	err := c.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, m := range msgs {
			if err := c.applyTx(ctx, tx, m.Data()); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		if c.OnCommit != nil {
			c.OnCommit()
		}
		for _, m := range msgs {
			_ = m.Ack()
		}
		return
	}
	for _, m := range msgs {
		if err := c.apply(ctx, m.Data()); err != nil {
			slog.Warn("event not applied, will be redelivered", "consumer", c.Durable, "subject", m.Subject(), "err", err)
			_ = m.NakWithDelay(time.Second)
			continue
		}
		_ = m.Ack()
	}
}

func (c *Consumer) apply(ctx context.Context, data []byte) error {
	return c.DB.InTx(ctx, func(tx *sql.Tx) error { return c.applyTx(ctx, tx, data) })
}

func (c *Consumer) applyTx(ctx context.Context, tx *sql.Tx, data []byte) error {
	var e Envelope
	if err := json.Unmarshal(data, &e); err != nil || e.ID == "" {
		// A message we cannot read will never become readable: drop it.
		slog.Error("event unreadable, dropped", "consumer", c.Durable)
		return nil
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	fresh, err := MarkHandled(ctx, tx, e.ID, now())
	if err != nil || !fresh {
		return err
	}
	return c.Handle(ctx, tx, e)
}

// MarkHandled records an event id in the inbox and reports whether it was new.
func MarkHandled(ctx context.Context, tx *sql.Tx, eventID string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO inbox (event_id, handled_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING`, eventID, at.UTC())
	if err != nil {
		return false, fmt.Errorf("inbox insert: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}
