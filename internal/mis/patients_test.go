package mis

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

const (
	motherContact = "0193a000-0000-7000-8000-000000000101"
	sonContact    = "0193a000-0000-7000-8000-000000000102"
	newContact    = "0193a000-0000-7000-8000-000000000103"
)

var (
	operator   = principal.Principal{UserID: "0193a000-0000-7000-8000-0000000000aa", Login: "operator", Role: "operator", Permissions: []string{perm.MISRead, perm.AppointmentsBook, perm.PatientsLink}}
	supervisor = principal.Principal{UserID: "0193a000-0000-7000-8000-0000000000bb", Login: "supervisor", Role: "supervisor", Permissions: []string{perm.MISRead, perm.AppointmentsBook, perm.PatientsLink, perm.PatientsReadPD}}
)

func newFakeContacts() *fakeContacts {
	return &fakeContacts{contacts: map[string]ContactInfo{
		motherContact: {ID: motherContact, Name: "Иванова Мария", Phones: []string{"+79122223344"}},
		sonContact:    {ID: sonContact, Name: "Иванов Артем Сергеевич", BirthDate: "2015-06-30", Phones: []string{"8 912 222-33-44"}},
		newContact:    {ID: newContact, Name: "Соколова Дарья Андреевна", BirthDate: "1992-02-29", Phones: []string{"+79043332211"}, Emails: []string{"d@example.ru"}},
	}}
}

