// Package mistest is the contract suite of Okno's FHIR R4 adapter: the behaviours every FHIR
// server Okno books through must show, exercised through mis.FHIRClient over HTTP. It runs
// against the demo MIS (internal/mis/demofhir) and against a FHIR server nobody at Okno wrote
// (medplum's FHIR router, internal/mis/fhirtest/medplum), so that neither the adapter nor the
// demo can drift from real FHIR.
//
// Where the two servers differ, the difference is named here, not hidden:
//
//   - Slots. The demo MIS turns a Slot busy when an Appointment names it and refuses a taken
//     one (409), and checks If-Match on the Appointment create against the Slot (412). Medplum
//     is a plain store: it ignores If-Match on a create and leaves slots alone. The adapter
//     reads the CapabilityStatement and, against a server that offers Slot updates, claims the
//     slot itself with a versioned update (PUT Slot with If-Match → 412 for the loser). The
//     suite checks If-Match went out on whichever request carries the booking's race-safety.
//   - Rescheduling and cancelling. The demo frees and takes slots itself; against a plain store
//     the adapter frees the old slot. Either way the suite checks the slots as a client sees
//     them afterwards.
//   - Change feed stamps. The demo stamps strictly increasing milliseconds; medplum stamps
//     new Date(), so two writes can share a millisecond. The adapter's cursor keeps the
//     versions seen at the last millisecond and asks with ge, so the suite's exact
//     expectations hold on both.
//
// Patient data in this suite is made up; failures name fields, never their values.
package mistest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/mis"
	"github.com/okno-crm/okno/internal/problem"
)

// Option adjusts the suite to a server.
type Option func(*config)

type config struct {
	httpClient *http.Client
	from, to   time.Time
	pageSize   int
	slotClaim  string
	knownPat   *knownPatient
	knownAppt  *knownAppointment
}

type knownPatient struct {
	id   mis.Identifier
	want mis.Patient
}

type knownAppointment struct {
	from, to time.Time
	want     mis.MISAppointment
}

// HTTPClient is the client the adapter talks through (default: http.DefaultClient's transport).
func HTTPClient(c *http.Client) Option { return func(o *config) { o.httpClient = c } }

// Window is where the server has free slots of one doctor — at least eight, so that the suite
// can page through them and book, double-book, race for and reschedule into them. Required.
func Window(from, to time.Time) Option { return func(o *config) { o.from, o.to = from, to } }

// PageSize sets the adapter's _count (default 3, small so that every search pages).
func PageSize(n int) Option { return func(o *config) { o.pageSize = n } }

// SlotClaim forces the adapter's slot claim mode (default: decided from the CapabilityStatement).
func SlotClaim(mode string) Option { return func(o *config) { o.slotClaim = mode } }

// KnownPatient is a patient the server already has: searching by id must find exactly it,
// mapped as want (UpdatedAt-free fields compared exactly).
func KnownPatient(id mis.Identifier, want mis.Patient) Option {
	return func(o *config) { o.knownPat = &knownPatient{id, want} }
}

// KnownAppointment is an appointment the server already has for want.PatientID starting in
// [from, to): PatientAppointments must list it, mapped as want (Version and UpdatedAt aside).
func KnownAppointment(from, to time.Time, want mis.MISAppointment) Option {
	return func(o *config) { o.knownAppt = &knownAppointment{from, to, want} }
}

