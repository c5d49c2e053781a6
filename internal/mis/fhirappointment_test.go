package mis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/mis/demofhir"
	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/problem"
)

func TestFHIRPatientAppointments(t *testing.T) {
	p := newDemoPeer(t)
	ctx := context.Background()
	from, to := demoStart, demoStart.AddDate(0, 0, 14)
	appts, err := p.client.PatientAppointments(ctx, "pat-001", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(appts) < 5 {
		t.Fatalf("%d seeded appointments of pat-001, want several", len(appts))
	}
	for i, a := range appts {
		if a.PatientID != "pat-001" || a.Status != ApptBooked || a.SlotID == "" || a.DoctorID == "" || a.BranchID == "" ||
			a.SpecialtyID == "" || a.Version == "" || a.UpdatedAt.IsZero() || a.Start.Before(from) || !a.Start.Before(to) || !a.End.After(a.Start) {
			t.Fatalf("appointment %d not mapped: %+v", i, a)
		}
		if i > 0 && a.Start.Before(appts[i-1].Start) {
			t.Fatalf("not sorted by start at %d", i)
		}
	}
	// Whose it is agrees with the slot it is in.
	a := appts[0]
	grid, err := p.client.Schedule(ctx, SlotQuery{DoctorID: a.DoctorID, BranchID: a.BranchID, From: a.Start, To: a.End, Limit: 5})
	if err != nil || len(grid) != 1 || grid[0].ID != a.SlotID || grid[0].Status != "busy" || grid[0].SpecialtyID != a.SpecialtyID {
		t.Fatalf("the slot of %+v in the schedule: %+v %v", a, grid, err)
	}
	if got, err := p.client.PatientAppointments(ctx, "pat-001", to, to.AddDate(0, 1, 0)); err != nil || len(got) != 0 {
		t.Fatalf("after the two weeks: %d, %v", len(got), err)
	}
	for _, bad := range []struct {
		id       string
		from, to time.Time
		field    string
	}{{"", from, to, "patient_id"}, {"pat 1", from, to, "patient_id"}, {"pat-001", to, from, "to"}, {"pat-001", time.Time{}, to, "to"}} {
		if _, err := p.client.PatientAppointments(ctx, bad.id, bad.from, bad.to); problem.CodeOf(err) != problem.Invalid || fieldsOf(err)[0] != bad.field {
			t.Errorf("%q %v–%v: %v, want invalid %s", bad.id, bad.from, bad.to, err, bad.field)
		}
	}
}

func TestFHIRAppointmentMapping(t *testing.T) {
	c, err := NewFHIRClient(FHIRConfig{BaseURL: "http://mis.example/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	idx := &scheduleIndex{roles: map[string]scheduleInfo{"r1": {roleID: "r1", doctorID: "d1", branchID: "b1", specialtyID: "cardiologist"}}}
	for fhirStatus, want := range map[string]string{
		"proposed": ApptBooked, "pending": ApptBooked, "booked": ApptBooked, "waitlist": ApptBooked,
		"arrived": ApptArrived, "checked-in": ApptArrived, "fulfilled": ApptCompleted, "noshow": ApptNoShow,
		"cancelled": ApptCancelled, "entered-in-error": ApptCancelled,
	} {
		got, err := c.appointmentFrom(&fhir.Appointment{DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: "a"}}, Status: fhirStatus}, idx)
		if err != nil || got.Status != want {
			t.Errorf("%s: %q %v, want %s", fhirStatus, got.Status, err, want)
		}
	}
	ref := func(s string) *fhir.Reference { return &fhir.Reference{Reference: s} }
	a := &fhir.Appointment{
		DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: "a1", Meta: &fhir.Meta{VersionID: "7", LastUpdated: "2026-11-21T10:00:00.123+05:00"}}},
		Status:         "booked", Start: "2026-11-23T09:00:00+05:00", End: "2026-11-23T09:30:00+05:00",
		Slot:      []fhir.Reference{{Reference: "Slot/s9"}},
		Specialty: []fhir.CodeableConcept{{Coding: []fhir.Coding{{Code: "ent"}}}},
		Participant: []fhir.AppointmentParticipant{{Actor: ref("Patient/p1")}, {Actor: ref("https://mis.example/fhir/PractitionerRole/r1")},
			{Actor: ref("Location/b2")}, {Status: "needs-action"}},
	}
	got, err := c.appointmentFrom(a, idx)
	if err != nil {
		t.Fatal(err)
	}
	want := MISAppointment{MISID: "a1", Status: ApptBooked, PatientID: "p1", SlotID: "s9",
		Start: time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 23, 4, 30, 0, 0, time.UTC),
		DoctorID: "d1", BranchID: "b1", SpecialtyID: "cardiologist", UpdatedAt: time.Date(2026, 11, 21, 5, 0, 0, 123e6, time.UTC), Version: "7"}
	if got != want {
		t.Fatalf("mapped %+v, want %+v", got, want)
	}
	// Without a known role: the practitioner and location participants and the appointment's specialty.
	a.Participant = []fhir.AppointmentParticipant{{Actor: ref("Practitioner/d5")}, {Actor: ref("Location/b5")}}
	a.Meta = &fhir.Meta{LastUpdated: "2026-11-21T10:00:00Z"}
	got, err = c.appointmentFrom(a, idx)
	if err != nil || got.DoctorID != "d5" || got.BranchID != "b5" || got.SpecialtyID != "ent" || got.Version != "2026-11-21T10:00:00Z" {
		t.Fatalf("mapped %+v %v", got, err)
	}
	for name, bad := range map[string]fhir.Appointment{
		"no id":           {Status: "booked"},
		"unknown status":  {DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: "x"}}, Status: "maybe"},
		"bad start":       {DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: "x"}}, Status: "booked", Start: "tomorrow"},
		"ends before":     {DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: "x"}}, Status: "booked", Start: "2026-11-23T10:00:00Z", End: "2026-11-23T09:00:00Z"},
		"bad lastUpdated": {DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: "x", Meta: &fhir.Meta{LastUpdated: "yesterday"}}}, Status: "booked"},
	} {
		if _, err := c.appointmentFrom(&bad, idx); problem.CodeOf(err) != problem.Unavailable {
			t.Errorf("%s: %v, want a bad answer", name, err)
		}
	}
}

