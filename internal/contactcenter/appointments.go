package contactcenter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
)

// ApplyMISEvent moves a request along the pipeline as the MIS reports its
// appointment: booked from new or in progress; back to in progress when the
// appointment is cancelled; visited once the patient arrived or was seen.
// A no-show opens a task to call the patient and rebook. Lost is a
// manager's decision and is left alone.
func (s *Service) ApplyMISEvent(ctx context.Context, tx *sql.Tx, e events.Envelope) error {
	var from []string
	var to string
	switch e.Type {
	case "mis.appointment.booked", "mis.appointment.rescheduled", "mis.appointment.confirmed":
		from, to = []string{StatusNew, StatusInProgress}, StatusBooked
	case "mis.appointment.cancelled":
		from, to = []string{StatusBooked}, StatusInProgress
	case "mis.appointment.arrived", "mis.appointment.completed":
		from, to = []string{StatusNew, StatusInProgress, StatusBooked}, StatusVisited
	case "mis.appointment.noshow":
		return s.noShowTask(ctx, tx, e)
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
	if to == StatusBooked || to == StatusVisited {
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL`, d.RequestID, now); err != nil {
			return err
		}
	} else if _, err := tx.ExecContext(ctx, `UPDATE requests SET resolved_at = NULL WHERE id = $1`, d.RequestID); err != nil {
		return err
	}
	if err := s.recordHistory(ctx, tx, d.RequestID, "mis", now, [3]string{"status", status, to}); err != nil {
		return err
	}
	_, err = events.Add(ctx, tx, "contactcenter.request.updated", now, map[string]string{
		"request_id": d.RequestID, "status": to, "previous_status": status, "appointment_id": d.AppointmentID,
	})
	return err
}

// noShowTask opens a follow-up for a patient who did not come: call them
// and rebook, due within the queue's callback time.
func (s *Service) noShowTask(ctx context.Context, tx *sql.Tx, e events.Envelope) error {
	var d struct {
		RequestID     string `json:"request_id"`
		ContactID     string `json:"contact_id"`
		AppointmentID string `json:"appointment_id"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil || (d.RequestID == "" && d.ContactID == "") {
		return nil
	}
	queue := ""
	if d.RequestID != "" {
		err := tx.QueryRowContext(ctx, `SELECT contact_id, queue_id FROM requests WHERE id = $1`, d.RequestID).Scan(&d.ContactID, &queue)
		if errors.Is(err, sql.ErrNoRows) {
			d.RequestID = ""
		} else if err != nil {
			return err
		}
	}
	if d.ContactID == "" {
		return nil
	}
	now := e.At.UTC()
	q, err := s.queue(ctx, tx, queue)
	if err != nil {
		q = defaultQueue()
	}
	assignee, err := s.pickAssignee(ctx, tx, q, now)
	if err != nil {
		return err
	}
	due := q.Hours.AddWorking(now, time.Duration(q.CallbackSLA)*time.Second)
	return s.insertTask(ctx, tx, ids.NewAt(now), NewTask{Kind: TaskNoShow, RequestID: d.RequestID, ContactID: d.ContactID,
		DueAt: due, AssigneeID: assignee}, queue, now)
}
