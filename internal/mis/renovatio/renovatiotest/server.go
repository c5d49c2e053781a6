// Package renovatiotest is a small МИС Renovatio for tests: an http.Handler
// that speaks the public API the way Okno's adapter reads it (POST of form
// fields to /<method> with api_key, {"error":0,"data":..} and
// {"error":1,"data":{"code":..,"desc":..}} answers, clinic wall-clock times)
// over an in-memory clinic: two clinics, three professions, three doctors,
// a price list, a weekly schedule of 30-minute cells, patients and
// appointments.
//
// It is strict where the adapter must be exact (the key, the method, the
// required fields and their formats) and returns Renovatio's error shape
// otherwise. Renovatio does not publish its error codes, so the codes here
// are the fake's own (the Code* constants); the adapter depends on none.
package renovatiotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the clinic's zone on machines without tzdata
)

// Error codes of the fake.
const (
	CodeBadKey     = 1
	CodeNoMethod   = 2
	CodeBadField   = 3
	CodeNotFound   = 4
	CodeBusy       = 5
	CodeNoSchedule = 6
	CodeCancelled  = 7
)

// Key is the api_key the fake accepts unless told another.
const Key = "test-renovatio-key-5f0c"

// Request and answer layouts, as the adapter sends and reads them.
const (
	FormTime  = "02.01.2006 15:04"
	FormDate  = "02.01.2006"
	CellTime  = "2006-01-02 15:04:05"
	SlotLen   = 30 * time.Minute
	dayLayout = "2006-01-02"
)

// Clinic, Profession, User, Service, Patient and Appointment are the
// fake's records.
type Clinic struct {
	ID                    int
	Title, Address, Phone string
	Deleted               bool
}

type Profession struct {
	ID      int
	Name    string
	Deleted bool
}

type User struct {
	ID          int
	Name        string
	Professions []int
	Clinics     []int
	Deleted     bool
	// Hours is the working day per clinic: [from, to) hours, Monday to
	// Friday.
	Hours map[int][2]int
}

type Service struct {
	ID           int
	Title        string
	ProfessionID int
	Price        json.RawMessage // sent as is: a number, a string or null
	Hidden       bool
}

type Patient struct {
	ID                                    int
	LastName, FirstName, ThirdName, Birth string // Birth as dd.mm.yyyy
	Gender                                int
	Mobile, Email                         string
}

type Appointment struct {
	ID, PatientID, DoctorID, ClinicID int
	Start, End                        time.Time
	Status                            string // upcoming, completed, refused
	MovedFrom                         int
	Created, Updated                  time.Time
}

// Server is the fake Renovatio.
type Server struct {
	Key string
	Loc *time.Location
	Now func() time.Time
	// BeforeCreate, when set, runs before createAppointment checks the time
	// (outside the lock), so a test can take the slot from elsewhere.
	BeforeCreate func()
	// CancelRefuses makes cancelAppointment refuse every call.
	CancelRefuses bool

	mu           sync.Mutex
	Clinics      []Clinic
	Professions  []Profession
	Users        []User
	Services     []Service
	Patients     map[int]*Patient
	Appointments map[int]*Appointment
	next         int
	calls        map[string]int
	forms        map[string][]url.Values
}

// Yekaterinburg is the fake clinic's zone.
var Yekaterinburg = func() *time.Location {
	l, err := time.LoadLocation("Asia/Yekaterinburg")
	if err != nil {
		panic(err)
	}
	return l
}()