// RunFHIRContract runs the FHIR adapter's contract against the FHIR R4 server at base.
func RunFHIRContract(t *testing.T, base string, opts ...Option) {
	cfg := config{pageSize: 3}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.from.IsZero() || !cfg.to.After(cfg.from) {
		t.Fatal("mistest: Window(from, to) is required")
	}
	rec := &recorder{next: http.DefaultTransport}
	if cfg.httpClient != nil && cfg.httpClient.Transport != nil {
		rec.next = cfg.httpClient.Transport
	}
	u, err := url.Parse(strings.TrimSuffix(base, "/"))
	if err != nil {
		t.Fatal(err)
	}
	rec.basePath = u.Path
	c, err := mis.NewFHIRClient(mis.FHIRConfig{BaseURL: base, HTTP: &http.Client{Transport: rec}, SlotClaim: cfg.slotClaim, PageSize: cfg.pageSize})
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{cfg: cfg, c: c, rec: rec, ctx: context.Background(), run: fmt.Sprintf("%08x", rand.Uint32())}
	steps := []struct {
		name string
		f    func(t *testing.T)
	}{
		{"Metadata", s.metadata},
		{"Patients", s.patients},
		{"KnownPatient", s.knownPatient},
		{"SlotSearch", s.slotSearch},
		{"ChangesStart", s.changesStart},
		{"Book", s.book},
		{"BookTakenSlot", s.bookTaken},
		{"BookRace", s.bookRace},
		{"Reschedule", s.reschedule},
		{"PatientAppointments", s.patientAppointments},
		{"KnownAppointment", s.knownAppointment},
		{"Cancel", s.cancel},
		{"ChangesInOrder", s.changesInOrder},
	}
	for _, st := range steps {
		if !t.Run(st.name, st.f) {
			return // later steps build on earlier ones
		}
	}
}

type suite struct {
	cfg config
	c   *mis.FHIRClient
	rec *recorder
	ctx context.Context
	run string // makes this run's contacts and phones unique on a server that keeps data

	clientClaims bool
	patient      mis.Patient
	slots        []mis.Slot // free slots of one doctor in the window, soonest first
	a, b, cSlot  mis.Slot   // booked (A), raced for (B), rescheduled into (C)
	apptA        string     // booked in A, moved to C, cancelled
	apptB        string     // won the race for B
	cursor0      string     // the feed before the suite's first booking
	feed         feed
}

func (s *suite) metadata(t *testing.T) {
	cs, err := s.c.Capability(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ typ, interaction string }{
		{"Patient", "read"}, {"Patient", "search-type"}, {"Patient", "create"},
		{"Slot", "read"}, {"Slot", "search-type"},
		{"Appointment", "read"}, {"Appointment", "search-type"}, {"Appointment", "create"}, {"Appointment", "update"},
		{"Schedule", "search-type"}, {"PractitionerRole", "search-type"}, {"Practitioner", "search-type"},
	} {
		if !cs.Supports(want.typ, want.interaction) {
			t.Errorf("the CapabilityStatement does not offer %s %s", want.typ, want.interaction)
		}
	}
	conditional := false
	for _, r := range cs.Rest[0].Resource {
		if r.Type == "Patient" && r.ConditionalCreate != nil && *r.ConditionalCreate {
			conditional = true
		}
	}
	if !conditional {
		t.Error("the CapabilityStatement does not offer conditional create of Patient (If-None-Exist)")
	}
	s.clientClaims = cs.Supports("Slot", "update")
	if s.cfg.slotClaim != "" {
		s.clientClaims = s.cfg.slotClaim == mis.SlotClaimClient
	}
}

// samePatient names the fields in which two patients differ (values stay out of test output).
func samePatient(got, want mis.Patient) []string {
	var diff []string
	check := func(name string, eq bool) {
		if !eq {
			diff = append(diff, name)
		}
	}
	check("id", got.ID == want.ID)
	check("family", got.Family == want.Family)
	check("given", got.Given == want.Given)
	check("middle", got.Middle == want.Middle)
	check("birth_date", got.BirthDate == want.BirthDate)
	check("gender", got.Gender == want.Gender)
	check("phones", slices.Equal(got.Phones, want.Phones))
	check("emails", slices.Equal(got.Emails, want.Emails))
	check("identifiers", slices.Equal(got.Identifiers, want.Identifiers))
	return diff
}

