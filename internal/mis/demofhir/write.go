package demofhir

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/okno-crm/okno/internal/mis/fhir"
)

// createPatient is POST /Patient, conditional with If-None-Exist.
func (s *Server) createPatient(w http.ResponseWriter, r *http.Request) {
	p := &fhir.Patient{}
	if err := decodeBody(r, p); err != nil {
		s.badBody(w, err)
		return
	}
	if len(p.Name) == 0 && len(p.Identifier) == 0 {
		s.fail(w, http.StatusUnprocessableEntity, "required", "a Patient needs a name or an identifier")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cond := r.Header.Get("If-None-Exist"); cond != "" {
		values, err := url.ParseQuery(strings.TrimPrefix(cond, "?"))
		if err == nil && len(values) == 0 {
			err = fmt.Errorf("empty")
		}
		if err != nil {
			s.fail(w, http.StatusBadRequest, "invalid", "If-None-Exist is not a search query: "+err.Error())
			return
		}
		q, err := s.parseQuery("Patient", values)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "invalid", "If-None-Exist: "+err.Error())
			return
		}
		switch hits := s.find("Patient", q); len(hits) {
		case 0:
		case 1:
			s.created(w, r, hits[0], http.StatusOK)
			return
		default:
			s.fail(w, http.StatusPreconditionFailed, "multiple-matches", fmt.Sprintf("If-None-Exist matches %d patients", len(hits)))
			return
		}
	}
	p.ID = fmt.Sprintf("pat-%03d", s.nextPatient)
	s.nextPatient++
	if !slices.ContainsFunc(p.Identifier, func(id fhir.Identifier) bool { return id.System == MRNSystem }) {
		p.Identifier = append(p.Identifier, fhir.Identifier{Use: "usual", System: MRNSystem, Value: fmt.Sprintf("MK-%06d", 200000+s.nextPatient)})
	}
	p.Text, p.Contained = nil, nil
	s.put(p, s.stamp())
	s.created(w, r, p, http.StatusCreated)
}

// bookingTarget resolves the one Slot an Appointment references. Callers hold mu.
func (s *Server) bookingTarget(a *fhir.Appointment) (*fhir.Slot, string) {
	if len(a.Slot) != 1 {
		return nil, "an Appointment must reference exactly one Slot"
	}
	typ, id, ok := a.Slot[0].Split()
	if !ok || typ != "Slot" {
		return nil, "Appointment.slot must be a Slot reference"
	}
	sl, ok := s.res["Slot"][id].(*fhir.Slot)
	if !ok {
		return nil, "Slot/" + id + " is not known"
	}
	return sl, ""
}

// checkPatient requires exactly one known Patient participant. Callers hold mu.
func (s *Server) checkPatient(a *fhir.Appointment) string {
	refs := actors(a, "Patient")
	if len(refs) != 1 {
		return "an Appointment needs exactly one Patient participant"
	}
	_, id, _ := refs[0].Split()
	if _, ok := s.res["Patient"][id]; !ok {
		return "Patient/" + id + " is not known"
	}
	return ""
}

// roleOf finds the PractitionerRole among the actors of the slot's schedule. Callers hold mu.
func (s *Server) roleOf(sl *fhir.Slot) *fhir.PractitionerRole {
	_, sid, _ := sl.Schedule.Split()
	sch, ok := s.res["Schedule"][sid].(*fhir.Schedule)
	if !ok {
		return nil
	}
	for _, ref := range sch.Actor {
		if t, id, ok := ref.Split(); ok && t == "PractitionerRole" {
			role, _ := s.res["PractitionerRole"][id].(*fhir.PractitionerRole)
			return role
		}
	}
	return nil
}

// fillFromSlot makes the appointment's time and participants agree with its slot.
func (s *Server) fillFromSlot(a *fhir.Appointment, sl *fhir.Slot) {
	a.Start, a.End = sl.Start, sl.End
	a.MinutesDuration = nil
	if len(a.Specialty) == 0 {
		a.Specialty = sl.Specialty
	}
	a.Slot = []fhir.Reference{fhir.Ref("Slot", sl.ID)}
	withRoleParticipants(a, s.roleOf(sl))
}

