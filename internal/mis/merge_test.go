package mis

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

// mergedEvent is the contact center's announcement that from was merged
// into into by the supervisor.
func mergedEvent(t *testing.T, into, from string) events.Envelope {
	t.Helper()
	data, err := json.Marshal(map[string]string{"contact_id": into, "merged_contact_id": from, "actor_id": supervisor.UserID})
	if err != nil {
		t.Fatal(err)
	}
	return events.Envelope{ID: ids.New(), Type: SubjectContactMerged, At: fakeStart, Data: data}
}

func applyContactEvent(t *testing.T, s *Service, e events.Envelope) {
	t.Helper()
	if err := s.DB.InTx(context.Background(), func(tx *sql.Tx) error { return s.ApplyContactEvent(context.Background(), tx, e) }); err != nil {
		t.Fatal(err)
	}
}

// linkRows is every row of patient_links, ended ones too, as text: what a
// replay must leave exactly as it was.
func linkRows(t *testing.T, s *Service) []string {
	t.Helper()
	rows, err := s.DB.R.Query(`SELECT id, contact_id, patient_id, linked_by, linked_at, unlinked_by, unlinked_at FROM patient_links ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, contact, patient, by, unBy string
		var at time.Time
		var unAt sql.NullTime
		if err := rows.Scan(&id, &contact, &patient, &by, &at, &unBy, &unAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s %s %v", id, contact, patient, by, at.UTC().Format(time.RFC3339Nano), unBy, unAt.Valid))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func activePatients(t *testing.T, s *Service, contactID string) []string {
	t.Helper()
	got, err := s.linkedPatients(context.Background(), contactID)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	return got
}

func TestStoreMISContactMergeMovesLinks(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, _, _ := newFakeService(t, b)
		ctx := context.Background()
		survivor, merged := motherContact, sonContact

		// The survivor has the mother; the merged card has the son, and the
		// mother too (linked by someone else): that one must not double.
		kept, _, err := s.LinkPatient(ctx, operator, survivor, "pat-mother")
		if err != nil {
			t.Fatal(err)
		}
		son, _, err := s.LinkPatient(ctx, operator, merged, "pat-son")
		if err != nil {
			t.Fatal(err)
		}
		dup, _, err := s.LinkPatient(ctx, supervisor, merged, "pat-mother")
		if err != nil {
			t.Fatal(err)
		}
		before := len(outbox(t, s))

		e := mergedEvent(t, survivor, merged)
		applyContactEvent(t, s, e)

		if got := activePatients(t, s, survivor); !slices.Equal(got, []string{"pat-mother", "pat-son"}) {
			t.Fatalf("the survivor's patients: %v", got)
		}
		if got := activePatients(t, s, merged); len(got) != 0 {
			t.Fatalf("the merged card still has patients: %v", got)
		}
		// The moved link keeps its id, author and time; the survivor's own
		// link to the mother is the one kept.
		links, err := s.links(ctx, survivor)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links {
			switch l.PatientID {
			case "pat-son":
				if l.ID != son.ID || l.LinkedBy != operator.UserID || !l.LinkedAt.Equal(son.LinkedAt) {
					t.Fatalf("moved link %+v, was %+v", l, son)
				}
			case "pat-mother":
				if l.ID != kept.ID {
					t.Fatalf("the survivor's link to the mother is %s, want its own %s", l.ID, kept.ID)
				}
			}
		}
		// The duplicate is ended, not deleted: who ended it stays.
		var unlinkedBy string
		var unlinkedAt sql.NullTime
		if err := s.DB.R.QueryRow(`SELECT unlinked_by, unlinked_at FROM patient_links WHERE id = $1`, dup.ID).Scan(&unlinkedBy, &unlinkedAt); err != nil {
			t.Fatal(err)
		}
		if unlinkedBy != supervisor.UserID || !unlinkedAt.Valid {
			t.Fatalf("the duplicate link: ended by %q, ended %v", unlinkedBy, unlinkedAt.Valid)
		}

		// Announced and audited like link changes by hand, ids only.
		relinked := eventsOf(t, s, SubjectRelinked)
		if len(relinked) != 1 || relinked[0]["link_id"] != son.ID || relinked[0]["contact_id"] != survivor ||
			relinked[0]["previous_contact_id"] != merged || relinked[0]["patient_id"] != "pat-son" || len(relinked[0]) != 4 {
			t.Fatalf("relinked events: %v", relinked)
		}
		unlinked := eventsOf(t, s, SubjectUnlinked)
		if len(unlinked) != 1 || unlinked[0]["link_id"] != dup.ID || unlinked[0]["contact_id"] != merged || unlinked[0]["patient_id"] != "pat-mother" {
			t.Fatalf("unlinked events: %v", unlinked)
		}
		var audits []map[string]any
		for _, ev := range outbox(t, s)[before:] {
			if ev.Type != "mis.audit.recorded" {
				continue
			}
			var r struct {
				Action   string            `json:"action"`
				ActorID  string            `json:"actor_id"`
				ObjectID string            `json:"object_id"`
				Details  map[string]string `json:"details"`
			}
			if err := json.Unmarshal(ev.Data, &r); err != nil {
				t.Fatal(err)
			}
			if r.ActorID != supervisor.UserID || r.Details["event_id"] != e.ID || r.Details["cause"] != SubjectContactMerged {
				t.Fatalf("audit record %s: actor %s, details %v", r.Action, r.ActorID, r.Details)
			}
			audits = append(audits, map[string]any{"action": r.Action, "object": r.ObjectID})
		}
		want := []map[string]any{{"action": "patient.relinked", "object": son.ID}, {"action": "patient.unlinked", "object": dup.ID}}
		if fmt.Sprint(audits) != fmt.Sprint(want) {
			t.Fatalf("audit records: %v, want %v", audits, want)
		}
		for _, ev := range outbox(t, s) {
			for _, pd := range []string{"Иванов", "Мария", "+7912", "1985-03-14", "example.ru"} {
				if strings.Contains(string(ev.Data), pd) {
					t.Fatalf("personal data in a %s event", ev.Type)
				}
			}
		}

		// The same event again (a redelivery past the inbox) changes
		// nothing, and neither does a fresh one for the same pair.
		rows, n := linkRows(t, s), len(outbox(t, s))
		applyContactEvent(t, s, e)
		applyContactEvent(t, s, mergedEvent(t, survivor, merged))
		if got := linkRows(t, s); !slices.Equal(got, rows) {
			t.Fatalf("a replay changed the links:\n%v\nwas\n%v", got, rows)
		}
		if got := len(outbox(t, s)); got != n {
			t.Fatalf("a replay wrote %d events", got-n)
		}
	})
}

func TestStoreMISContactEventsWithoutLinks(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, _, _ := newFakeService(t, b)
		ctx := context.Background()
		if _, _, err := s.LinkPatient(ctx, operator, motherContact, "pat-mother"); err != nil {
			t.Fatal(err)
		}
		rows, n := linkRows(t, s), len(outbox(t, s))

		// Neither contact of the merge has a link; then events that are not
		// merges, or that cannot be read, or merge a contact into itself.
		other, _ := json.Marshal(map[string]string{"contact_id": motherContact, "merged_contact_id": sonContact})
		for _, e := range []events.Envelope{
			mergedEvent(t, newContact, ids.New()),
			{ID: ids.New(), Type: "contactcenter.contact.created", At: fakeStart, Data: other},
			{ID: ids.New(), Type: SubjectContactMerged, At: fakeStart, Data: json.RawMessage(`{"contact_id": 42}`)},
			mergedEvent(t, motherContact, motherContact),
		} {
			applyContactEvent(t, s, e)
		}
		if got := linkRows(t, s); !slices.Equal(got, rows) {
			t.Fatalf("the links changed:\n%v\nwas\n%v", got, rows)
		}
		if got := len(outbox(t, s)); got != n {
			t.Fatalf("%d events written", got-n)
		}
	})
}

// appointmentRows is every row of appointments as text: what a replay of
// a merge must leave exactly as it was.
func appointmentRows(t *testing.T, s *Service) []string {
	t.Helper()
	rows, err := s.DB.R.Query(`SELECT id, contact_id, patient_id, status, updated_at FROM appointments ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, contact, patient, status string
		var at time.Time
		if err := rows.Scan(&id, &contact, &patient, &status, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s %s", id, contact, patient, status, at.UTC().Format(time.RFC3339Nano)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func appointmentIDs(t *testing.T, s *Service, contactID string) []string {
	t.Helper()
	list, err := s.ContactAppointments(context.Background(), operator, contactID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.ID)
	}
	sort.Strings(out)
	return out
}

// Appointments booked for the merged card, reached through no linked
// patient, move to the survivor with the merge, in its transaction; those
// of other contacts stay; a replay changes nothing; nothing is announced
// for them.
func TestStoreMISContactMergeMovesAppointments(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, _, _ := newFakeService(t, b)
		ctx := context.Background()
		survivor, merged := motherContact, sonContact
		book := func(contactID, slot string) Appointment {
			t.Helper()
			a, err := s.Book(ctx, operator, BookInput{SlotID: slot, ContactID: contactID})
			if err != nil || a.ContactID != contactID || a.PatientID != nil {
				t.Fatalf("book for %s: %+v %v", contactID, a, err)
			}
			return a
		}
		// No links anywhere: each booking is for no linked patient (the MIS
		// books one standing for the contact), so only contact_id ties it
		// to a card.
		own := book(survivor, "slot-doc-1-0")
		m1 := book(merged, "slot-doc-1-1")
		m2 := book(merged, "slot-doc-2-1")
		if _, err := s.Cancel(ctx, operator, m2.ID); err != nil {
			t.Fatal(err)
		}
		other := book(newContact, "slot-doc-3-1")
		if got := appointmentIDs(t, s, survivor); !slices.Equal(got, []string{own.ID}) {
			t.Fatalf("the survivor's list before the merge: %v", got)
		}
		n := len(outbox(t, s))

		e := mergedEvent(t, survivor, merged)
		applyContactEvent(t, s, e)
		if got := len(outbox(t, s)); got != n {
			t.Fatalf("moving appointments wrote %d events", got-n)
		}

		want := []string{own.ID, m1.ID, m2.ID}
		sort.Strings(want)
		if got := appointmentIDs(t, s, survivor); !slices.Equal(got, want) {
			t.Fatalf("the survivor's list after the merge: %v, want %v", got, want)
		}
		if got := appointmentIDs(t, s, merged); len(got) != 0 {
			t.Fatalf("the merged card still lists %v", got)
		}
		if got := appointmentIDs(t, s, newContact); !slices.Equal(got, []string{other.ID}) {
			t.Fatalf("another contact's list: %v", got)
		}
		// Status and patient stay as they were: only where Okno files it moved.
		for _, id := range []string{m1.ID, m2.ID} {
			a, err := s.Appointment(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			wantStatus := StatusBooked
			if id == m2.ID {
				wantStatus = StatusCancelled
			}
			if a.ContactID != survivor || a.Status != wantStatus || a.PatientID != nil {
				t.Fatalf("moved appointment %+v", a)
			}
		}

		// A redelivery, and a fresh event for the same pair, change nothing.
		rows := appointmentRows(t, s)
		applyContactEvent(t, s, e)
		applyContactEvent(t, s, mergedEvent(t, survivor, merged))
		if got := appointmentRows(t, s); !slices.Equal(got, rows) {
			t.Fatalf("a replay changed the appointments:\n%v\nwas\n%v", got, rows)
		}

		// Moved in the handler's transaction: a failing transaction moves none.
		m3 := book(merged, "slot-doc-1-2")
		boom := errors.New("boom")
		err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
			if err := s.ApplyContactEvent(ctx, tx, mergedEvent(t, survivor, merged)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("the failing transaction: %v", err)
		}
		if a, _ := s.Appointment(ctx, m3.ID); a.ContactID != merged {
			t.Fatalf("a rolled-back merge moved an appointment to %s", a.ContactID)
		}
	})
}

