package demofhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
)

// Monday 2 March 2026, 07:00 in Yekaterinburg.
var monday = time.Date(2026, 3, 2, 7, 0, 0, 0, Yekaterinburg)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type peer struct {
	t     *testing.T
	srv   *httptest.Server
	clock *fakeClock
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	clock := &fakeClock{t: monday}
	h := New(Options{Start: monday, Now: clock.now, Seed: 7})
	mux := http.NewServeMux()
	mux.Handle("/demo/fhir/", http.StripPrefix("/demo/fhir", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &peer{t: t, srv: srv, clock: clock}
}

func (p *peer) url(path string) string { return p.srv.URL + "/demo/fhir" + path }

// do sends a request and decodes a JSON answer into out (when not nil).
func (p *peer) do(method, target string, body any, headers map[string]string, out any) *http.Response {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	if !strings.HasPrefix(target, "http") {
		target = p.url(target)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
		p.t.Fatalf("%s %s: Content-Type %q", method, target, ct)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			p.t.Fatalf("%s %s: %v in %s", method, target, err, data)
		}
	}
	return resp
}

func (p *peer) get(path string, out any) *http.Response { return p.do("GET", path, nil, nil, out) }

// searchAll follows next links and returns every entry's resource, decoded into T.
func searchAll[T any](p *peer, path string) (all []*T, total int, pages int) {
	p.t.Helper()
	next := path
	for next != "" {
		var b fhir.Bundle
		if resp := p.get(next, &b); resp.StatusCode != 200 {
			p.t.Fatalf("GET %s: %d", next, resp.StatusCode)
		}
		if b.Type != "searchset" || b.Total == nil {
			p.t.Fatalf("not a searchset with total: %+v", b)
		}
		total = *b.Total
		pages++
		for _, e := range b.Entry {
			v := new(T)
			if err := json.Unmarshal(e.Resource, v); err != nil {
				p.t.Fatal(err)
			}
			all = append(all, v)
		}
		next = b.LinkURL("next")
		if pages > 1000 {
			p.t.Fatal("paging does not end")
		}
	}
	return all, total, pages
}

func expectOutcome(t *testing.T, resp *http.Response, oo *fhir.OperationOutcome, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d (%+v)", resp.StatusCode, status, oo)
	}
	if oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 || oo.Issue[0].Code != code || oo.Issue[0].Severity != "error" {
		t.Fatalf("outcome %+v, want an error issue %q", oo, code)
	}
}

func TestMetadata(t *testing.T) {
	p := newPeer(t)
	var cs fhir.CapabilityStatement
	if resp := p.get("/metadata", &cs); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if cs.ResourceType != "CapabilityStatement" || cs.FHIRVersion != "4.0.1" || cs.Kind != "instance" {
		t.Fatalf("capability: %+v", cs)
	}
	if !strings.HasSuffix(cs.Implementation.URL, "/demo/fhir") {
		t.Fatalf("implementation url %q does not name the mounted base", cs.Implementation.URL)
	}
	for _, want := range [][2]string{{"Appointment", "create"}, {"Appointment", "update"}, {"Patient", "create"}, {"Slot", "search-type"}, {"Slot", "read"}} {
		if !cs.Supports(want[0], want[1]) {
			t.Errorf("CapabilityStatement lacks %s %s", want[0], want[1])
		}
	}
	if cs.Supports("Slot", "update") || cs.Supports("Patient", "delete") {
		t.Error("CapabilityStatement claims interactions the server does not have")
	}
	for _, r := range cs.Rest[0].Resource {
		if r.Type == "Patient" && (r.ConditionalCreate == nil || !*r.ConditionalCreate) {
			t.Error("Patient conditional create not declared")
		}
		if r.Type == "Slot" {
			var names []string
			for _, sp := range r.SearchParam {
				names = append(names, sp.Name)
			}
			for _, n := range []string{"schedule", "status", "start", "specialty", "_lastUpdated"} {
				if !strings.Contains(","+strings.Join(names, ",")+",", ","+n+",") {
					t.Errorf("Slot search parameter %s not declared (have %v)", n, names)
				}
			}
		}
	}
}