func (s *suite) patients(t *testing.T) {
	contact := "0193b000-0000-7000-8000-" + s.run + "0001"
	national := fmt.Sprintf("9%02d%07d", 12+rand.IntN(80), rand.IntN(10_000_000))
	e164 := "+7" + national
	np := mis.NewPatient{
		ContactID: contact, Family: "Контрактова", Given: "Анна", Middle: "Сергеевна", BirthDate: "1985-04-12",
		// As an operator types it: the adapter must send E.164.
		Phone: "8 (" + national[:3] + ") " + national[3:6] + "-" + national[6:8] + "-" + national[8:],
		Email: "anna." + s.run + "@example.org",
	}
	p, err := s.c.CreatePatient(s.ctx, np)
	if err != nil {
		t.Fatal(err)
	}
	want := mis.Patient{ID: p.ID, Family: np.Family, Given: np.Given, Middle: np.Middle, BirthDate: np.BirthDate,
		Phones: []string{e164}, Emails: []string{np.Email}}
	if p.ID == "" {
		t.Fatal("created patient has no id")
	}
	if !slices.Contains(p.Identifiers, mis.Identifier{System: mis.ContactIdentifierSystem, Value: contact}) {
		t.Fatal("created patient lacks the Okno contact identifier")
	}
	want.Gender, want.Identifiers = p.Gender, p.Identifiers // the MIS may add its own record number
	if d := samePatient(p, want); d != nil {
		t.Fatalf("created patient differs in %v", d)
	}
	again, err := s.c.CreatePatient(s.ctx, np)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != p.ID {
		t.Fatalf("conditional create twice made two patients: %s and %s", p.ID, again.ID)
	}
	s.rec.requireHeader(t, http.MethodPost, "/Patient", "If-None-Exist")

	byPhone, err := s.c.FindPatients(s.ctx, mis.PatientQuery{Phone: e164})
	if err != nil {
		t.Fatal(err)
	}
	if len(byPhone) != 1 || samePatient(byPhone[0], p) != nil {
		t.Fatalf("search by phone: %d found, want exactly the patient created", len(byPhone))
	}
	byID, err := s.c.FindPatients(s.ctx, mis.PatientQuery{Identifier: mis.Identifier{System: mis.ContactIdentifierSystem, Value: contact}})
	if err != nil {
		t.Fatal(err)
	}
	if len(byID) != 1 || samePatient(byID[0], p) != nil {
		t.Fatalf("search by identifier: %d found, want exactly the patient created", len(byID))
	}
	byName, err := s.c.FindPatients(s.ctx, mis.PatientQuery{Family: np.Family, Given: np.Given, BirthDate: np.BirthDate})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(byName, func(x mis.Patient) bool { return x.ID == p.ID }) {
		t.Fatalf("search by name and birth date: the patient created is not among %d found", len(byName))
	}
	read, err := s.c.Patient(s.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := samePatient(read, p); d != nil {
		t.Fatalf("read differs from created in %v", d)
	}
	if _, err := s.c.Patient(s.ctx, "no-such-patient-"+s.run); !errors.Is(err, mis.ErrNotFound) {
		t.Fatalf("read of an unknown patient: %v, want not found", err)
	}
	none, err := s.c.FindPatients(s.ctx, mis.PatientQuery{Identifier: mis.Identifier{System: mis.ContactIdentifierSystem, Value: "no-such-contact-" + s.run}})
	if err != nil || len(none) != 0 {
		t.Fatalf("search by an unknown identifier: %d found, %v", len(none), err)
	}
	if _, err := s.c.FindPatients(s.ctx, mis.PatientQuery{}); problem.CodeOf(err) != problem.Invalid {
		t.Fatalf("empty patient search: %v, want invalid", err)
	}
	s.patient = p
}

func (s *suite) knownPatient(t *testing.T) {
	k := s.cfg.knownPat
	if k == nil {
		t.Skip("no KnownPatient given for this server (a generated MIS such as the demo has no independent record to compare; TestMedplumFHIRContract checks the official Patient/example, and CI requires it)")
	}
	got, err := s.c.FindPatients(s.ctx, mis.PatientQuery{Identifier: k.id})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("known patient: %d found by identifier, want 1", len(got))
	}
	if d := samePatient(got[0], k.want); d != nil {
		t.Fatalf("known patient mapped differently in %v", d)
	}
}

