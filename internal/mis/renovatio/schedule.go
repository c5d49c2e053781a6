package renovatio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/mis"
	"github.com/okno-crm/okno/internal/problem"
)

// Slot ids. Renovatio has no slot entity: getSchedule answers cells of a
// doctor's day in a clinic. Okno's slot id spells out whose cell and when,
// so that booking can find the very cell again:
// rn1.<user>.<clinic>.<profession>.<start>.<end>, times as the clinic's
// wall clock, YYYYMMDDhhmm.
const (
	slotPrefix = "rn1"
	slotTime   = "200601021504"
)

type slotKey struct {
	user, clinic, profession string
	start, end               time.Time
}

func (c *Client) slotID(k slotKey) string {
	return strings.Join([]string{slotPrefix, k.user, k.clinic, k.profession,
		k.start.In(c.loc).Format(slotTime), k.end.In(c.loc).Format(slotTime)}, ".")
}

// parseSlotID reads a slot id back; ok is false for ids Okno never made.
func (c *Client) parseSlotID(id string) (slotKey, bool) {
	p := strings.Split(id, ".")
	if len(p) != 6 || p[0] != slotPrefix || !validID(p[1]) || !validID(p[2]) || (p[3] != "" && !validID(p[3])) {
		return slotKey{}, false
	}
	s, err1 := time.ParseInLocation(slotTime, p[4], c.loc)
	e, err2 := time.ParseInLocation(slotTime, p[5], c.loc)
	if err1 != nil || err2 != nil || !e.After(s) {
		return slotKey{}, false
	}
	return slotKey{user: p[1], clinic: p[2], profession: p[3], start: s.UTC(), end: e.UTC()}, true
}

// cell is one element of getSchedule's answer.
type cell struct {
	UserID    flexString `json:"user_id"`
	ClinicID  flexString `json:"clinic_id"`
	TimeStart flexString `json:"time_start"`
	TimeEnd   flexString `json:"time_end"`
	IsBusy    flexBool   `json:"is_busy"`
	IsPast    flexBool   `json:"is_past"`
}

type scheduleCell struct {
	user, clinic string
	start, end   time.Time
	busy, past   bool
}

// decodeSchedule reads getSchedule's data: an object of cells by user id (an
// empty PHP array, [], when nobody has a schedule in the period).
func (c *Client) decodeSchedule(data json.RawMessage) ([]scheduleCell, error) {
	data = bytes.TrimSpace(data)
	if string(data) == "[]" || string(data) == "null" {
		return nil, nil
	}
	var byUser map[string][]cell
	if err := json.Unmarshal(data, &byUser); err != nil {
		return nil, errors.New("getSchedule: data is not cells by user id")
	}
	var out []scheduleCell
	for uid, cells := range byUser {
		if !validID(uid) {
			return nil, errors.New("getSchedule: a malformed user id")
		}
		for i, ce := range cells {
			if ce.UserID != "" && string(ce.UserID) != uid {
				return nil, errors.New("getSchedule: a cell filed under another user")
			}
			start, ok1 := c.parseTime(string(ce.TimeStart))
			end, ok2 := c.parseTime(string(ce.TimeEnd))
			if !validID(string(ce.ClinicID)) || !ok1 || !ok2 || !end.After(start) {
				return nil, errors.New("getSchedule: cell #" + itoa(i) + " of user " + uid + " lacks a clinic, start or end")
			}
			out = append(out, scheduleCell{user: uid, clinic: string(ce.ClinicID), start: start, end: end, busy: bool(ce.IsBusy), past: bool(ce.IsPast)})
		}
	}
	return out, nil
}

// schedule reads the cells of the given doctors in [from, to), busy ones
// too when busy is set.
func (c *Client) schedule(ctx context.Context, users []string, clinicID string, from, to time.Time, busy bool) ([]scheduleCell, error) {
	var out []scheduleCell
	for len(users) > 0 {
		n := min(len(users), usersPerSchedule)
		form := urlValues("user_id", strings.Join(users[:n], ","), "clinic_id", clinicID,
			"time_start", c.formTime(from), "time_end", c.formTime(to), "show_past", "0")
		if busy {
			form.Set("show_busy", "1")
		}
		if c.step > 0 {
			form.Set("step", itoa(c.step))
		}
		users = users[n:]
		data, err := c.call(ctx, "getSchedule", form)
		var ae *APIError
		if errors.As(err, &ae) {
			return nil, refused(ae)
		}
		if err != nil {
			return nil, err
		}
		cells, err := c.decodeSchedule(data)
		if err != nil {
			return nil, badAnswer("%v", err)
		}
		out = append(out, cells...)
	}
	return out, nil
}