func TestClinicIsRealisticAndDeterministic(t *testing.T) {
	p := newPeer(t)
	locs, n, _ := searchAll[fhir.Location](p, "/Location")
	if n != 4 || len(locs) != 4 || locs[0].Address.City != "Екатеринбург" || !strings.Contains(locs[0].Address.Line[0], "Малышева") {
		t.Fatalf("branches: %d %+v", n, locs[0].Address)
	}
	docs, n, _ := searchAll[fhir.Practitioner](p, "/Practitioner?_count=7")
	if n != 40 || len(docs) != 40 {
		t.Fatalf("practitioners: total %d, got %d", n, len(docs))
	}
	if !regexp.MustCompile(`^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+(ич|на)$`).MatchString(docs[0].Name[0].Text) {
		t.Fatalf("doctor's name %q is not a Russian full name", docs[0].Name[0].Text)
	}
	roles, _, _ := searchAll[fhir.PractitionerRole](p, "/PractitionerRole?_count=500")
	specs := map[string]bool{}
	for _, r := range roles {
		specs[r.Specialty[0].Coding[0].Code] = true
	}
	if len(specs) != 15 {
		t.Fatalf("%d specialties among roles, want 15", len(specs))
	}
	svcs, _, _ := searchAll[fhir.HealthcareService](p, "/HealthcareService?specialty=cardiologist")
	if len(svcs) != 2 {
		t.Fatalf("cardiology services: %d", len(svcs))
	}
	if ext, ok := svcs[0].ExtensionByURL(PriceExtension); !ok || ext.ValueMoney.Currency != "RUB" || ext.ValueMoney.Value != "3100" {
		t.Fatalf("price extension: %+v", svcs[0].Extension)
	}
	pats, n, _ := searchAll[fhir.Patient](p, "/Patient?_count=100")
	if n < 24 || len(pats) != n {
		t.Fatalf("patients: %d", n)
	}
	e164 := regexp.MustCompile(`^\+7\d{10}$`)
	for _, pt := range pats {
		if !e164.MatchString(pt.Telecom[0].Value) || pt.Identifier[0].System != MRNSystem {
			t.Fatalf("patient %s: phone %q, identifier %+v", pt.ID, pt.Telecom[0].Value, pt.Identifier)
		}
	}
	slots, n, _ := searchAll[fhir.Slot](p, "/Slot?_count=1000")
	busy, lengths := 0, map[time.Duration]int{}
	for _, s := range slots {
		a, _, err := fhir.ParseDateTime(s.Start, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _, _ := fhir.ParseDateTime(s.End, nil)
		a, b = a.In(Yekaterinburg), b.In(Yekaterinburg)
		if wd := a.Weekday(); wd == time.Saturday || wd == time.Sunday || a.Hour() < 8 || b.Hour()*60+b.Minute() > 20*60 {
			t.Fatalf("slot %s %s–%s is outside working hours", s.ID, s.Start, s.End)
		}
		if a.Before(monday.Truncate(24*time.Hour)) || !a.Before(monday.AddDate(0, 0, 14)) {
			t.Fatalf("slot %s %s is outside the two weeks", s.ID, s.Start)
		}
		lengths[b.Sub(a)]++
		if s.Status == fhir.SlotBusy {
			busy++
		}
		if s.Meta == nil || s.Meta.VersionID != "1" || s.Meta.LastUpdated == "" {
			t.Fatalf("slot meta: %+v", s.Meta)
		}
	}
	if n < 3000 || len(slots) != n || lengths[15*time.Minute] == 0 || lengths[30*time.Minute] == 0 || len(lengths) != 2 {
		t.Fatalf("slots: %d, lengths %v", n, lengths)
	}
	if busy < n/6 || busy > n/3 {
		t.Fatalf("%d of %d slots busy", busy, n)
	}
	appts, _, _ := searchAll[fhir.Appointment](p, "/Appointment?_count=1000")
	if len(appts) != busy {
		t.Fatalf("%d appointments for %d busy slots", len(appts), busy)
	}

	// Same seed, same clinic; another seed, another.
	body := func(seed uint64) string {
		h := New(Options{Start: monday, Now: func() time.Time { return monday }, Seed: seed, BaseURL: "http://x"})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/Slot?_count=200&status=busy", nil))
		rec2 := httptest.NewRecorder()
		h.ServeHTTP(rec2, httptest.NewRequest("GET", "/Patient", nil))
		return rec.Body.String() + rec2.Body.String()
	}
	if body(3) != body(3) {
		t.Fatal("the same seed gave different data")
	}
	if body(3) == body(4) {
		t.Fatal("different seeds gave the same data")
	}
}

func TestSlotSearchFiltersAndPaging(t *testing.T) {
	p := newPeer(t)
	q := "/Slot?specialty=" + url.QueryEscape(SpecialtySystem+"|therapist") + "&status=free&start=ge2026-03-03&start=lt2026-03-05T14:00:00%2B05:00&_sort=start&_count=7"
	slots, total, pages := searchAll[fhir.Slot](p, q)
	if total < 15 || len(slots) != total || pages != (total+6)/7 {
		t.Fatalf("total %d, got %d in %d pages", total, len(slots), pages)
	}
	lo := time.Date(2026, 3, 3, 0, 0, 0, 0, Yekaterinburg)
	hi := time.Date(2026, 3, 5, 14, 0, 0, 0, Yekaterinburg)
	seen := map[string]bool{}
	var prev time.Time
	for _, s := range slots {
		start, _, _ := fhir.ParseDateTime(s.Start, nil)
		if s.Status != fhir.SlotFree || !s.Specialty[0].HasCoding(SpecialtySystem, "therapist") || start.Before(lo) || !start.Before(hi) {
			t.Fatalf("slot %s does not match: %s %s %v", s.ID, s.Status, s.Start, s.Specialty[0].Coding)
		}
		if start.Before(prev) {
			t.Fatalf("not sorted by start: %s after %s", s.Start, prev)
		}
		if seen[s.ID] {
			t.Fatalf("slot %s on two pages", s.ID)
		}
		seen[s.ID], prev = true, start
	}
	// The SNOMED coding finds the same slots.
	var b fhir.Bundle
	p.get("/Slot?specialty=http://snomed.info/sct|394802001&status=free&start=ge2026-03-03&start=lt2026-03-05T14:00:00%2B05:00&_count=0", &b)
	if *b.Total != total || len(b.Entry) != 0 {
		t.Fatalf("SNOMED search: total %d (want %d), %d entries with _count=0", *b.Total, total, len(b.Entry))
	}
	// A schedule's slots, and via the chained actor of that schedule.
	_, sched, _ := slots[0].Schedule.Split()
	byschedule, n, _ := searchAll[fhir.Slot](p, "/Slot?schedule="+sched+"&_count=100")
	var sc fhir.Schedule
	p.get("/Schedule/"+sched, &sc)
	_, n2, _ := searchAll[fhir.Slot](p, "/Slot?schedule.actor="+sc.Actor[0].Reference+"&_count=100")
	if n == 0 || n != n2 || len(byschedule) != n {
		t.Fatalf("by schedule %d, by actor %d", n, n2)
	}
	for _, s := range byschedule {
		if s.Schedule.Reference != "Schedule/"+sched {
			t.Fatalf("slot %s of %s", s.ID, s.Schedule.Reference)
		}
	}
	// Schedules of a role; roles of a specialty in a branch.
	var sb fhir.Bundle
	p.get("/Schedule?actor="+sc.Actor[0].Reference, &sb)
	if *sb.Total != 1 {
		t.Fatalf("schedules of %s: %d", sc.Actor[0].Reference, *sb.Total)
	}
	roles, _, _ := searchAll[fhir.PractitionerRole](p, "/PractitionerRole?specialty=therapist&location=Location/branch-1")
	for _, r := range roles {
		if r.Location[0].Reference != "Location/branch-1" || !r.Specialty[0].HasCoding("", "therapist") {
			t.Fatalf("role %s: %+v %+v", r.ID, r.Location, r.Specialty)
		}
	}
	// Refused: unknown parameter, bad date, bad cursor.
	for _, bad := range []string{"/Slot?colour=red", "/Slot?start=ge01.03.2026", "/Slot?_offset=abc", "/Slot?_sort=price"} {
		var oo fhir.OperationOutcome
		expectOutcome(t, p.get(bad, &oo), &oo, 400, "not-supported")
	}
}

// freeSlot finds a free slot.
func freeSlot(p *peer, extra string) *fhir.Slot {
	p.t.Helper()
	var b fhir.Bundle
	p.get("/Slot?status=free&_sort=start&_count=1"+extra, &b)
	if len(b.Entry) != 1 {
		p.t.Fatal("no free slot")
	}
	var s fhir.Slot
	if err := json.Unmarshal(b.Entry[0].Resource, &s); err != nil {
		p.t.Fatal(err)
	}
	return &s
}

func appointment(slotID, patientID string) *fhir.Appointment {
	return &fhir.Appointment{
		Status: fhir.AppointmentBooked,
		Slot:   []fhir.Reference{fhir.Ref("Slot", slotID)},
		Participant: []fhir.AppointmentParticipant{
			{Actor: &fhir.Reference{Reference: "Patient/" + patientID}, Status: "accepted"},
		},
	}
}

func TestBookFreeSlot(t *testing.T) {
	p := newPeer(t)
	sl := freeSlot(p, "&specialty=cardiologist")
	var fresh fhir.Slot
	resp := p.get("/Slot/"+sl.ID, &fresh)
	if resp.Header.Get("ETag") != `W/"1"` || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("slot ETag %q, Last-Modified %q", resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
	}
	p.clock.add(time.Minute)
	var a fhir.Appointment
	resp = p.do("POST", "/Appointment", appointment(sl.ID, "pat-001"), map[string]string{"If-Match": resp.Header.Get("ETag")}, &a)
	if resp.StatusCode != 201 {
		t.Fatalf("booking: %d %+v", resp.StatusCode, a)
	}
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, p.url("/Appointment/"+a.ID+"/_history/1")) {
		t.Fatalf("Location %q", loc)
	}
	if a.Status != fhir.AppointmentBooked || a.Start != sl.Start || a.End != sl.End || a.Meta.VersionID != "1" || resp.Header.Get("ETag") != `W/"1"` {
		t.Fatalf("appointment: %+v meta %+v", a, a.Meta)
	}
	if a.Meta.LastUpdated != fhir.Instant(monday.Add(time.Minute).UTC()) {
		t.Fatalf("lastUpdated %s does not follow the injected clock", a.Meta.LastUpdated)
	}
	if len(actors(&a, "Practitioner")) != 1 || len(actors(&a, "Location")) != 1 || len(actors(&a, "PractitionerRole")) != 1 {
		t.Fatalf("participants not filled from the schedule: %+v", a.Participant)
	}
	var after fhir.Slot
	resp = p.get("/Slot/"+sl.ID, &after)
	if after.Status != fhir.SlotBusy || after.Meta.VersionID != "2" || resp.Header.Get("ETag") != `W/"2"` {
		t.Fatalf("slot after booking: %s v%s", after.Status, after.Meta.VersionID)
	}
	var stored fhir.Appointment
	if p.get("/Appointment/"+a.ID, &stored); stored.ID != a.ID || patientOf(&stored) != "Patient/pat-001" {
		t.Fatalf("stored appointment: %+v", stored)
	}
	// The slot is taken now: a plain retry is a conflict, a retry with the old version a failed precondition.
	var oo fhir.OperationOutcome
	expectOutcome(t, p.do("POST", "/Appointment", appointment(sl.ID, "pat-002"), nil, &oo), &oo, 409, "conflict")
	oo = fhir.OperationOutcome{}
	expectOutcome(t, p.do("POST", "/Appointment", appointment(sl.ID, "pat-002"), map[string]string{"If-Match": `W/"1"`}, &oo), &oo, 412, "conflict")
	// Bad bookings.
	oo = fhir.OperationOutcome{}
	other := freeSlot(p, "")
	expectOutcome(t, p.do("POST", "/Appointment", appointment(other.ID, "pat-999"), nil, &oo), &oo, 422, "processing")
	oo = fhir.OperationOutcome{}
	expectOutcome(t, p.do("POST", "/Appointment", appointment("no-such-slot", "pat-001"), nil, &oo), &oo, 422, "processing")
	if s := freeSlot(p, ""); s.ID != other.ID {
		t.Fatalf("a refused booking changed the free slots: %s", s.ID)
	}
}