// demoAt is a demo MIS and a client sharing a clock.
func demoAt(t *testing.T, clock *fakeClock, wrap func(http.Handler) http.Handler) (*FHIRClient, *httptest.Server) {
	t.Helper()
	var h http.Handler = http.StripPrefix("/fhir", demofhir.New(demofhir.Options{Start: demoStart, Now: clock.now}))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewFHIRClient(FHIRConfig{BaseURL: srv.URL + "/fhir", Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestFHIRChanges(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
	c, srv := demoAt(t, clock, nil)
	ctx := context.Background()

	// The seed: every appointment stamped at the same millisecond, thousands of them. Read
	// from a cursor-less start an hour later, in pages of 1000, each arrives exactly once.
	clock.add(time.Hour)
	var total struct{ Total int }
	resp, err := http.Get(srv.URL + "/fhir/Appointment?_count=0")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&total)
	resp.Body.Close()
	if total.Total < 1000 {
		t.Fatalf("the demo seeds %d appointments, the test needs over 1000", total.Total)
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		p, err := c.Changes(ctx, cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, m := range p.Changes {
			if seen[m.MISID] {
				t.Fatalf("%s twice", m.MISID)
			}
			seen[m.MISID] = true
		}
		cursor = p.Next
		if !p.More {
			break
		}
		if pages > 10 {
			t.Fatal("the feed does not end")
		}
	}
	if len(seen) != total.Total || pages < 2 {
		t.Fatalf("%d of %d seeded appointments in %d pages", len(seen), total.Total, pages)
	}
	if !strings.Contains(cursor, "@") {
		t.Fatal("a cursor within one millisecond does not carry the versions seen")
	}

	// A day later, a fresh start sees nothing of the seed.
	clock.add(24 * time.Hour)
	p, err := c.Changes(ctx, "", 100)
	if err != nil || len(p.Changes) != 0 || p.More || p.Next == "" {
		t.Fatalf("a fresh start a day after the seed: %d changes, more %v, next %q, %v", len(p.Changes), p.More, p.Next, err)
	}
	cursor = p.Next

	free, err := c.FreeSlots(ctx, SlotQuery{From: demoStart, To: demoStart.AddDate(0, 0, 14), Limit: 2})
	if err != nil || len(free) != 2 {
		t.Fatalf("%v %v", free, err)
	}
	b1, err := c.Book(ctx, Booking{SlotID: free[0].ID, ContactID: "0193a000-0000-7000-8000-00000000f001"})
	if err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	b2, err := c.Book(ctx, Booking{SlotID: free[1].ID, ContactID: "0193a000-0000-7000-8000-00000000f002"})
	if err != nil {
		t.Fatal(err)
	}
	clock.add(time.Minute)
	if err := c.Cancel(ctx, b1.MISID); err != nil {
		t.Fatal(err)
	}
	p, err = c.Changes(ctx, cursor, 1)
	if err != nil || len(p.Changes) != 1 || p.Changes[0].MISID != b2.MISID || p.Changes[0].Status != ApptBooked || !p.More {
		t.Fatalf("first page: %+v %v", p, err)
	}
	p, err = c.Changes(ctx, p.Next, 1)
	if err != nil || len(p.Changes) != 1 || p.Changes[0].MISID != b1.MISID || p.Changes[0].Status != ApptCancelled || p.More {
		t.Fatalf("second page: %+v %v", p, err)
	}
	if b := p.Changes[0]; b.SlotID != free[0].ID || b.DoctorID != free[0].DoctorID || b.PatientID == "" {
		t.Fatalf("a change not mapped: %+v", b)
	}
	last := p.Next
	p, err = c.Changes(ctx, last, 10)
	if err != nil || len(p.Changes) != 0 || p.More || p.Next != last {
		t.Fatalf("nothing new: %+v %v", p, err)
	}

	for _, bad := range []string{"yesterday", "2026-11-21T09:00:00.000Z a,b", "2026-11-21T09:00:00.000Z ../x@1"} {
		if _, err := c.Changes(ctx, bad, 10); problem.CodeOf(err) != problem.Invalid || fieldsOf(err)[0] != "cursor" {
			t.Errorf("cursor %q: %v, want invalid", bad, err)
		}
	}
}

// A server that refuses _sort=_lastUpdated, or ignores it, is read without it: slower, the
// same changes in the same order.
func TestFHIRChangesWithoutServerSort(t *testing.T) {
	for _, mode := range []string{"refused", "ignored"} {
		t.Run(mode, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
			var mu sync.Mutex
			var sorts []string
			c, _ := demoAt(t, clock, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					q := r.URL.Query()
					if r.URL.Path == "/fhir/Appointment" && q.Get("_lastUpdated") != "" {
						mu.Lock()
						sorts = append(sorts, q.Get("_sort"))
						mu.Unlock()
						if q.Get("_sort") == "_lastUpdated" {
							if mode == "refused" {
								w.Header().Set("Content-Type", "application/fhir+json")
								w.WriteHeader(http.StatusBadRequest)
								_, _ = w.Write([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported"}]}`))
								return
							}
							q.Del("_sort")
							r.URL.RawQuery = q.Encode()
						}
					}
					h.ServeHTTP(w, r)
				})
			})
			ctx := context.Background()
			clock.add(25 * time.Hour)
			start, err := c.Changes(ctx, "", 10)
			if err != nil || len(start.Changes) != 0 {
				t.Fatalf("%+v %v", start, err)
			}
			// Created last, changed first; created first (seeded), changed last: the order the
			// server keeps is not the order of change.
			free, err := c.FreeSlots(ctx, SlotQuery{From: demoStart, To: demoStart.AddDate(0, 0, 14), Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			clock.add(time.Second)
			b, err := c.Book(ctx, Booking{SlotID: free[0].ID, ContactID: "0193a000-0000-7000-8000-00000000f101"})
			if err != nil {
				t.Fatal(err)
			}
			clock.add(time.Second)
			if err := c.Cancel(ctx, "appt-00001"); err != nil {
				t.Fatal(err)
			}
			var got []string
			cursor := start.Next
			for range 5 {
				p, err := c.Changes(ctx, cursor, 1)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range p.Changes {
					got = append(got, m.MISID+" "+m.Status)
				}
				cursor = p.Next
				if !p.More {
					break
				}
			}
			want := []string{b.MISID + " booked", "appt-00001 cancelled"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("changes %v, want %v", got, want)
			}
			mu.Lock()
			defer mu.Unlock()
			if sorts[0] != "_lastUpdated" || sorts[len(sorts)-1] != "" {
				t.Fatalf("the feed's _sort over time: %q, want _lastUpdated first and none after", sorts)
			}
		})
	}
}

func TestFHIRChangesDistrustsTheServer(t *testing.T) {
	var body string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		switch r.URL.Path {
		case "/Appointment":
			mu.Lock()
			defer mu.Unlock()
			_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":` + body + `}]}`))
		default:
			_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset"}`))
		}
	}))
	defer srv.Close()
	c, err := NewFHIRClient(FHIRConfig{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	cursor := "2026-11-21T09:00:00.000Z"
	for name, res := range map[string]string{
		"no lastUpdated":     `{"resourceType":"Appointment","id":"a","status":"booked"}`,
		"no id":              `{"resourceType":"Appointment","status":"booked","meta":{"lastUpdated":"2026-11-21T10:00:00Z"}}`,
		"unknown status":     `{"resourceType":"Appointment","id":"a","status":"sort-of","meta":{"lastUpdated":"2026-11-21T10:00:00Z"}}`,
		"before the cursor":  `{"resourceType":"Appointment","id":"a","status":"booked","meta":{"lastUpdated":"2026-11-21T08:59:59.999Z"}}`,
		"not an appointment": `{"resourceType":"Patient","id":"a","meta":{"lastUpdated":"2026-11-21T10:00:00Z"}}`,
	} {
		mu.Lock()
		body = res
		mu.Unlock()
		if _, err := c.Changes(context.Background(), cursor, 10); problem.CodeOf(err) != problem.Unavailable {
			t.Errorf("%s: %v, want unavailable", name, err)
		}
		c.Breaker().Record(true)
	}
	mu.Lock()
	body = `{"resourceType":"Appointment","id":"a","status":"booked","meta":{"versionId":"3","lastUpdated":"2026-11-21T10:00:00Z"}}`
	mu.Unlock()
	p, err := c.Changes(context.Background(), cursor, 10)
	if err != nil || len(p.Changes) != 1 || p.Next != "2026-11-21T10:00:00.000Z a@3" {
		t.Fatalf("a good answer: %+v %v", p, err)
	}
}

func TestFeedCursor(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 0, 0, 5e6, time.UTC)
	fc, err := parseCursor(fhir.Instant(at) + " a@1,b@2")
	if err != nil || !fc.at.Equal(at) || len(fc.seen) != 2 || fc.lastUpdatedParam() != "ge2026-11-21T10:00:00.005Z" {
		t.Fatalf("%+v %v", fc, err)
	}
	if !fc.skip(MISAppointment{MISID: "a", Version: "1", UpdatedAt: at.Add(300 * time.Microsecond)}) ||
		fc.skip(MISAppointment{MISID: "a", Version: "2", UpdatedAt: at}) {
		t.Fatal("a version seen at the cursor's millisecond is skipped, another is not")
	}
	// The same millisecond goes on: the versions add up.
	next := fc.advance([]MISAppointment{{MISID: "c", Version: "1", UpdatedAt: at}})
	if next.String() != fhir.Instant(at)+" a@1,b@2,c@1" {
		t.Fatalf("advanced within the millisecond: %q", next)
	}
	// A later millisecond starts afresh.
	later := at.Add(time.Millisecond)
	next = fc.advance([]MISAppointment{{MISID: "c", Version: "1", UpdatedAt: at}, {MISID: "d", Version: "x y", UpdatedAt: later}})
	if next.String() != fhir.Instant(later)+" d@x+y" {
		t.Fatalf("advanced past the millisecond: %q", next)
	}
	if back, err := parseCursor(next.String()); err != nil || !back.seen["d@x+y"] {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	// More versions at one millisecond than a cursor carries: that millisecond is passed.
	many := make([]MISAppointment, maxCursorKeys+1)
	for i := range many {
		many[i] = MISAppointment{MISID: fmt.Sprintf("a%d", i), Version: "1", UpdatedAt: later}
	}
	next = fc.advance(many)
	if !next.after || next.lastUpdatedParam() != "gt"+fhir.Instant(later) || next.String() != fhir.Instant(later)+" >" {
		t.Fatalf("a crowded millisecond: %q", next)
	}
	if back, err := parseCursor(next.String()); err != nil || !back.after {
		t.Fatalf("round trip of a passed millisecond: %+v %v", back, err)
	}
	keys := make([]string, maxCursorKeys+1)
	for i := range keys {
		keys[i] = fmt.Sprintf("a%d@1", i)
	}
	if _, err := parseCursor(fhir.Instant(at) + " " + strings.Join(keys, ",")); err == nil {
		t.Fatal("a cursor over the key limit was read")
	}
}
