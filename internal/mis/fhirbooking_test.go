package mis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/problem"
)

func TestFHIRScheduleAndReschedule(t *testing.T) {
	p := newDemoPeer(t)
	ctx := context.Background()
	free, err := p.client.FreeSlots(ctx, SlotQuery{SpecialtyID: "neurologist", From: demoStart, To: demoStart.AddDate(0, 0, 14), Limit: 3})
	if err != nil || len(free) != 3 {
		t.Fatalf("%v %v", free, err)
	}
	for _, s := range free {
		if s.Status != "free" {
			t.Fatalf("a free slot's status: %q", s.Status)
		}
	}
	a, b, c := free[0], free[1], free[2]
	booked, err := p.client.Book(ctx, Booking{SlotID: a.ID, ContactID: "0193a000-0000-7000-8000-00000000b001"})
	if err != nil {
		t.Fatal(err)
	}
	grid, err := p.client.Schedule(ctx, SlotQuery{DoctorID: a.DoctorID, BranchID: a.BranchID, From: demoStart, To: demoStart.AddDate(0, 0, 14), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, s := range grid {
		status[s.ID] = s.Status
	}
	if status[a.ID] != "busy" || status[c.ID] != "free" || !slices.ContainsFunc(grid, func(s Slot) bool { return s.ID != a.ID && s.Status == "busy" }) {
		t.Fatalf("the schedule does not show the booked slot busy beside the seeded busy ones")
	}

	// Someone else takes B; moving into it is refused, into C works and frees A.
	if _, err := p.client.Book(ctx, Booking{SlotID: b.ID, ContactID: "0193a000-0000-7000-8000-00000000b002"}); err != nil {
		t.Fatal(err)
	}
	var taken *TakenError
	if _, err := p.client.Reschedule(ctx, booked.MISID, b.ID); !errors.As(err, &taken) || taken.Slot.ID != b.ID {
		t.Fatalf("into a taken slot: %v", err)
	}
	moved, err := p.client.Reschedule(ctx, booked.MISID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if moved.MISID != booked.MISID || moved.SlotID != c.ID || !moved.Start.Equal(c.Start) || moved.DoctorID != c.DoctorID || moved.Status != "booked" {
		t.Fatalf("moved: %+v into %+v", moved, c)
	}
	same, err := p.client.Reschedule(ctx, booked.MISID, c.ID)
	if err != nil || same.SlotID != c.ID {
		t.Fatalf("moving into the slot it is in: %+v %v", same, err)
	}
	after, err := p.client.FreeSlots(ctx, SlotQuery{DoctorID: a.DoctorID, BranchID: a.BranchID, From: a.Start, To: c.End, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(after, func(s Slot) bool { return s.ID == a.ID }) || slices.ContainsFunc(after, func(s Slot) bool { return s.ID == c.ID }) {
		t.Fatal("after the move A is not free again or C is still free")
	}
	if err := p.client.Cancel(ctx, booked.MISID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.client.Reschedule(ctx, booked.MISID, a.ID); problem.CodeOf(err) != problem.Conflict {
		t.Fatalf("moving a cancelled appointment: %v, want conflict", err)
	}
	if _, err := p.client.Reschedule(ctx, "appt-99999", a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("moving an unknown appointment: %v", err)
	}
	if _, err := p.client.Reschedule(ctx, booked.MISID, "no-such-slot"); !errors.Is(err, ErrNotFound) && problem.CodeOf(err) != problem.Conflict {
		t.Fatalf("moving into an unknown slot: %v", err)
	}
	if _, err := p.client.FreeSlots(ctx, SlotQuery{From: demoStart}); problem.CodeOf(err) != problem.Invalid {
		t.Fatalf("slots without an end: %v, want invalid", err)
	}
}

func TestFHIRSlotClaimConfig(t *testing.T) {
	if _, err := NewFHIRClient(FHIRConfig{BaseURL: "http://mis.example/fhir", SlotClaim: "sometimes"}); err == nil {
		t.Fatal("an unknown slot claim mode was accepted")
	}
	// The demo MIS offers no Slot update: it manages slots, and the adapter never writes one.
	p := newDemoPeer(t)
	ctx := context.Background()
	free, err := p.client.FreeSlots(ctx, SlotQuery{From: demoStart, To: demoStart.AddDate(0, 0, 14), Limit: 1})
	if err != nil || len(free) != 1 {
		t.Fatalf("%v %v", free, err)
	}
	b, err := p.client.Book(ctx, Booking{SlotID: free[0].ID, ContactID: "0193a000-0000-7000-8000-00000000b101"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.client.Cancel(ctx, b.MISID); err != nil {
		t.Fatal(err)
	}
	if n := p.slotWrites.Load(); n != 0 {
		t.Fatalf("%d Slot writes to an MIS that manages its slots", n)
	}
}

// plainStore is a FHIR server that stores what it is sent and nothing more — no slot logic —
// with versioned updates (If-Match → 412), conditional create of Patients by identifier and
// the few searches the adapter makes. It stands for medplum or HAPI in unit tests that run
// without Node; the contract suite runs the real one.
type plainStore struct {
	t   *testing.T
	mu  sync.Mutex
	res map[string]map[string]map[string]any
	n   int
	// failPost makes the next Appointment create fail with 500.
	failPost bool
	// beforePut runs (unlocked) before a PUT is applied.
	beforePut func(path string)
	puts      []string
}

func newPlainStore(t *testing.T) (*plainStore, *FHIRClient) {
	s := &plainStore{t: t, res: map[string]map[string]map[string]any{}}
	put := func(typ, id string, body map[string]any) {
		body["resourceType"], body["id"] = typ, id
		s.store(typ, body)
	}
	put("Practitioner", "doc-1", map[string]any{"name": []any{map[string]any{"family": "Врачев"}}})
	put("PractitionerRole", "role-1", map[string]any{"practitioner": map[string]any{"reference": "Practitioner/doc-1"},
		"location":  []any{map[string]any{"reference": "Location/branch-1"}},
		"specialty": []any{map[string]any{"coding": []any{map[string]any{"code": "therapist"}}}}})
	put("Schedule", "sched-1", map[string]any{"actor": []any{map[string]any{"reference": "PractitionerRole/role-1"}}})
	for i := 1; i <= 3; i++ {
		at := time.Date(2026, 12, 1, 9+i, 0, 0, 0, time.UTC)
		put("Slot", fmt.Sprintf("s%d", i), map[string]any{"schedule": map[string]any{"reference": "Schedule/sched-1"}, "status": "free",
			"start": fhir.DateTime(at), "end": fhir.DateTime(at.Add(30 * time.Minute))})
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := NewFHIRClient(FHIRConfig{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// store gives a resource its next version. Callers hold mu, or are the constructor.
func (s *plainStore) store(typ string, body map[string]any) {
	s.n++
	body["meta"] = map[string]any{"versionId": fmt.Sprint(s.n), "lastUpdated": fhir.Instant(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC).Add(time.Duration(s.n) * time.Millisecond))}
	if s.res[typ] == nil {
		s.res[typ] = map[string]map[string]any{}
	}
	s.res[typ][body["id"].(string)] = body
}

func (s *plainStore) count(typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.res[typ])
}

func (s *plainStore) get(typ, id string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res[typ][id]
}

func (s *plainStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	write := func(status int, v any) {
		w.Header().Set("Content-Type", "application/fhir+json")
		if m, ok := v.(map[string]any); ok && m["meta"] != nil {
			w.Header().Set("ETag", `W/"`+m["meta"].(map[string]any)["versionId"].(string)+`"`)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if parts[0] == "metadata" {
		write(200, map[string]any{"resourceType": "CapabilityStatement", "status": "active", "date": "2026-11-21", "kind": "instance",
			"fhirVersion": "4.0.1", "format": []string{"json"}, "rest": []any{map[string]any{"mode": "server", "resource": []any{
				map[string]any{"type": "Slot", "interaction": []any{map[string]any{"code": "read"}, map[string]any{"code": "update"}, map[string]any{"code": "search-type"}}}}}}})
		return
	}
	typ := parts[0]
	var body map[string]any
	if r.Method == http.MethodPut || r.Method == http.MethodPost {
		data, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(data, &body); err != nil {
			write(400, fhir.NewOperationOutcome("error", "structure", err.Error()))
			return
		}
	}
	s.mu.Lock()
	hook := s.beforePut
	s.mu.Unlock()
	if r.Method == http.MethodPut && hook != nil {
		hook(r.URL.Path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && len(parts) == 2:
		if res, ok := s.res[typ][parts[1]]; ok {
			write(200, res)
		} else {
			write(404, fhir.NewOperationOutcome("error", "not-found", "no such resource"))
		}
	case r.Method == http.MethodPut && len(parts) == 2:
		old, ok := s.res[typ][parts[1]]
		if im := r.Header.Get("If-Match"); ok && im != "" && etagVersion(im) != old["meta"].(map[string]any)["versionId"] {
			write(412, fhir.NewOperationOutcome("error", "conflict", "version mismatch"))
			return
		}
		s.puts = append(s.puts, r.URL.Path)
		s.store(typ, body)
		write(200, body)
	case r.Method == http.MethodPost && len(parts) == 1:
		if typ == "Appointment" && s.failPost {
			s.failPost = false
			write(500, fhir.NewOperationOutcome("error", "exception", "down"))
			return
		}
		if cond := r.Header.Get("If-None-Exist"); cond != "" {
			q, _ := url.ParseQuery(cond)
			if hits := s.search(typ, q); len(hits) == 1 {
				write(200, hits[0])
				return
			}
		}
		body["id"] = fmt.Sprintf("%s-%d", strings.ToLower(typ), s.n+1)
		s.store(typ, body)
		write(201, body)
	case r.Method == http.MethodGet && len(parts) == 1:
		var entries []any
		for _, res := range s.search(typ, r.URL.Query()) {
			entries = append(entries, map[string]any{"resource": res})
		}
		write(200, map[string]any{"resourceType": "Bundle", "type": "searchset", "entry": entries})
	default:
		write(405, fhir.NewOperationOutcome("error", "not-supported", "no"))
	}
}

func (s *plainStore) setBeforePut(f func(string)) {
	s.mu.Lock()
	s.beforePut = f
	s.mu.Unlock()
}

// search matches the parameters the adapter sends to a plain store; others match everything
// (the adapter checks answers itself). Callers hold mu.
func (s *plainStore) search(typ string, q url.Values) []map[string]any {
	var out []map[string]any
	for _, res := range s.res[typ] {
		raw, _ := json.Marshal(res)
		ok := true
		if v := q.Get("identifier"); v != "" {
			sys, val, _ := strings.Cut(v, "|")
			ids, _ := res["identifier"].([]any)
			ok = ok && slices.ContainsFunc(ids, func(x any) bool {
				id, _ := x.(map[string]any)
				return id["system"] == sys && id["value"] == val
			})
		}
		if v := q.Get("slot"); v != "" {
			ok = ok && strings.Contains(string(raw), `"reference":"`+v+`"`)
		}
		if v := q.Get("status"); v != "" {
			st, _ := res["status"].(string)
			ok = ok && slices.Contains(strings.Split(v, ","), st)
		}
		if ok {
			out = append(out, res)
		}
	}
	return out
}

func TestFHIRClientClaimedSlots(t *testing.T) {
	s, c := newPlainStore(t)
	ctx := context.Background()
	slotStatus := func(id string) string { return s.get("Slot", id)["status"].(string) }

	b, err := c.Book(ctx, Booking{SlotID: "s1", ContactID: "0193a000-0000-7000-8000-00000000d001"})
	if err != nil {
		t.Fatal(err)
	}
	if slotStatus("s1") != "busy" || b.DoctorID != "doc-1" || b.BranchID != "branch-1" || b.SpecialtyID != "therapist" {
		t.Fatalf("booking against a plain store: slot %s, booked %+v", slotStatus("s1"), b)
	}
	appt := s.get("Appointment", b.MISID)
	raw, _ := json.Marshal(appt["participant"])
	for _, ref := range []string{"Practitioner/doc-1", "PractitionerRole/role-1", "Location/branch-1"} {
		if !strings.Contains(string(raw), ref) {
			t.Fatalf("the appointment does not name %s", ref)
		}
	}
	if _, err := c.Book(ctx, Booking{SlotID: "s1", ContactID: "0193a000-0000-7000-8000-00000000d002"}); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("booking the claimed slot: %v", err)
	}

	// Another client claims s2 between our read and our claim: 412, taken, nothing created.
	s.setBeforePut(func(path string) {
		s.setBeforePut(nil)
		s.mu.Lock()
		sl := s.res["Slot"]["s2"]
		sl["status"] = "busy"
		s.store("Slot", sl)
		s.mu.Unlock()
	})
	before := s.count("Appointment")
	if _, err := c.Book(ctx, Booking{SlotID: "s2", ContactID: "0193a000-0000-7000-8000-00000000d003"}); !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("losing the claim: %v", err)
	}
	if s.count("Appointment") != before {
		t.Fatal("an appointment was created for a slot lost")
	}

	// The MIS fails the create after the claim: the slot is given back.
	s.mu.Lock()
	s.failPost = true
	s.mu.Unlock()
	if _, err := c.Book(ctx, Booking{SlotID: "s3", ContactID: "0193a000-0000-7000-8000-00000000d004"}); problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("a failed create: %v", err)
	}
	if slotStatus("s3") != "free" {
		t.Fatal("a slot claimed for a failed booking stays busy")
	}

	// Moving claims the new slot and frees the old one.
	moved, err := c.Reschedule(ctx, b.MISID, "s3")
	if err != nil {
		t.Fatal(err)
	}
	if moved.SlotID != "s3" || slotStatus("s3") != "busy" || slotStatus("s1") != "free" {
		t.Fatalf("after the move: s1 %s, s3 %s", slotStatus("s1"), slotStatus("s3"))
	}
	if err := c.Cancel(ctx, b.MISID); err != nil {
		t.Fatal(err)
	}
	if slotStatus("s3") != "free" {
		t.Fatal("a cancelled appointment's slot stays busy")
	}

	// A slot another live appointment holds is not freed by cancelling ours.
	b1, err := c.Book(ctx, Booking{SlotID: "s1", ContactID: "0193a000-0000-7000-8000-00000000d005"})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	other := map[string]any{"resourceType": "Appointment", "id": "desk-1", "status": "booked", "slot": []any{map[string]any{"reference": "Slot/s1"}}}
	s.store("Appointment", other)
	s.mu.Unlock()
	if err := c.Cancel(ctx, b1.MISID); err != nil {
		t.Fatal(err)
	}
	if slotStatus("s1") != "busy" {
		t.Fatal("cancelling freed a slot another appointment holds")
	}
}

// Updates send back every element the MIS sent, Okno's change aside.
func TestFHIRUpdatesKeepTheMISJSON(t *testing.T) {
	s, c := newPlainStore(t)
	ctx := context.Background()
	b, err := c.Book(ctx, Booking{SlotID: "s1", ContactID: "0193a000-0000-7000-8000-00000000e001"})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	a := s.res["Appointment"][b.MISID]
	a["_status"] = map[string]any{"extension": []any{map[string]any{"url": "urn:mis:status-by", "valueString": "регистратура"}}}
	a["patientInstruction"] = "Натощак"
	a["participant"] = append(a["participant"].([]any), map[string]any{"actor": map[string]any{"reference": "RelatedPerson/mother"}, "status": "accepted",
		"extension": []any{map[string]any{"url": "urn:mis:role", "valueString": "сопровождающий"}}})
	s.store("Appointment", a)
	s.mu.Unlock()
	if _, err := c.Reschedule(ctx, b.MISID, "s2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Cancel(ctx, b.MISID); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s.get("Appointment", b.MISID))
	for _, want := range []string{`"_status":{"extension"`, `"patientInstruction":"Натощак"`, `"reference":"RelatedPerson/mother"`, `"urn:mis:role"`,
		`"status":"cancelled"`, `"reference":"Slot/s2"`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("after reschedule and cancel the appointment lacks %s", want)
		}
	}
	if strings.Count(string(got), `"reference":"Practitioner/doc-1"`) != 1 {
		t.Error("the doctor is named more than once after the move")
	}
}
