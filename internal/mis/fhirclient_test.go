package mis

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/mis/demofhir"
	"github.com/okno-crm/okno/internal/problem"
)

// A Monday, so that the two weeks of the demo clinic start with a working day.
var demoStart = time.Date(2026, 11, 23, 0, 0, 0, 0, demofhir.Yekaterinburg)

type demoPeer struct {
	srv        *httptest.Server
	client     *FHIRClient
	slotGets   atomic.Int64
	slotWrites atomic.Int64
	beforePOST func(*http.Request) // runs before an Appointment POST reaches the server
}

func newDemoPeer(t *testing.T) *demoPeer {
	t.Helper()
	p := &demoPeer{}
	fhirSrv := demofhir.New(demofhir.Options{Start: demoStart})
	inner := http.StripPrefix("/fhir", fhirSrv)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/fhir/Slot" {
			p.slotGets.Add(1)
		}
		if r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/fhir/Slot") {
			p.slotWrites.Add(1)
		}
		if r.Method == http.MethodPost && r.URL.Path == "/fhir/Appointment" && p.beforePOST != nil {
			f := p.beforePOST
			p.beforePOST = nil
			f(r)
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	c, err := NewFHIRClient(FHIRConfig{BaseURL: p.srv.URL + "/fhir/", HTTP: p.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	p.client = c
	return p
}

func TestFHIRReferenceData(t *testing.T) {
	p := newDemoPeer(t)
	ctx := context.Background()
	branches, err := p.client.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(branches) != 4 {
		t.Fatalf("branches: %d, want 4", len(branches))
	}
	for _, b := range branches {
		if b.ID == "" || b.Name == "" || !strings.Contains(b.Address, "Екатеринбург") || !strings.HasPrefix(b.Phone, "+7") {
			t.Errorf("branch not mapped: %+v", b)
		}
	}
	specs, err := p.client.Specialties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 15 {
		t.Fatalf("specialties: %d, want 15", len(specs))
	}
	i := slices.IndexFunc(specs, func(s Specialty) bool { return s.ID == "cardiologist" })
	if i < 0 || specs[i].Name != "Кардиолог" || specs[i].System != demofhir.SpecialtySystem {
		t.Fatalf("cardiologist: %+v", specs)
	}
	doctors, err := p.client.Doctors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(doctors) != 40 {
		t.Fatalf("doctors: %d, want 40", len(doctors))
	}
	for _, d := range doctors {
		if d.Name == "" || len(d.Roles) == 0 {
			t.Fatalf("doctor not mapped: %+v", d)
		}
		for _, r := range d.Roles {
			if !slices.ContainsFunc(branches, func(b Branch) bool { return b.ID == r.BranchID }) ||
				!slices.ContainsFunc(specs, func(s Specialty) bool { return s.ID == r.SpecialtyID }) || r.ID == "" {
				t.Fatalf("doctor %s: role %+v names an unknown branch or specialty", d.ID, r)
			}
		}
	}
	svcs, err := p.client.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 30 {
		t.Fatalf("services: %d, want 30", len(svcs))
	}
	for _, s := range svcs {
		if s.Price == "" || s.Currency != "RUB" || s.SpecialtyID == "" {
			t.Fatalf("service without a price or specialty: %+v", s)
		}
	}
}

func TestFHIRSlotSearchFollowsPages(t *testing.T) {
	p := newDemoPeer(t)
	ctx := context.Background()
	from, to := demoStart, demoStart.AddDate(0, 0, 14)
	slots, err := p.client.FreeSlots(ctx, SlotQuery{SpecialtyID: "therapist", From: from, To: to, Limit: 250})
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 250 {
		t.Fatalf("%d slots, want 250 (therapists have more)", len(slots))
	}
	if n := p.slotGets.Load(); n < 3 {
		t.Fatalf("%d Slot pages read for 250 slots of 100 a page", n)
	}
	seen := map[string]bool{}
	for i, s := range slots {
		if seen[s.ID] {
			t.Fatalf("slot %s twice", s.ID)
		}
		seen[s.ID] = true
		if i > 0 && s.Start.Before(slots[i-1].Start) {
			t.Fatalf("slots not sorted by start at %d", i)
		}
		if s.SpecialtyID != "therapist" || s.DoctorID == "" || s.BranchID == "" || s.RoleID == "" || s.Start.Before(from) || !s.Start.Before(to) {
			t.Fatalf("slot not mapped or out of range: %+v", s)
		}
	}
	doc, branch := slots[0].DoctorID, slots[0].BranchID
	mine, err := p.client.FreeSlots(ctx, SlotQuery{DoctorID: doc, BranchID: branch, From: from, To: to, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) == 0 {
		t.Fatal("no slots of the doctor")
	}
	for _, s := range mine {
		if s.DoctorID != doc || s.BranchID != branch {
			t.Fatalf("doctor filter let through %+v", s)
		}
	}
	none, err := p.client.FreeSlots(ctx, SlotQuery{DoctorID: "no-such-doctor", From: from, To: to})
	if err != nil || len(none) != 0 {
		t.Fatalf("unknown doctor: %v %v", none, err)
	}
}

func TestFHIRBookTakenCancel(t *testing.T) {
	p := newDemoPeer(t)
	ctx := context.Background()
	from, to := demoStart, demoStart.AddDate(0, 0, 14)
	slots, err := p.client.FreeSlots(ctx, SlotQuery{SpecialtyID: "cardiologist", From: from, To: to, Limit: 3})
	if err != nil || len(slots) != 3 {
		t.Fatalf("%v %v", slots, err)
	}
	contact := "0193a000-0000-7000-8000-000000000001"
	b, err := p.client.Book(ctx, Booking{SlotID: slots[0].ID, ContactID: contact})
	if err != nil {
		t.Fatal(err)
	}
	if b.MISID == "" || b.SlotID != slots[0].ID || !b.Start.Equal(slots[0].Start) || b.DoctorID != slots[0].DoctorID || b.Status != "booked" {
		t.Fatalf("booked: %+v for %+v", b, slots[0])
	}
	_, err = p.client.Book(ctx, Booking{SlotID: slots[0].ID, ContactID: "0193a000-0000-7000-8000-000000000002"})
	var taken *TakenError
	if !errors.Is(err, ErrSlotTaken) || !errors.As(err, &taken) || taken.Slot.SpecialtyID != "cardiologist" {
		t.Fatalf("double booking: %v", err)
	}
	after, _ := p.client.FreeSlots(ctx, SlotQuery{SpecialtyID: "cardiologist", From: from, To: to, Limit: 3})
	if slices.ContainsFunc(after, func(s Slot) bool { return s.ID == slots[0].ID }) {
		t.Fatal("a booked slot is still offered as free")
	}
	// The same contact books again: the MIS patient is found, not made anew.
	b2, err := p.client.Book(ctx, Booking{SlotID: slots[1].ID, ContactID: contact})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.client.Cancel(ctx, b.MISID); err != nil {
		t.Fatal(err)
	}
	if err := p.client.Cancel(ctx, b.MISID); err != nil {
		t.Fatalf("cancelling twice: %v", err)
	}
	again, _ := p.client.FreeSlots(ctx, SlotQuery{SpecialtyID: "cardiologist", From: from, To: to, Limit: 3})
	if !slices.ContainsFunc(again, func(s Slot) bool { return s.ID == slots[0].ID }) {
		t.Fatal("a cancelled slot is not free again")
	}
	if err := p.client.Cancel(ctx, "no-such-appointment"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancel unknown: %v", err)
	}
	if _, err := p.client.Book(ctx, Booking{SlotID: "no-such-slot", ContactID: contact}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("book unknown slot: %v", err)
	}
	_ = b2
}

// The slot is taken between our read and our POST: If-Match makes the
// server answer 412, which is "taken", not a double booking.
func TestFHIRBookRaceIsTaken(t *testing.T) {
	p := newDemoPeer(t)
	ctx := context.Background()
	slots, err := p.client.FreeSlots(ctx, SlotQuery{SpecialtyID: "dentist", From: demoStart, To: demoStart.AddDate(0, 0, 14), Limit: 1})
	if err != nil || len(slots) != 1 {
		t.Fatalf("%v %v", slots, err)
	}
	rival, err := NewFHIRClient(FHIRConfig{BaseURL: p.srv.URL + "/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	var rivalErr error
	var once sync.Once
	p.beforePOST = func(*http.Request) {
		once.Do(func() {
			_, rivalErr = rival.Book(ctx, Booking{SlotID: slots[0].ID, ContactID: "0193a000-0000-7000-8000-0000000000ff"})
		})
	}
	_, err = p.client.Book(ctx, Booking{SlotID: slots[0].ID, ContactID: "0193a000-0000-7000-8000-000000000003"})
	if rivalErr != nil {
		t.Fatalf("rival: %v", rivalErr)
	}
	if !errors.Is(err, ErrSlotTaken) {
		t.Fatalf("lost race: %v, want taken", err)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestFHIRCircuitBreaker(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	clock := &fakeClock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	c, err := NewFHIRClient(FHIRConfig{BaseURL: srv.URL, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 5 {
		_, err := c.Branches(ctx)
		if problem.CodeOf(err) != problem.Unavailable {
			t.Fatalf("call %d: %v, want unavailable", i, err)
		}
	}
	if hits.Load() != 5 {
		t.Fatalf("%d calls reached the server, want 5", hits.Load())
	}
	_, err = c.Branches(ctx)
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != problem.Unavailable || !strings.Contains(pe.Message, "MIS is unavailable") || pe.RetryAfter <= 0 {
		t.Fatalf("open breaker: %v", err)
	}
	if hits.Load() != 5 || !c.Breaker().Open() {
		t.Fatalf("the open breaker let a call through (%d)", hits.Load())
	}
	clock.add(31 * time.Second)
	_, _ = c.Branches(ctx)
	if hits.Load() != 6 {
		t.Fatalf("after the cool-down: %d calls, want 6", hits.Load())
	}
	if !c.Breaker().Open() {
		t.Fatal("a failure after the cool-down did not open the breaker again")
	}
}

func TestFHIRTimeoutAndValidation(t *testing.T) {
	release := make(chan struct{})
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hang") == "" && strings.HasSuffix(r.URL.Path, "/Location") {
			w.Header().Set("Content-Type", "application/fhir+json")
			_, _ = w.Write([]byte(body.Load().(string)))
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := NewFHIRClient(FHIRConfig{BaseURL: srv.URL, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	if _, err := c.Doctors(ctx); problem.CodeOf(err) != problem.Unavailable || time.Since(start) > 3*time.Second {
		t.Fatalf("hanging MIS: %v after %v", err, time.Since(start))
	}
	for _, bad := range []string{
		`{"resourceType":"Patient","id":"x"}`,
		`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Location","id":"b1"}}]}`,
		`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Location","name":"no id"}}]}`,
		`{"resourceType":"Bundle","type":"history"}`,
		`{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"http://elsewhere.example/Location"}]}`,
		`not json`,
	} {
		body.Store(bad)
		if _, err := c.Branches(ctx); problem.CodeOf(err) != problem.Unavailable {
			t.Errorf("%s: %v, want unavailable", bad, err)
		}
		c.Breaker().Record(true)
	}
	body.Store(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Location","id":"b1","name":"Филиал"}}]}`)
	if got, err := c.Branches(ctx); err != nil || len(got) != 1 || got[0].Name != "Филиал" {
		t.Fatalf("a good answer: %v %v", got, err)
	}
}
