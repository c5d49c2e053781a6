package renovatio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/mis"
	"github.com/okno-crm/okno/internal/mis/renovatio/renovatiotest"
	"github.com/okno-crm/okno/internal/problem"
)

var ekb = renovatiotest.Yekaterinburg

// monday is 23 November 2026 at 08:00 in Yekaterinburg, before the clinic
// opens.
var monday = time.Date(2026, 11, 23, 8, 0, 0, 0, ekb)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type peer struct {
	fake   *renovatiotest.Server
	srv    *httptest.Server
	client *Client
	clock  *clock
	hits   atomic.Int64
	// answer, when set, answers instead of the fake.
	answer atomic.Pointer[http.HandlerFunc]
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	p := &peer{clock: &clock{t: monday}}
	p.fake = renovatiotest.New(p.clock.Now)
	p.srv = httptest.NewServer(http.StripPrefix("/api/public", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if h := p.answer.Load(); h != nil {
			(*h)(w, r)
			return
		}
		p.fake.ServeHTTP(w, r)
	})))
	t.Cleanup(p.srv.Close)
	c, err := New(Config{BaseURL: p.srv.URL + "/api/public/", APIKey: renovatiotest.Key, Location: ekb,
		HTTP: p.srv.Client(), Now: p.clock.Now, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p.client = c
	return p
}

func (p *peer) answerWith(h http.HandlerFunc) { p.answer.Store(&h) }

// checkNoKey fails when an error's text carries the api_key.
func checkNoKey(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), renovatiotest.Key) {
		t.Fatal("the api_key appears in an error")
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "ftp://x", APIKey: "k", Location: ekb},
		{BaseURL: "https://app.rnova.org/api/public?x=1", APIKey: "k", Location: ekb},
		{APIKey: " ", Location: ekb},
		{APIKey: "k"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("accepted %+v", cfg)
		}
	}
	c, err := New(Config{APIKey: "very-secret-key", Location: ekb})
	if err != nil {
		t.Fatal(err)
	}
	if c.base != DefaultURL {
		t.Errorf("base %q", c.base)
	}
	if s := fmt.Sprintf("%+v %#v %v", c.key, c.key, c.key); strings.Contains(s, "very-secret-key") {
		t.Error("printing the client shows the key")
	}
}

