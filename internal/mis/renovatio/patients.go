package renovatio

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/mis"
	"github.com/okno-crm/okno/internal/phone"
	"github.com/okno-crm/okno/internal/problem"
)

// patient is an element of getPatient.
type patient struct {
	PatientID flexString `json:"patient_id"`
	ID        flexString `json:"id"`
	LastName  flexString `json:"last_name"`
	FirstName flexString `json:"first_name"`
	ThirdName flexString `json:"third_name"`
	BirthDate flexString `json:"birth_date"`
	Gender    flexString `json:"gender"`
	Mobile    flexString `json:"mobile"`
	Phone     flexString `json:"phone"`
	Email     flexString `json:"email"`
}

// listOf reads data that is a list of T, one T, or empty ([] or null).
func listOf[T any](data json.RawMessage) ([]T, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil, nil
	}
	if data[0] == '[' {
		var out []T
		err := json.Unmarshal(data, &out)
		return out, err
	}
	var one T
	if err := json.Unmarshal(data, &one); err != nil {
		return nil, err
	}
	return []T{one}, nil
}

// e164 reads a phone as Okno stores it; text that is not a Russian-readable
// number is kept as sent.
func e164(s string) string {
	if p, err := phone.Normalize(s); err == nil {
		return p
	}
	return s
}

func (p patient) toMIS() (mis.Patient, error) {
	id := string(p.PatientID)
	if id == "" {
		id = string(p.ID)
	}
	if !validID(id) {
		return mis.Patient{}, errors.New("a patient without an id")
	}
	out := mis.Patient{ID: id, Family: string(p.LastName), Given: string(p.FirstName), Middle: string(p.ThirdName),
		Phones: []string{}, Emails: []string{}, Identifiers: []mis.Identifier{{System: PatientIDSystem, Value: id}}}
	if p.BirthDate != "" {
		d, ok := parseDate(string(p.BirthDate))
		if !ok {
			return mis.Patient{}, errors.New("patient " + id + ": a birth date that is not a date")
		}
		out.BirthDate = d
	}
	switch p.Gender {
	case "1":
		out.Gender = "male"
	case "2":
		out.Gender = "female"
	}
	for _, ph := range []flexString{p.Mobile, p.Phone} {
		if ph != "" {
			out.Phones = append(out.Phones, e164(string(ph)))
		}
	}
	if p.Email != "" {
		out.Emails = append(out.Emails, string(p.Email))
	}
	return out, nil
}

// patients calls getPatient with the form and maps the answer.
func (c *Client) patients(ctx context.Context, form map[string]string) ([]mis.Patient, error) {
	v := urlValues()
	for k, s := range form {
		if s != "" {
			v.Set(k, s)
		}
	}
	data, err := c.call(ctx, "getPatient", v)
	var ae *APIError
	if errors.As(err, &ae) {
		return nil, refused(ae)
	}
	if err != nil {
		return nil, err
	}
	list, err := listOf[patient](data)
	if err != nil {
		return nil, badAnswer("getPatient: data of an unexpected shape")
	}
	out := make([]mis.Patient, 0, len(list))
	for _, p := range list {
		mp, err := p.toMIS()
		if err != nil {
			return nil, badAnswer("getPatient: %v", err)
		}
		out = append(out, mp)
	}
	return out, nil
}

func formBirthDate(d string) (string, bool) {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return "", false
	}
	return t.Format(formDate), true
}

