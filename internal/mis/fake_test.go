package mis

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// fakeMIS is an in-memory MIS for the service's tests: check-and-set
// booking under one lock (like a real MIS), a change log as the feed, and
// failures on demand. The demo FHIR server covers the real protocol.
type fakeMIS struct {
	mu          sync.Mutex
	now         func() time.Time
	slots       map[string]*Slot
	appts       map[string]*MISAppointment
	patients    map[string]Patient
	log         []string // mis ids in change order; the cursor is an index
	nextID      int
	failChanges int // the next n Changes calls fail
	changeCalls []string
	failAll     atomic.Bool
}

var _ Client = (*fakeMIS)(nil)

var fakeStart = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC) // 09:00 in Yekaterinburg

func newFakeMIS() *fakeMIS {
	f := &fakeMIS{now: func() time.Time { return fakeStart.Add(-time.Hour) }, slots: map[string]*Slot{},
		appts: map[string]*MISAppointment{}, patients: map[string]Patient{}}
	for i := range 8 {
		for _, d := range []struct{ doc, branch, spec string }{{"doc-1", "b1", "ent"}, {"doc-2", "b2", "ent"}, {"doc-3", "b1", "cardiologist"}} {
			id := "slot-" + d.doc + "-" + strconv.Itoa(i)
			start := fakeStart.Add(time.Duration(i) * 30 * time.Minute)
			f.slots[id] = &Slot{ID: id, Start: start, End: start.Add(30 * time.Minute), SpecialtyID: d.spec, DoctorID: d.doc, BranchID: d.branch,
				RoleID: "role-" + d.doc, Status: "free", Version: "1"}
		}
	}
	for _, p := range []Patient{
		{ID: "pat-mother", Family: "Иванова", Given: "Мария", Middle: "Петровна", BirthDate: "1985-03-14", Gender: "female", Phones: []string{"+79122223344"}, Emails: []string{"maria@example.ru"}},
		{ID: "pat-son", Family: "Иванов", Given: "Артём", Middle: "Сергеевич", BirthDate: "2015-06-30", Gender: "male", Phones: []string{"+79122223344"}},
		{ID: "pat-other", Family: "Петров", Given: "Игорь", BirthDate: "1970-01-01", Phones: []string{"+79000000001"}},
	} {
		f.patients[p.ID] = p
	}
	return f
}

func (f *fakeMIS) unavailable() error {
	if f.failAll.Load() {
		return problem.New(problem.Unavailable, "the MIS is unavailable (test)")
	}
	return nil
}

func (f *fakeMIS) Branches(context.Context) ([]Branch, error) {
	if err := f.unavailable(); err != nil {
		return nil, err
	}
	return []Branch{{ID: "b1", Name: "Малышева"}, {ID: "b2", Name: "Ленина"}}, nil
}

func (f *fakeMIS) Specialties(context.Context) ([]Specialty, error) {
	return []Specialty{{ID: "ent", Name: "ЛОР"}, {ID: "cardiologist", Name: "Кардиолог"}}, nil
}

func (f *fakeMIS) Doctors(context.Context) ([]Doctor, error) {
	return []Doctor{
		{ID: "doc-1", Name: "Смирнов А. А.", Roles: []DoctorRole{{ID: "role-doc-1", BranchID: "b1", SpecialtyID: "ent"}}},
		{ID: "doc-2", Name: "Кузнецова Е. В.", Roles: []DoctorRole{{ID: "role-doc-2", BranchID: "b2", SpecialtyID: "ent"}}},
		{ID: "doc-3", Name: "Попов Д. И.", Roles: []DoctorRole{{ID: "role-doc-3", BranchID: "b1", SpecialtyID: "cardiologist"}}},
	}, nil
}

