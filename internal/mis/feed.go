package mis

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
)

// The status feed follows what happens to appointments in the MIS (the
// patient confirmed, arrived, did not come, the reception desk moved or
// cancelled the visit, booked a new one): it polls Client.Changes from a
// cursor stored in the mis database and applies each page in one
// transaction together with the new cursor, so that a crash or an outage
// resumes exactly where it stopped — nothing lost, nothing applied twice.
const (
	feedName     = "appointments"
	FeedPageSize = 500
	// maxPagesPerPoll bounds one poll, so that a long backlog yields to
	// shutdown between polls.
	maxPagesPerPoll = 200
)

// FeedState is where the status feed stands.
type FeedState struct {
	Cursor       string     `json:"-"`
	CursorAt     *time.Time `json:"cursor_at"`
	LastPollAt   *time.Time `json:"last_poll_at"`
	LastError    string     `json:"last_error"`
	AppliedTotal int64      `json:"applied_total"`
}

// Feed reads the feed's state.
func (s *Service) Feed(ctx context.Context) (FeedState, error) {
	var st FeedState
	var cursorAt, lastPoll sql.NullTime
	err := s.DB.R.QueryRowContext(ctx, `SELECT feed_cursor, cursor_at, last_poll_at, last_error, applied_total FROM feed_state WHERE name = $1`, feedName).
		Scan(&st.Cursor, &cursorAt, &lastPoll, &st.LastError, &st.AppliedTotal)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("mis: feed state: %w", err)
	}
	if cursorAt.Valid {
		t := cursorAt.Time.UTC()
		st.CursorAt = &t
	}
	if lastPoll.Valid {
		t := lastPoll.Time.UTC()
		st.LastPollAt = &t
	}
	return st, nil
}

