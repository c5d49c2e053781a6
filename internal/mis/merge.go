package mis

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/principal"
)

// SubjectContactMerged is the contact center's announcement that one
// contact card was folded into another.
const SubjectContactMerged = "contactcenter.contact.merged"

// ApplyContactEvent applies an event of the contact center inside the
// consumer's transaction (events.Consumer records the event id in the
// inbox there too). A merge moves the merged-away contact's links and the
// appointments kept for it to the surviving contact, so that the
// survivor's card and list show its patients and appointments. Other
// events are ignored.
//
// The handler is idempotent on its own as well: once applied, the merged
// contact has no active link and no appointment left, so applying the
// event again finds nothing to move.
func (s *Service) ApplyContactEvent(ctx context.Context, tx *sql.Tx, e events.Envelope) error {
	if e.Type != SubjectContactMerged {
		return nil
	}
	var d struct {
		ContactID       string `json:"contact_id"`
		MergedContactID string `json:"merged_contact_id"`
		ActorID         string `json:"actor_id"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil || !ids.Valid(d.ContactID) || !ids.Valid(d.MergedContactID) || d.ContactID == d.MergedContactID {
		return nil // unreadable: nothing to apply, and retrying will not help
	}
	// The merge was a person's act: the moves are recorded under them.
	actor := principal.Principal{UserID: d.ActorID}
	if actor.UserID == "" {
		actor.UserID = "system"
	}
	if err := s.moveLinks(ctx, tx, actor, d.MergedContactID, d.ContactID, e.ID); err != nil {
		return err
	}
	return s.moveAppointments(ctx, tx, d.MergedContactID, d.ContactID)
}

// moveAppointments puts the appointments kept for from (booked from Okno,
// or taken in from the MIS for a patient linked to it) on into.
//
// A plain update, neither announced nor audited one by one, unlike a
// link: an appointment's contact_id is where Okno files it (the index
// GET /mis/appointments?contact_id= reads), not a fact of the MIS, which
// books by patient and keeps the appointment as it was. No service keeps
// appointments by contact: the contact center follows appointment events
// by request (moved in place by the merge) and, for a no-show without one,
// by the contact the event names, which from now on is the survivor. An
// announcement would have no reader, and the move is the merge's own
// consequence, audited by the contact center under the person who merged
// (contact.merge), as its moves of requests and calls are.
func (s *Service) moveAppointments(ctx context.Context, tx *sql.Tx, from, into string) error {
	now := s.Now().UTC().Truncate(time.Microsecond)
	if _, err := tx.ExecContext(ctx, `UPDATE appointments SET contact_id = $2, updated_at = $3 WHERE contact_id = $1`, from, into, now); err != nil {
		return fmt.Errorf("mis: merge: move appointments: %w", err)
	}
	return nil
}

// moveLinks moves every active link of from to into. A link keeps its id,
// who made it and when: the merged card is the same person as the
// survivor, as the contact center moves requests and calls in place. A
// patient the survivor is already linked to is not linked twice: the
// merged card's link is ended instead (kept, with who ended it and when,
// like any unlink). Each move or end is announced and audited like a link
// change made by hand, ids only.
func (s *Service) moveLinks(ctx context.Context, tx *sql.Tx, actor principal.Principal, from, into, eventID string) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, contact_id, patient_id, linked_by, linked_at FROM patient_links
WHERE contact_id = $1 AND unlinked_at IS NULL ORDER BY linked_at, id`, from)
	if err != nil {
		return fmt.Errorf("mis: merge: links: %w", err)
	}
	var moving []Link
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.ID, &l.ContactID, &l.PatientID, &l.LinkedBy, &l.LinkedAt); err != nil {
			rows.Close()
			return fmt.Errorf("mis: merge: links: %w", err)
		}
		moving = append(moving, l)
	}
	// Read to the end before writing: one connection carries the
	// transaction, and an open cursor would hold it.
	if err := rows.Close(); err != nil {
		return fmt.Errorf("mis: merge: links: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("mis: merge: links: %w", err)
	}
	if len(moving) == 0 {
		return nil
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	for _, l := range moving {
		kept, err := findActiveLink(ctx, tx, into, l.PatientID)
		switch {
		case err == nil:
			if err := s.endMergedLink(ctx, tx, actor, l, kept, now, eventID); err != nil {
				return err
			}
		case errors.Is(err, sql.ErrNoRows):
			if err := s.moveLink(ctx, tx, actor, l, into, now, eventID); err != nil {
				return err
			}
		default:
			return fmt.Errorf("mis: merge: find link: %w", err)
		}
	}
	return nil
}

func (s *Service) moveLink(ctx context.Context, tx *sql.Tx, actor principal.Principal, l Link, into string, now time.Time, eventID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE patient_links SET contact_id = $2 WHERE id = $1 AND unlinked_at IS NULL`, l.ID, into); err != nil {
		return fmt.Errorf("mis: merge: move link: %w", err)
	}
	moved := l
	moved.ContactID = into
	data := linkEvent(moved)
	data["previous_contact_id"] = l.ContactID
	if _, err := events.Add(ctx, tx, SubjectRelinked, now, data); err != nil {
		return err
	}
	return auditlog.Emit(ctx, tx, ServiceName, auditObject(actor, now, "patient.relinked", "patient_link", l.ID,
		map[string]string{"contact_id": into, "previous_contact_id": l.ContactID, "patient_id": l.PatientID,
			"cause": SubjectContactMerged, "event_id": eventID}, auditlog.OutcomeSuccess))
}

func (s *Service) endMergedLink(ctx context.Context, tx *sql.Tx, actor principal.Principal, l, kept Link, now time.Time, eventID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE patient_links SET unlinked_by = $2, unlinked_at = $3 WHERE id = $1 AND unlinked_at IS NULL`, l.ID, actor.UserID, now); err != nil {
		return fmt.Errorf("mis: merge: end link: %w", err)
	}
	if _, err := events.Add(ctx, tx, SubjectUnlinked, now, linkEvent(l)); err != nil {
		return err
	}
	return auditlog.Emit(ctx, tx, ServiceName, auditObject(actor, now, "patient.unlinked", "patient_link", l.ID,
		map[string]string{"contact_id": l.ContactID, "patient_id": l.PatientID, "kept_link_id": kept.ID,
			"cause": SubjectContactMerged, "event_id": eventID}, auditlog.OutcomeSuccess))
}
