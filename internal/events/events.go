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