// specialtyOf picks the specialty a cell is booked under: the one asked
// for, else the doctor's only (or first) profession.
func specialtyOf(u user, asked string) string {
	if asked != "" {
		return asked
	}
	if len(u.Profession) > 0 {
		return u.Profession[0]
	}
	return ""
}

// slots reads the schedule for a query; busy cells are included (with
// Status "busy") only when busy is set.
func (c *Client) slots(ctx context.Context, q mis.SlotQuery, busy bool) ([]mis.Slot, error) {
	if q.From.IsZero() || q.To.IsZero() || !q.To.After(q.From) {
		return nil, problem.Field("from", "must be before to")
	}
	idx, err := c.doctorIndex(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, u := range idx {
		if (q.DoctorID == "" || id == q.DoctorID) &&
			(q.SpecialtyID == "" || contains(u.Profession, q.SpecialtyID)) &&
			(q.BranchID == "" || contains(u.Clinic, q.BranchID)) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return []mis.Slot{}, nil
	}
	sort.Strings(ids)
	cells, err := c.schedule(ctx, ids, q.BranchID, q.From, q.To, busy)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	out := []mis.Slot{}
	for _, ce := range cells {
		u, ok := idx[ce.user]
		// The server was told whose cells and which clinic: check rather than
		// trust, and leave out what was not asked for.
		if !ok || (q.BranchID != "" && ce.clinic != q.BranchID) || ce.past || ce.start.Before(q.From) || !ce.start.Before(q.To) || (ce.busy && !busy) {
			continue
		}
		spec := specialtyOf(u, q.SpecialtyID)
		k := slotKey{user: ce.user, clinic: ce.clinic, profession: spec, start: ce.start, end: ce.end}
		s := mis.Slot{ID: c.slotID(k), Start: ce.start, End: ce.end, SpecialtyID: spec, DoctorID: ce.user,
			BranchID: ce.clinic, RoleID: roleID(ce.user, ce.clinic, spec), Status: "free"}
		if ce.busy {
			s.Status = "busy"
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FreeSlots reads the free cells of the doctors the query selects.
func (c *Client) FreeSlots(ctx context.Context, q mis.SlotQuery) ([]mis.Slot, error) {
	return c.slots(ctx, q, false)
}

// Schedule reads free and busy cells alike (show_busy=1).
func (c *Client) Schedule(ctx context.Context, q mis.SlotQuery) ([]mis.Slot, error) {
	return c.slots(ctx, q, true)
}

// cellNow re-reads the cell of a slot: its state right now, or
// mis.ErrNotFound when the doctor no longer has it in the schedule.
func (c *Client) cellNow(ctx context.Context, k slotKey) (mis.Slot, bool, error) {
	cells, err := c.schedule(ctx, []string{k.user}, k.clinic, k.start, k.end, true)
	if err != nil {
		return mis.Slot{}, false, err
	}
	s := mis.Slot{ID: c.slotID(k), Start: k.start, End: k.end, SpecialtyID: k.profession, DoctorID: k.user,
		BranchID: k.clinic, RoleID: roleID(k.user, k.clinic, k.profession), Status: "free"}
	found, busy := false, false
	for _, ce := range cells {
		if ce.user != k.user || ce.clinic != k.clinic || !ce.start.Before(k.end) || !ce.end.After(k.start) {
			continue
		}
		// Renovatio may cut the day differently now: any busy cell that
		// overlaps the slot takes it.
		if ce.busy || ce.past {
			busy = true
		}
		if ce.start.Equal(k.start) && ce.end.Equal(k.end) {
			found = true
		}
	}
	if busy {
		s.Status = "busy"
		return s, true, nil
	}
	if !found {
		return mis.Slot{}, false, mis.ErrNotFound
	}
	return s, false, nil
}

// ErrNoPatient: Renovatio books a patient of its own, and Okno has no way
// to stand a contact for one (Renovatio has no patient identifier Okno could
// set and find again), so the contact must be linked to a patient first.
var ErrNoPatient = problem.Field("patient_id", "link the contact to a patient of the MIS before booking")

// Book books a slot for the patient. Renovatio has no slot version to
// condition on, so the cell is read again right before createAppointment
// (busy: the slot is taken), and createAppointment is sent with
// check_intersection=1 so that Renovatio itself refuses a time that was
// taken meanwhile; a refusal after which the cell reads busy is
// mis.ErrSlotTaken.
func (c *Client) Book(ctx context.Context, b mis.Booking) (mis.Booked, error) {
	return c.book(ctx, b, "")
}

func (c *Client) book(ctx context.Context, b mis.Booking, movedFrom string) (mis.Booked, error) {
	k, ok := c.parseSlotID(b.SlotID)
	if !ok {
		return mis.Booked{}, mis.ErrNotFound
	}
	if b.PatientID == "" {
		return mis.Booked{}, ErrNoPatient
	}
	if !validID(b.PatientID) {
		return mis.Booked{}, problem.Field("patient_id", "is not a Renovatio patient id")
	}
	sl, busy, err := c.cellNow(ctx, k)
	if err != nil {
		return mis.Booked{}, err
	}
	if busy {
		return mis.Booked{}, &mis.TakenError{Slot: sl}
	}
	form := urlValues("doctor_id", k.user, "clinic_id", k.clinic, "time_start", c.formTime(k.start),
		"time_end", c.formTime(k.end), "patient_id", b.PatientID, "check_intersection", "1", "moved_from", movedFrom)
	data, err := c.call(ctx, "createAppointment", form)
	var ae *APIError
	if errors.As(err, &ae) {
		again, busy, rerr := c.cellNow(ctx, k)
		if rerr == nil && busy {
			return mis.Booked{}, &mis.TakenError{Slot: again}
		}
		return mis.Booked{}, &problem.Error{Code: problem.Conflict, Message: fmt.Sprintf("the MIS refused the booking (Renovatio error %s)", ae.Code), Err: ae}
	}
	if err != nil {
		return mis.Booked{}, err
	}
	id, err := createdID(data, "id", "appointment_id")
	if err != nil {
		return mis.Booked{}, badAnswer("createAppointment: %v", err)
	}
	return mis.Booked{MISID: id, SlotID: sl.ID, Start: sl.Start, End: sl.End, DoctorID: sl.DoctorID,
		BranchID: sl.BranchID, SpecialtyID: sl.SpecialtyID, Status: mis.ApptBooked}, nil
}

// createdID reads the id of what a create method made: an object with one
// of the named members, or the bare id.
func createdID(data json.RawMessage, names ...string) (string, error) {
	var obj map[string]flexString
	if err := json.Unmarshal(data, &obj); err == nil {
		for _, n := range names {
			if v := string(obj[n]); v != "" {
				if !validID(v) {
					return "", errors.New("a malformed id")
				}
				return v, nil
			}
		}
		return "", errors.New("no id in the answer")
	}
	var v flexString
	if err := json.Unmarshal(data, &v); err != nil || !validID(string(v)) {
		return "", errors.New("no id in the answer")
	}
	return string(v), nil
}

// Cancel cancels an appointment (cancelAppointment). When Renovatio refuses,
// the appointment is read: gone is mis.ErrNotFound, already cancelled is
// done, anything else is the refusal.
func (c *Client) Cancel(ctx context.Context, id string) error {
	if !validID(id) {
		return mis.ErrNotFound
	}
	_, err := c.call(ctx, "cancelAppointment", urlValues("appointment_id", id))
	var ae *APIError
	if !errors.As(err, &ae) {
		return err
	}
	a, ok, rerr := c.appointment(ctx, id)
	switch {
	case rerr != nil:
		return rerr
	case !ok:
		return mis.ErrNotFound
	case a.Status == mis.ApptCancelled:
		return nil
	}
	return &problem.Error{Code: problem.Conflict, Message: fmt.Sprintf("the MIS refused to cancel the appointment (Renovatio error %s)", ae.Code), Err: ae}
}

// Reschedule books the patient of the appointment into the new slot
// (createAppointment with moved_from naming the old one), then cancels the
// old appointment. Renovatio documents no atomic move: if the old one cannot
// be cancelled, the new one is cancelled again and the error returned, so
// that the patient is never booked twice.
func (c *Client) Reschedule(ctx context.Context, id, newSlotID string) (mis.Booked, error) {
	if !validID(id) {
		return mis.Booked{}, mis.ErrNotFound
	}
	old, ok, err := c.appointment(ctx, id)
	if err != nil {
		return mis.Booked{}, err
	}
	if !ok {
		return mis.Booked{}, mis.ErrNotFound
	}
	if old.Status == mis.ApptCancelled || old.Status == mis.ApptCompleted {
		return mis.Booked{}, problem.Newf(problem.Conflict, "the appointment is %s in the MIS and cannot be moved", old.Status)
	}
	if old.PatientID == "" {
		return mis.Booked{}, badAnswer("getAppointments: appointment %s without a patient", id)
	}
	b, err := c.book(ctx, mis.Booking{SlotID: newSlotID, PatientID: old.PatientID}, id)
	if err != nil {
		return mis.Booked{}, err
	}
	if err := c.Cancel(ctx, id); err != nil {
		if uerr := c.Cancel(ctx, b.MISID); uerr != nil {
			return mis.Booked{}, &problem.Error{Code: problem.Unavailable,
				Message: "the MIS booked the new time but could not cancel the old one nor undo the new one; check both in the MIS",
				Err:     errors.Join(err, uerr)}
		}
		return mis.Booked{}, err
	}
	return b, nil
}
