package mis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/testenv"
)

// Matching, linking, the card and the status feed against the demo MIS
// through the FHIR adapter: the demo's family sharing a phone (pat-010, a
// parent, and pat-011, a child).
func TestStoreMISPatientsOnDemoMIS(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		peer := newDemoPeer(t)
		s := newTestService(t, b, peer.client)
		s.Now = func() time.Time { return demoStart.Add(-time.Hour) }
		ctx := context.Background()
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		child, err := peer.client.Patient(ctx, "pat-011")
		if err != nil {
			t.Fatal(err)
		}
		parent, err := peer.client.Patient(ctx, "pat-010")
		if err != nil || len(child.Phones) == 0 || parent.Phones[0] != child.Phones[0] {
			t.Fatalf("the demo's family phone: %v", err)
		}
		cc := &fakeContacts{contacts: map[string]ContactInfo{
			motherContact: {ID: motherContact, Name: parent.Family + " " + parent.Given, Phones: child.Phones},
			sonContact: {ID: sonContact, Name: strings.Join([]string{child.Family, child.Given, child.Middle}, " "), BirthDate: child.BirthDate,
				Phones: []string{"8" + strings.TrimPrefix(child.Phones[0], "+7")}},
		}}
		s.Contacts = cc

		fam, err := s.MatchPatients(ctx, operator, motherContact)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, c := range fam.Candidates {
			got[c.Patient.ID] = c.Confidence
		}
		if len(got) < 2 || got["pat-010"] >= 0.9 || got["pat-011"] >= 0.9 || got["pat-010"] <= got["pat-011"] || fam.Candidates[0].Patient.ID != "pat-010" {
			t.Fatalf("the parent calling: %v", got)
		}
		kid, err := s.MatchPatients(ctx, operator, sonContact)
		if err != nil || kid.Candidates[0].Patient.ID != "pat-011" || kid.Candidates[0].Confidence < 0.9 {
			t.Fatalf("the child with a birth date: %v %v", candidateIDs(kid), err)
		}

		if _, _, err := s.LinkPatient(ctx, operator, sonContact, "pat-011"); err != nil {
			t.Fatal(err)
		}
		free, err := s.FreeSlots(ctx, SlotQuery{SpecialtyID: "pediatrician", From: demoStart, To: demoStart.AddDate(0, 0, 7), Limit: 3})
		if err != nil || len(free) < 3 {
			t.Fatalf("free slots: %d %v", len(free), err)
		}
		a, err := s.Book(ctx, operator, BookInput{SlotID: free[0].ID, ContactID: sonContact})
		if err != nil || a.PatientID == nil || *a.PatientID != "pat-011" {
			t.Fatalf("booked for the linked child: %v", err)
		}
		card, err := s.ContactPatients(ctx, operator, sonContact)
		if err != nil || len(card) != 1 || card[0].Unavailable || !card[0].Patient.Masked {
			t.Fatalf("card: %d %v", len(card), err)
		}
		found := false
		for _, u := range card[0].Appointments.Upcoming {
			found = found || u.ID == a.ID
		}
		if !found {
			t.Fatal("the booking is not on the card")
		}

		// The desk moves the visit, then cancels it: the feed brings both.
		if _, err := s.PollFeed(ctx); err != nil {
			t.Fatal(err)
		}
		before := len(eventsOf(t, s, SubjectRescheduled))
		if _, err := peer.client.Reschedule(ctx, a.MISID, free[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PollFeed(ctx); err != nil {
			t.Fatal(err)
		}
		moved, _ := s.Appointment(ctx, a.ID)
		if moved.SlotID != free[1].ID || !moved.Start.Equal(free[1].Start) || len(eventsOf(t, s, SubjectRescheduled)) != before+1 {
			t.Fatalf("after the desk moved it: slot %s", moved.SlotID)
		}
		if err := peer.client.Cancel(ctx, a.MISID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PollFeed(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Appointment(ctx, a.ID); got.Status != ApptCancelled {
			t.Fatalf("after the desk cancelled it: %s", got.Status)
		}
		cancelled := eventsOf(t, s, SubjectCancelled)
		if len(cancelled) != 1 || cancelled[0]["appointment_id"] != a.ID || cancelled[0]["contact_id"] != sonContact {
			t.Fatalf("cancelled events: %v", cancelled)
		}
		if h, _ := s.Health(ctx); h.Feed.LastError != "" || h.Feed.CursorAt == nil {
			t.Fatalf("feed health: %+v", h.Feed)
		}
	})
}
