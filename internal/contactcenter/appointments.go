package contactcenter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/okno-crm/okno/internal/events"
)

// ApplyMISEvent moves a request along the pipeline when the MIS service
// reports an appointment made or cancelled for it: booked from new or in
// progress; back to in progress when its appointment is cancelled. Later
// statuses (visited, lost) are a manager's decision and are left alone.
func (s *Service) ApplyMISEvent(ctx context.Context, tx *sql.Tx, e events.Envelope) error {
	var from []string
	var to string
	switch e.Type {
	case "mis.appointment.booked":
		from, to = []string{StatusNew, StatusInProgress}, StatusBooked
	case "mis.appointment.cancelled":
		from, to = []string{StatusBooked}, StatusInProgress
	default:
		return nil
	}
	var d struct {
		RequestID     string `json:"request_id"`
		AppointmentID string `json:"appointment_id"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil || d.RequestID == "" {
		return nil // not about a request: nothing to move
	}
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM requests WHERE id = $1`, d.RequestID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("contactcenter: request for appointment: %w", err)
	}
	allowed := false
	for _, f := range from {
		allowed = allowed || f == status
	}
	if !allowed {
		return nil
	}
	now := e.At.UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE requests SET status = $2, updated_at = $3 WHERE id = $1`, d.RequestID, to, now); err != nil {
		return fmt.Errorf("contactcenter: move request: %w", err)
	}
	_, err = events.Add(ctx, tx, "contactcenter.request.updated", now, map[string]string{
		"request_id": d.RequestID, "status": to, "previous_status": status, "appointment_id": d.AppointmentID,
	})
	return err
}