// mergeInFake makes the fake contact center answer from as merged into
// into, the way the real one does: ids only.
func mergeInFake(cc *fakeContacts, from, into string) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.contacts[from] = ContactInfo{ID: from, MergedInto: into}
}

// reads lists the contact center reads the fake saw, as "purpose" per call.
func (c *fakeContacts) reads() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string{}, c.purposes...)
}

func auditDetails(t *testing.T, s *Service, action, objectID string) map[string]string {
	t.Helper()
	for _, ev := range outbox(t, s) {
		if ev.Type != "mis.audit.recorded" {
			continue
		}
		var r struct {
			Action   string            `json:"action"`
			ObjectID string            `json:"object_id"`
			Details  map[string]string `json:"details"`
		}
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			t.Fatal(err)
		}
		if r.Action == action && r.ObjectID == objectID {
			return r.Details
		}
	}
	t.Fatalf("no %s audit record of %s", action, objectID)
	return nil
}

// A screen opened before a merge links, registers, matches and books for
// the merged card: each is done for the survivor, and the answer names it.
func TestStoreMISLinkToMergedContact(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, f, cc := newFakeService(t, b)
		ctx := context.Background()
		survivor, merged := motherContact, sonContact
		mergeInFake(cc, merged, survivor)

		l, created, err := s.LinkPatient(ctx, operator, merged, "pat-son")
		if err != nil || !created || l.ContactID != survivor || l.PatientID != "pat-son" {
			t.Fatalf("link to the merged card: %+v created=%v %v", l, created, err)
		}
		if got := activePatients(t, s, survivor); !slices.Equal(got, []string{"pat-son"}) {
			t.Fatalf("the survivor's patients: %v", got)
		}
		if got := activePatients(t, s, merged); len(got) != 0 {
			t.Fatalf("the merged card got patients: %v", got)
		}
		if got := cc.reads(); !slices.Equal(got, []string{PurposeLink, PurposeLink}) {
			t.Fatalf("contact center reads for a link: %v", got)
		}
		if d := auditDetails(t, s, "patient.linked", l.ID); d["contact_id"] != survivor || d["requested_contact_id"] != merged {
			t.Fatalf("audit of the link: %v", d)
		}
		if ev := eventsOf(t, s, SubjectLinked); len(ev) != 1 || ev[0]["contact_id"] != survivor {
			t.Fatalf("linked events: %v", ev)
		}
		// Again, by either card: the one link.
		for _, c := range []string{merged, survivor} {
			again, created, err := s.LinkPatient(ctx, operator, c, "pat-son")
			if err != nil || created || again.ID != l.ID {
				t.Fatalf("link again through %s: %+v created=%v %v", c, again, created, err)
			}
		}

		// Booking for the merged card is booking for the survivor and its
		// only linked patient (not a patient standing for the old card).
		a, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-0", ContactID: merged})
		if err != nil || a.ContactID != survivor || a.PatientID == nil || *a.PatientID != "pat-son" || f.appts[a.MISID].PatientID != "pat-son" {
			t.Fatalf("booking for the merged card: %+v %v", a, err)
		}
		if d := auditDetails(t, s, "appointment.booked", a.ID); d["contact_id"] != survivor || d["requested_contact_id"] != merged {
			t.Fatalf("audit of the booking: %v", d)
		}
		if ev := eventsOf(t, s, SubjectBooked); len(ev) != 1 || ev[0]["contact_id"] != survivor {
			t.Fatalf("booked events: %v", ev)
		}
		if got := appointmentIDs(t, s, survivor); !slices.Equal(got, []string{a.ID}) {
			t.Fatalf("the survivor's list: %v", got)
		}
		if last := cc.reads()[len(cc.reads())-1]; last != PurposeBook {
			t.Fatalf("the booking read the contact for %q", last)
		}

		// Registering the merged card registers the survivor: its name, its
		// identifier, its link.
		pt, rl, err := s.RegisterPatient(ctx, operator, merged)
		if err != nil || rl.ContactID != survivor || rl.PatientID != pt.ID {
			t.Fatalf("register the merged card: %+v %v", rl, err)
		}
		if got := identifierValues(f.patients[pt.ID], ContactIdentifierSystem); !slices.Equal(got, []string{survivor}) {
			t.Fatalf("registered under %v", got)
		}
		if d := auditDetails(t, s, "patient.registered", rl.ID); d["requested_contact_id"] != merged {
			t.Fatalf("audit of the registration: %v", d)
		}
		if got := cc.reads(); !slices.Equal(got[len(got)-2:], []string{PurposeRegister, PurposeRegister}) {
			t.Fatalf("contact center reads for a registration: %v", got)
		}

		// Matching the merged card matches the survivor: its links count.
		ans, err := s.MatchPatients(ctx, operator, merged)
		if err != nil || !slices.Contains(ans.Linked, "pat-son") || !slices.Contains(ans.Linked, pt.ID) {
			t.Fatalf("match the merged card: %v %v", ans.Linked, err)
		}
		for _, e := range outbox(t, s) {
			for _, pd := range []string{"Иванов", "Мария", "+7912", "2015-06-30", "example.ru"} {
				if strings.Contains(string(e.Data), pd) {
					t.Fatalf("personal data in a %s event", e.Type)
				}
			}
		}
	})
}