// New makes the fake clinic; now is its clock.
func New(now func() time.Time) *Server {
	day := [2]int{9, 13}
	return &Server{
		Key: Key, Loc: Yekaterinburg, Now: now,
		Clinics: []Clinic{
			{ID: 1, Title: "Клиника на Ленина", Address: "Екатеринбург, пр. Ленина, 10", Phone: "+7 343 222-33-44"},
			{ID: 2, Title: "Клиника на Малышева", Address: "Екатеринбург, ул. Малышева, 5", Phone: "+7 343 222-33-55"},
			{ID: 3, Title: "Закрытый филиал", Deleted: true},
		},
		Professions: []Profession{{ID: 11, Name: "Терапевт"}, {ID: 12, Name: "Кардиолог"}, {ID: 13, Name: "Невролог"}, {ID: 14, Name: "Архив", Deleted: true}},
		Users: []User{
			{ID: 101, Name: "Доктор Первый", Professions: []int{11}, Clinics: []int{1}, Hours: map[int][2]int{1: day}},
			{ID: 102, Name: "Доктор Второй", Professions: []int{12, 11}, Clinics: []int{1, 2}, Hours: map[int][2]int{1: {14, 16}, 2: day}},
			{ID: 103, Name: "Доктор Третий", Professions: []int{13}, Clinics: []int{2}, Hours: map[int][2]int{2: day}},
			{ID: 104, Name: "Администратор", Clinics: []int{1}},
			{ID: 105, Name: "Уволенный врач", Professions: []int{11}, Clinics: []int{1}, Deleted: true},
		},
		Services: []Service{
			{ID: 501, Title: "Приём терапевта", ProfessionID: 11, Price: json.RawMessage("1500")},
			{ID: 502, Title: "Приём кардиолога", ProfessionID: 12, Price: json.RawMessage("2350.50")},
			{ID: 503, Title: "ЭКГ", ProfessionID: 12, Price: json.RawMessage(`"800.00"`)},
			{ID: 504, Title: "Справка", Price: json.RawMessage("null")},
			{ID: 505, Title: "Скрытая услуга", ProfessionID: 11, Price: json.RawMessage("100"), Hidden: true},
		},
		Patients:     map[int]*Patient{},
		Appointments: map[int]*Appointment{},
		next:         1000,
		calls:        map[string]int{},
		forms:        map[string][]url.Values{},
	}
}

// Calls says how often a method was called.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Forms returns the forms a method was called with (api_key removed).
func (s *Server) Forms(method string) []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.forms[method]...)
}

// AddPatient registers a patient directly, as the clinic's registry would.
func (s *Server) AddPatient(p Patient) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	p.ID = s.next
	s.Patients[p.ID] = &p
	return p.ID
}

// Book makes an appointment directly, as the clinic's registry would.
func (s *Server) Book(patient, doctor, clinic int, start, end time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book(patient, doctor, clinic, start, end, 0)
}

func (s *Server) book(patient, doctor, clinic int, start, end time.Time, movedFrom int) int {
	s.next++
	now := s.Now()
	s.Appointments[s.next] = &Appointment{ID: s.next, PatientID: patient, DoctorID: doctor, ClinicID: clinic,
		Start: start, End: end, Status: "upcoming", MovedFrom: movedFrom, Created: now, Updated: now}
	return s.next
}

// SetStatus changes an appointment's status, as the clinic would.
func (s *Server) SetStatus(id int, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.Appointments[id]; a != nil {
		a.Status, a.Updated = status, s.Now()
	}
}

// Delete removes an appointment, as a registrar deleting it would.
func (s *Server) Delete(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.Appointments, id)
}

// Appointment returns a copy of an appointment.
func (s *Server) Appointment(id int) (Appointment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.Appointments[id]
	if !ok {
		return Appointment{}, false
	}
	return *a, true
}

type apiErr struct {
	code int
	desc string
}

func fail(code int, format string, args ...any) *apiErr {
	return &apiErr{code: code, desc: fmt.Sprintf(format, args...)}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/")
	var data any
	var e *apiErr
	switch {
	case r.URL.RawQuery != "":
		e = fail(CodeBadField, "parameters go in the body")
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		e = fail(CodeBadField, "form body expected")
	default:
		if err := r.ParseForm(); err != nil {
			e = fail(CodeBadField, "unreadable form")
			break
		}
		if r.PostForm.Get("api_key") != s.Key {
			e = fail(CodeBadKey, "Неверный api_key")
			break
		}
		form := url.Values{}
		for k, v := range r.PostForm {
			if k != "api_key" {
				form[k] = v
			}
		}
		s.mu.Lock()
		s.calls[method]++
		s.forms[method] = append(s.forms[method], form)
		s.mu.Unlock()
		data, e = s.dispatch(method, form)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if e != nil {
		json.NewEncoder(w).Encode(map[string]any{"error": 1, "data": map[string]any{"code": e.code, "desc": e.desc}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"error": 0, "data": data})
}

func (s *Server) dispatch(method string, f url.Values) (any, *apiErr) {
	switch method {
	case "getClinics":
		return s.getClinics(), nil
	case "getProfessions":
		return s.getProfessions(), nil
	case "getUsers":
		return s.getUsers(), nil
	case "getServices":
		return s.getServices(), nil
	case "getSchedule":
		return s.getSchedule(f)
	case "createAppointment":
		return s.createAppointment(f)
	case "cancelAppointment":
		return s.cancelAppointment(f)
	case "getAppointments":
		return s.getAppointments(f)
	case "getPatient":
		return s.getPatient(f)
	case "createPatient":
		return s.createPatient(f)
	}
	return nil, fail(CodeNoMethod, "Метод не найден")
}

func (s *Server) getClinics() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, c := range s.Clinics {
		out = append(out, map[string]any{"id": c.ID, "title": c.Title, "address": c.Address, "phone": c.Phone, "is_deleted": c.Deleted})
	}
	return out
}

func (s *Server) getProfessions() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, p := range s.Professions {
		out = append(out, map[string]any{"id": strconv.Itoa(p.ID), "name": p.Name, "is_deleted": boolInt(p.Deleted)})
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Server) getUsers() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, u := range s.Users {
		prof := []int{}
		prof = append(prof, u.Professions...)
		out = append(out, map[string]any{"id": u.ID, "name": u.Name, "is_deleted": u.Deleted, "role": []int{1},
			"profession": prof, "clinic": u.Clinics})
	}
	return out
}