func (s *suite) slotSearch(t *testing.T) {
	from, to := s.cfg.from, s.cfg.to
	all, err := s.c.FreeSlots(s.ctx, mis.SlotQuery{From: from, To: to, Limit: 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 8 {
		t.Fatalf("%d free slots in the window, the suite needs 8 of one doctor", len(all))
	}
	doc, branch := all[0].DoctorID, all[0].BranchID
	if doc == "" || branch == "" || all[0].RoleID == "" || all[0].SpecialtyID == "" {
		t.Fatalf("slot %s not mapped to doctor, branch, role and specialty: %+v", all[0].ID, all[0])
	}
	s.rec.reset()
	mine, err := s.c.FreeSlots(s.ctx, mis.SlotQuery{DoctorID: doc, BranchID: branch, SpecialtyID: all[0].SpecialtyID, From: from, To: to, Limit: 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 8 {
		t.Fatalf("%d slots of the doctor, want 8", len(mine))
	}
	pages := s.rec.find(http.MethodGet, "/Slot")
	if len(pages) < 2 {
		t.Fatalf("%d Slot search pages for 8 slots of %d a page: paging not followed", len(pages), s.cfg.pageSize)
	}
	first := pages[0].query
	for _, p := range []string{"schedule", "status", "start", "_count", "specialty"} {
		if first.Get(p) == "" {
			t.Errorf("slot search without %s: %s", p, first.Encode())
		}
	}
	if first.Get("status") != "free" || len(first["start"]) != 2 || !strings.HasPrefix(first["start"][0], "ge") || !strings.HasPrefix(first["start"][1], "lt") {
		t.Errorf("slot search is not status=free&start=ge…&start=lt…: %s", first.Encode())
	}
	for i, sl := range mine {
		if sl.DoctorID != doc || sl.BranchID != branch || sl.Status != "free" || sl.Start.Before(from) || !sl.Start.Before(to) || !sl.End.After(sl.Start) {
			t.Fatalf("slot %d not of the doctor, free and in the window: %+v", i, sl)
		}
		if i > 0 && sl.Start.Before(mine[i-1].Start) {
			t.Fatalf("slots not sorted by start at %d", i)
		}
		if i > 0 && sl.ID == mine[i-1].ID {
			t.Fatalf("slot %s twice", sl.ID)
		}
	}
	none, err := s.c.FreeSlots(s.ctx, mis.SlotQuery{DoctorID: "no-such-doctor", From: from, To: to})
	if err != nil || len(none) != 0 {
		t.Fatalf("slots of an unknown doctor: %d, %v", len(none), err)
	}
	s.slots = mine
	s.a, s.b, s.cSlot = mine[0], mine[1], mine[2]
}

func (s *suite) changesStart(t *testing.T) {
	// Whatever the server has seen lately (its seed included) is drained first.
	cur, _ := s.feed.drain(t, s.c, "", 500)
	again, err := s.c.Changes(s.ctx, cur, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Changes) != 0 || again.More {
		t.Fatalf("a drained feed answers %d changes (more: %v)", len(again.Changes), again.More)
	}
	if _, err := s.c.Changes(s.ctx, "not a cursor", 10); problem.CodeOf(err) != problem.Invalid {
		t.Fatalf("a bad cursor: %v, want invalid", err)
	}
	s.cursor0 = cur
	s.feed.cursor = cur
}

func (s *suite) book(t *testing.T) {
	s.rec.reset()
	b, err := s.c.Book(s.ctx, mis.Booking{SlotID: s.a.ID, PatientID: s.patient.ID})
	if err != nil {
		t.Fatal(err)
	}
	if b.MISID == "" || b.SlotID != s.a.ID || !b.Start.Equal(s.a.Start) || !b.End.Equal(s.a.End) ||
		b.DoctorID != s.a.DoctorID || b.BranchID != s.a.BranchID || b.SpecialtyID != s.a.SpecialtyID || b.Status != "booked" {
		t.Fatalf("booked %+v for slot %+v", b, s.a)
	}
	if s.clientClaims {
		s.rec.requireHeader(t, http.MethodPut, "/Slot/"+s.a.ID, "If-Match")
	} else {
		s.rec.requireHeader(t, http.MethodPost, "/Appointment", "If-Match")
	}
	s.apptA = b.MISID
	s.requireFree(t, s.a, false)
	s.requireSchedule(t, "busy")
	s.feed.expect(t, s.c, change{s.apptA, "booked", s.a.ID})
}

func (s *suite) bookTaken(t *testing.T) {
	_, err := s.c.Book(s.ctx, mis.Booking{SlotID: s.a.ID, ContactID: "0193b000-0000-7000-8000-" + s.run + "0002"})
	var taken *mis.TakenError
	if !errors.Is(err, mis.ErrSlotTaken) || !errors.As(err, &taken) || taken.Slot.ID != s.a.ID || taken.Slot.SpecialtyID != s.a.SpecialtyID {
		t.Fatalf("booking a taken slot: %v, want taken with the slot", err)
	}
	if _, err := s.c.Book(s.ctx, mis.Booking{SlotID: "no-such-slot-" + s.run, PatientID: s.patient.ID}); !errors.Is(err, mis.ErrNotFound) {
		t.Fatalf("booking an unknown slot: %v, want not found", err)
	}
	s.feed.expect(t, s.c) // nothing was booked
}

// Four bookings of one free slot at once: exactly one wins, whoever claims slots.
func (s *suite) bookRace(t *testing.T) {
	const n = 4
	var wg sync.WaitGroup
	results := make([]mis.Booked, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.c.Book(s.ctx, mis.Booking{SlotID: s.b.ID, ContactID: fmt.Sprintf("0193b000-0000-7000-8000-%s%04d", s.run, 10+i)})
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
			s.apptB = results[i].MISID
		case !errors.Is(err, mis.ErrSlotTaken):
			t.Errorf("booking %d: %v, want booked or taken", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent bookings of one slot won, want exactly 1", won, n)
	}
	s.requireFree(t, s.b, false)
	s.feed.expect(t, s.c, change{s.apptB, "booked", s.b.ID})
}

func (s *suite) reschedule(t *testing.T) {
	s.rec.reset()
	b, err := s.c.Reschedule(s.ctx, s.apptA, s.cSlot.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.MISID != s.apptA || b.SlotID != s.cSlot.ID || !b.Start.Equal(s.cSlot.Start) || !b.End.Equal(s.cSlot.End) || b.DoctorID != s.cSlot.DoctorID {
		t.Fatalf("rescheduled %+v into %+v", b, s.cSlot)
	}
	s.rec.requireHeader(t, http.MethodPut, "/Appointment/"+s.apptA, "If-Match")
	s.requireFree(t, s.cSlot, false)
	s.requireFree(t, s.a, true)
	s.feed.expect(t, s.c, change{s.apptA, "booked", s.cSlot.ID})

	_, err = s.c.Reschedule(s.ctx, s.apptA, s.b.ID)
	var taken *mis.TakenError
	if !errors.As(err, &taken) || taken.Slot.ID != s.b.ID {
		t.Fatalf("rescheduling into a taken slot: %v, want taken", err)
	}
	if _, err := s.c.Reschedule(s.ctx, "no-such-appointment-"+s.run, s.a.ID); !errors.Is(err, mis.ErrNotFound) {
		t.Fatalf("rescheduling an unknown appointment: %v, want not found", err)
	}
	s.requireFree(t, s.a, true)
	s.feed.expect(t, s.c) // the failed move changed nothing
}

func (s *suite) patientAppointments(t *testing.T) {
	got, err := s.c.PatientAppointments(s.ctx, s.patient.ID, s.cfg.from, s.cfg.to)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d appointments of the patient, want 1", len(got))
	}
	a := got[0]
	if a.MISID != s.apptA || a.Status != mis.ApptBooked || a.PatientID != s.patient.ID || a.SlotID != s.cSlot.ID ||
		!a.Start.Equal(s.cSlot.Start) || !a.End.Equal(s.cSlot.End) || a.DoctorID != s.cSlot.DoctorID ||
		a.BranchID != s.cSlot.BranchID || a.SpecialtyID != s.cSlot.SpecialtyID || a.UpdatedAt.IsZero() || a.Version == "" {
		t.Fatalf("appointment mapped as %+v, slot %+v", a, s.cSlot)
	}
	q := s.rec.find(http.MethodGet, "/Appointment")
	if len(q) == 0 || q[len(q)-1].query.Get("patient") != "Patient/"+s.patient.ID || len(q[len(q)-1].query["date"]) != 2 {
		t.Fatal("patient appointments not searched by patient and a date range")
	}
	before, err := s.c.PatientAppointments(s.ctx, s.patient.ID, s.cfg.from.AddDate(0, 0, -30), s.cfg.from)
	if err != nil || len(before) != 0 {
		t.Fatalf("appointments before the window: %d, %v", len(before), err)
	}
}

func (s *suite) knownAppointment(t *testing.T) {
	k := s.cfg.knownAppt
	if k == nil {
		t.Skip("no KnownAppointment given for this server (a generated MIS such as the demo has no independent record to compare; TestMedplumFHIRContract checks the official Appointment/example, and CI requires it)")
	}
	got, err := s.c.PatientAppointments(s.ctx, k.want.PatientID, k.from, k.to)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(got, func(a mis.MISAppointment) bool { return a.MISID == k.want.MISID })
	if i < 0 {
		t.Fatalf("known appointment %s not among %d listed", k.want.MISID, len(got))
	}
	a := got[i]
	if a.UpdatedAt.IsZero() || a.Version == "" {
		t.Errorf("known appointment without its version or update time: %+v", a)
	}
	a.UpdatedAt, a.Version = time.Time{}, ""
	if a != k.want {
		t.Fatalf("known appointment mapped as %+v, want %+v", a, k.want)
	}
}

func (s *suite) cancel(t *testing.T) {
	if err := s.c.Cancel(s.ctx, s.apptA); err != nil {
		t.Fatal(err)
	}
	s.requireFree(t, s.cSlot, true)
	s.feed.expect(t, s.c, change{s.apptA, "cancelled", s.cSlot.ID})
	if err := s.c.Cancel(s.ctx, s.apptA); err != nil {
		t.Fatalf("cancelling twice: %v", err)
	}
	s.feed.expect(t, s.c) // the second cancel changed nothing
	if err := s.c.Cancel(s.ctx, "no-such-appointment-"+s.run); !errors.Is(err, mis.ErrNotFound) {
		t.Fatalf("cancelling an unknown appointment: %v, want not found", err)
	}
	got, err := s.c.PatientAppointments(s.ctx, s.patient.ID, s.cfg.from, s.cfg.to)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].MISID != s.apptA || got[0].Status != mis.ApptCancelled {
		t.Fatalf("after cancelling, the patient's appointments are %+v", got)
	}
	if _, err := s.c.Reschedule(s.ctx, s.apptA, s.a.ID); problem.CodeOf(err) != problem.Conflict {
		t.Fatalf("rescheduling a cancelled appointment: %v, want conflict", err)
	}
}

// Read from before the first booking, one change a page, the feed holds each appointment once,
// as it is now, in the order of their last changes.
func (s *suite) changesInOrder(t *testing.T) {
	var got []change
	cur := s.cursor0
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("the feed does not end")
		}
		p, err := s.c.Changes(s.ctx, cur, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Changes) > 1 {
			t.Fatalf("%d changes for a limit of 1", len(p.Changes))
		}
		for _, m := range p.Changes {
			got = append(got, change{m.MISID, m.Status, m.SlotID})
		}
		if p.Next == "" {
			t.Fatal("a feed page without a next cursor")
		}
		cur = p.Next
		if !p.More {
			if len(p.Changes) != 0 && pages == 0 {
				t.Fatal("the first page of two changes did not say there is more")
			}
			break
		}
	}
	want := []change{{s.apptB, "booked", s.b.ID}, {s.apptA, "cancelled", s.cSlot.ID}}
	if !slices.Equal(got, want) {
		t.Fatalf("feed from the start: %v, want %v", got, want)
	}
}

// requireFree checks whether the slot is offered free now (searching its own period, so that
// the answer is one page whatever the doctor's day holds).
func (s *suite) requireFree(t *testing.T, sl mis.Slot, free bool) {
	t.Helper()
	got, err := s.c.FreeSlots(s.ctx, mis.SlotQuery{DoctorID: sl.DoctorID, BranchID: sl.BranchID, From: sl.Start, To: sl.End, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(got, func(x mis.Slot) bool { return x.ID == sl.ID }) != free {
		t.Fatalf("slot %s free: %v, want %v", sl.ID, !free, free)
	}
}

// requireSchedule checks the schedule from slot A to slot C: A as status, the rest free.
func (s *suite) requireSchedule(t *testing.T, status string) {
	t.Helper()
	got, err := s.c.Schedule(s.ctx, mis.SlotQuery{DoctorID: s.a.DoctorID, BranchID: s.a.BranchID, From: s.a.Start, To: s.cSlot.End, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		sl     mis.Slot
		status string
	}{{s.a, status}, {s.b, "free"}, {s.cSlot, "free"}} {
		i := slices.IndexFunc(got, func(x mis.Slot) bool { return x.ID == want.sl.ID })
		if i < 0 || got[i].Status != want.status {
			t.Fatalf("slot %s in the schedule: found %v, want %s", want.sl.ID, i >= 0, want.status)
		}
	}
}

// change is what the suite compares of a feed entry.
type change struct{ id, status, slot string }

// feed follows the change feed through the suite, page by page.
type feed struct {
	cursor string
	last   time.Time
	vers   map[string]string // appointment → version last seen
}

// drain reads the feed from cursor to its end in pages of limit.
func (f *feed) drain(t *testing.T, c *mis.FHIRClient, cursor string, limit int) (string, []mis.MISAppointment) {
	t.Helper()
	var all []mis.MISAppointment
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatal("the feed does not end")
		}
		p, err := c.Changes(context.Background(), cursor, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Changes) > limit {
			t.Fatalf("%d changes for a limit of %d", len(p.Changes), limit)
		}
		for _, m := range p.Changes {
			if m.UpdatedAt.Before(f.last) {
				t.Fatalf("appointment %s changed at %s, before the previous change at %s", m.MISID, m.UpdatedAt, f.last)
			}
			f.last = m.UpdatedAt
		}
		all = append(all, p.Changes...)
		if p.Next == "" {
			t.Fatal("a feed page without a next cursor")
		}
		cursor = p.Next
		if !p.More {
			return cursor, all
		}
	}
}

// expect reads what changed since the last look and compares it with want, exactly: each
// change once, in order, each a new version.
func (f *feed) expect(t *testing.T, c *mis.FHIRClient, want ...change) {
	t.Helper()
	next, all := f.drain(t, c, f.cursor, 1)
	f.cursor = next
	if f.vers == nil {
		f.vers = map[string]string{}
	}
	got := make([]change, 0, len(all))
	for _, m := range all {
		got = append(got, change{m.MISID, m.Status, m.SlotID})
		if m.Version == "" || f.vers[m.MISID] == m.Version {
			t.Errorf("appointment %s in the feed again without a new version", m.MISID)
		}
		f.vers[m.MISID] = m.Version
	}
	if !slices.Equal(got, want) {
		t.Fatalf("feed: %v, want %v", got, want)
	}
}

// recorder keeps the requests the adapter sends, for checking their shape.
type recorder struct {
	next     http.RoundTripper
	basePath string
	mu       sync.Mutex
	reqs     []recorded
}

type recorded struct {
	method, path string
	query        url.Values
	header       http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, strings.TrimPrefix(req.URL.Path, r.basePath), req.URL.Query(), req.Header.Clone()})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

func (r *recorder) find(method, path string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, q := range r.reqs {
		if q.method == method && q.path == path {
			out = append(out, q)
		}
	}
	return out
}

func (r *recorder) requireHeader(t *testing.T, method, path, header string) {
	t.Helper()
	reqs := r.find(method, path)
	if len(reqs) == 0 {
		t.Fatalf("no %s %s was sent", method, path)
	}
	for _, q := range reqs {
		if q.header.Get(header) == "" {
			t.Fatalf("%s %s without %s", method, path, header)
		}
	}
}