// createAppointment is POST /Appointment: book a free slot, atomically.
func (s *Server) createAppointment(w http.ResponseWriter, r *http.Request) {
	a := &fhir.Appointment{}
	if err := decodeBody(r, a); err != nil {
		s.badBody(w, err)
		return
	}
	switch a.Status {
	case "", fhir.AppointmentProposed, fhir.AppointmentPending, fhir.AppointmentBooked:
		a.Status = fhir.AppointmentBooked
	default:
		s.fail(w, http.StatusUnprocessableEntity, "business-rule", "a new Appointment can only be booked, not "+a.Status)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, msg := s.bookingTarget(a)
	if msg != "" {
		s.fail(w, http.StatusUnprocessableEntity, "processing", msg)
		return
	}
	if msg := s.checkPatient(a); msg != "" {
		s.fail(w, http.StatusUnprocessableEntity, "processing", msg)
		return
	}
	if !matchIfMatch(r.Header.Get("If-Match"), sl) {
		s.fail(w, http.StatusPreconditionFailed, "conflict", "Slot/"+sl.ID+" has changed (now version "+sl.Meta.VersionID+"); read it again")
		return
	}
	if sl.Status != fhir.SlotFree {
		s.fail(w, http.StatusConflict, "conflict", "Slot/"+sl.ID+" is not free")
		return
	}
	now := s.stamp()
	sl.Status = fhir.SlotBusy
	s.touch(sl, now)
	a.ID = fmt.Sprintf("appt-%05d", s.nextAppointment)
	s.nextAppointment++
	a.Text, a.Contained = nil, nil
	a.Created = fhir.DateTime(s.now().In(Yekaterinburg))
	s.fillFromSlot(a, sl)
	s.put(a, now)
	s.created(w, r, a, http.StatusCreated)
}

// final statuses cannot change any more.
var finalStatuses = []string{fhir.AppointmentCancelled, fhir.AppointmentEnteredInError, fhir.AppointmentFulfilled, fhir.AppointmentNoShow}

// releasing statuses give the slot back.
var releasing = []string{fhir.AppointmentCancelled, fhir.AppointmentEnteredInError}

// updateAppointment is PUT /Appointment/{id}: status changes, cancellation, rescheduling.
func (s *Server) updateAppointment(w http.ResponseWriter, r *http.Request, id string) {
	a := &fhir.Appointment{}
	if err := decodeBody(r, a); err != nil {
		s.badBody(w, err)
		return
	}
	if a.ID != id {
		s.fail(w, http.StatusBadRequest, "invalid", "the body's id must be the id in the URL")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.res["Appointment"][id].(*fhir.Appointment)
	if !ok {
		s.fail(w, http.StatusMethodNotAllowed, "not-found", "Appointment/"+id+" is not known; this server does not create by update")
		return
	}
	if !matchIfMatch(r.Header.Get("If-Match"), old) {
		s.fail(w, http.StatusPreconditionFailed, "conflict", "Appointment/"+id+" has changed (now version "+old.Meta.VersionID+")")
		return
	}
	if slices.Contains(finalStatuses, old.Status) {
		s.fail(w, http.StatusUnprocessableEntity, "business-rule", "Appointment/"+id+" is "+old.Status+" and cannot change; book a new one")
		return
	}
	if !slices.Contains([]string{fhir.AppointmentBooked, fhir.AppointmentArrived, fhir.AppointmentCheckedIn, fhir.AppointmentFulfilled, fhir.AppointmentNoShow, fhir.AppointmentCancelled, fhir.AppointmentEnteredInError}, a.Status) {
		s.fail(w, http.StatusUnprocessableEntity, "business-rule", "status "+a.Status+" is not supported for an update")
		return
	}
	if msg := s.checkPatient(a); msg != "" {
		s.fail(w, http.StatusUnprocessableEntity, "processing", msg)
		return
	}
	if patientOf(old) != patientOf(a) {
		s.fail(w, http.StatusUnprocessableEntity, "business-rule", "the patient of an appointment cannot change")
		return
	}
	oldSlot, _ := s.bookingTarget(old)
	newSlot, msg := s.bookingTarget(a)
	if msg != "" {
		s.fail(w, http.StatusUnprocessableEntity, "processing", msg)
		return
	}
	now := s.stamp()
	moved := oldSlot == nil || newSlot.ID != oldSlot.ID
	if moved && slices.Contains(releasing, a.Status) {
		s.fail(w, http.StatusUnprocessableEntity, "business-rule", "cancel and reschedule are separate updates")
		return
	}
	if moved && newSlot.Status != fhir.SlotFree {
		s.fail(w, http.StatusConflict, "conflict", "Slot/"+newSlot.ID+" is not free")
		return
	}
	if moved {
		newSlot.Status = fhir.SlotBusy
		s.touch(newSlot, now)
		// Participants derived from the old slot's schedule go; the client's others stay.
		a.Participant = slices.DeleteFunc(a.Participant, func(p fhir.AppointmentParticipant) bool {
			if p.Actor == nil {
				return false
			}
			t, _, _ := p.Actor.Split()
			return t != "Patient"
		})
	}
	if oldSlot != nil && (moved || slices.Contains(releasing, a.Status)) && oldSlot.Status == fhir.SlotBusy {
		oldSlot.Status = fhir.SlotFree
		s.touch(oldSlot, now)
	}
	a.Meta, a.Text, a.Contained = old.Meta, nil, nil
	a.Created = old.Created
	s.fillFromSlot(a, newSlot)
	s.touch(a, now)
	s.res["Appointment"][id] = a
	s.write(w, http.StatusOK, a, a)
}

// patientOf is the "Patient/id" of the appointment's patient participant, or "".
func patientOf(a *fhir.Appointment) string {
	for _, ref := range actors(a, "Patient") {
		_, id, _ := ref.Split()
		return "Patient/" + id
	}
	return ""
}