// FindPatients searches getPatient by mobile, names, birth date or patient
// id, and keeps only the patients that match every field set: Renovatio's
// matching rules are not documented, so they are checked, not trusted.
func (c *Client) FindPatients(ctx context.Context, q mis.PatientQuery) ([]mis.Patient, error) {
	if q.Phone == "" && q.Identifier.Value == "" && q.Family == "" && q.Given == "" && q.BirthDate == "" {
		return nil, problem.Field("query", "set at least one of phone, identifier, family, given, birth_date")
	}
	form := map[string]string{"last_name": q.Family, "first_name": q.Given}
	if q.Identifier.Value != "" {
		if q.Identifier.System != PatientIDSystem {
			return []mis.Patient{}, nil // Renovatio keeps no other identifier Okno can search by
		}
		if !validID(q.Identifier.Value) {
			return []mis.Patient{}, nil
		}
		form["patient_id"] = q.Identifier.Value
	}
	if q.Phone != "" {
		p, err := phone.Normalize(q.Phone)
		if err != nil {
			return nil, problem.Field("phone", "is not a phone number")
		}
		form["mobile"] = strings.TrimPrefix(p, "+")
		q.Phone = p
	}
	if q.BirthDate != "" {
		d, ok := formBirthDate(q.BirthDate)
		if !ok {
			return nil, problem.Field("birth_date", "must be YYYY-MM-DD")
		}
		form["birth_date"] = d
	}
	found, err := c.patients(ctx, form)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	out := []mis.Patient{}
	for _, p := range found {
		if matches(p, q) {
			out = append(out, p)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func matches(p mis.Patient, q mis.PatientQuery) bool {
	if q.Identifier.Value != "" && p.ID != q.Identifier.Value {
		return false
	}
	if q.Family != "" && !strings.EqualFold(strings.TrimSpace(p.Family), strings.TrimSpace(q.Family)) {
		return false
	}
	if q.Given != "" && !strings.EqualFold(strings.TrimSpace(p.Given), strings.TrimSpace(q.Given)) {
		return false
	}
	if q.BirthDate != "" && p.BirthDate != q.BirthDate {
		return false
	}
	return q.Phone == "" || contains(p.Phones, q.Phone)
}

// Patient reads one patient by id.
func (c *Client) Patient(ctx context.Context, id string) (mis.Patient, error) {
	if !validID(id) {
		return mis.Patient{}, mis.ErrNotFound
	}
	found, err := c.patients(ctx, map[string]string{"patient_id": id})
	if err != nil {
		return mis.Patient{}, err
	}
	for _, p := range found {
		if p.ID == id {
			return p, nil
		}
	}
	return mis.Patient{}, mis.ErrNotFound
}

// CreatePatient registers a patient (createPatient). Renovatio keeps no
// identifier Okno could create conditionally on, so a retry is made safe by
// looking for the same person first: same family and given name, and the
// same phone or birth date. Without a phone and a birth date there is
// nothing to recognise a retry by, so both are not optional together.
func (c *Client) CreatePatient(ctx context.Context, np mis.NewPatient) (mis.Patient, error) {
	var fields []problem.FieldError
	if strings.TrimSpace(np.Family) == "" {
		fields = append(fields, problem.FieldError{Field: "family", Message: "is required"})
	}
	if strings.TrimSpace(np.Given) == "" {
		fields = append(fields, problem.FieldError{Field: "given", Message: "is required"})
	}
	mobile := ""
	if np.Phone != "" {
		p, err := phone.Normalize(np.Phone)
		if err != nil {
			fields = append(fields, problem.FieldError{Field: "phone", Message: "is not a phone number"})
		} else {
			np.Phone, mobile = p, strings.TrimPrefix(p, "+")
		}
	}
	birth := ""
	if np.BirthDate != "" {
		d, ok := formBirthDate(np.BirthDate)
		if !ok {
			fields = append(fields, problem.FieldError{Field: "birth_date", Message: "must be YYYY-MM-DD"})
		}
		birth = d
	}
	if np.Phone == "" && np.BirthDate == "" {
		fields = append(fields, problem.FieldError{Field: "phone", Message: "a phone or a birth date is required"})
	}
	if len(fields) > 0 {
		return mis.Patient{}, problem.Fields(fields)
	}
	existing, err := c.FindPatients(ctx, mis.PatientQuery{Phone: np.Phone, Family: np.Family, Given: np.Given, BirthDate: np.BirthDate, Limit: 2})
	if err != nil {
		return mis.Patient{}, err
	}
	if len(existing) > 0 {
		return existing[0], nil
	}
	form := urlValues("last_name", strings.TrimSpace(np.Family), "first_name", strings.TrimSpace(np.Given),
		"third_name", strings.TrimSpace(np.Middle), "birth_date", birth, "mobile", mobile, "email", strings.TrimSpace(np.Email))
	data, err := c.call(ctx, "createPatient", form)
	var ae *APIError
	if errors.As(err, &ae) {
		return mis.Patient{}, &problem.Error{Code: problem.Conflict, Message: fmt.Sprintf("the MIS refused to register the patient (Renovatio error %s)", ae.Code), Err: ae}
	}
	if err != nil {
		return mis.Patient{}, err
	}
	id, err := createdID(data, "patient_id", "id")
	if err != nil {
		return mis.Patient{}, badAnswer("createPatient: %v", err)
	}
	p := mis.Patient{ID: id, Family: strings.TrimSpace(np.Family), Given: strings.TrimSpace(np.Given), Middle: strings.TrimSpace(np.Middle),
		BirthDate: np.BirthDate, Phones: []string{}, Emails: []string{}, Identifiers: []mis.Identifier{{System: PatientIDSystem, Value: id}}}
	if np.Phone != "" {
		p.Phones = append(p.Phones, np.Phone)
	}
	if np.Email != "" {
		p.Emails = append(p.Emails, strings.TrimSpace(np.Email))
	}
	return p, nil
}

// appointment is an element of getAppointments.
type appointment struct {
	ID          flexString `json:"id"`
	PatientID   flexString `json:"patient_id"`
	DoctorID    flexString `json:"doctor_id"`
	ClinicID    flexString `json:"clinic_id"`
	TimeStart   flexString `json:"time_start"`
	TimeEnd     flexString `json:"time_end"`
	Status      flexString `json:"status"`
	DateCreated flexString `json:"date_created"`
	DateUpdated flexString `json:"date_updated"`
}

// statuses maps Renovatio's appointment statuses, as getAppointments names
// them, to Okno's.
var statuses = map[string]string{
	"upcoming":  mis.ApptBooked,
	"completed": mis.ApptCompleted,
	"refused":   mis.ApptCancelled,
}

func (c *Client) toMIS(a appointment, idx map[string]user) (mis.MISAppointment, error) {
	id := string(a.ID)
	if !validID(id) {
		return mis.MISAppointment{}, errors.New("an appointment without an id")
	}
	st, ok := statuses[string(a.Status)]
	if !ok {
		return mis.MISAppointment{}, errors.New("appointment " + id + ": unknown status " + strconv.Quote(string(a.Status)))
	}
	start, ok1 := c.parseTime(string(a.TimeStart))
	end, ok2 := c.parseTime(string(a.TimeEnd))
	if !ok1 || !ok2 || !end.After(start) || !validID(string(a.DoctorID)) || !validID(string(a.ClinicID)) {
		return mis.MISAppointment{}, errors.New("appointment " + id + ": lacks a doctor, clinic, start or end")
	}
	out := mis.MISAppointment{MISID: id, Status: st, PatientID: string(a.PatientID), Start: start, End: end,
		DoctorID: string(a.DoctorID), BranchID: string(a.ClinicID)}
	if u, ok := idx[out.DoctorID]; ok {
		out.SpecialtyID = specialtyOf(u, "")
	}
	out.SlotID = c.slotID(slotKey{user: out.DoctorID, clinic: out.BranchID, profession: out.SpecialtyID, start: start, end: end})
	for _, s := range []flexString{a.DateUpdated, a.DateCreated} {
		if t, ok := c.parseTime(string(s)); ok && s != "" {
			out.UpdatedAt = t
			break
		}
	}
	return out, nil
}

// appointments calls getAppointments and maps the answer.
func (c *Client) appointments(ctx context.Context, form map[string]string) ([]mis.MISAppointment, error) {
	idx, err := c.doctorIndex(ctx)
	if err != nil {
		return nil, err
	}
	v := urlValues()
	for k, s := range form {
		if s != "" {
			v.Set(k, s)
		}
	}
	data, err := c.call(ctx, "getAppointments", v)
	var ae *APIError
	if errors.As(err, &ae) {
		return nil, refused(ae)
	}
	if err != nil {
		return nil, err
	}
	list, err := listOf[appointment](data)
	if err != nil {
		return nil, badAnswer("getAppointments: data of an unexpected shape")
	}
	out := make([]mis.MISAppointment, 0, len(list))
	for _, a := range list {
		m, err := c.toMIS(a, idx)
		if err != nil {
			return nil, badAnswer("getAppointments: %v", err)
		}
		out = append(out, m)
	}
	return out, nil
}

// appointment reads one appointment by id; ok is false when Renovatio has
// none by that id.
func (c *Client) appointment(ctx context.Context, id string) (mis.MISAppointment, bool, error) {
	list, err := c.appointments(ctx, map[string]string{"appointment_id": id})
	if err != nil {
		return mis.MISAppointment{}, false, err
	}
	for _, a := range list {
		if a.MISID == id {
			return a, true, nil
		}
	}
	return mis.MISAppointment{}, false, nil
}

// PatientAppointments lists a patient's appointments starting in [from, to).
func (c *Client) PatientAppointments(ctx context.Context, patientID string, from, to time.Time) ([]mis.MISAppointment, error) {
	if !validID(patientID) {
		return nil, mis.ErrNotFound
	}
	if !to.After(from) {
		return nil, problem.Field("from", "must be before to")
	}
	list, err := c.appointments(ctx, map[string]string{"patient_id": patientID,
		"date_from": c.formTime(from), "date_to": c.formTime(to)})
	if err != nil {
		return nil, err
	}
	out := []mis.MISAppointment{}
	for _, a := range list {
		if a.PatientID == patientID && !a.Start.Before(from) && a.Start.Before(to) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// Change feed. Renovatio documents no feed of changed appointments, so
// Changes reads every appointment of a window (yesterday to Horizon ahead)
// and compares each with what the cursor says was seen: a fingerprint of its
// status, times, doctor, clinic and patient, and its start. New or different
// ones are changes; one that vanished while its start is still inside the
// window was deleted in the MIS and is reported cancelled.
const cursorPrefix = "rn1:"

type seen struct {
	FP    uint32 `json:"f"`
	Start int64  `json:"s"` // Unix minutes
}

type cursorState struct {
	V    int             `json:"v"`
	Seen map[string]seen `json:"seen"`
}

func fingerprint(a mis.MISAppointment) uint32 {
	h := fnv.New32a()
	io.WriteString(h, strings.Join([]string{a.Status, a.Start.UTC().Format(time.RFC3339), a.End.UTC().Format(time.RFC3339),
		a.DoctorID, a.BranchID, a.PatientID}, "\x00"))
	return h.Sum32()
}

func decodeCursor(s string) (cursorState, error) {
	st := cursorState{V: 1, Seen: map[string]seen{}}
	if s == "" {
		return st, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, cursorPrefix))
	if err != nil || !strings.HasPrefix(s, cursorPrefix) {
		return st, errors.New("not a Renovatio cursor")
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return st, errors.New("not a Renovatio cursor")
	}
	plain, err := io.ReadAll(io.LimitReader(zr, 32<<20))
	if err != nil || json.Unmarshal(plain, &st) != nil || st.V != 1 {
		return st, errors.New("not a Renovatio cursor")
	}
	if st.Seen == nil {
		st.Seen = map[string]seen{}
	}
	return st, nil
}

func encodeCursor(st cursorState) string {
	plain, _ := json.Marshal(st)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(plain)
	zw.Close()
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// Changes reads the appointments changed since the cursor, oldest change
// first. The empty cursor reports every appointment of the window.
func (c *Client) Changes(ctx context.Context, cursor string, limit int) (mis.ChangePage, error) {
	st, err := decodeCursor(cursor)
	if err != nil {
		return mis.ChangePage{}, problem.Field("cursor", err.Error())
	}
	if limit <= 0 {
		limit = 100
	}
	now := c.now()
	from, to := now.Add(-24*time.Hour), now.Add(c.horizon)
	list, err := c.appointments(ctx, map[string]string{"date_from": c.formTime(from), "date_to": c.formTime(to)})
	if err != nil {
		return mis.ChangePage{}, err
	}
	present := map[string]bool{}
	var changed []mis.MISAppointment
	for _, a := range list {
		if present[a.MISID] {
			continue
		}
		present[a.MISID] = true
		fp := fingerprint(a)
		if old, ok := st.Seen[a.MISID]; ok && old.FP == fp {
			continue
		}
		if a.UpdatedAt.IsZero() {
			a.UpdatedAt = now.UTC()
		}
		a.Version = strconv.FormatUint(uint64(fp), 16)
		changed = append(changed, a)
	}
	next := cursorState{V: 1, Seen: map[string]seen{}}
	for id, s := range st.Seen {
		if present[id] {
			next.Seen[id] = s
			continue
		}
		start := time.Unix(s.Start*60, 0)
		if start.Before(from) || !start.Before(to) {
			continue // slid out of the window: nothing to say about it
		}
		next.Seen[id] = s // until it is reported
		changed = append(changed, mis.MISAppointment{MISID: id, Status: mis.ApptCancelled, Start: start.UTC(),
			UpdatedAt: now.UTC(), Version: "deleted"})
	}
	sort.SliceStable(changed, func(i, j int) bool {
		a, b := changed[i], changed[j]
		if !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.Before(b.UpdatedAt)
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.MISID < b.MISID
	})
	page := mis.ChangePage{Changes: []mis.MISAppointment{}, More: len(changed) > limit}
	if page.More {
		changed = changed[:limit]
	}
	for _, a := range changed {
		if a.Version == "deleted" {
			delete(next.Seen, a.MISID)
		} else {
			next.Seen[a.MISID] = seen{FP: fingerprint(a), Start: a.Start.Unix() / 60}
		}
		page.Changes = append(page.Changes, a)
	}
	page.Next = encodeCursor(next)
	return page, nil
}