func (s *Service) runFeed(ctx context.Context) {
	every := s.FeedEvery
	if every <= 0 {
		every = DefaultFeedEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.PollFeed(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("mis: status feed poll failed; the next poll resumes from the stored cursor", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollFeed reads the MIS's changes from the stored cursor until the MIS has
// no more ready (or maxPagesPerPoll pages), applying each page with its
// cursor in one transaction. It returns how many changes it applied. A
// failure is recorded in the feed state and leaves the cursor where the
// last applied page put it.
func (s *Service) PollFeed(ctx context.Context) (int, error) {
	c, err := s.client()
	if err != nil {
		return 0, err
	}
	total := 0
	for range maxPagesPerPoll {
		st, err := s.Feed(ctx)
		if err != nil {
			return total, err
		}
		size := s.FeedPage
		if size <= 0 {
			size = FeedPageSize
		}
		page, err := c.Changes(ctx, st.Cursor, size)
		if err != nil {
			s.recordFeedError(ctx, err)
			return total, err
		}
		n, err := s.applyPage(ctx, st.Cursor, page)
		total += n
		if err != nil {
			s.recordFeedError(ctx, err)
			return total, err
		}
		if !page.More || page.Next == st.Cursor {
			break
		}
	}
	return total, nil
}

func (s *Service) recordFeedError(ctx context.Context, cause error) {
	if ctx.Err() != nil {
		return
	}
	now := s.Now().UTC()
	msg := problemMessage(cause)
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO feed_state (name, feed_cursor, cursor_at, last_poll_at, last_error, applied_total)
VALUES ($1, '', NULL, $2, $3, 0)
ON CONFLICT (name) DO UPDATE SET last_poll_at = excluded.last_poll_at, last_error = excluded.last_error`, feedName, now, msg)
		return err
	})
	if err != nil {
		slog.Warn("mis: could not record the feed's failure", "err", err)
	}
}

// problemMessage is an error as the health page may show it: the safe
// message of a problem, else a generic line (a raw error may carry a URL).
func problemMessage(err error) string {
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Message != "" {
		return pe.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the MIS did not answer in time"
	}
	return "the MIS could not be read (see the service log)"
}

// applyPage applies one page of changes and moves the cursor from `from`
// to the page's next, in one transaction. A cursor moved meanwhile (by
// another instance polling the same database) abandons the page: that
// instance applied it.
func (s *Service) applyPage(ctx context.Context, from string, page ChangePage) (int, error) {
	now := s.Now().UTC().Truncate(time.Microsecond)
	applied := 0
	announced := false
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		applied = 0
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT feed_cursor FROM feed_state WHERE name = $1`, feedName).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO feed_state (name, feed_cursor, cursor_at, last_poll_at, last_error, applied_total)
VALUES ($1, $2, NULL, NULL, '', 0)`, feedName, from); err != nil {
				return fmt.Errorf("mis: feed state: %w", err)
			}
			cur = from
		case err != nil:
			return fmt.Errorf("mis: feed state: %w", err)
		}
		if cur != from {
			return errCursorMoved
		}
		var lastAt time.Time
		for _, ch := range page.Changes {
			if s.beforeApply != nil {
				if err := s.beforeApply(ch); err != nil {
					return err
				}
			}
			changed, err := s.applyChange(ctx, tx, ch, now)
			if err != nil {
				return err
			}
			if changed {
				applied++
				announced = true
			}
			if ch.UpdatedAt.After(lastAt) {
				lastAt = ch.UpdatedAt
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE feed_state SET feed_cursor = $2, cursor_at = COALESCE($3, cursor_at), last_poll_at = $4,
  last_error = '', applied_total = applied_total + $5 WHERE name = $1 AND feed_cursor = $6`,
			feedName, page.Next, nullTime(lastAt), now, applied, from)
		if err != nil {
			return fmt.Errorf("mis: store feed cursor: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errCursorMoved
		}
		return nil
	})
	if errors.Is(err, errCursorMoved) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if announced {
		s.committed()
	}
	return applied, nil
}

var errCursorMoved = errors.New("mis: the feed cursor moved meanwhile")

// applyChange brings Okno's copy of one appointment up to the MIS's and
// announces a new status (mis.appointment.<status>) or a move
// (mis.appointment.rescheduled). An appointment Okno does not keep is taken
// in when its patient is linked to a contact, and announced with its
// status; others are none of Okno's business. A change older than what
// Okno has, or one it already applied, changes nothing.
func (s *Service) applyChange(ctx context.Context, tx *sql.Tx, ch MISAppointment, now time.Time) (bool, error) {
	if ch.MISID == "" || !knownStatus(ch.Status) {
		return false, nil
	}
	var a Appointment
	var req, patient, version string
	var misUpdated sql.NullTime
	err := tx.QueryRowContext(ctx, `SELECT id, slot_id, contact_id, request_id, patient_id, status, start_at, end_at, version, mis_updated_at
FROM appointments WHERE mis_id = $1`, ch.MISID).Scan(&a.ID, &a.SlotID, &a.ContactID, &req, &patient, &a.Status, &a.Start, &a.End, &version, &misUpdated)
	if errors.Is(err, sql.ErrNoRows) {
		return s.takeIn(ctx, tx, ch, now)
	}
	if err != nil {
		return false, fmt.Errorf("mis: feed: find appointment: %w", err)
	}
	if misUpdated.Valid && !ch.UpdatedAt.IsZero() && ch.UpdatedAt.Before(misUpdated.Time) {
		return false, nil // older than what Okno has
	}
	statusChanged := ch.Status != a.Status
	moved := (!ch.Start.IsZero() && !ch.Start.Equal(a.Start)) || (ch.SlotID != "" && ch.SlotID != a.SlotID)
	if !statusChanged && !moved {
		if version != ch.Version || (patient == "" && ch.PatientID != "") {
			if _, err := tx.ExecContext(ctx, `UPDATE appointments SET version = $2, mis_updated_at = $3,
  patient_id = CASE WHEN patient_id = '' THEN $4 ELSE patient_id END WHERE id = $1`,
				a.ID, ch.Version, nullTime(ch.UpdatedAt), ch.PatientID); err != nil {
				return false, fmt.Errorf("mis: feed: update appointment: %w", err)
			}
		}
		return false, nil
	}
	prevStart := a.Start
	a.MISID, a.Status = ch.MISID, ch.Status
	if !ch.Start.IsZero() {
		a.Start, a.End = ch.Start.UTC(), ch.End.UTC()
	}
	if ch.SlotID != "" {
		a.SlotID = ch.SlotID
	}
	if req != "" {
		a.RequestID = &req
	}
	if patient == "" {
		patient = ch.PatientID
	}
	if patient != "" {
		a.PatientID = &patient
	}
	if _, err := tx.ExecContext(ctx, `UPDATE appointments SET status = $2, slot_id = $3, start_at = $4, end_at = $5,
  doctor_id = CASE WHEN $6 = '' THEN doctor_id ELSE $6 END, branch_id = CASE WHEN $7 = '' THEN branch_id ELSE $7 END,
  specialty_id = CASE WHEN $8 = '' THEN specialty_id ELSE $8 END, version = $9, mis_updated_at = $10, patient_id = $11, updated_at = $12
WHERE id = $1`, a.ID, a.Status, a.SlotID, a.Start.UTC(), a.End.UTC(), ch.DoctorID, ch.BranchID, ch.SpecialtyID, ch.Version,
		nullTime(ch.UpdatedAt), patient, now); err != nil {
		return false, fmt.Errorf("mis: feed: update appointment: %w", err)
	}
	subject := SubjectAppointment(a.Status)
	d := eventData(a)
	if !statusChanged {
		subject = SubjectRescheduled
		d["previous_start"] = prevStart.UTC().Format(time.RFC3339)
	}
	if _, err := events.Add(ctx, tx, subject, now, d); err != nil {
		return false, err
	}
	return true, nil
}

// takeIn stores an appointment made in the MIS for a linked patient (for
// the contact linked first) and announces it.
func (s *Service) takeIn(ctx context.Context, tx *sql.Tx, ch MISAppointment, now time.Time) (bool, error) {
	if ch.PatientID == "" {
		return false, nil
	}
	var contactID string
	err := tx.QueryRowContext(ctx, `SELECT contact_id FROM patient_links WHERE patient_id = $1 AND unlinked_at IS NULL
ORDER BY linked_at, id LIMIT 1`, ch.PatientID).Scan(&contactID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mis: feed: find link: %w", err)
	}
	id := ids.NewAt(now)
	inserted, err := insertMISAppointment(ctx, tx, id, contactID, ch, now)
	if err != nil {
		return false, err
	}
	if !inserted {
		// Taken in by the card meanwhile: apply the change to that copy.
		return s.applyChange(ctx, tx, ch, now)
	}
	patient := ch.PatientID
	a := Appointment{ID: id, MISID: ch.MISID, SlotID: ch.SlotID, ContactID: contactID, PatientID: &patient, Status: ch.Status,
		Start: ch.Start.UTC(), End: ch.End.UTC()}
	if _, err := events.Add(ctx, tx, SubjectAppointment(ch.Status), now, a.eventDataWithSource()); err != nil {
		return false, err
	}
	return true, nil
}

func (a Appointment) eventDataWithSource() map[string]string {
	d := eventData(a)
	d["source"] = SourceMIS
	return d
}
