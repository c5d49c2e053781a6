package mis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/problem"
)

// Capability reads the MIS's CapabilityStatement (GET /metadata) and checks
// that it is an R4 server's.
func (c *FHIRClient) Capability(ctx context.Context) (*fhir.CapabilityStatement, error) {
	var cs fhir.CapabilityStatement
	if _, err := c.do(ctx, http.MethodGet, c.base+"/metadata", nil, nil, &cs); err != nil {
		if st := statusOf(err); st != 0 {
			return nil, badAnswer("metadata: status %d", st)
		}
		return nil, err
	}
	if !strings.HasPrefix(cs.FHIRVersion, "4.0") {
		return nil, badAnswer("metadata: FHIR version %q, want 4.0.x (R4)", cs.FHIRVersion)
	}
	if !slices.ContainsFunc(cs.Rest, func(r fhir.CapabilityRest) bool { return r.Mode == "server" }) {
		return nil, badAnswer("metadata: no server rest entry")
	}
	return &cs, nil
}

// clientClaims reports whether this adapter must claim and free slots
// itself (SlotClaimClient), deciding once from the CapabilityStatement when
// configured to.
func (c *FHIRClient) clientClaims(ctx context.Context) (bool, error) {
	c.mu.Lock()
	mode := c.claimMode
	c.mu.Unlock()
	if mode == SlotClaimAuto {
		cs, err := c.Capability(ctx)
		if err != nil {
			return false, err
		}
		mode = SlotClaimServer
		if cs.Supports("Slot", "update") {
			mode = SlotClaimClient
		}
		c.mu.Lock()
		c.claimMode = mode
		c.mu.Unlock()
	}
	return mode == SlotClaimClient, nil
}

// errSlotChanged: a versioned Slot update lost to another writer.
var errSlotChanged = errors.New("mis: the slot changed meanwhile")

// setSlotStatus writes the slot's status with If-Match on the version read:
// the compare-and-set that makes a claim race-safe on a server that leaves
// slots to its clients. It returns the slot as written.
func (c *FHIRClient) setSlotStatus(ctx context.Context, r slotRead, status string) (slotRead, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		return slotRead{}, badAnswer("Slot/%s: %v", r.ID, err)
	}
	doc["status"], _ = json.Marshal(status)
	var got fhir.Slot
	h, raw, err := c.doRaw(ctx, http.MethodPut, c.base+"/Slot/"+url.PathEscape(r.ID), ifMatch(r.Version), doc, &got)
	switch st := statusOf(err); {
	case st == http.StatusConflict || st == http.StatusPreconditionFailed:
		return slotRead{}, errSlotChanged
	case st != 0:
		return slotRead{}, badAnswer("Slot update: status %d", st)
	case err != nil:
		return slotRead{}, err
	}
	if got.ID != r.ID || got.Status != status {
		return slotRead{}, badAnswer("Slot/%s is %q after setting it %s", r.ID, got.Status, status)
	}
	out := slotRead{Slot: r.Slot, status: status, raw: raw}
	out.Version = ""
	if got.Meta != nil {
		out.Version = got.Meta.VersionID
	}
	if v := etagVersion(h.Get("ETag")); v != "" {
		out.Version = v
	}
	return out, nil
}

// activeStatuses hold a slot.
var activeStatuses = []string{fhir.AppointmentProposed, fhir.AppointmentPending, fhir.AppointmentBooked,
	fhir.AppointmentArrived, fhir.AppointmentCheckedIn, fhir.AppointmentWaitlist}

// releaseSlot frees a busy slot that no active appointment holds any more
// (client-claimed slots only). A slot someone else booked meanwhile, or one
// changed meanwhile, is left alone: releasing is never worth a double booking.
func (c *FHIRClient) releaseSlot(ctx context.Context, slotID string) error {
	r, err := c.readSlot(ctx, slotID)
	if err == ErrNotFound {
		return nil
	}
	if err != nil || r.status != fhir.SlotBusy {
		return err
	}
	held := false
	q := url.Values{"slot": {"Slot/" + slotID}, "status": {strings.Join(activeStatuses, ",")}, "_count": {"1"}}
	if err := c.search(ctx, "Appointment", q, 1, func(json.RawMessage) error { held = true; return nil }); err != nil {
		return err
	}
	if held {
		return nil
	}
	if _, err := c.setSlotStatus(ctx, r, fhir.SlotFree); err != nil && err != errSlotChanged {
		return err
	}
	return nil
}

