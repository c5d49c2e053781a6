package mis

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// Reschedule moves an appointment Okno keeps into another free slot, in the
// MIS first (race-safe there: of two moves or bookings into one slot exactly
// one wins; the other gets *TakenProblem with fresh alternatives). Moving
// it into the slot it already holds is no change, so a retry is harmless.
func (s *Service) Reschedule(ctx context.Context, p principal.Principal, id, slotID string) (Appointment, error) {
	if !misID.MatchString(slotID) {
		return Appointment{}, problem.Field("slot_id", "must be a slot id from GET /mis/slots")
	}
	a, err := s.Appointment(ctx, id)
	if err != nil {
		return Appointment{}, err
	}
	if a.SlotID == slotID {
		return a, nil
	}
	if a.Status != ApptBooked && a.Status != ApptConfirmed {
		return Appointment{}, problem.Newf(problem.Conflict, "the appointment is %s and can no longer be moved", a.Status)
	}
	c, err := s.client()
	if err != nil {
		return Appointment{}, err
	}
	b, err := c.Reschedule(ctx, a.MISID, slotID)
	var taken *TakenError
	if errors.As(err, &taken) {
		return Appointment{}, s.taken(ctx, taken.Slot)
	}
	if errors.Is(err, ErrNotFound) {
		return Appointment{}, problem.Field("slot_id", "the MIS does not know this slot or appointment")
	}
	if err != nil {
		return Appointment{}, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	prevStart, prevSlot := a.Start, a.SlotID
	if b.SlotID == "" {
		b.SlotID = slotID
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE appointments SET slot_id = $2, start_at = $3, end_at = $4,
  doctor_id = CASE WHEN $5 = '' THEN doctor_id ELSE $5 END, branch_id = CASE WHEN $6 = '' THEN branch_id ELSE $6 END,
  specialty_id = CASE WHEN $7 = '' THEN specialty_id ELSE $7 END, updated_at = $8 WHERE id = $1`,
			id, b.SlotID, b.Start.UTC(), b.End.UTC(), b.DoctorID, b.BranchID, b.SpecialtyID, now); err != nil {
			return fmt.Errorf("mis: store reschedule: %w", err)
		}
		a.SlotID, a.Start, a.End = b.SlotID, b.Start.UTC(), b.End.UTC()
		d := eventData(a)
		d["previous_start"] = prevStart.UTC().Format(time.RFC3339)
		d["previous_slot_id"] = prevSlot
		if _, err := events.Add(ctx, tx, SubjectRescheduled, now, d); err != nil {
			return err
		}
		return auditlog.Emit(ctx, tx, ServiceName, auditRecord(p, now, "appointment.rescheduled", id,
			map[string]string{"mis_id": a.MISID, "contact_id": a.ContactID, "from_slot_id": prevSlot, "to_slot_id": b.SlotID}, auditlog.OutcomeSuccess))
	})
	if err != nil {
		// The MIS moved it; Okno's copy follows from the change feed.
		return Appointment{}, err
	}
	s.committed()
	return s.Appointment(ctx, id)
}

// ContactAppointments is Okno's view of a contact's appointments: those
// booked for the contact and those of the patients linked to it, latest
// first (at most 200). It is a health fact: the read is audited.
func (s *Service) ContactAppointments(ctx context.Context, p principal.Principal, contactID string) ([]Appointment, error) {
	if !ids.Valid(contactID) {
		return nil, problem.Field("contact_id", "must be a contact id")
	}
	list, err := s.queryAppointments(ctx, `SELECT `+apptCols+` FROM appointments
WHERE contact_id = $1 OR patient_id IN (SELECT patient_id FROM patient_links WHERE contact_id = $1 AND unlinked_at IS NULL)
ORDER BY start_at DESC, id LIMIT 200`, contactID)
	if err != nil {
		return nil, err
	}
	if err := s.auditRead(ctx, auditObject(p, s.Now().UTC(), "appointment.list", "contact", contactID,
		map[string]string{"appointments": strconv.Itoa(len(list))}, auditlog.OutcomeSuccess)); err != nil {
		return nil, err
	}
	return list, nil
}

// Services lists the cached services with prices, of one specialty or all.
func (s *Service) Services(ctx context.Context, specialtyID string) ([]MedService, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, specialty_id, price, currency FROM services
WHERE $1 = '' OR specialty_id = $1 ORDER BY position`, specialtyID)
	if err != nil {
		return nil, fmt.Errorf("mis: services: %w", err)
	}
	defer rows.Close()
	out := []MedService{}
	for rows.Next() {
		var sv MedService
		if err := rows.Scan(&sv.ID, &sv.Name, &sv.SpecialtyID, &sv.Price, &sv.Currency); err != nil {
			return nil, err
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}

// Schedule grid limits.
const (
	MaxScheduleRange = 8 * 24 * time.Hour
	maxScheduleSlots = 10000
)

// ScheduleSlot is one cell of the schedule grid: a slot, free or busy.
type ScheduleSlot struct {
	SlotView
	Status string `json:"status"`
}

// Schedule reads free and busy slots from the MIS (never the cache) for the
// schedule grid.
func (s *Service) Schedule(ctx context.Context, q SlotQuery) ([]ScheduleSlot, error) {
	c, err := s.client()
	if err != nil {
		return nil, err
	}
	if q.Limit <= 0 {
		q.Limit = maxScheduleSlots
	}
	slots, err := c.Schedule(ctx, q)
	if err != nil {
		return nil, err
	}
	n, err := s.names(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ScheduleSlot, 0, len(slots))
	for _, sl := range slots {
		st := sl.Status
		if st != "free" {
			st = "busy"
		}
		out = append(out, ScheduleSlot{SlotView: SlotView{ID: sl.ID, Start: sl.Start, End: sl.End, Specialty: ref(n.specialties, sl.SpecialtyID),
			Doctor: ref(n.doctors, sl.DoctorID), Branch: ref(n.branches, sl.BranchID)}, Status: st})
	}
	return out, nil
}
