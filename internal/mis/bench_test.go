package mis

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/mis/demofhir"
	"github.com/okno-crm/okno/internal/testenv"
)

// Benchmarks of the mis service against the demo MIS (40 doctors, two
// weeks of slots, over HTTP through the FHIR adapter) and of the status
// feed. Each reports ns/op and the 99th percentile of single operations
// (p99-ms). Run without -race: go test -run '^$' -bench . ./internal/mis

// p99 reports the 99th percentile of durations as p99-ms.
func p99(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	i := (len(ds)*99 + 99) / 100
	if i > len(ds) {
		i = len(ds)
	}
	b.ReportMetric(float64(ds[i-1].Microseconds())/1000, "p99-ms")
}

func benchService(b *testing.B, c Client) *Service {
	b.Helper()
	db := testenv.OpenDB(b, testenv.Backend{Name: "sqlite"}, ServiceName)
	s, err := New(context.Background(), db, c, func() time.Time { return demoStart.Add(-time.Hour) })
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchDemo(b *testing.B) *FHIRClient {
	b.Helper()
	srv := httptest.NewServer(http.StripPrefix("/fhir", demofhir.New(demofhir.Options{Start: demoStart})))
	b.Cleanup(srv.Close)
	c, err := NewFHIRClient(FHIRConfig{BaseURL: srv.URL + "/fhir", HTTP: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// The window's "nearest free slot" of a specialty across all branches and
// doctors, the cache warm.
func BenchmarkNearestFreeSlot(b *testing.B) {
	s := benchService(b, benchDemo(b))
	ctx := context.Background()
	if err := s.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	specs, _ := s.Specialties(ctx)
	q := func(i int) SlotQuery {
		return SlotQuery{SpecialtyID: specs[i%len(specs)].ID, From: demoStart, To: demoStart.Add(MaxSlotRange), Limit: 1}
	}
	for i := range specs {
		if got, err := s.FreeSlots(ctx, q(i)); err != nil || len(got) != 1 {
			b.Fatalf("warm-up: %d slots, %v", len(got), err)
		}
	}
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		got, err := s.FreeSlots(ctx, q(i))
		ds = append(ds, time.Since(start))
		if err != nil || len(got) != 1 {
			b.Fatalf("%d slots, %v", len(got), err)
		}
	}
	b.StopTimer()
	p99(b, ds)
}

// A booking end to end through the mis service's HTTP API: the slot read
// again with its version, the Appointment created in the demo MIS, the
// booking, its event and audit record stored (SQLite).
func BenchmarkBookEndToEnd(b *testing.B) {
	s := benchService(b, benchDemo(b))
	ctx := context.Background()
	if err := s.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler(testToken))
	b.Cleanup(srv.Close)
	c := &api{t: b, srv: srv}
	specs, _ := s.Specialties(ctx)
	var free []string
	for _, sp := range specs {
		got, err := s.FreeSlots(ctx, SlotQuery{SpecialtyID: sp.ID, From: demoStart, To: demoStart.Add(MaxSlotRange), Limit: 1000})
		if err != nil {
			b.Fatal(err)
		}
		for _, sl := range got {
			free = append(free, sl.ID)
		}
	}
	if b.N > len(free) {
		b.Fatalf("%d bookings asked, the demo MIS has %d free slots", b.N, len(free))
	}
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		a := c.do(operator, "POST", "/mis/appointments", map[string]string{"slot_id": free[i], "contact_id": "0193a000-0000-7000-8000-0000000000a1"})
		ds = append(ds, time.Since(start))
		if a.status != http.StatusCreated {
			b.Fatalf("booking %d: %d %s", i, a.status, a.body)
		}
	}
	b.StopTimer()
	p99(b, ds)
}

// The status feed applying 10,000 changes of a linked patient's
// appointments (each taken into Okno and announced), in pages of 500, with
// the count checked: nothing lost, nothing twice. p99 is a page's.
func BenchmarkFeedApply10000(b *testing.B) {
	const changes = 10000
	ctx := context.Background()
	var pages []time.Duration
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		f := newFakeMIS()
		start := fakeStart.Add(time.Hour)
		for i := range changes {
			id := "appt-" + strconv.Itoa(i)
			f.appts[id] = &MISAppointment{MISID: id, Status: ApptBooked, PatientID: "pat-mother", SlotID: "s-" + strconv.Itoa(i),
				Start: start.Add(time.Duration(i) * time.Minute), End: start.Add(time.Duration(i+15) * time.Minute),
				DoctorID: "doc-1", BranchID: "b1", SpecialtyID: "ent", UpdatedAt: start.Add(time.Duration(i) * time.Millisecond), Version: "1"}
			f.log = append(f.log, id)
		}
		s := benchService(b, f)
		if _, err := s.DB.W.ExecContext(ctx, `INSERT INTO patient_links (id, contact_id, patient_id, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5)`,
			"0193a000-0000-7000-8000-0000000000f1", motherContact, "pat-mother", "bench", fakeStart); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for {
			t0 := time.Now()
			st, err := s.Feed(ctx)
			if err != nil {
				b.Fatal(err)
			}
			page, err := f.Changes(ctx, st.Cursor, FeedPageSize)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.applyPage(ctx, st.Cursor, page); err != nil {
				b.Fatal(err)
			}
			pages = append(pages, time.Since(t0))
			if !page.More {
				break
			}
		}
		b.StopTimer()
		var kept, announced int
		_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM appointments`).Scan(&kept)
		_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM outbox WHERE subject = $1`, SubjectBooked).Scan(&announced)
		st, _ := s.Feed(ctx)
		if kept != changes || announced != changes || st.AppliedTotal != changes {
			b.Fatalf("kept %d, announced %d, applied %d of %d changes", kept, announced, st.AppliedTotal, changes)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(changes)*float64(b.N)/b.Elapsed().Seconds(), "changes/s")
	p99(b, pages)
}