// patientFor finds or creates the Patient standing for an Okno contact
// (conditional create on the contact identifier).
func (c *FHIRClient) patientFor(ctx context.Context, contactID string) (string, error) {
	if contactID == "" {
		return "", problem.Field("contact_id", "is required when no MIS patient is given")
	}
	p := fhir.Patient{Identifier: []fhir.Identifier{{Use: "secondary", System: ContactIdentifierSystem, Value: contactID}}}
	got, err := c.createPatient(ctx, p, contactID)
	if err != nil {
		return "", err
	}
	return got.ID, nil
}

// Book books the slot. The slot is read for its version; where the MIS
// manages slots the Appointment is created with If-Match on that version,
// so that a slot taken meanwhile gives 409 or 412 — ErrSlotTaken — and never
// a double booking; where Okno claims slots, a versioned update of the Slot
// to busy comes first and does the same.
func (c *FHIRClient) Book(ctx context.Context, b Booking) (Booked, error) {
	claim, err := c.clientClaims(ctx)
	if err != nil {
		return Booked{}, err
	}
	sr, err := c.readSlot(ctx, b.SlotID)
	if err != nil {
		return Booked{}, err
	}
	if sr.status != fhir.SlotFree {
		return Booked{}, &TakenError{Slot: sr.Slot}
	}
	pid := b.PatientID
	if pid != "" {
		if _, err := c.Patient(ctx, pid); err != nil {
			return Booked{}, err
		}
	} else if pid, err = c.patientFor(ctx, b.ContactID); err != nil {
		return Booked{}, err
	}
	sl := sr.Slot
	h := ifMatch(sl.Version)
	if claim {
		claimed, err := c.setSlotStatus(ctx, sr, fhir.SlotBusy)
		if err == errSlotChanged {
			return Booked{}, &TakenError{Slot: sl}
		}
		if err != nil {
			return Booked{}, err
		}
		sr, h = claimed, nil
	}
	a := fhir.Appointment{
		Status: fhir.AppointmentBooked,
		Start:  fhir.Instant(sl.Start), End: fhir.Instant(sl.End),
		Slot:        []fhir.Reference{fhir.Ref("Slot", sl.ID)},
		Created:     fhir.DateTime(c.now().UTC()),
		Participant: append([]fhir.AppointmentParticipant{participant("Patient", pid)}, slotParticipants(sl)...),
	}
	var got fhir.Appointment
	_, err = c.do(ctx, http.MethodPost, c.base+"/Appointment", h, a, &got)
	if err != nil && claim {
		// Give the slot back; if that fails too it stays busy without an
		// appointment (a lost slot, never a double booking) and the
		// booking's own error is what the caller needs.
		_ = c.releaseSlot(context.WithoutCancel(ctx), sl.ID)
	}
	switch st := statusOf(err); {
	case st == http.StatusConflict || st == http.StatusPreconditionFailed:
		return Booked{}, &TakenError{Slot: sl}
	case st != 0:
		return Booked{}, badAnswer("Appointment create: status %d", st)
	case err != nil:
		return Booked{}, err
	}
	if got.ID == "" || got.Status == "" {
		return Booked{}, badAnswer("Appointment created without an id or status")
	}
	if got.Status != fhir.AppointmentBooked && got.Status != fhir.AppointmentPending {
		return Booked{}, badAnswer("Appointment/%s created as %s", got.ID, got.Status)
	}
	if len(got.Slot) != 1 || refID(&got.Slot[0], "Slot") != sl.ID {
		return Booked{}, badAnswer("Appointment/%s is not in the slot booked", got.ID)
	}
	return booked(got.ID, got.Status, sl), nil
}

func booked(id, status string, sl Slot) Booked {
	return Booked{MISID: id, SlotID: sl.ID, Start: sl.Start, End: sl.End, DoctorID: sl.DoctorID,
		BranchID: sl.BranchID, SpecialtyID: sl.SpecialtyID, Status: status}
}

func participant(typ, id string) fhir.AppointmentParticipant {
	return fhir.AppointmentParticipant{Actor: &fhir.Reference{Reference: typ + "/" + id}, Required: "required", Status: "accepted"}
}

// slotParticipants name the doctor, role and branch of the slot in the
// Appointment itself, so that any reader of it — the MIS's own staff, the
// change feed — sees whose it is without the slot.
func slotParticipants(sl Slot) []fhir.AppointmentParticipant {
	var out []fhir.AppointmentParticipant
	if sl.DoctorID != "" {
		out = append(out, participant("Practitioner", sl.DoctorID))
	}
	if sl.RoleID != "" {
		out = append(out, participant("PractitionerRole", sl.RoleID))
	}
	if sl.BranchID != "" {
		out = append(out, participant("Location", sl.BranchID))
	}
	return out
}