func TestConcurrentDoubleBooking(t *testing.T) {
	p := newPeer(t)
	sl := freeSlot(p, "&specialty=neurologist")
	const n = 20
	codes := make(chan int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			var out json.RawMessage
			resp := p.do("POST", "/Appointment", appointment(sl.ID, fmt.Sprintf("pat-%03d", i+1)), map[string]string{"If-Match": `W/"1"`}, &out)
			codes <- resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	// Every loser saw the slot at version 2 (busy): 412 because the If-Match is stale. Without
	// If-Match they get 409; check both paths.
	if count[201] != 1 || count[412] != n-1 {
		t.Fatalf("with If-Match: %v, want one 201 and %d 412", count, n-1)
	}
	var b fhir.Bundle
	p.get("/Appointment?slot=Slot/"+sl.ID, &b)
	if *b.Total != 1 {
		t.Fatalf("%d appointments in slot %s", *b.Total, sl.ID)
	}

	sl2 := freeSlot(p, "&specialty=neurologist")
	codes = make(chan int, n)
	start = make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			var out json.RawMessage
			codes <- p.do("POST", "/Appointment", appointment(sl2.ID, fmt.Sprintf("pat-%03d", i+1)), nil, &out).StatusCode
		})
	}
	close(start)
	wg.Wait()
	close(codes)
	count = map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("without If-Match: %v, want one 201 and %d 409", count, n-1)
	}
	p.get("/Appointment?slot="+sl2.ID, &b)
	if *b.Total != 1 {
		t.Fatalf("%d appointments in slot %s", *b.Total, sl2.ID)
	}
}