func (f *fakeMIS) Services(context.Context) ([]MedService, error) {
	return []MedService{
		{ID: "svc-ent-1", Name: "Приём ЛОР-врача", SpecialtyID: "ent", Price: "1500.00", Currency: "RUB"},
		{ID: "svc-card-1", Name: "Приём кардиолога", SpecialtyID: "cardiologist", Price: "2100.50", Currency: "RUB"},
	}, nil
}

func (f *fakeMIS) slotsWhere(q SlotQuery, onlyFree bool) []Slot {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Slot
	for _, s := range f.slots {
		if (onlyFree && s.Status != "free") || (q.SpecialtyID != "" && s.SpecialtyID != q.SpecialtyID) || (q.DoctorID != "" && s.DoctorID != q.DoctorID) ||
			(q.BranchID != "" && s.BranchID != q.BranchID) || s.Start.Before(q.From) || !s.Start.Before(q.To) {
			continue
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out
}

func (f *fakeMIS) FreeSlots(_ context.Context, q SlotQuery) ([]Slot, error) {
	if err := f.unavailable(); err != nil {
		return nil, err
	}
	return f.slotsWhere(q, true), nil
}

func (f *fakeMIS) Schedule(_ context.Context, q SlotQuery) ([]Slot, error) {
	return f.slotsWhere(q, false), nil
}

// changed logs a change of the appointment. Callers hold mu.
func (f *fakeMIS) changed(a *MISAppointment) {
	a.UpdatedAt = f.now().Add(time.Duration(len(f.log)) * time.Millisecond)
	v, _ := strconv.Atoi(a.Version)
	a.Version = strconv.Itoa(v + 1)
	f.log = append(f.log, a.MISID)
}

func (f *fakeMIS) Book(_ context.Context, b Booking) (Booked, error) {
	if err := f.unavailable(); err != nil {
		return Booked{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.slots[b.SlotID]
	if !ok {
		return Booked{}, ErrNotFound
	}
	if s.Status != "free" {
		return Booked{}, &TakenError{Slot: *s}
	}
	s.Status = "busy"
	f.nextID++
	patient := b.PatientID
	if patient == "" {
		patient = "pat-contact-" + b.ContactID
	}
	a := &MISAppointment{MISID: "appt-" + strconv.Itoa(f.nextID), Status: ApptBooked, PatientID: patient, SlotID: s.ID, Start: s.Start, End: s.End,
		DoctorID: s.DoctorID, BranchID: s.BranchID, SpecialtyID: s.SpecialtyID}
	f.appts[a.MISID] = a
	f.changed(a)
	return toBooked(a), nil
}

func toBooked(a *MISAppointment) Booked {
	return Booked{MISID: a.MISID, SlotID: a.SlotID, Start: a.Start, End: a.End, DoctorID: a.DoctorID, BranchID: a.BranchID, SpecialtyID: a.SpecialtyID, Status: a.Status}
}

func (f *fakeMIS) Cancel(_ context.Context, id string) error {
	return f.setStatus(id, ApptCancelled)
}

// setStatus is the reception desk changing an appointment.
func (f *fakeMIS) setStatus(id, status string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.appts[id]
	if !ok {
		return ErrNotFound
	}
	a.Status = status
	if status == ApptCancelled {
		f.slots[a.SlotID].Status = "free"
	}
	f.changed(a)
	return nil
}

// bookExternal is the reception desk booking a patient.
func (f *fakeMIS) bookExternal(patientID, slotID string) string {
	b, err := f.Book(context.Background(), Booking{SlotID: slotID, PatientID: patientID})
	if err != nil {
		panic(err)
	}
	return b.MISID
}

func (f *fakeMIS) Reschedule(_ context.Context, id, slotID string) (Booked, error) {
	if err := f.unavailable(); err != nil {
		return Booked{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.appts[id]
	s, sok := f.slots[slotID]
	if !ok || !sok {
		return Booked{}, ErrNotFound
	}
	if s.Status != "free" {
		return Booked{}, &TakenError{Slot: *s}
	}
	f.slots[a.SlotID].Status = "free"
	s.Status = "busy"
	a.SlotID, a.Start, a.End, a.DoctorID, a.BranchID, a.SpecialtyID = s.ID, s.Start, s.End, s.DoctorID, s.BranchID, s.SpecialtyID
	f.changed(a)
	return toBooked(a), nil
}

func (f *fakeMIS) FindPatients(_ context.Context, q PatientQuery) ([]Patient, error) {
	if err := f.unavailable(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Patient
	for _, p := range f.patients {
		if q.Phone != "" && !contains(p.Phones, q.Phone) {
			continue
		}
		if q.Identifier.Value != "" && !contains(identifierValues(p, q.Identifier.System), q.Identifier.Value) {
			continue
		}
		if q.Family != "" && !strings.HasPrefix(strings.ToLower(p.Family), strings.ToLower(q.Family)) {
			continue
		}
		if q.Given != "" && !strings.HasPrefix(strings.ToLower(p.Given), strings.ToLower(q.Given)) {
			continue
		}
		if q.BirthDate != "" && p.BirthDate != q.BirthDate {
			continue
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func identifierValues(p Patient, system string) []string {
	var out []string
	for _, id := range p.Identifiers {
		if id.System == system {
			out = append(out, id.Value)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f *fakeMIS) Patient(_ context.Context, id string) (Patient, error) {
	if err := f.unavailable(); err != nil {
		return Patient{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.patients[id]
	if !ok {
		return Patient{}, ErrNotFound
	}
	return p, nil
}

func (f *fakeMIS) CreatePatient(_ context.Context, np NewPatient) (Patient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.patients {
		if contains(identifierValues(p, ContactIdentifierSystem), np.ContactID) {
			return p, nil
		}
	}
	f.nextID++
	p := Patient{ID: "pat-new-" + strconv.Itoa(f.nextID), Family: np.Family, Given: np.Given, Middle: np.Middle, BirthDate: np.BirthDate,
		Identifiers: []Identifier{{System: ContactIdentifierSystem, Value: np.ContactID}}}
	if np.Phone != "" {
		p.Phones = []string{np.Phone}
	}
	f.patients[p.ID] = p
	return p, nil
}

func (f *fakeMIS) PatientAppointments(_ context.Context, patientID string, from, to time.Time) ([]MISAppointment, error) {
	if err := f.unavailable(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []MISAppointment
	for _, a := range f.appts {
		if a.PatientID == patientID && !a.Start.Before(from) && a.Start.Before(to) {
			out = append(out, *a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MISID < out[j].MISID })
	return out, nil
}

var errFeedDown = problem.New(problem.Unavailable, "the MIS is unavailable (test)")

func (f *fakeMIS) Changes(_ context.Context, cursor string, limit int) (ChangePage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changeCalls = append(f.changeCalls, cursor)
	if f.failChanges > 0 {
		f.failChanges--
		return ChangePage{}, errFeedDown
	}
	from := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil {
			return ChangePage{}, errors.New("bad cursor")
		}
		from = n
	}
	to := min(from+limit, len(f.log))
	page := ChangePage{Next: strconv.Itoa(to), More: to < len(f.log)}
	for _, id := range f.log[from:to] {
		// The MIS answers each changed record as it is now (like a
		// _lastUpdated search), so a record changed twice reads the same.
		page.Changes = append(page.Changes, *f.appts[id])
	}
	return page, nil
}

// fakeContacts is the contact center's contact lookup.
type fakeContacts struct {
	mu       sync.Mutex
	contacts map[string]ContactInfo
	callers  []principal.Principal
	purposes []string
}

func (c *fakeContacts) Contact(_ context.Context, p principal.Principal, id, purpose string) (ContactInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.callers = append(c.callers, p)
	c.purposes = append(c.purposes, purpose)
	ci, ok := c.contacts[id]
	if !ok {
		return ContactInfo{}, problem.Field("contact_id", "no such contact")
	}
	return ci, nil
}