func TestReferenceData(t *testing.T) {
	p := newPeer(t)
	ctx := context.Background()
	branches, err := p.client.Branches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(branches) != 2 || branches[0] != (mis.Branch{ID: "1", Name: "Клиника на Ленина", Address: "Екатеринбург, пр. Ленина, 10", Phone: "+7 343 222-33-44"}) || branches[1].ID != "2" {
		t.Fatalf("branches: %+v", branches)
	}
	specs, err := p.client.Specialties(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 3 || specs[0] != (mis.Specialty{ID: "12", System: ProfessionSystem, Name: "Кардиолог"}) || specs[2].Name != "Терапевт" {
		t.Fatalf("specialties: %+v", specs)
	}
	doctors, err := p.client.Doctors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(doctors) != 3 {
		t.Fatalf("doctors: %+v", doctors)
	}
	var second mis.Doctor
	for _, d := range doctors {
		if d.ID == "102" {
			second = d
		}
	}
	want := map[mis.DoctorRole]bool{
		{ID: "102.1.12", BranchID: "1", SpecialtyID: "12"}: true, {ID: "102.1.11", BranchID: "1", SpecialtyID: "11"}: true,
		{ID: "102.2.12", BranchID: "2", SpecialtyID: "12"}: true, {ID: "102.2.11", BranchID: "2", SpecialtyID: "11"}: true,
	}
	if second.Name != "Доктор Второй" || len(second.Roles) != 4 {
		t.Fatalf("doctor 102: %+v", second)
	}
	for _, r := range second.Roles {
		if !want[r] {
			t.Errorf("unexpected role %+v", r)
		}
	}
	services, err := p.client.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantServices := []mis.MedService{
		{ID: "501", Name: "Приём терапевта", SpecialtyID: "11", Price: "1500", Currency: "RUB"},
		{ID: "502", Name: "Приём кардиолога", SpecialtyID: "12", Price: "2350.50", Currency: "RUB"},
		{ID: "503", Name: "ЭКГ", SpecialtyID: "12", Price: "800.00", Currency: "RUB"},
		{ID: "504", Name: "Справка"},
	}
	if len(services) != len(wantServices) {
		t.Fatalf("services: %+v", services)
	}
	for i := range wantServices {
		if services[i] != wantServices[i] {
			t.Errorf("service %d: %+v, want %+v", i, services[i], wantServices[i])
		}
	}
}

func TestFreeSlotsAndSchedule(t *testing.T) {
	p := newPeer(t)
	ctx := context.Background()
	day := mis.SlotQuery{From: monday.Add(-8 * time.Hour), To: monday.Add(16 * time.Hour)}

	q := day
	q.SpecialtyID = "12"
	slots, err := p.client.FreeSlots(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// Doctor 102 alone is a cardiologist: 9–13 at clinic 2, 14–16 at clinic 1.
	if len(slots) != 12 {
		t.Fatalf("cardiology slots: %d", len(slots))
	}
	for i, s := range slots {
		if s.DoctorID != "102" || s.SpecialtyID != "12" || s.Status != "free" || s.End.Sub(s.Start) != 30*time.Minute ||
			s.RoleID != "102."+s.BranchID+".12" || (i > 0 && s.Start.Before(slots[i-1].Start)) {
			t.Fatalf("slot %d: %+v", i, s)
		}
		k, ok := p.client.parseSlotID(s.ID)
		if !ok || k.user != "102" || k.clinic != s.BranchID || k.profession != "12" || !k.start.Equal(s.Start) || !k.end.Equal(s.End) {
			t.Fatalf("slot id %q does not read back", s.ID)
		}
	}
	if !slots[0].Start.Equal(time.Date(2026, 11, 23, 9, 0, 0, 0, ekb)) || slots[0].BranchID != "2" ||
		!slots[11].Start.Equal(time.Date(2026, 11, 23, 15, 30, 0, 0, ekb)) || slots[11].BranchID != "1" {
		t.Fatalf("first and last: %+v %+v", slots[0], slots[11])
	}
	f := p.fake.Forms("getSchedule")
	last := f[len(f)-1]
	if last.Get("user_id") != "102" || last.Get("time_start") != "23.11.2026 00:00" || last.Get("time_end") != "24.11.2026 00:00" ||
		last.Get("show_past") != "0" || last.Has("show_busy") || last.Has("clinic_id") {
		t.Fatalf("getSchedule form: %v", last)
	}

	q = day
	q.BranchID, q.Limit = "2", 5
	slots, err = p.client.FreeSlots(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 5 || slots[0].BranchID != "2" {
		t.Fatalf("branch 2, limit 5: %+v", slots)
	}
	if f := p.fake.Forms("getSchedule"); f[len(f)-1].Get("clinic_id") != "2" || f[len(f)-1].Get("user_id") != "102,103" {
		t.Fatalf("branch form: %v", f[len(f)-1])
	}

	// Cells that have begun are not offered.
	p.clock.Set(time.Date(2026, 11, 23, 10, 5, 0, 0, ekb))
	q = day
	q.DoctorID = "101"
	slots, err = p.client.FreeSlots(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 5 || !slots[0].Start.Equal(time.Date(2026, 11, 23, 10, 30, 0, 0, ekb)) || slots[0].SpecialtyID != "11" {
		t.Fatalf("doctor 101 after 10:05: %+v", slots)
	}

	// A booked cell leaves the free slots and shows busy in the schedule.
	pid := p.fake.AddPatient(renovatiotest.Patient{LastName: "Тестова", FirstName: "Анна", Mobile: "79120000001"})
	p.fake.Book(pid, 101, 1, slots[0].Start, slots[0].End)
	free, err := p.client.FreeSlots(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := p.client.Schedule(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(free) != 4 || free[0].ID == slots[0].ID || len(grid) != 5 || grid[0].ID != slots[0].ID || grid[0].Status != "busy" || grid[1].Status != "free" {
		t.Fatalf("free %+v, schedule %+v", free, grid)
	}

	none, err := p.client.FreeSlots(ctx, mis.SlotQuery{SpecialtyID: "999", From: day.From, To: day.To})
	if err != nil || len(none) != 0 {
		t.Fatalf("unknown specialty: %v %v", none, err)
	}
	if _, err := p.client.FreeSlots(ctx, mis.SlotQuery{From: day.To, To: day.From}); problem.CodeOf(err) != problem.Invalid {
		t.Fatalf("reversed range: %v", err)
	}
}

func firstFree(t *testing.T, p *peer, doctor string) mis.Slot {
	t.Helper()
	slots, err := p.client.FreeSlots(context.Background(), mis.SlotQuery{DoctorID: doctor, From: monday, To: monday.Add(24 * time.Hour), Limit: 3})
	if err != nil || len(slots) < 3 {
		t.Fatalf("free slots of %s: %v %v", doctor, slots, err)
	}
	return slots[0]
}

func TestBookTakenCancel(t *testing.T) {
	p := newPeer(t)
	ctx := context.Background()
	pid := p.fake.AddPatient(renovatiotest.Patient{LastName: "Тестова", FirstName: "Анна", Mobile: "79120000001"})
	slot := firstFree(t, p, "103")

	if _, err := p.client.Book(ctx, mis.Booking{SlotID: slot.ID, ContactID: "c1"}); !errors.Is(err, ErrNoPatient) || problem.CodeOf(err) != problem.Invalid {
		t.Fatalf("booking without a patient: %v", err)
	}
	for _, bad := range []string{"", "x", "rn1.103.2.13.202611230900", "rn1.103.2.13.202611231000.202611230900", "rn1.1 03.2.13.202611230900.202611230930"} {
		if _, err := p.client.Book(ctx, mis.Booking{SlotID: bad, PatientID: "1"}); !errors.Is(err, mis.ErrNotFound) {
			t.Fatalf("slot id %q: %v", bad, err)
		}
	}

	b, err := p.client.Book(ctx, mis.Booking{SlotID: slot.ID, PatientID: fmt.Sprint(pid)})
	if err != nil {
		t.Fatal(err)
	}
	if b.MISID == "" || b.SlotID != slot.ID || !b.Start.Equal(slot.Start) || b.DoctorID != "103" || b.BranchID != "2" || b.SpecialtyID != "13" || b.Status != mis.ApptBooked {
		t.Fatalf("booked: %+v", b)
	}
	var apptID int
	fmt.Sscan(b.MISID, &apptID)
	a, ok := p.fake.Appointment(apptID)
	if !ok || a.PatientID != pid || a.DoctorID != 103 || a.ClinicID != 2 || !a.Start.Equal(slot.Start) || a.Status != "upcoming" {
		t.Fatalf("in the MIS: %+v", a)
	}
	form := p.fake.Forms("createAppointment")[0]
	if form.Get("doctor_id") != "103" || form.Get("clinic_id") != "2" || form.Get("time_start") != "23.11.2026 09:00" ||
		form.Get("time_end") != "23.11.2026 09:30" || form.Get("check_intersection") != "1" || form.Get("patient_id") != fmt.Sprint(pid) {
		t.Fatalf("createAppointment form: %v", form)
	}

	creates := p.fake.Calls("createAppointment")
	_, err = p.client.Book(ctx, mis.Booking{SlotID: slot.ID, PatientID: fmt.Sprint(pid)})
	var taken *mis.TakenError
	if !errors.As(err, &taken) || !errors.Is(err, mis.ErrSlotTaken) || taken.Slot.ID != slot.ID || taken.Slot.SpecialtyID != "13" {
		t.Fatalf("second booking: %v", err)
	}
	if p.fake.Calls("createAppointment") != creates {
		t.Fatal("a slot read busy was still sent to createAppointment")
	}

	if err := p.client.Cancel(ctx, b.MISID); err != nil {
		t.Fatal(err)
	}
	if a, _ := p.fake.Appointment(apptID); a.Status != "refused" {
		t.Fatalf("after cancel: %+v", a)
	}
	if err := p.client.Cancel(ctx, b.MISID); err != nil {
		t.Fatalf("cancelling twice: %v", err)
	}
	if err := p.client.Cancel(ctx, "987654"); !errors.Is(err, mis.ErrNotFound) {
		t.Fatalf("unknown appointment: %v", err)
	}
	if err := p.client.Cancel(ctx, "../x"); !errors.Is(err, mis.ErrNotFound) {
		t.Fatalf("malformed id: %v", err)
	}

	// The cancelled slot is free again; a cancel the MIS refuses is a conflict.
	b2, err := p.client.Book(ctx, mis.Booking{SlotID: slot.ID, PatientID: fmt.Sprint(pid)})
	if err != nil {
		t.Fatal(err)
	}
	p.fake.RefuseCancels(true)
	if err := p.client.Cancel(ctx, b2.MISID); problem.CodeOf(err) != problem.Conflict {
		t.Fatalf("refused cancel: %v", err)
	}
}

func TestBookRaceIsTaken(t *testing.T) {
	p := newPeer(t)
	ctx := context.Background()
	pid := p.fake.AddPatient(renovatiotest.Patient{LastName: "Тестова", FirstName: "Анна", Mobile: "79120000001"})
	other := p.fake.AddPatient(renovatiotest.Patient{LastName: "Другая", FirstName: "Мария", Mobile: "79120000002"})
	slot := firstFree(t, p, "101")
	// The registrar books the very slot between Okno's re-read and its
	// createAppointment.
	p.fake.OnCreate(func() { p.fake.Book(other, 101, 1, slot.Start, slot.End) })
	_, err := p.client.Book(ctx, mis.Booking{SlotID: slot.ID, PatientID: fmt.Sprint(pid)})
	var taken *mis.TakenError
	if !errors.As(err, &taken) || taken.Slot.ID != slot.ID || taken.Slot.Status != "busy" {
		t.Fatalf("race: %v", err)
	}
	n := 0
	for range p.fake.Forms("createAppointment") {
		n++
	}
	if n != 1 {
		t.Fatalf("createAppointment calls: %d", n)
	}
}

func TestReschedule(t *testing.T) {
	p := newPeer(t)
	ctx := context.Background()
	pid := p.fake.AddPatient(renovatiotest.Patient{LastName: "Тестова", FirstName: "Анна", Mobile: "79120000001"})
	slots, err := p.client.FreeSlots(ctx, mis.SlotQuery{DoctorID: "101", From: monday, To: monday.Add(24 * time.Hour)})
	if err != nil || len(slots) < 4 {
		t.Fatal(slots, err)
	}
	b, err := p.client.Book(ctx, mis.Booking{SlotID: slots[0].ID, PatientID: fmt.Sprint(pid)})
	if err != nil {
		t.Fatal(err)
	}
	moved, err := p.client.Reschedule(ctx, b.MISID, slots[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	var oldID, newID int
	fmt.Sscan(b.MISID, &oldID)
	fmt.Sscan(moved.MISID, &newID)
	oldA, _ := p.fake.Appointment(oldID)
	newA, _ := p.fake.Appointment(newID)
	if moved.SlotID != slots[2].ID || oldA.Status != "refused" || newA.Status != "upcoming" || newA.PatientID != pid || newA.MovedFrom != oldID {
		t.Fatalf("moved: %+v old %+v new %+v", moved, oldA, newA)
	}

	// Into a taken slot: ErrSlotTaken, and the appointment stays where it is.
	other := p.fake.AddPatient(renovatiotest.Patient{LastName: "Другая", FirstName: "Мария", Mobile: "79120000002"})
	p.fake.Book(other, 101, 1, slots[3].Start, slots[3].End)
	if _, err := p.client.Reschedule(ctx, moved.MISID, slots[3].ID); !errors.Is(err, mis.ErrSlotTaken) {
		t.Fatalf("into a taken slot: %v", err)
	}
	if a, _ := p.fake.Appointment(newID); a.Status != "upcoming" {
		t.Fatalf("after a refused move: %+v", a)
	}

	// The old one cannot be cancelled: the new one is undone, the error returned.
	before := len(p.fake.Forms("createAppointment"))
	p.fake.RefuseCancels(true)
	_, err = p.client.Reschedule(ctx, moved.MISID, slots[1].ID)
	if err == nil {
		t.Fatal("a move whose old appointment stays was reported done")
	}
	if len(p.fake.Forms("createAppointment")) != before+1 {
		t.Fatal("no new appointment was attempted")
	}
	if a, _ := p.fake.Appointment(newID); a.Status != "upcoming" {
		t.Fatalf("old appointment: %+v", a)
	}
	p.fake.RefuseCancels(false)
	if _, err := p.client.Reschedule(ctx, b.MISID, slots[1].ID); problem.CodeOf(err) != problem.Conflict {
		t.Fatalf("moving a cancelled appointment: %v", err)
	}
	if _, err := p.client.Reschedule(ctx, "555555", slots[1].ID); !errors.Is(err, mis.ErrNotFound) {
		t.Fatalf("moving an unknown appointment: %v", err)
	}
}

func TestPatients(t *testing.T) {
	p := newPeer(t)
	ctx := context.Background()
	pid := p.fake.AddPatient(renovatiotest.Patient{LastName: "Тестова", FirstName: "Анна", ThirdName: "Петровна", Birth: "17.05.1980",
		Gender: 2, Mobile: "79123456789", Email: "anna@example.test"})
	p.fake.AddPatient(renovatiotest.Patient{LastName: "Тестова", FirstName: "Мария", Mobile: "79123450000"})
	id := fmt.Sprint(pid)
	want := mis.Patient{ID: id, Family: "Тестова", Given: "Анна", Middle: "Петровна", BirthDate: "1980-05-17", Gender: "female",
		Phones: []string{"+79123456789"}, Emails: []string{"anna@example.test"}, Identifiers: []mis.Identifier{{System: PatientIDSystem, Value: id}}}
	same := func(a, b mis.Patient) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

	got, err := p.client.FindPatients(ctx, mis.PatientQuery{Phone: "8 (912) 345-67-89"})
	if err != nil || len(got) != 1 || !same(got[0], want) {
		t.Fatalf("by phone: %+v %v", got, err)
	}
	if f := p.fake.Forms("getPatient"); f[0].Get("mobile") != "79123456789" {
		t.Fatalf("mobile sent as %q", f[0].Get("mobile"))
	}
	got, err = p.client.FindPatients(ctx, mis.PatientQuery{Family: "тестова"})
	if err != nil || len(got) != 2 {
		t.Fatalf("by family: %d %v", len(got), err)
	}
	got, err = p.client.FindPatients(ctx, mis.PatientQuery{Family: "Тестова", BirthDate: "1980-05-17"})
	if err != nil || len(got) != 1 || got[0].ID != id {
		t.Fatalf("by family and birth date: %+v %v", got, err)
	}
	if f := p.fake.Forms("getPatient"); f[len(f)-1].Get("birth_date") != "17.05.1980" {
		t.Fatalf("birth_date sent as %q", f[len(f)-1].Get("birth_date"))
	}
	got, err = p.client.FindPatients(ctx, mis.PatientQuery{Identifier: mis.Identifier{System: PatientIDSystem, Value: id}})
	if err != nil || len(got) != 1 || got[0].ID != id {
		t.Fatalf("by id: %+v %v", got, err)
	}
	got, err = p.client.FindPatients(ctx, mis.PatientQuery{Identifier: mis.Identifier{System: mis.ContactIdentifierSystem, Value: "c1"}})
	if err != nil || len(got) != 0 {
		t.Fatalf("by a foreign identifier: %+v %v", got, err)
	}
	for _, q := range []mis.PatientQuery{{}, {Phone: "12"}, {BirthDate: "17.05.1980"}} {
		if _, err := p.client.FindPatients(ctx, q); problem.CodeOf(err) != problem.Invalid {
			t.Errorf("query %+v: %v", q, err)
		}
	}

	one, err := p.client.Patient(ctx, id)
	if err != nil || !same(one, want) {
		t.Fatalf("patient: %+v %v", one, err)
	}
	if _, err := p.client.Patient(ctx, "424242"); !errors.Is(err, mis.ErrNotFound) {
		t.Fatalf("unknown patient: %v", err)
	}

	np := mis.NewPatient{ContactID: "c9", Family: "Новикова", Given: "Ольга", BirthDate: "1991-02-03", Phone: "+7 912 111-22-33"}
	created, err := p.client.CreatePatient(ctx, np)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Family != "Новикова" || created.BirthDate != "1991-02-03" || len(created.Phones) != 1 || created.Phones[0] != "+79121112233" {
		t.Fatalf("created: %+v", created)
	}
	f := p.fake.Forms("createPatient")
	if len(f) != 1 || f[0].Get("birth_date") != "03.02.1991" || f[0].Get("mobile") != "79121112233" || f[0].Get("last_name") != "Новикова" {
		t.Fatalf("createPatient form: %v", f)
	}
	again, err := p.client.CreatePatient(ctx, np)
	if err != nil || again.ID != created.ID || len(p.fake.Forms("createPatient")) != 1 {
		t.Fatalf("a retried create made another patient: %+v %v", again, err)
	}
	for _, bad := range []mis.NewPatient{{Given: "Ольга", Phone: "+79121112233"}, {Family: "Новикова", Given: "Ольга"},
		{Family: "Новикова", Given: "Ольга", Phone: "123"}, {Family: "Новикова", Given: "Ольга", BirthDate: "03.02.1991"}} {
		if _, err := p.client.CreatePatient(ctx, bad); problem.CodeOf(err) != problem.Invalid {
			t.Errorf("create %+v: %v", bad, err)
		}
	}
}

func TestAppointmentsAndChanges(t *testing.T) {
	p := newPeer(t)
	ctx := context.Background()
	pid := p.fake.AddPatient(renovatiotest.Patient{LastName: "Тестова", FirstName: "Анна", Mobile: "79120000001"})
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, ekb) }
	a1 := p.fake.Book(pid, 101, 1, at(9, 0), at(9, 30))
	p.clock.Add(time.Minute)
	a2 := p.fake.Book(pid, 102, 2, at(10, 0), at(10, 30))
	p.clock.Add(time.Minute)
	a3 := p.fake.Book(pid, 103, 2, at(11, 0), at(11, 30))
	p.fake.SetStatus(a3, "completed")

	list, err := p.client.PatientAppointments(ctx, fmt.Sprint(pid), monday.Add(-8*time.Hour), monday.Add(16*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].MISID != fmt.Sprint(a1) || list[0].Status != mis.ApptBooked || list[0].DoctorID != "101" ||
		list[0].BranchID != "1" || list[0].SpecialtyID != "11" || !list[0].Start.Equal(at(9, 0)) || list[2].Status != mis.ApptCompleted {
		t.Fatalf("appointments: %+v", list)
	}
	if k, ok := p.client.parseSlotID(list[1].SlotID); !ok || k.user != "102" || !k.start.Equal(at(10, 0)) {
		t.Fatalf("slot id of an appointment: %q", list[1].SlotID)
	}
	if f := p.fake.Forms("getAppointments"); f[0].Get("date_from") != "23.11.2026 00:00" || f[0].Get("patient_id") != fmt.Sprint(pid) {
		t.Fatalf("getAppointments form: %v", f[0])
	}

	page, err := p.client.Changes(ctx, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Changes) != 2 || !page.More || page.Changes[0].MISID != fmt.Sprint(a1) || page.Next == "" {
		t.Fatalf("first page: %+v", page)
	}
	page, err = p.client.Changes(ctx, page.Next, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Changes) != 1 || page.More || page.Changes[0].MISID != fmt.Sprint(a3) || page.Changes[0].Status != mis.ApptCompleted {
		t.Fatalf("second page: %+v", page)
	}
	cursor := page.Next
	page, err = p.client.Changes(ctx, cursor, 10)
	if err != nil || len(page.Changes) != 0 || page.More {
		t.Fatalf("nothing changed: %+v %v", page, err)
	}

	p.clock.Add(time.Minute)
	p.fake.SetStatus(a2, "refused")
	page, err = p.client.Changes(ctx, page.Next, 10)
	if err != nil || len(page.Changes) != 1 || page.Changes[0].MISID != fmt.Sprint(a2) || page.Changes[0].Status != mis.ApptCancelled ||
		!page.Changes[0].UpdatedAt.Equal(p.clock.Now().Truncate(time.Second).UTC()) || page.Changes[0].Version == "" {
		t.Fatalf("after a cancel in the MIS: %+v %v", page, err)
	}

	// Deleted in the MIS: reported cancelled, one page at a time, once.
	p.fake.Delete(a1)
	p.fake.Delete(a3)
	page, err = p.client.Changes(ctx, page.Next, 1)
	if err != nil || len(page.Changes) != 1 || !page.More || page.Changes[0].MISID != fmt.Sprint(a1) || page.Changes[0].Status != mis.ApptCancelled ||
		!page.Changes[0].Start.Equal(at(9, 0)) {
		t.Fatalf("after a delete in the MIS: %+v %v", page, err)
	}
	page, err = p.client.Changes(ctx, page.Next, 1)
	if err != nil || len(page.Changes) != 1 || page.More || page.Changes[0].MISID != fmt.Sprint(a3) || page.Changes[0].Status != mis.ApptCancelled {
		t.Fatalf("the second delete: %+v %v", page, err)
	}
	page, err = p.client.Changes(ctx, page.Next, 10)
	if err != nil || len(page.Changes) != 0 {
		t.Fatalf("a delete reported twice: %+v %v", page, err)
	}

	if _, err := p.client.Changes(ctx, "rn1:garbage", 10); problem.CodeOf(err) != problem.Invalid {
		t.Fatalf("bad cursor: %v", err)
	}

	p.fake.SetStatus(a2, "waiting")
	if _, err := p.client.Changes(ctx, page.Next, 10); problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("unknown status: %v", err)
	}
}

func TestRefusalsAndKey(t *testing.T) {
	p := newPeer(t)
	ctx := context.Background()
	p.fake.Key = "another-key"
	for range 8 {
		_, err := p.client.Branches(ctx)
		var ae *APIError
		if problem.CodeOf(err) != problem.Unavailable || !errors.As(err, &ae) || ae.Method != "getClinics" || ae.Code != "1" {
			t.Fatalf("wrong key: %v", err)
		}
		checkNoKey(t, err)
		if strings.Contains(err.Error(), "api_key") {
			t.Fatal("the MIS's description reached the error text")
		}
	}
	if p.client.Breaker().Open() {
		t.Fatal("refusals opened the breaker: the MIS is up")
	}
}

func TestBadAnswersAreUnavailable(t *testing.T) {
	cases := map[string]struct {
		status int
		body   string
		call   func(*Client) error
	}{
		"html":              {200, "<html>502 Bad Gateway</html>", branches},
		"no error member":   {200, `{"data":[]}`, branches},
		"error 2":           {200, `{"error":2,"data":[]}`, branches},
		"truncated":         {200, `{"error":0,"data":[{"id":1,`, branches},
		"object for list":   {200, `{"error":0,"data":{"id":1}}`, branches},
		"clinic without id": {200, `{"error":0,"data":[{"title":"x"}]}`, branches},
		"http 500":          {500, `{"error":0,"data":[]}`, branches},
		"http 404":          {404, `not found`, branches},
		"too large":         {200, `{"error":0,"data":"` + strings.Repeat("a", maxBody) + `"}`, branches},
		"price not decimal": {200, `{"error":0,"data":[{"service_id":1,"title":"x","price":"free"}]}`, func(c *Client) error { _, err := c.Services(context.Background()); return err }},
		"cell without time": {200, `{"error":0,"data":{"101":[{"user_id":"101","clinic_id":"1","time_start":"soon"}]}}`, schedule},
		"cell of another":   {200, `{"error":0,"data":{"101":[{"user_id":"102","clinic_id":"1","time_start":"2026-11-23 09:00:00","time_end":"2026-11-23 09:30:00"}]}}`, schedule},
		"schedule list":     {200, `{"error":0,"data":[1,2]}`, schedule},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := newPeer(t)
			if name == "cell without time" || name == "cell of another" || name == "schedule list" {
				if _, err := p.client.doctorIndex(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			p.answerWith(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			err := tc.call(p.client)
			if problem.CodeOf(err) != problem.Unavailable {
				t.Fatalf("got %v", err)
			}
			checkNoKey(t, err)
		})
	}
}

func branches(c *Client) error { _, err := c.Branches(context.Background()); return err }

func schedule(c *Client) error {
	_, err := c.FreeSlots(context.Background(), mis.SlotQuery{DoctorID: "101", From: monday, To: monday.Add(time.Hour)})
	return err
}

func TestTimeoutAndBreaker(t *testing.T) {
	p := newPeer(t)
	c, err := New(Config{BaseURL: p.srv.URL + "/api/public", APIKey: renovatiotest.Key, Location: ekb,
		HTTP: p.srv.Client(), Now: p.clock.Now, Timeout: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var once sync.Once
	done := func() { once.Do(func() { close(release) }) }
	defer done()
	p.answerWith(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // the server notices a client gone only once the body is read
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	for i := range c.Breaker().Threshold {
		_, err := c.Branches(context.Background())
		if problem.CodeOf(err) != problem.Unavailable {
			t.Fatalf("call %d: %v", i, err)
		}
		checkNoKey(t, err)
	}
	hits := p.hits.Load()
	_, err = c.Branches(context.Background())
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Code != problem.Unavailable || pe.RetryAfter <= 0 || p.hits.Load() != hits {
		t.Fatalf("open breaker: %v (hits %d → %d)", err, hits, p.hits.Load())
	}
	p.answer.Store(nil)
	p.clock.Add(c.Breaker().Cooldown + time.Second)
	if _, err := c.Branches(context.Background()); err != nil {
		t.Fatalf("after the cool-down: %v", err)
	}

	// A dead server: the transport error carries no key either.
	done()
	p.srv.Close()
	_, err = c.Branches(context.Background())
	if problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("closed server: %v", err)
	}
	checkNoKey(t, err)
}

func TestKeyTravelsInTheBodyOnly(t *testing.T) {
	p := newPeer(t)
	var seen atomic.Value
	p.answerWith(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.URL.String() + " " + r.Header.Get("Content-Type"))
		p.fake.ServeHTTP(w, r)
	})
	if _, err := p.client.Branches(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, _ := seen.Load().(string)
	if s != "/getClinics application/x-www-form-urlencoded" {
		t.Fatalf("request: %q", s)
	}
}
