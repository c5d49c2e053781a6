package mis

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/okno-crm/okno/internal/mis/demofhir"
	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/problem"
)

// fieldsOf are the fields a problem names.
func fieldsOf(err error) []string {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return nil
	}
	var out []string
	for _, f := range pe.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestFHIRFindPatients(t *testing.T) {
	p := newDemoPeer(t)
	ctx := context.Background()
	// The demo clinic's 11th patient is a child sharing the 10th's phone.
	parent, err := p.client.Patient(ctx, "pat-010")
	if err != nil {
		t.Fatal(err)
	}
	if len(parent.Phones) != 1 || !strings.HasPrefix(parent.Phones[0], "+7") || parent.Family == "" || parent.Given == "" ||
		!(strings.HasSuffix(parent.Middle, "ич") || strings.HasSuffix(parent.Middle, "на")) || len(parent.BirthDate) != 10 {
		t.Fatal("pat-010 is not mapped with an E.164 phone, family, given name, patronymic and birth date")
	}
	// Typed the way an operator would: the adapter sends E.164 and the MIS's usual forms.
	national := strings.TrimPrefix(parent.Phones[0], "+7")
	family, err := p.client.FindPatients(ctx, PatientQuery{Phone: "8 (" + national[:3] + ") " + national[3:]})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, x := range family {
		ids = append(ids, x.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"pat-010", "pat-011"}) {
		t.Fatalf("by a shared phone: %v, want pat-010 and pat-011", ids)
	}
	mrn := parent.Identifiers[slices.IndexFunc(parent.Identifiers, func(id Identifier) bool { return id.System == demofhir.MRNSystem })]
	byMRN, err := p.client.FindPatients(ctx, PatientQuery{Identifier: mrn})
	if err != nil || len(byMRN) != 1 || byMRN[0].ID != "pat-010" {
		t.Fatalf("by the record number: %d found, %v", len(byMRN), err)
	}
	byName, err := p.client.FindPatients(ctx, PatientQuery{Family: parent.Family, Given: parent.Given, BirthDate: parent.BirthDate})
	if err != nil || !slices.ContainsFunc(byName, func(x Patient) bool { return x.ID == "pat-010" }) {
		t.Fatalf("by name and birth date: pat-010 not among %d, %v", len(byName), err)
	}
	limited, err := p.client.FindPatients(ctx, PatientQuery{Given: "А", Limit: 3})
	if err != nil || len(limited) != 3 {
		t.Fatalf("limit 3: %d, %v", len(limited), err)
	}

	for _, c := range []struct {
		name  string
		q     PatientQuery
		field string
	}{
		{"nothing to search by", PatientQuery{}, ""},
		{"not a phone", PatientQuery{Phone: "12"}, "phone"},
		{"a partial birth date", PatientQuery{BirthDate: "1980"}, "birth_date"},
		{"a system without a value", PatientQuery{Identifier: Identifier{System: demofhir.MRNSystem}}, "identifier.value"},
	} {
		_, err := p.client.FindPatients(ctx, c.q)
		if problem.CodeOf(err) != problem.Invalid || (c.field != "" && !slices.Contains(fieldsOf(err), c.field)) {
			t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
		}
	}
	if _, err := p.client.Patient(ctx, "pat-999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown patient: %v", err)
	}
	if _, err := p.client.Patient(ctx, "../Slot/slot-00001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an id that is no FHIR id: %v", err)
	}
}

func TestFHIRCreatePatient(t *testing.T) {
	p := newDemoPeer(t)
	ctx := context.Background()
	np := NewPatient{ContactID: "0193a000-0000-7000-8000-00000000c001", Family: " Кузнецова ", Given: "Мария", Middle: "Ивановна",
		BirthDate: "1990-02-03", Phone: "+7 912 000-11-22", Email: "m.k@example.org"}
	got, err := p.client.CreatePatient(ctx, np)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == "" || got.Family != "Кузнецова" || got.Given != "Мария" || got.Middle != "Ивановна" || got.BirthDate != "1990-02-03" ||
		!slices.Equal(got.Phones, []string{"+79120001122"}) || !slices.Equal(got.Emails, []string{"m.k@example.org"}) ||
		!slices.Contains(got.Identifiers, Identifier{System: ContactIdentifierSystem, Value: np.ContactID}) {
		t.Fatal("the created patient is not mapped back as registered")
	}
	again, err := p.client.CreatePatient(ctx, np)
	if err != nil || again.ID != got.ID {
		t.Fatalf("registering twice: %s then %s (%v), want one patient", got.ID, again.ID, err)
	}
	found, err := p.client.FindPatients(ctx, PatientQuery{Phone: "89120001122"})
	if err != nil || len(found) != 1 || found[0].ID != got.ID {
		t.Fatalf("the registered patient by phone: %d found, %v", len(found), err)
	}
	// A booking for a contact that is already registered books that patient.
	free, err := p.client.FreeSlots(ctx, SlotQuery{From: demoStart, To: demoStart.AddDate(0, 0, 14), Limit: 1})
	if err != nil || len(free) != 1 {
		t.Fatalf("%v %v", free, err)
	}
	b, err := p.client.Book(ctx, Booking{SlotID: free[0].ID, ContactID: np.ContactID})
	if err != nil {
		t.Fatal(err)
	}
	appts, err := p.client.PatientAppointments(ctx, got.ID, demoStart, demoStart.AddDate(0, 0, 14))
	if err != nil || len(appts) != 1 || appts[0].MISID != b.MISID {
		t.Fatalf("the contact's booking is not the registered patient's: %d, %v", len(appts), err)
	}

	for _, c := range []struct {
		name   string
		np     NewPatient
		fields []string
	}{
		{"empty", NewPatient{}, []string{"contact_id", "family", "given"}},
		{"bad phone", NewPatient{ContactID: "c", Family: "А", Given: "Б", Phone: "123"}, []string{"phone"}},
		{"future birth", NewPatient{ContactID: "c", Family: "А", Given: "Б", BirthDate: "2999-01-01"}, []string{"birth_date"}},
		{"bad birth", NewPatient{ContactID: "c", Family: "А", Given: "Б", BirthDate: "03.02.1990"}, []string{"birth_date"}},
		{"bad e-mail", NewPatient{ContactID: "c", Family: "А", Given: "Б", Email: "Мария <m@example.org>"}, []string{"email"}},
	} {
		_, err := p.client.CreatePatient(ctx, c.np)
		if problem.CodeOf(err) != problem.Invalid || !slices.Equal(fieldsOf(err), c.fields) {
			t.Errorf("%s: fields %v (%v), want %v", c.name, fieldsOf(err), err, c.fields)
		}
	}
}