// Before the mis service has followed the merge event, the merged card's
// links are still its own: a booking through it may name their patient,
// and the link made to the survivor then is the one the merge keeps.
func TestStoreMISMergedContactBeforeTheEvent(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, _, cc := newFakeService(t, b)
		ctx := context.Background()
		survivor, merged := motherContact, sonContact
		old, _, err := s.LinkPatient(ctx, operator, merged, "pat-son")
		if err != nil || old.ContactID != merged {
			t.Fatalf("link before the merge: %+v %v", old, err)
		}
		mergeInFake(cc, merged, survivor)

		a, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-0", ContactID: merged, PatientID: "pat-son"})
		if err != nil || a.ContactID != survivor || *a.PatientID != "pat-son" {
			t.Fatalf("booking through the merged card before the event: %+v %v", a, err)
		}
		l, created, err := s.LinkPatient(ctx, operator, merged, "pat-son")
		if err != nil || !created || l.ContactID != survivor {
			t.Fatalf("link through the merged card before the event: %+v %v", l, err)
		}
		applyContactEvent(t, s, mergedEvent(t, survivor, merged))
		links, err := s.links(ctx, survivor)
		if err != nil || len(links) != 1 || links[0].ID != l.ID {
			t.Fatalf("the survivor's links after the event: %+v %v", links, err)
		}
		if got := activePatients(t, s, merged); len(got) != 0 {
			t.Fatalf("the merged card keeps %v", got)
		}
	})
}