func (s *Server) getServices() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, sv := range s.Services {
		out = append(out, map[string]any{"service_id": sv.ID, "title": sv.Title, "is_deleted": false, "is_hidden": sv.Hidden,
			"profession_id": sv.ProfessionID, "price": sv.Price})
	}
	return out
}

var idRe = regexp.MustCompile(`^[0-9]+$`)

func (s *Server) parseTime(f url.Values, name string, required bool) (time.Time, *apiErr) {
	v := f.Get(name)
	if v == "" {
		if required {
			return time.Time{}, fail(CodeBadField, "Не указан параметр %s", name)
		}
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(FormTime, v, s.Loc)
	if err != nil {
		return time.Time{}, fail(CodeBadField, "Неверный формат %s, ожидается дд.мм.гггг чч:мм", name)
	}
	return t, nil
}

func (s *Server) id(f url.Values, name string, required bool) (int, *apiErr) {
	v := f.Get(name)
	if v == "" {
		if required {
			return 0, fail(CodeBadField, "Не указан параметр %s", name)
		}
		return 0, nil
	}
	if !idRe.MatchString(v) {
		return 0, fail(CodeBadField, "Неверный %s", name)
	}
	n, _ := strconv.Atoi(v)
	return n, nil
}

func (s *Server) user(id int) *User {
	for i := range s.Users {
		if s.Users[i].ID == id && !s.Users[i].Deleted {
			return &s.Users[i]
		}
	}
	return nil
}

// busy says whether the doctor has an appointment overlapping [a, b).
func (s *Server) busy(doctor int, a, b time.Time) bool {
	for _, ap := range s.Appointments {
		if ap.DoctorID == doctor && ap.Status != "refused" && ap.Start.Before(b) && ap.End.After(a) {
			return true
		}
	}
	return false
}

// worksAt says whether [a, b) lies within one working day of the doctor in
// the clinic.
func (s *Server) worksAt(u *User, clinic int, a, b time.Time) bool {
	h, ok := u.Hours[clinic]
	if !ok {
		return false
	}
	la := a.In(s.Loc)
	wd := la.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return false
	}
	d0 := time.Date(la.Year(), la.Month(), la.Day(), 0, 0, 0, 0, s.Loc)
	return !a.Before(d0.Add(time.Duration(h[0])*time.Hour)) && !b.After(d0.Add(time.Duration(h[1])*time.Hour))
}

