package contactcenter

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/okno-crm/okno/internal/ids"
)

// HistoricRequest is a request that arrived before Okno saw it: demo
// history, or an import from the clinic's previous CRM.
type HistoricRequest struct {
	Name, Phone, Email, Message string
	Channel, Status, Source     string
	At                          time.Time
}

// CountRequests returns how many requests are stored.
func (s *Service) CountRequests(ctx context.Context) (int, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests`).Scan(&n)
	return n, err
}

// ImportRequests stores past requests with their own times and statuses.
// Their ids carry their time, so the inbox orders them where they belong.
// No events are emitted: nothing new happened.
func (s *Service) ImportRequests(ctx context.Context, reqs []HistoricRequest) error {
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, h := range reqs {
			at := h.At.UTC()
			contactID, _, err := s.upsertContact(ctx, tx, ring, IntakeInput{Name: h.Name, Phone: h.Phone, Email: h.Email}, at)
			if err != nil {
				return err
			}
			id := ids.NewAt(at)
			msg, err := ring.Seal(h.Message, aad("requests", id, "message"))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO requests (id, contact_id, channel, status, source, message_sealed, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
				id, contactID, h.Channel, h.Status, h.Source, msg, at); err != nil {
				return fmt.Errorf("contactcenter: import request: %w", err)
			}
			if h.Channel == ChannelWebForm {
				if _, err := tx.ExecContext(ctx, `INSERT INTO consents (id, contact_id, request_id, purpose, text_version, channel, given_at) VALUES ($1, $2, $3, 'personal_data_processing', '2026-01', $4, $5)`,
					ids.NewAt(at), contactID, id, ChannelWebForm, at); err != nil {
					return fmt.Errorf("contactcenter: import consent: %w", err)
				}
			}
		}
		return nil
	})
}