// Merges of merges are followed a few steps, never round in a circle; an
// unknown contact is refused; without a contact reader the contact is
// taken as named.
func TestStoreMISMergeChains(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, _, cc := newFakeService(t, b)
		ctx := context.Background()
		// new → son → mother
		mergeInFake(cc, newContact, sonContact)
		mergeInFake(cc, sonContact, motherContact)
		l, _, err := s.LinkPatient(ctx, operator, newContact, "pat-other")
		if err != nil || l.ContactID != motherContact {
			t.Fatalf("link along a chain of two: %+v %v", l, err)
		}
		// A chain longer than followed, and a circle, are conflicts.
		cc.mu.Lock()
		long := make([]string, maxMergeHops+2)
		for i := range long {
			long[i] = ids.New()
		}
		for i := range len(long) - 1 {
			cc.contacts[long[i]] = ContactInfo{ID: long[i], MergedInto: long[i+1]}
		}
		cc.contacts[long[len(long)-1]] = ContactInfo{ID: long[len(long)-1]}
		cc.mu.Unlock()
		if _, _, err := s.LinkPatient(ctx, operator, long[0], "pat-other"); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("a chain of %d merges: %v", len(long)-1, err)
		}
		if _, _, err := s.LinkPatient(ctx, operator, long[1], "pat-other"); err != nil {
			t.Fatalf("a chain of %d merges: %v", len(long)-2, err)
		}
		mergeInFake(cc, motherContact, newContact)
		if _, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-1", ContactID: sonContact}); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("a circle of merges: %v", err)
		}
		unknown := ids.New()
		if _, _, err := s.LinkPatient(ctx, operator, unknown, "pat-other"); problem.CodeOf(err) != problem.Invalid ||
			problem.BodyOf(err).Errors[0].Field != "contact_id" {
			t.Fatalf("link an unknown contact: %v", err)
		}
		s.Contacts = nil
		if l, _, err := s.LinkPatient(ctx, operator, unknown, "pat-other"); err != nil || l.ContactID != unknown {
			t.Fatalf("link without a contact reader: %+v %v", l, err)
		}
	})
}