func TestCancelFreesSlotAndFeedShowsIt(t *testing.T) {
	p := newPeer(t)
	sl := freeSlot(p, "&specialty=dentist")
	var a fhir.Appointment
	if resp := p.do("POST", "/Appointment", appointment(sl.ID, "pat-003"), nil, &a); resp.StatusCode != 201 {
		t.Fatalf("booking: %d", resp.StatusCode)
	}
	mark := a.Meta.LastUpdated
	// Nothing changed after the booking yet.
	var feed fhir.Bundle
	p.get("/Appointment?_lastUpdated=gt"+url.QueryEscape(mark), &feed)
	if *feed.Total != 0 {
		t.Fatalf("feed after %s: %d changes before any", mark, *feed.Total)
	}

	// The clock stands still: the feed must still order the cancel after the booking.
	a.Status = fhir.AppointmentCancelled
	a.CancelationReason = &fhir.CodeableConcept{Text: "пациент отменил по телефону"}
	var oo fhir.OperationOutcome
	expectOutcome(t, p.do("PUT", "/Appointment/"+a.ID, &a, map[string]string{"If-Match": `W/"7"`}, &oo), &oo, 412, "conflict")
	var cancelled fhir.Appointment
	resp := p.do("PUT", "/Appointment/"+a.ID, &a, map[string]string{"If-Match": `W/"1"`}, &cancelled)
	if resp.StatusCode != 200 || cancelled.Status != fhir.AppointmentCancelled || cancelled.Meta.VersionID != "2" || resp.Header.Get("ETag") != `W/"2"` {
		t.Fatalf("cancel: %d %+v", resp.StatusCode, cancelled.Meta)
	}
	var s fhir.Slot
	if p.get("/Slot/"+sl.ID, &s); s.Status != fhir.SlotFree || s.Meta.VersionID != "3" {
		t.Fatalf("slot after cancel: %s v%s", s.Status, s.Meta.VersionID)
	}
	p.get("/Appointment?_lastUpdated=gt"+url.QueryEscape(mark)+"&_sort=_lastUpdated", &feed)
	if *feed.Total != 1 {
		t.Fatalf("feed: %d changes, want the cancel", *feed.Total)
	}
	var changed fhir.Appointment
	_ = json.Unmarshal(feed.Entry[0].Resource, &changed)
	if changed.ID != a.ID || changed.Status != fhir.AppointmentCancelled || changed.Meta.LastUpdated <= mark {
		t.Fatalf("feed entry: %s %s %s", changed.ID, changed.Status, changed.Meta.LastUpdated)
	}
	// A cancelled appointment stays cancelled; the slot can be booked again.
	cancelled.Status = fhir.AppointmentBooked
	oo = fhir.OperationOutcome{}
	expectOutcome(t, p.do("PUT", "/Appointment/"+a.ID, &cancelled, nil, &oo), &oo, 422, "business-rule")
	var again fhir.Appointment
	if resp := p.do("POST", "/Appointment", appointment(sl.ID, "pat-004"), nil, &again); resp.StatusCode != 201 || again.ID == a.ID {
		t.Fatalf("rebooking a freed slot: %d", resp.StatusCode)
	}
}

