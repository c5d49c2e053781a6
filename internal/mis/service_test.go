package mis

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

func newTestService(t *testing.T, b testenv.Backend, c Client) *Service {
	t.Helper()
	db := testenv.OpenDB(t, b, ServiceName)
	s, err := New(context.Background(), db, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func outbox(t *testing.T, s *Service) []events.Envelope {
	t.Helper()
	rows, err := s.DB.R.Query(`SELECT payload FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []events.Envelope
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		var e events.Envelope
		if err := json.Unmarshal([]byte(p), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestStoreMISCache(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newTestService(t, b, nil)
		ctx := context.Background()
		if err := s.Refresh(ctx); problem.CodeOf(err) != problem.Unavailable {
			t.Fatalf("refresh without an MIS: %v", err)
		}
		if got, err := s.Branches(ctx); err != nil || len(got) != 0 {
			t.Fatalf("empty cache: %v %v", got, err)
		}
		branches := []Branch{{ID: "b2", Name: "Ленина"}, {ID: "b1", Name: "Малышева", Address: "ул. Малышева, 51", Phone: "+73432000101"}}
		specs := []Specialty{{ID: "ent", System: "s", Name: "ЛОР"}, {ID: "cardiologist", System: "s", Name: "Кардиолог"}}
		doctors := []Doctor{
			{ID: "d1", Name: "Иванов", Roles: []DoctorRole{{ID: "r1", BranchID: "b1", SpecialtyID: "ent"}, {ID: "r2", BranchID: "b2", SpecialtyID: "ent"}}},
			{ID: "d2", Name: "Петрова", Roles: []DoctorRole{{ID: "r3", BranchID: "b2", SpecialtyID: "cardiologist"}, {ID: "r3", BranchID: "b2", SpecialtyID: "cardiologist"}}},
		}
		if err := s.ReplaceCache(ctx, Reference{Branches: branches, Specialties: specs, Doctors: doctors}); err != nil {
			t.Fatal(err)
		}
		// A second refresh replaces, never duplicates.
		if err := s.ReplaceCache(ctx, Reference{Branches: branches, Specialties: specs, Doctors: doctors}); err != nil {
			t.Fatal(err)
		}
		gotB, err := s.Branches(ctx)
		if err != nil || len(gotB) != 2 || gotB[0].ID != "b2" || gotB[1] != branches[1] {
			t.Fatalf("branches: %+v %v", gotB, err)
		}
		gotS, err := s.Specialties(ctx)
		if err != nil || len(gotS) != 2 || gotS[1] != specs[1] {
			t.Fatalf("specialties: %+v %v", gotS, err)
		}
		for _, c := range []struct {
			spec, branch string
			want         []string
		}{
			{"", "", []string{"d1", "d2"}},
			{"ent", "", []string{"d1"}},
			{"", "b2", []string{"d1", "d2"}},
			{"cardiologist", "b1", nil},
			{"ent", "b1", []string{"d1"}},
		} {
			got, err := s.Doctors(ctx, c.spec, c.branch)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []string
			for _, d := range got {
				gotIDs = append(gotIDs, d.ID)
			}
			if len(gotIDs) != len(c.want) || (len(gotIDs) > 0 && gotIDs[0] != c.want[0]) {
				t.Fatalf("doctors(%q, %q) = %v, want %v", c.spec, c.branch, gotIDs, c.want)
			}
		}
		d1, _ := s.Doctors(ctx, "ent", "b1")
		if len(d1[0].Roles) != 2 {
			t.Fatalf("a doctor found by one role lists all: %+v", d1)
		}
		d2, _ := s.Doctors(ctx, "cardiologist", "")
		if len(d2) != 1 || len(d2[0].Roles) != 1 {
			t.Fatalf("duplicate role rows: %+v", d2)
		}
		if at, err := s.RefreshedAt(ctx); err != nil || at.IsZero() || time.Since(at) > time.Minute {
			t.Fatalf("refreshed at %v %v", at, err)
		}
		// A smaller MIS list leaves nothing stale behind.
		if err := s.ReplaceCache(ctx, Reference{Branches: branches[:1], Specialties: specs[:1], Doctors: doctors[:1]}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Doctors(ctx, "", ""); len(got) != 1 {
			t.Fatalf("stale doctors: %+v", got)
		}
	})
}

func TestStoreMISBookAndCancel(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		peer := newDemoPeer(t)
		s := newTestService(t, b, peer.client)
		s.Now = func() time.Time { return demoStart.Add(-time.Hour) }
		ctx := context.Background()
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Doctors(ctx, "", ""); len(got) != 40 {
			t.Fatalf("%d doctors cached", len(got))
		}
		slots, err := s.FreeSlots(ctx, SlotQuery{SpecialtyID: "neurologist", From: demoStart, To: demoStart.AddDate(0, 0, 14), Limit: 2})
		if err != nil || len(slots) != 2 {
			t.Fatalf("%v %v", slots, err)
		}
		if slots[0].Doctor.Name == "" || slots[0].Branch.Name == "" || slots[0].Specialty.Name != "Невролог" {
			t.Fatalf("slot names not filled from the cache: %+v", slots[0])
		}
		op := principal.Principal{UserID: "0193a000-0000-7000-8000-0000000000aa", Login: "operator", Role: "operator"}
		contact, request := "0193a000-0000-7000-8000-000000000001", "0193a000-0000-7000-8000-000000000002"
		a, err := s.Book(ctx, op, BookInput{SlotID: slots[0].ID, ContactID: contact, RequestID: request})
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != StatusBooked || a.SlotID != slots[0].ID || a.MISID == "" || !a.Start.Equal(slots[0].Start) ||
			a.Doctor != slots[0].Doctor || a.Branch != slots[0].Branch || a.ContactID != contact || a.RequestID == nil || *a.RequestID != request {
			t.Fatalf("booked %+v for %+v", a, slots[0])
		}
		got, err := s.Appointment(ctx, a.ID)
		if err != nil || got.MISID != a.MISID || !got.End.Equal(slots[0].End) {
			t.Fatalf("stored: %+v %v", got, err)
		}
		_, err = s.Book(ctx, op, BookInput{SlotID: slots[0].ID, ContactID: contact})
		var tp *TakenProblem
		if !errors.As(err, &tp) || len(tp.Alternatives) == 0 {
			t.Fatalf("double booking: %v", err)
		}
		for _, alt := range tp.Alternatives {
			if alt.ID == slots[0].ID || alt.Specialty.ID != "neurologist" {
				t.Fatalf("alternative %+v", alt)
			}
		}
		c, err := s.Cancel(ctx, op, a.ID)
		if err != nil || c.Status != StatusCancelled {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		if again, err := s.Cancel(ctx, op, a.ID); err != nil || again.Status != StatusCancelled {
			t.Fatalf("cancel twice: %+v %v", again, err)
		}
		if _, err := s.Cancel(ctx, op, "0193a000-0000-7000-8000-0000000000ff"); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("cancel unknown: %v", err)
		}
		if _, err := s.Book(ctx, op, BookInput{SlotID: "no-such-slot", ContactID: contact}); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("book unknown slot: %v", err)
		}
		var subjects []string
		for _, e := range outbox(t, s) {
			subjects = append(subjects, e.Type)
			var d map[string]any
			_ = json.Unmarshal(e.Data, &d)
			if e.Type == SubjectBooked && (d["appointment_id"] != a.ID || d["contact_id"] != contact || d["request_id"] != request || d["status"] != "booked" || d["start"] != a.Start.Format(time.RFC3339) || len(d) != 7) {
				t.Fatalf("booked event: %s", e.Data)
			}
			if e.Type == "mis.audit.recorded" && (d["object_id"] != a.ID || d["actor_login"] != "operator") {
				t.Fatalf("audit record: %s", e.Data)
			}
		}
		want := []string{SubjectBooked, "mis.audit.recorded", SubjectCancelled, "mis.audit.recorded"}
		if len(subjects) != len(want) {
			t.Fatalf("outbox %v, want %v", subjects, want)
		}
		for i := range want {
			if subjects[i] != want[i] {
				t.Fatalf("outbox %v, want %v", subjects, want)
			}
		}
	})
}

func TestMISSlotQueryValidation(t *testing.T) {
	now := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		query, field string
	}{
		{"", "specialty"},
		{"branch=b1", "specialty"},
		{"specialty=a%20b", "specialty"},
		{"specialty=ent&from=tomorrow", "from"},
		{"specialty=ent&from=2026-11-23T09:00:00Z&to=2026-11-23T08:00:00Z", "to"},
		{"specialty=ent&from=2026-11-23T09:00:00Z&to=2026-12-08T09:00:00Z", "to"},
		{"specialty=ent&limit=0", "limit"},
		{"doctor=" + string(make([]byte, 65)), "doctor"},
	} {
		q, _ := parseQuery(c.query)
		_, fe := parseSlotQuery(q, now)
		if len(fe) == 0 || fe[0].Field != c.field {
			t.Errorf("%q: %+v, want a refusal of %s", c.query, fe, c.field)
		}
	}
	q, _ := parseQuery("doctor=doc-01&from=2026-11-23T09:00:00%2B05:00&to=2026-12-07T09:00:00%2B05:00")
	sq, fe := parseSlotQuery(q, now)
	if len(fe) != 0 || sq.To.Sub(sq.From) != MaxSlotRange || sq.DoctorID != "doc-01" || sq.Limit != DefaultSlotLimit {
		t.Fatalf("a good query: %+v %+v", sq, fe)
	}
}

func parseQuery(s string) (map[string][]string, error) { return url.ParseQuery(s) }

// stubClient books every slot and records cancellations.
type stubClient struct {
	Client
	cancelled []string
}

func (c *stubClient) Book(_ context.Context, b Booking) (Booked, error) {
	return Booked{MISID: "appt-" + b.SlotID, SlotID: b.SlotID, Start: demoStart, End: demoStart.Add(15 * time.Minute), Status: "booked"}, nil
}

func (c *stubClient) Cancel(_ context.Context, id string) error {
	c.cancelled = append(c.cancelled, id)
	return nil
}

// A booking the MIS made but Okno could not store is cancelled in the MIS
// again, and nothing is announced.
func TestStoreMISBookingNotStoredIsCompensated(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		stub := &stubClient{}
		s := newTestService(t, b, stub)
		ctx := context.Background()
		op := principal.Principal{UserID: "0193a000-0000-7000-8000-0000000000aa", Login: "operator"}
		if _, err := s.Book(ctx, op, BookInput{SlotID: "slot-1", ContactID: "0193a000-0000-7000-8000-000000000001"}); err != nil {
			t.Fatal(err)
		}
		if len(stub.cancelled) != 0 {
			t.Fatalf("a stored booking was cancelled: %v", stub.cancelled)
		}
		// The same MIS appointment id cannot be stored twice (unique mis_id):
		// the second booking's transaction fails.
		_, err := s.Book(ctx, op, BookInput{SlotID: "slot-1", ContactID: "0193a000-0000-7000-8000-000000000002"})
		if err == nil {
			t.Fatal("a second row with the same MIS id was stored")
		}
		if len(stub.cancelled) != 1 || stub.cancelled[0] != "appt-slot-1" {
			t.Fatalf("not compensated: %v", stub.cancelled)
		}
		if n := len(outbox(t, s)); n != 2 {
			t.Fatalf("%d outbox events, want the first booking's 2", n)
		}
	})
}
