package mis

import (
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/phone"
	"github.com/okno-crm/okno/internal/problem"
)

// Patient search limits.
const (
	defaultPatientLimit = 20
	maxPatientLimit     = 100
)

// FindPatients searches Patients by phone, identifier, family and given
// name and birth date (the set ones ANDed), following pages up to the limit.
//
// FHIR's phone parameter is a token: it matches the text the MIS stored, not
// the number. The E.164 form Okno uses is sent together with the digit-only
// and domestic (8…) forms of a Russian number, the forms Russian MIS keep
// phones in most; each patient found must then have the number, read as
// E.164, or the answer is not trusted.
func (c *FHIRClient) FindPatients(ctx context.Context, q PatientQuery) ([]Patient, error) {
	v := url.Values{}
	var wantPhone string
	if q.Phone != "" {
		e164, err := phone.Normalize(q.Phone)
		if err != nil {
			return nil, problem.Field("phone", "is not a phone number")
		}
		wantPhone = e164
		v.Set("phone", strings.Join(phoneForms(e164), ","))
	}
	if q.Identifier.Value != "" {
		tok := tokenEscape(q.Identifier.Value)
		if q.Identifier.System != "" {
			tok = tokenEscape(q.Identifier.System) + "|" + tok
		}
		v.Set("identifier", tok)
	} else if q.Identifier.System != "" {
		return nil, problem.Field("identifier.value", "is required with a system")
	}
	if f := strings.TrimSpace(q.Family); f != "" {
		v.Set("family", f)
	}
	if g := strings.TrimSpace(q.Given); g != "" {
		v.Set("given", g)
	}
	if q.BirthDate != "" {
		if _, err := time.Parse(time.DateOnly, q.BirthDate); err != nil {
			return nil, problem.Field("birth_date", "must be YYYY-MM-DD")
		}
		v.Set("birthdate", q.BirthDate)
	}
	if len(v) == 0 {
		return nil, problem.New(problem.Invalid, "give a phone, an identifier, a name or a birth date to search by")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultPatientLimit
	}
	limit = min(limit, maxPatientLimit)
	v.Set("_count", strconv.Itoa(min(limit, c.refPage)))
	out := []Patient{}
	err := c.search(ctx, "Patient", v, limit, func(raw json.RawMessage) error {
		fp, err := decodeEntry(raw, &fhir.Patient{})
		if err != nil {
			return err
		}
		p, err := patientFrom(fp)
		if err != nil {
			return err
		}
		if wantPhone != "" && !slices.Contains(p.Phones, wantPhone) {
			return badAnswer("Patient/%s found by a phone it does not have", p.ID)
		}
		if q.Identifier.Value != "" && !slices.ContainsFunc(p.Identifiers, func(id Identifier) bool {
			return id.Value == q.Identifier.Value && (q.Identifier.System == "" || id.System == q.Identifier.System)
		}) {
			return badAnswer("Patient/%s found by an identifier it does not have", p.ID)
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// phoneForms are the texts an MIS may keep an E.164 number as.
func phoneForms(e164 string) []string {
	forms := []string{e164, strings.TrimPrefix(e164, "+")}
	if national, ok := strings.CutPrefix(e164, "+7"); ok && len(national) == 10 {
		forms = append(forms, "8"+national)
	}
	return forms
}

// Patient reads one Patient.
func (c *FHIRClient) Patient(ctx context.Context, id string) (Patient, error) {
	if !validID(id) {
		return Patient{}, ErrNotFound
	}
	var fp fhir.Patient
	_, err := c.do(ctx, http.MethodGet, c.base+"/Patient/"+url.PathEscape(id), nil, nil, &fp)
	switch st := statusOf(err); {
	case st == http.StatusNotFound || st == http.StatusGone:
		return Patient{}, ErrNotFound
	case st != 0:
		return Patient{}, badAnswer("Patient read: status %d", st)
	case err != nil:
		return Patient{}, err
	}
	if fp.ID != id {
		return Patient{}, badAnswer("Patient/%s answered as %q", id, fp.ID)
	}
	return patientFrom(&fp)
}

// CreatePatient registers a patient for an Okno contact: a conditional
// create (If-None-Exist) on the contact's identifier, so that a retry, or two
// operators at once, never make two. When the contact already has a patient
// in the MIS — created earlier, perhaps by a booking without a patient — that
// one is returned as the MIS has it.
func (c *FHIRClient) CreatePatient(ctx context.Context, np NewPatient) (Patient, error) {
	var fields []problem.FieldError
	bad := func(field, msg string) { fields = append(fields, problem.FieldError{Field: field, Message: msg}) }
	np.Family, np.Given, np.Middle = strings.TrimSpace(np.Family), strings.TrimSpace(np.Given), strings.TrimSpace(np.Middle)
	if np.ContactID == "" {
		bad("contact_id", "is required")
	}
	if np.Family == "" {
		bad("family", "is required")
	}
	if np.Given == "" {
		bad("given", "is required")
	}
	if np.BirthDate != "" {
		if d, err := time.Parse(time.DateOnly, np.BirthDate); err != nil || d.After(c.now()) {
			bad("birth_date", "must be a past date, YYYY-MM-DD")
		}
	}
	var e164 string
	if np.Phone != "" {
		var err error
		if e164, err = phone.Normalize(np.Phone); err != nil {
			bad("phone", "is not a phone number")
		}
	}
	if np.Email != "" {
		if a, err := mail.ParseAddress(np.Email); err != nil || a.Address != np.Email {
			bad("email", "is not an e-mail address")
		}
	}
	if len(fields) > 0 {
		return Patient{}, problem.Fields(fields)
	}
	name := fhir.HumanName{Use: "official", Family: np.Family, Given: []string{np.Given}}
	if np.Middle != "" {
		name.Given = append(name.Given, np.Middle)
	}
	name.Text = strings.Join(append([]string{np.Family}, name.Given...), " ")
	fp := fhir.Patient{
		Identifier: []fhir.Identifier{{Use: "secondary", System: ContactIdentifierSystem, Value: np.ContactID}},
		Active:     fhir.Bool(true),
		Name:       []fhir.HumanName{name},
		BirthDate:  np.BirthDate,
	}
	if e164 != "" {
		fp.Telecom = append(fp.Telecom, fhir.ContactPoint{System: "phone", Value: e164, Use: "mobile"})
	}
	if np.Email != "" {
		fp.Telecom = append(fp.Telecom, fhir.ContactPoint{System: "email", Value: np.Email})
	}
	got, err := c.createPatient(ctx, fp, np.ContactID)
	if err != nil {
		return Patient{}, err
	}
	return patientFrom(got)
}

// createPatient is the conditional create on the contact identifier.
func (c *FHIRClient) createPatient(ctx context.Context, p fhir.Patient, contactID string) (*fhir.Patient, error) {
	h := http.Header{"If-None-Exist": {"identifier=" + url.QueryEscape(tokenEscape(ContactIdentifierSystem)+"|"+tokenEscape(contactID))}}
	var got fhir.Patient
	_, err := c.do(ctx, http.MethodPost, c.base+"/Patient", h, p, &got)
	switch st := statusOf(err); {
	case st == http.StatusPreconditionFailed:
		return nil, &problem.Error{Code: problem.Conflict, Message: "the MIS has several patients for this contact; link one by hand", Err: err}
	case st != 0:
		return nil, badAnswer("Patient create: status %d", st)
	case err != nil:
		return nil, err
	}
	if got.ID == "" {
		return nil, badAnswer("Patient created without an id")
	}
	if !slices.ContainsFunc(got.Identifier, func(id fhir.Identifier) bool {
		return id.System == ContactIdentifierSystem && id.Value == contactID
	}) {
		return nil, badAnswer("Patient/%s answered for the contact lacks its identifier", got.ID)
	}
	return &got, nil
}

// patientFrom maps a FHIR Patient. The name is the official one (else the
// usual one, else the first current one): family, the first given name, and
// the further given names as the patronymic, the way Russian MIS and the
// Russian FHIR profiles fill HumanName. A name with only text is read in
// Russian order: family, given, patronymic.
func patientFrom(fp *fhir.Patient) (Patient, error) {
	p := Patient{ID: fp.ID, Gender: fp.Gender, Phones: []string{}, Emails: []string{}, Identifiers: []Identifier{}}
	if fp.ID == "" {
		return Patient{}, badAnswer("Patient without an id")
	}
	if n, ok := pickName(fp.Name); ok {
		p.Family = n.Family
		if len(n.Given) > 0 {
			p.Given = n.Given[0]
			p.Middle = strings.Join(n.Given[1:], " ")
		}
		if p.Family == "" && p.Given == "" {
			words := strings.Fields(n.Text)
			if len(words) > 0 {
				p.Family = words[0]
			}
			if len(words) > 1 {
				p.Given = words[1]
			}
			if len(words) > 2 {
				p.Middle = strings.Join(words[2:], " ")
			}
		}
	}
	switch len(fp.BirthDate) {
	case 0:
	case len(time.DateOnly):
		if _, err := time.Parse(time.DateOnly, fp.BirthDate); err != nil {
			return Patient{}, badAnswer("Patient/%s has a bad birth date", fp.ID)
		}
		p.BirthDate = fp.BirthDate
	default:
		// FHIR allows a year or a month alone; Okno's birth date is a day.
		if _, _, err := fhir.ParseDateTime(fp.BirthDate, time.UTC); err != nil {
			return Patient{}, badAnswer("Patient/%s has a bad birth date", fp.ID)
		}
	}
	for _, t := range fp.Telecom {
		if t.Value == "" || t.Use == "old" {
			continue
		}
		switch t.System {
		case "phone", "sms":
			v := t.Value
			if e164, err := phone.Normalize(v); err == nil {
				v = e164
			}
			if !slices.Contains(p.Phones, v) {
				p.Phones = append(p.Phones, v)
			}
		case "email":
			if !slices.Contains(p.Emails, t.Value) {
				p.Emails = append(p.Emails, t.Value)
			}
		}
	}
	for _, id := range fp.Identifier {
		if id.Value != "" {
			p.Identifiers = append(p.Identifiers, Identifier{System: id.System, Value: id.Value})
		}
	}
	return p, nil
}

func pickName(names []fhir.HumanName) (fhir.HumanName, bool) {
	for _, use := range []string{"official", "usual"} {
		for _, n := range names {
			if n.Use == use {
				return n, true
			}
		}
	}
	for _, n := range names {
		if n.Use != "old" && n.Use != "maiden" {
			return n, true
		}
	}
	return fhir.HumanName{}, false
}