// appointmentRead is an Appointment with its JSON as sent and its version.
type appointmentRead struct {
	fhir.Appointment
	raw     []byte
	version string
}

func (c *FHIRClient) readAppointment(ctx context.Context, id string) (appointmentRead, error) {
	if !validID(id) {
		return appointmentRead{}, ErrNotFound
	}
	var a fhir.Appointment
	h, raw, err := c.doRaw(ctx, http.MethodGet, c.base+"/Appointment/"+url.PathEscape(id), nil, nil, &a)
	switch st := statusOf(err); {
	case st == http.StatusNotFound || st == http.StatusGone:
		return appointmentRead{}, ErrNotFound
	case st != 0:
		return appointmentRead{}, badAnswer("Appointment read: status %d", st)
	case err != nil:
		return appointmentRead{}, err
	}
	if a.ID != id || a.Status == "" {
		return appointmentRead{}, badAnswer("Appointment/%s answered without its id or status", id)
	}
	out := appointmentRead{Appointment: a, raw: raw, version: etagVersion(h.Get("ETag"))}
	if out.version == "" && a.Meta != nil {
		out.version = a.Meta.VersionID
	}
	return out, nil
}

// slotOf is the id of the appointment's one slot, or "".
func slotOf(a *fhir.Appointment) string {
	if len(a.Slot) != 1 {
		return ""
	}
	return refID(&a.Slot[0], "Slot")
}

// putAppointment writes the appointment's JSON with If-Match on the version
// read: every element the MIS sent goes back, changed only where Okno means to.
func (c *FHIRClient) putAppointment(ctx context.Context, ar appointmentRead, change func(doc map[string]json.RawMessage) error) (fhir.Appointment, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(ar.raw, &doc); err != nil {
		return fhir.Appointment{}, badAnswer("Appointment/%s: %v", ar.ID, err)
	}
	if err := change(doc); err != nil {
		return fhir.Appointment{}, err
	}
	var got fhir.Appointment
	_, err := c.do(ctx, http.MethodPut, c.base+"/Appointment/"+url.PathEscape(ar.ID), ifMatch(ar.version), doc, &got)
	if err != nil {
		return fhir.Appointment{}, err
	}
	if got.ID != ar.ID || got.Status == "" {
		return fhir.Appointment{}, badAnswer("Appointment/%s updated without its id or status", ar.ID)
	}
	return got, nil
}

// Cancel sets the appointment's status to cancelled (PUT with If-Match on
// the version read). One already cancelled is left as it is. Where Okno
// claims slots it frees the slot too — also when the appointment was
// already cancelled, so that a retry after a failed release heals it.
func (c *FHIRClient) Cancel(ctx context.Context, id string) error {
	claim, err := c.clientClaims(ctx)
	if err != nil {
		return err
	}
	ar, err := c.readAppointment(ctx, id)
	if err != nil {
		return err
	}
	if ar.Status != fhir.AppointmentCancelled {
		if slices.Contains(finalAppointment, ar.Status) {
			return &problem.Error{Code: problem.Conflict, Message: fmt.Sprintf("the appointment is %s in the MIS and cannot be cancelled", ar.Status)}
		}
		got, err := c.putAppointment(ctx, ar, func(doc map[string]json.RawMessage) error {
			doc["status"], _ = json.Marshal(fhir.AppointmentCancelled)
			return nil
		})
		if st := statusOf(err); st == http.StatusPreconditionFailed || st == http.StatusConflict {
			return &problem.Error{Code: problem.Conflict, Message: "the appointment changed in the MIS meanwhile; try again", Err: err}
		} else if st != 0 {
			return badAnswer("Appointment cancel: status %d", st)
		}
		if err != nil {
			return err
		}
		if got.Status != fhir.AppointmentCancelled {
			return badAnswer("Appointment/%s is %s after cancelling", id, got.Status)
		}
	}
	if claim {
		if sid := slotOf(&ar.Appointment); sid != "" {
			return c.releaseSlot(ctx, sid)
		}
	}
	return nil
}

// finalAppointment statuses cannot be cancelled or moved any more.
var finalAppointment = []string{fhir.AppointmentCancelled, fhir.AppointmentEnteredInError, fhir.AppointmentFulfilled, fhir.AppointmentNoShow}

