package mis

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
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