func (s *Server) getSchedule(f url.Values) (any, *apiErr) {
	from, e := s.parseTime(f, "time_start", true)
	if e != nil {
		return nil, e
	}
	to, e := s.parseTime(f, "time_end", true)
	if e != nil {
		return nil, e
	}
	clinic, e := s.id(f, "clinic_id", false)
	if e != nil {
		return nil, e
	}
	step := SlotLen
	if v := f.Get("step"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 5 {
			return nil, fail(CodeBadField, "Неверный step")
		}
		step = time.Duration(n) * time.Minute
	}
	var users []int
	if v := f.Get("user_id"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if !idRe.MatchString(p) {
				return nil, fail(CodeBadField, "Неверный user_id")
			}
			n, _ := strconv.Atoi(p)
			users = append(users, n)
		}
	}
	showBusy, showPast := f.Get("show_busy") == "1", f.Get("show_past") == "1"
	s.mu.Lock()
	defer s.mu.Unlock()
	if users == nil {
		for _, u := range s.Users {
			users = append(users, u.ID)
		}
	}
	now := s.Now()
	out := map[string][]map[string]any{}
	for _, uid := range users {
		u := s.user(uid)
		if u == nil {
			continue
		}
		clinics := make([]int, 0, len(u.Hours))
		for cl := range u.Hours {
			clinics = append(clinics, cl)
		}
		sort.Ints(clinics)
		for _, cl := range clinics {
			if clinic != 0 && cl != clinic {
				continue
			}
			h := u.Hours[cl]
			for d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, s.Loc); d.Before(to); d = d.AddDate(0, 0, 1) {
				for t := d.Add(time.Duration(h[0]) * time.Hour); !t.Add(step).After(d.Add(time.Duration(h[1]) * time.Hour)); t = t.Add(step) {
					end := t.Add(step)
					if t.Before(from) || end.After(to) || !s.worksAt(u, cl, t, end) {
						continue
					}
					busy, past := s.busy(uid, t, end), t.Before(now)
					if (busy && !showBusy) || (past && !showPast) {
						continue
					}
					key := strconv.Itoa(uid)
					out[key] = append(out[key], map[string]any{
						"schedule_id": fmt.Sprintf("%d-%d-%s", uid, cl, t.Format("200601021504")), "user_id": key,
						"clinic_id": strconv.Itoa(cl), "date": t.Format(FormDate),
						"time_start": t.Format(CellTime), "time_start_short": t.Format("15:04"),
						"time_end": end.Format(CellTime), "time_end_short": end.Format("15:04"),
						"time": t.Format("15:04") + " - " + end.Format("15:04"), "category_id": "1", "category": "Приём",
						"is_busy": busy, "is_past": past, "room": "",
					})
				}
			}
		}
	}
	if len(out) == 0 {
		return []any{}, nil // PHP's empty array
	}
	return out, nil
}