func TestRescheduleMovesTheBooking(t *testing.T) {
	p := newPeer(t)
	first := freeSlot(p, "&specialty=ent")
	var a fhir.Appointment
	p.do("POST", "/Appointment", appointment(first.ID, "pat-005"), nil, &a)
	second := freeSlot(p, "&specialty=ent")
	a.Slot = []fhir.Reference{fhir.Ref("Slot", second.ID)}
	var moved fhir.Appointment
	if resp := p.do("PUT", "/Appointment/"+a.ID, &a, nil, &moved); resp.StatusCode != 200 || moved.Start != second.Start {
		t.Fatalf("reschedule: %d start %s want %s", resp.StatusCode, moved.Start, second.Start)
	}
	var s1, s2 fhir.Slot
	p.get("/Slot/"+first.ID, &s1)
	p.get("/Slot/"+second.ID, &s2)
	if s1.Status != fhir.SlotFree || s2.Status != fhir.SlotBusy {
		t.Fatalf("after reschedule: old %s, new %s", s1.Status, s2.Status)
	}
}

func TestConditionalCreatePatient(t *testing.T) {
	p := newPeer(t)
	var existing fhir.Patient
	p.get("/Patient/pat-002", &existing)
	mrn := existing.Identifier[0]
	newcomer := &fhir.Patient{
		Name:    []fhir.HumanName{{Family: "Ёлкина", Given: []string{"Алёна", "Сергеевна"}}},
		Telecom: []fhir.ContactPoint{{System: "phone", Value: "+79120000001", Use: "mobile"}},
	}
	var got fhir.Patient
	resp := p.do("POST", "/Patient", newcomer, map[string]string{"If-None-Exist": "identifier=" + url.QueryEscape(mrn.System+"|"+mrn.Value)}, &got)
	if resp.StatusCode != 200 || got.ID != existing.ID {
		t.Fatalf("conditional create with an existing MRN: %d %s, want 200 %s", resp.StatusCode, got.ID, existing.ID)
	}
	// A new phone creates once, then finds.
	var created, found fhir.Patient
	resp = p.do("POST", "/Patient", newcomer, map[string]string{"If-None-Exist": "phone=89120000001"}, &created)
	if resp.StatusCode != 201 || created.ID == "" || created.Meta.VersionID != "1" || resp.Header.Get("Location") == "" {
		t.Fatalf("create: %d %+v", resp.StatusCode, created)
	}
	if created.Identifier[0].System != MRNSystem {
		t.Fatalf("new patient got no MRN: %+v", created.Identifier)
	}
	resp = p.do("POST", "/Patient", newcomer, map[string]string{"If-None-Exist": "phone=%2B79120000001"}, &found)
	if resp.StatusCode != 200 || found.ID != created.ID {
		t.Fatalf("second conditional create: %d %s, want 200 %s", resp.StatusCode, found.ID, created.ID)
	}
	var b fhir.Bundle
	if p.get("/Patient?name=елкина", &b); *b.Total != 1 {
		t.Fatalf("name search with е for ё: %d", *b.Total)
	}
	// A phone shared by a family matches two: the server refuses to guess.
	var pats fhir.Bundle
	p.get("/Patient?_count=100", &pats)
	byPhone := map[string]int{}
	var shared string
	for _, e := range pats.Entry {
		var pt fhir.Patient
		_ = json.Unmarshal(e.Resource, &pt)
		byPhone[pt.Telecom[0].Value]++
		if byPhone[pt.Telecom[0].Value] == 2 {
			shared = pt.Telecom[0].Value
		}
	}
	if shared == "" {
		t.Fatal("no family shares a phone")
	}
	var oo fhir.OperationOutcome
	expectOutcome(t, p.do("POST", "/Patient", newcomer, map[string]string{"If-None-Exist": "phone=" + url.QueryEscape(shared)}, &oo), &oo, 412, "multiple-matches")
}

func TestErrorsAreOperationOutcomes(t *testing.T) {
	p := newPeer(t)
	cases := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/Slot/no-such-slot", nil, 404, "not-found"},
		{"GET", "/Patient/pat-999", nil, 404, "not-found"},
		{"GET", "/Observation/1", nil, 404, "not-supported"},
		{"DELETE", "/Slot/slot-00001", nil, 405, "not-supported"},
		{"PUT", "/Appointment/appt-99999", apptWithID("appt-99999"), 405, "not-found"},
		{"POST", "/Appointment", map[string]string{"resourceType": "Patient"}, 400, "structure"},
	}
	for _, c := range cases {
		var oo fhir.OperationOutcome
		expectOutcome(t, p.do(c.method, c.path, c.body, nil, &oo), &oo, c.status, c.code)
	}
	var oo fhir.OperationOutcome
	resp := p.do("POST", "/Patient", nil, map[string]string{"Content-Type": "text/plain"}, &oo)
	expectOutcome(t, resp, &oo, 415, "not-supported")
}

func apptWithID(id string) *fhir.Appointment {
	a := appointment("slot-00001", "pat-001")
	a.ID = id
	return a
}
