// Package events carries a service's facts from its database to the bus and
// back in: the transactional outbox (written in the same transaction as the
// data), its relay to JetStream (the outbox id is the message id), and the
// inbox that makes consumers idempotent. Together they make a stored fact
// announced exactly once in effect, whatever crashes in between.
package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/store"
)

// Envelope is the JSON shape of every event on the bus. Data carries ids and
// non-personal attributes only: subscribers fetch personal data through the
// owning service's API, where access is checked and audited.
type Envelope struct {
	ID   string          `json:"id"`
	Type string          `json:"type"` // the subject, e.g. contactcenter.request.created
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// Event is one fact to announce.
type Event struct {
	Subject string
	Data    any
}

// AddMany writes several events to the outbox, in as few statements as the
// database likes.
func AddMany(ctx context.Context, db *store.DB, tx *sql.Tx, at time.Time, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	args := make([]any, 0, 4*len(evs))
	for _, e := range evs {
		raw, err := json.Marshal(e.Data)
		if err != nil {
			return fmt.Errorf("events: marshal %s: %w", e.Subject, err)
		}
		id := ids.New()
		env, err := json.Marshal(Envelope{ID: id, Type: e.Subject, At: at.UTC(), Data: raw})
		if err != nil {
			return fmt.Errorf("events: marshal envelope: %w", err)
		}
		args = append(args, id, e.Subject, string(env), at.UTC())
	}
	if err := db.InsertRows(ctx, tx, `INSERT INTO outbox (id, subject, payload, created_at)`, 4, args, "", nil); err != nil {
		return fmt.Errorf("events: outbox insert: %w", err)
	}
	return nil
}

// Add writes an event to the outbox inside tx. The caller's commit makes it
// durable together with the data it announces.
func Add(ctx context.Context, tx *sql.Tx, subject string, at time.Time, data any) (string, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("events: marshal %s: %w", subject, err)
	}
	id := ids.New()
	env, err := json.Marshal(Envelope{ID: id, Type: subject, At: at.UTC(), Data: raw})
	if err != nil {
		return "", fmt.Errorf("events: marshal envelope: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (id, subject, payload, created_at) VALUES ($1, $2, $3, $4)`,
		id, subject, string(env), at.UTC())
	if err != nil {
		return "", fmt.Errorf("events: outbox insert %s: %w", subject, err)
	}
	return id, nil
}