// newFakeService is a service on a fake MIS and a fake contact center,
// with the cache refreshed and the clock an hour before the fake's slots.
func newFakeService(t *testing.T, b testenv.Backend) (*Service, *fakeMIS, *fakeContacts) {
	t.Helper()
	f := newFakeMIS()
	s := newTestService(t, b, f)
	// A clock that moves on a little at each reading, from an hour before
	// the fake's slots, so that links and rows made one after another
	// are ordered.
	var ticks atomic.Int64
	s.Now = func() time.Time { return f.now().Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
	cc := newFakeContacts()
	s.Contacts = cc
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, f, cc
}

func subjects(t *testing.T, s *Service) []string {
	t.Helper()
	var out []string
	for _, e := range outbox(t, s) {
		out = append(out, e.Type)
	}
	return out
}

func eventsOf(t *testing.T, s *Service, subject string) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, e := range outbox(t, s) {
		if e.Type != subject {
			continue
		}
		var d map[string]string
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func auditActions(t *testing.T, s *Service) []string {
	t.Helper()
	var out []string
	for _, d := range outbox(t, s) {
		if d.Type != "mis.audit.recorded" {
			continue
		}
		var r struct{ Action, ObjectID string }
		_ = json.Unmarshal(d.Data, &r)
		out = append(out, r.Action)
	}
	return out
}

func TestStoreMISPatientMatchAndLinks(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, f, cc := newFakeService(t, b)
		ctx := context.Background()

		// The mother calls from the family phone: both patients of that
		// phone are candidates, neither confident (no birth date).
		ans, err := s.MatchPatients(ctx, operator, motherContact)
		if err != nil {
			t.Fatal(err)
		}
		if len(ans.Candidates) != 2 || ans.Candidates[0].Patient.ID != "pat-mother" || ans.Candidates[1].Patient.ID != "pat-son" {
			t.Fatalf("candidates: %+v", candidateIDs(ans))
		}
		for _, c := range ans.Candidates {
			if c.Confidence >= 0.9 || c.Linked || !slices.Contains(c.Reasons, "phone") {
				t.Fatalf("candidate %s: %.2f %v linked=%v", c.Patient.ID, c.Confidence, c.Reasons, c.Linked)
			}
		}
		// An operator sees them masked; the contact center was asked on the
		// operator's behalf, for matching.
		m := ans.Candidates[0].Patient
		if !m.Masked || m.Family != "Ив***" || m.BirthDate != "1985" || m.Phones[0] != "+7 912 ***-**-44" || m.Emails[0] != "m***@example.ru" {
			t.Fatal("the patient is not masked for an operator as the contact center masks contacts")
		}
		if cc.callers[0].UserID != operator.UserID || cc.purposes[0] != PurposeMatch {
			t.Fatalf("contact read as %+v for %v", cc.callers, cc.purposes)
		}
		sup, err := s.MatchPatients(ctx, supervisor, motherContact)
		if err != nil {
			t.Fatal(err)
		}
		if p := sup.Candidates[0].Patient; p.Masked || p.Family != "Иванова" || p.BirthDate != "1985-03-14" || p.Phones[0] != "+79122223344" {
			t.Fatal("a supervisor with patients.read_pd sees the patient unmasked")
		}
		// The son, with his birth date, is confident.
		son, err := s.MatchPatients(ctx, operator, sonContact)
		if err != nil {
			t.Fatal(err)
		}
		if son.Candidates[0].Patient.ID != "pat-son" || son.Candidates[0].Confidence < 0.9 {
			t.Fatalf("son: %+v", candidateIDs(son))
		}
		if _, err := s.MatchPatients(ctx, operator, "0193a000-0000-7000-8000-0000000009ff"); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("unknown contact: %v", err)
		}

		// Linking is an explicit act; the same link twice is one link.
		l, created, err := s.LinkPatient(ctx, operator, motherContact, "pat-mother")
		if err != nil || !created || l.ContactID != motherContact || l.PatientID != "pat-mother" || l.LinkedBy != operator.UserID {
			t.Fatalf("link: %+v %v %v", l, created, err)
		}
		again, created, err := s.LinkPatient(ctx, operator, motherContact, "pat-mother")
		if err != nil || created || again.ID != l.ID || !again.LinkedAt.Equal(l.LinkedAt) {
			t.Fatalf("link again: %+v %v %v", again, created, err)
		}
		if _, _, err := s.LinkPatient(ctx, operator, motherContact, "pat-nobody"); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("link an unknown patient: %v", err)
		}
		if _, _, err := s.LinkPatient(ctx, operator, "not-an-id", "bad id!"); problem.CodeOf(err) != problem.Invalid || len(problem.BodyOf(err).Errors) != 2 {
			t.Fatalf("link bad ids: %v", err)
		}
		after, _ := s.MatchPatients(ctx, operator, motherContact)
		if len(after.Linked) != 1 || after.Linked[0] != "pat-mother" || !after.Candidates[0].Linked || after.Candidates[1].Linked {
			t.Fatalf("linked after linking: %+v %+v", after.Linked, candidateIDs(after))
		}

		// A mother books her son at the reception desk: linking the son to
		// her contact too brings his appointment into her list.
		misID := f.bookExternal("pat-son", "slot-doc-3-2")
		if _, _, err := s.LinkPatient(ctx, operator, motherContact, "pat-son"); err != nil {
			t.Fatal(err)
		}
		list, err := s.ContactAppointments(ctx, operator, motherContact)
		if err != nil || len(list) != 1 || list[0].MISID != misID || list[0].Source != SourceMIS || list[0].PatientID == nil || *list[0].PatientID != "pat-son" {
			t.Fatalf("contact appointments: %+v %v", list, err)
		}
		// With two linked patients a booking must say for whom.
		if _, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-0", ContactID: motherContact}); problem.CodeOf(err) != problem.Invalid ||
			problem.BodyOf(err).Errors[0].Field != "patient_id" {
			t.Fatalf("booking for one of two patients: %v", err)
		}
		if _, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-0", ContactID: motherContact, PatientID: "pat-other"}); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("booking for an unlinked patient: %v", err)
		}
		a, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-0", ContactID: motherContact, PatientID: "pat-mother"})
		if err != nil || a.PatientID == nil || *a.PatientID != "pat-mother" || f.appts[a.MISID].PatientID != "pat-mother" {
			t.Fatalf("booking for the mother: %+v %v", a, err)
		}

		// The card: both patients, their appointments split, masked.
		card, err := s.ContactPatients(ctx, operator, motherContact)
		if err != nil || len(card) != 2 {
			t.Fatalf("card: %v %v", len(card), err)
		}
		if card[0].Patient.ID != "pat-mother" || !card[0].Patient.Masked || len(card[0].Appointments.Upcoming) != 1 || card[0].Appointments.Upcoming[0].ID != a.ID {
			t.Fatalf("card mother: %s masked=%v, %d upcoming", card[0].Patient.ID, card[0].Patient.Masked, len(card[0].Appointments.Upcoming))
		}
		if card[1].Patient.ID != "pat-son" || len(card[1].Appointments.Upcoming) != 1 || card[1].Appointments.Upcoming[0].MISID != misID {
			t.Fatalf("card son: %s, %d upcoming", card[1].Patient.ID, len(card[1].Appointments.Upcoming))
		}
		// The MIS's word on status is shown before the feed brings it.
		_ = f.setStatus(misID, ApptCancelled)
		card, _ = s.ContactPatients(ctx, operator, motherContact)
		if len(card[1].Appointments.Upcoming) != 0 || len(card[1].Appointments.Past) != 1 || card[1].Appointments.Past[0].Status != ApptCancelled {
			t.Fatalf("card after the desk cancelled: %+v", card[1].Appointments)
		}
		// With the MIS down the card still lists the patients (ids only)
		// and the appointments Okno keeps.
		f.failAll.Store(true)
		s.patients = patientCache{}
		card, err = s.ContactPatients(ctx, operator, motherContact)
		if err != nil || len(card) != 2 || !card[0].Unavailable || card[0].Patient.Family != "" || len(card[0].Appointments.Upcoming) != 1 {
			t.Fatalf("card with the MIS down: %d %v", len(card), err)
		}
		f.failAll.Store(false)

		// Unlinking ends the link (twice is once); an unknown link is not found.
		if err := s.UnlinkPatient(ctx, operator, l.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.UnlinkPatient(ctx, operator, l.ID); err != nil {
			t.Fatalf("unlink twice: %v", err)
		}
		if err := s.UnlinkPatient(ctx, operator, "0193a000-0000-7000-8000-0000000009ff"); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("unlink unknown: %v", err)
		}
		if got, _ := s.linkedPatients(ctx, motherContact); len(got) != 1 || got[0] != "pat-son" {
			t.Fatalf("links after unlinking: %v", got)
		}
		// A new link of the same pair is a new link; the old one's history stays.
		l2, created, err := s.LinkPatient(ctx, operator, motherContact, "pat-mother")
		if err != nil || !created || l2.ID == l.ID {
			t.Fatalf("relink: %+v %v %v", l2, created, err)
		}
		var rows int
		_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM patient_links WHERE contact_id = $1 AND patient_id = $2`, motherContact, "pat-mother").Scan(&rows)
		if rows != 2 {
			t.Fatalf("%d link rows, want the ended and the new one", rows)
		}

		linked := eventsOf(t, s, SubjectLinked)
		unlinked := eventsOf(t, s, SubjectUnlinked)
		if len(linked) != 3 || len(unlinked) != 1 || unlinked[0]["link_id"] != l.ID || unlinked[0]["patient_id"] != "pat-mother" || unlinked[0]["contact_id"] != motherContact {
			t.Fatalf("link events: %v %v", linked, unlinked)
		}
		acts := strings.Join(auditActions(t, s), ",")
		for _, want := range []string{"patient.match", "patient.linked", "appointment.list", "appointment.booked", "patient.read", "patient.unlinked"} {
			if !strings.Contains(acts, want) {
				t.Fatalf("audit actions %s lack %s", acts, want)
			}
		}
		// No personal data in the outbox (events and audit records alike).
		for _, e := range outbox(t, s) {
			for _, pd := range []string{"Иванов", "Мария", "+7912", "1985-03-14", "example.ru"} {
				if strings.Contains(string(e.Data), pd) {
					t.Fatalf("personal data in a %s event", e.Type)
				}
			}
		}
	})
}

func candidateIDs(a MatchAnswer) []string {
	var out []string
	for _, c := range a.Candidates {
		out = append(out, c.Patient.ID)
	}
	return out
}

func TestStoreMISRegisterPatient(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, f, cc := newFakeService(t, b)
		ctx := context.Background()
		pt, l, err := s.RegisterPatient(ctx, supervisor, newContact)
		if err != nil {
			t.Fatal(err)
		}
		stored := f.patients[pt.ID]
		if pt.Masked || stored.Family != "Соколова" || stored.Given != "Дарья" || stored.Middle != "Андреевна" || stored.BirthDate != "1992-02-29" ||
			len(stored.Phones) != 1 || stored.Phones[0] != "+79043332211" || l.PatientID != pt.ID || l.ContactID != newContact {
			t.Fatal("registered patient not made from the contact")
		}
		if cc.purposes[len(cc.purposes)-1] != PurposeRegister {
			t.Fatalf("purposes %v", cc.purposes)
		}
		// Registering again finds the same patient and the same link.
		pt2, l2, err := s.RegisterPatient(ctx, operator, newContact)
		if err != nil || pt2.ID != pt.ID || l2.ID != l.ID || !pt2.Masked {
			t.Fatalf("register again: %v %v %v", pt2.ID, l2.ID, err)
		}
		// Matching the contact now finds its own patient by identifier, first.
		ans, err := s.MatchPatients(ctx, operator, newContact)
		if err != nil || ans.Candidates[0].Patient.ID != pt.ID || ans.Candidates[0].Confidence != 1 || ans.Candidates[0].Reasons[0] != ReasonIdentifier {
			t.Fatalf("match after registering: %v %v", candidateIDs(ans), err)
		}
		cc.contacts[newContact] = ContactInfo{ID: newContact, Name: "Дарья"}
		if _, _, err := s.RegisterPatient(ctx, operator, newContact); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("register a one-word name: %v", err)
		}
		if acts := auditActions(t, s); !slices.Contains(acts, "patient.registered") {
			t.Fatalf("audit %v", acts)
		}
	})
}

func TestStoreMISRescheduleServicesSchedule(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, f, _ := newFakeService(t, b)
		ctx := context.Background()
		svcs, err := s.Services(ctx, "cardiologist")
		if err != nil || len(svcs) != 1 || svcs[0].Price != "2100.50" || svcs[0].Currency != "RUB" {
			t.Fatalf("services: %+v %v", svcs, err)
		}
		if all, _ := s.Services(ctx, ""); len(all) != 2 {
			t.Fatalf("all services: %+v", all)
		}
		a, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-0", ContactID: motherContact, RequestID: "0193a000-0000-7000-8000-000000000201"})
		if err != nil {
			t.Fatal(err)
		}
		grid, err := s.Schedule(ctx, SlotQuery{BranchID: "b1", From: fakeStart, To: fakeStart.Add(24 * time.Hour)})
		if err != nil || len(grid) != 16 {
			t.Fatalf("schedule: %d %v", len(grid), err)
		}
		busy := 0
		for _, g := range grid {
			if g.Status == "busy" {
				busy++
				if g.ID != "slot-doc-1-0" || g.Doctor.Name == "" {
					t.Fatalf("busy cell %+v", g)
				}
			}
		}
		if busy != 1 {
			t.Fatalf("%d busy cells", busy)
		}
		moved, err := s.Reschedule(ctx, operator, a.ID, "slot-doc-2-3")
		if err != nil {
			t.Fatal(err)
		}
		if moved.SlotID != "slot-doc-2-3" || !moved.Start.Equal(fakeStart.Add(90*time.Minute)) || moved.Doctor.ID != "doc-2" || moved.Branch.ID != "b2" ||
			moved.Status != ApptBooked || moved.RequestID == nil {
			t.Fatalf("moved: %+v", moved)
		}
		if f.slots["slot-doc-1-0"].Status != "free" || f.slots["slot-doc-2-3"].Status != "busy" {
			t.Fatal("the MIS did not move it")
		}
		// Moving into the slot it holds is no change; into a taken one is 409.
		if same, err := s.Reschedule(ctx, operator, a.ID, "slot-doc-2-3"); err != nil || same.SlotID != "slot-doc-2-3" {
			t.Fatalf("reschedule into its own slot: %v", err)
		}
		f.bookExternal("pat-other", "slot-doc-1-5")
		_, err = s.Reschedule(ctx, operator, a.ID, "slot-doc-1-5")
		var tp *TakenProblem
		if !asTaken(err, &tp) || len(tp.Alternatives) == 0 {
			t.Fatalf("reschedule into a taken slot: %v", err)
		}
		if _, err := s.Reschedule(ctx, operator, a.ID, "no-such-slot"); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("unknown slot: %v", err)
		}
		if _, err := s.Reschedule(ctx, operator, "0193a000-0000-7000-8000-0000000009ff", "slot-doc-1-1"); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("unknown appointment: %v", err)
		}
		ev := eventsOf(t, s, SubjectRescheduled)
		if len(ev) != 1 || ev[0]["appointment_id"] != a.ID || ev[0]["previous_start"] != fakeStart.Format(time.RFC3339) ||
			ev[0]["start"] != moved.Start.Format(time.RFC3339) || ev[0]["request_id"] == "" || ev[0]["status"] != ApptBooked {
			t.Fatalf("rescheduled events: %v", ev)
		}
		// A visit that took place can be neither moved nor cancelled.
		_ = f.setStatus(a.MISID, ApptCompleted)
		if _, err := s.PollFeed(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Reschedule(ctx, operator, a.ID, "slot-doc-1-1"); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("reschedule a completed visit: %v", err)
		}
		if _, err := s.Cancel(ctx, operator, a.ID); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("cancel a completed visit: %v", err)
		}
	})
}

func asTaken(err error, tp **TakenProblem) bool {
	t, ok := err.(*TakenProblem)
	*tp = t
	return ok
}