func (s *Server) createAppointment(f url.Values) (any, *apiErr) {
	doctor, e := s.id(f, "doctor_id", true)
	if e != nil {
		return nil, e
	}
	clinic, e := s.id(f, "clinic_id", true)
	if e != nil {
		return nil, e
	}
	start, e := s.parseTime(f, "time_start", true)
	if e != nil {
		return nil, e
	}
	end, e := s.parseTime(f, "time_end", true)
	if e != nil {
		return nil, e
	}
	if !end.After(start) {
		return nil, fail(CodeBadField, "time_end раньше time_start")
	}
	patientID, e := s.id(f, "patient_id", false)
	if e != nil {
		return nil, e
	}
	moved, e := s.id(f, "moved_from", false)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	h := s.BeforeCreate
	s.BeforeCreate = nil
	s.mu.Unlock()
	if h != nil {
		h()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(doctor)
	if u == nil {
		return nil, fail(CodeNotFound, "Врач не найден")
	}
	if patientID == 0 {
		if f.Get("last_name") == "" || f.Get("first_name") == "" || f.Get("mobile") == "" {
			return nil, fail(CodeBadField, "Не указан пациент")
		}
		s.next++
		patientID = s.next
		s.Patients[patientID] = &Patient{ID: patientID, LastName: f.Get("last_name"), FirstName: f.Get("first_name"), Mobile: f.Get("mobile")}
	} else if s.Patients[patientID] == nil {
		return nil, fail(CodeNotFound, "Пациент не найден")
	}
	if !s.worksAt(u, clinic, start, end) {
		return nil, fail(CodeNoSchedule, "Врач не работает в это время")
	}
	if f.Get("check_intersection") == "1" && s.busy(doctor, start, end) {
		return nil, fail(CodeBusy, "Время уже занято")
	}
	id := s.book(patientID, doctor, clinic, start, end, moved)
	return map[string]any{"id": id}, nil
}

func (s *Server) cancelAppointment(f url.Values) (any, *apiErr) {
	id, e := s.id(f, "appointment_id", true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.Appointments[id]
	switch {
	case a == nil:
		return nil, fail(CodeNotFound, "Визит не найден")
	case a.Status == "refused":
		return nil, fail(CodeCancelled, "Визит уже отменён")
	case s.CancelRefuses:
		return nil, fail(CodeBadField, "Отмена запрещена")
	}
	a.Status, a.Updated = "refused", s.Now()
	return true, nil
}

func (s *Server) getAppointments(f url.Values) (any, *apiErr) {
	id, e := s.id(f, "appointment_id", false)
	if e != nil {
		return nil, e
	}
	patient, e := s.id(f, "patient_id", false)
	if e != nil {
		return nil, e
	}
	from, e := s.parseTime(f, "date_from", id == 0 && patient == 0)
	if e != nil {
		return nil, e
	}
	to, e := s.parseTime(f, "date_to", id == 0 && patient == 0)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*Appointment
	for _, a := range s.Appointments {
		if (id != 0 && a.ID != id) || (patient != 0 && a.PatientID != patient) ||
			(!from.IsZero() && a.Start.Before(from)) || (!to.IsZero() && !a.Start.Before(to)) {
			continue
		}
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	out := []map[string]any{}
	for _, a := range list {
		out = append(out, map[string]any{"id": a.ID, "patient_id": a.PatientID, "doctor_id": a.DoctorID, "clinic_id": a.ClinicID,
			"time_start": a.Start.In(s.Loc).Format(FormTime), "time_end": a.End.In(s.Loc).Format(FormTime), "status": a.Status,
			"date_created": a.Created.In(s.Loc).Format(CellTime), "date_updated": a.Updated.In(s.Loc).Format(CellTime)})
	}
	return out, nil
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func (s *Server) getPatient(f url.Values) (any, *apiErr) {
	id, e := s.id(f, "patient_id", false)
	if e != nil {
		return nil, e
	}
	mobile, last, first, third, birth := digits(f.Get("mobile")), f.Get("last_name"), f.Get("first_name"), f.Get("third_name"), f.Get("birth_date")
	if f.Get("mobile") != "" && len(mobile) != 11 {
		return nil, fail(CodeBadField, "Неверный mobile")
	}
	if birth != "" {
		if _, err := time.Parse(FormDate, birth); err != nil {
			return nil, fail(CodeBadField, "Неверный формат birth_date, ожидается дд.мм.гггг")
		}
	}
	if id == 0 && mobile == "" && last == "" && first == "" && third == "" && birth == "" {
		return nil, fail(CodeBadField, "Не указаны параметры поиска")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, 0, len(s.Patients))
	for k := range s.Patients {
		ids = append(ids, k)
	}
	sort.Ints(ids)
	out := []map[string]any{}
	for _, k := range ids {
		p := s.Patients[k]
		if (id != 0 && p.ID != id) || (mobile != "" && digits(p.Mobile) != mobile) ||
			(last != "" && !strings.EqualFold(p.LastName, last)) || (first != "" && !strings.EqualFold(p.FirstName, first)) ||
			(third != "" && !strings.EqualFold(p.ThirdName, third)) || (birth != "" && p.Birth != birth) {
			continue
		}
		out = append(out, map[string]any{"patient_id": p.ID, "last_name": p.LastName, "first_name": p.FirstName,
			"third_name": p.ThirdName, "birth_date": p.Birth, "gender": p.Gender, "mobile": p.Mobile, "email": p.Email})
	}
	return out, nil
}

func (s *Server) createPatient(f url.Values) (any, *apiErr) {
	if f.Get("last_name") == "" || f.Get("first_name") == "" {
		return nil, fail(CodeBadField, "Не указаны фамилия и имя")
	}
	if b := f.Get("birth_date"); b != "" {
		if _, err := time.Parse(FormDate, b); err != nil {
			return nil, fail(CodeBadField, "Неверный формат birth_date, ожидается дд.мм.гггг")
		}
	}
	if m := f.Get("mobile"); m != "" && len(digits(m)) != 11 {
		return nil, fail(CodeBadField, "Неверный mobile")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	s.Patients[s.next] = &Patient{ID: s.next, LastName: f.Get("last_name"), FirstName: f.Get("first_name"),
		ThirdName: f.Get("third_name"), Birth: f.Get("birth_date"), Mobile: f.Get("mobile"), Email: f.Get("email")}
	return map[string]any{"patient_id": s.next}, nil
}

// OnCreate sets BeforeCreate under the server's lock.
func (s *Server) OnCreate(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.BeforeCreate = f
}

// RefuseCancels sets CancelRefuses under the server's lock.
func (s *Server) RefuseCancels(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.CancelRefuses = on
}