func TestFHIRPatientMapping(t *testing.T) {
	cases := []struct {
		name string
		in   fhir.Patient
		want Patient
		bad  bool
	}{
		{"official name over usual and maiden; old phones out; numbers as E.164", fhir.Patient{
			Name: []fhir.HumanName{{Use: "maiden", Family: "Петрова", Given: []string{"Анна"}}, {Use: "usual", Given: []string{"Аня"}},
				{Use: "official", Family: "Сидорова", Given: []string{"Анна", "Павловна"}}},
			Telecom: []fhir.ContactPoint{{System: "phone", Value: "8 (343) 222-33-44"}, {System: "sms", Value: "+73432223344"},
				{System: "phone", Value: "+79120000000", Use: "old"}, {System: "phone", Value: "(03) 5555 6473"},
				{System: "email", Value: "a@example.org"}, {System: "phone"}},
			Identifier: []fhir.Identifier{{System: "urn:snils", Value: "112-233-445 95"}, {System: "urn:empty"}},
			BirthDate:  "1980-05-06", Gender: "female",
		}, Patient{Family: "Сидорова", Given: "Анна", Middle: "Павловна", BirthDate: "1980-05-06", Gender: "female",
			Phones: []string{"+73432223344", "(03) 5555 6473"}, Emails: []string{"a@example.org"},
			Identifiers: []Identifier{{System: "urn:snils", Value: "112-233-445 95"}}}, false},
		{"a name in text only, Russian order", fhir.Patient{Name: []fhir.HumanName{{Text: "Иванов Иван Иванович"}}},
			Patient{Family: "Иванов", Given: "Иван", Middle: "Иванович"}, false},
		{"a year of birth alone is no birth date", fhir.Patient{BirthDate: "1974"}, Patient{}, false},
		{"a birth date that is no date", fhir.Patient{BirthDate: "1974-13-45"}, Patient{}, true},
		{"no id", fhir.Patient{}, Patient{}, true},
	}
	for _, c := range cases {
		in := c.in
		if c.name != "no id" {
			in.ID = "p1"
			c.want.ID = "p1"
		}
		got, err := patientFrom(&in)
		if c.bad {
			if problem.CodeOf(err) != problem.Unavailable {
				t.Errorf("%s: %v, want a bad answer", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, s := range []*[]string{&c.want.Phones, &c.want.Emails} {
			if *s == nil {
				*s = []string{}
			}
		}
		if c.want.Identifiers == nil {
			c.want.Identifiers = []Identifier{}
		}
		if got.ID != c.want.ID || got.Family != c.want.Family || got.Given != c.want.Given || got.Middle != c.want.Middle ||
			got.BirthDate != c.want.BirthDate || got.Gender != c.want.Gender || !slices.Equal(got.Phones, c.want.Phones) ||
			!slices.Equal(got.Emails, c.want.Emails) || !slices.Equal(got.Identifiers, c.want.Identifiers) {
			t.Errorf("%s: mapped differently", c.name)
		}
	}
}

// A server that answers a phone search with a patient who lacks the phone ignored the filter:
// the answer is not trusted.
func TestFHIRFindPatientsChecksTheServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"x",
			"telecom":[{"system":"phone","value":"+79990000000"}],"identifier":[{"system":"urn:a","value":"1"}]}}]}`))
	}))
	defer srv.Close()
	c, err := NewFHIRClient(FHIRConfig{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.FindPatients(ctx, PatientQuery{Phone: "+79120000000"}); problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("a patient without the phone searched: %v, want unavailable", err)
	}
	if _, err := c.FindPatients(ctx, PatientQuery{Identifier: Identifier{System: "urn:a", Value: "2"}}); problem.CodeOf(err) != problem.Unavailable {
		t.Fatalf("a patient without the identifier searched: %v, want unavailable", err)
	}
	if got, err := c.FindPatients(ctx, PatientQuery{Phone: "+79990000000"}); err != nil || len(got) != 1 {
		t.Fatalf("a matching answer: %d, %v", len(got), err)
	}
}