// Reschedule moves the appointment into another free slot, race-safe like
// Book: the new slot is read with its version and must be free (else
// ErrSlotTaken); where Okno claims slots it is claimed by a versioned
// update; then the Appointment is updated (PUT with If-Match on its version)
// with the new slot reference, start, end and the new slot's doctor, role
// and branch. 409 or 412 — the slot was taken or the appointment changed
// meanwhile — is ErrSlotTaken. Where Okno claims slots the old one is freed.
func (c *FHIRClient) Reschedule(ctx context.Context, id, newSlotID string) (Booked, error) {
	claim, err := c.clientClaims(ctx)
	if err != nil {
		return Booked{}, err
	}
	ar, err := c.readAppointment(ctx, id)
	if err != nil {
		return Booked{}, err
	}
	if slices.Contains(finalAppointment, ar.Status) || ar.Status == fhir.AppointmentArrived || ar.Status == fhir.AppointmentCheckedIn {
		return Booked{}, &problem.Error{Code: problem.Conflict, Message: fmt.Sprintf("the appointment is %s in the MIS and cannot be moved", ar.Status)}
	}
	oldSlotID := slotOf(&ar.Appointment)
	sr, err := c.readSlot(ctx, newSlotID)
	if err != nil {
		return Booked{}, err
	}
	if oldSlotID == sr.ID {
		return booked(ar.ID, ar.Status, sr.Slot), nil
	}
	if sr.status != fhir.SlotFree {
		return Booked{}, &TakenError{Slot: sr.Slot}
	}
	var old Slot
	if oldSlotID != "" {
		o, err := c.readSlot(ctx, oldSlotID)
		if err != nil && err != ErrNotFound {
			return Booked{}, err
		}
		old = o.Slot
	}
	if claim {
		if _, err := c.setSlotStatus(ctx, sr, fhir.SlotBusy); err == errSlotChanged {
			return Booked{}, &TakenError{Slot: sr.Slot}
		} else if err != nil {
			return Booked{}, err
		}
	}
	sl := sr.Slot
	got, err := c.putAppointment(ctx, ar, func(doc map[string]json.RawMessage) error {
		return moveAppointment(doc, old, sl)
	})
	if err != nil && claim {
		_ = c.releaseSlot(context.WithoutCancel(ctx), sl.ID) // as in Book
	}
	switch st := statusOf(err); {
	case st == http.StatusConflict || st == http.StatusPreconditionFailed:
		return Booked{}, &TakenError{Slot: sl}
	case st != 0:
		return Booked{}, badAnswer("Appointment reschedule: status %d", st)
	case err != nil:
		return Booked{}, err
	}
	if slotOf(&got) != sl.ID {
		return Booked{}, badAnswer("Appointment/%s is not in the new slot after rescheduling", id)
	}
	if claim && oldSlotID != "" {
		// The move is done whatever happens to the old slot: reporting a
		// failure here would make the caller think it was not. A slot left
		// busy is lost time in the schedule, never a double booking.
		_ = c.releaseSlot(ctx, oldSlotID)
	}
	return booked(got.ID, got.Status, sl), nil
}

// moveAppointment points the appointment's JSON at the new slot: slot,
// start, end, and the participants of the old slot's doctor, role and
// branch replaced by the new one's. Other participants (the patient, a
// nurse, an interpreter) and every other element stay as the MIS has them.
func moveAppointment(doc map[string]json.RawMessage, old, sl Slot) error {
	var parts []json.RawMessage
	if raw, ok := doc["participant"]; ok {
		if err := json.Unmarshal(raw, &parts); err != nil {
			return badAnswer("Appointment.participant: %v", err)
		}
	}
	drop := map[string]bool{}
	for _, p := range slotParticipants(old) {
		drop[p.Actor.Reference] = true
	}
	kept := parts[:0]
	have := map[string]bool{}
	for _, raw := range parts {
		var p fhir.AppointmentParticipant
		if err := json.Unmarshal(raw, &p); err != nil {
			return badAnswer("Appointment.participant: %v", err)
		}
		if p.Actor != nil {
			if t, id, ok := p.Actor.Split(); ok {
				if drop[t+"/"+id] {
					continue
				}
				have[t+"/"+id] = true
			}
		}
		kept = append(kept, raw)
	}
	for _, p := range slotParticipants(sl) {
		if !have[p.Actor.Reference] {
			raw, _ := json.Marshal(p)
			kept = append(kept, raw)
		}
	}
	set := func(k string, v any) { doc[k], _ = json.Marshal(v) }
	set("participant", kept)
	set("slot", []fhir.Reference{fhir.Ref("Slot", sl.ID)})
	set("start", fhir.Instant(sl.Start))
	set("end", fhir.Instant(sl.End))
	delete(doc, "minutesDuration")
	return nil
}
