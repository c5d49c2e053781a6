package match

import (
	"slices"
	"testing"
)

// Made-up people of a made-up Yekaterinburg clinic.
var (
	mother   = Candidate{ID: "p-mother", Family: "Иванова", Given: "Мария", Middle: "Петровна", BirthDate: "1985-03-14", Phones: []string{"+79122223344"}}
	daughter = Candidate{ID: "p-daughter", Family: "Иванова", Given: "Алёна", Middle: "Сергеевна", BirthDate: "2012-09-01", Phones: []string{"+79122223344"}}
	son      = Candidate{ID: "p-son", Family: "Иванов", Given: "Артём", Middle: "Сергеевич", BirthDate: "2015-06-30", Phones: []string{"8 (912) 222-33-44"}}
	namesake = Candidate{ID: "p-namesake", Family: "Иванова", Given: "Мария", Middle: "Петровна", BirthDate: "1961-11-02", Phones: []string{"+73432001020"}}
	fyodorov = Candidate{ID: "p-fyodorov", Family: "Фёдоров", Given: "Семён", Middle: "Алексеевич", BirthDate: "1979-01-20", Phones: []string{"+79045556677"}}
	double   = Candidate{ID: "p-double", Family: "Римская-Корсакова", Given: "Ольга", BirthDate: "1990-07-07", Phones: []string{"+79501112233"}}
	noMiddle = Candidate{ID: "p-nomiddle", Family: "Ким", Given: "Виктория", BirthDate: "1999-12-31", Phones: []string{"+79030001122"}}
)

func TestRankRealLifeCases(t *testing.T) {
	type want struct {
		id        string
		confident bool     // at or above Confident
		min, max  float64  // confidence bounds (inclusive)
		reasons   []string // must all be present
		absent    []string // must not be present
	}
	for _, c := range []struct {
		name    string
		contact Contact
		cands   []Candidate
		want    []want // in rank order; only these are checked
	}{
		{
			name:    "family phone: the mother calls, no birth date given",
			contact: Contact{Name: "Иванова Мария", Phones: []string{"+7 912 222-33-44"}},
			cands:   []Candidate{son, daughter, mother},
			want: []want{
				{id: "p-mother", min: 0.7, max: 0.8, reasons: []string{ReasonPhone, ReasonFamily, ReasonGiven}},
				{id: "p-daughter", max: 0.4, reasons: []string{ReasonPhone, ReasonFamily, ReasonGivenDiffers}},
				{id: "p-son", max: 0.4, reasons: []string{ReasonPhone, ReasonFamilySimilar, ReasonGivenDiffers}},
			},
		},
		{
			name:    "family phone: the mother with her birth date is the one",
			contact: Contact{Name: "Мария Иванова", BirthDate: "1985-03-14", Phones: []string{"89122223344"}},
			cands:   []Candidate{daughter, mother, son},
			want: []want{
				{id: "p-mother", confident: true, reasons: []string{ReasonPhone, ReasonFamily, ReasonGiven, ReasonBirthDate}},
				{id: "p-daughter", max: 0.4, reasons: []string{ReasonBirthDateDiffers}},
				{id: "p-son", max: 0.4, reasons: []string{ReasonBirthDateDiffers}},
			},
		},
		{
			name:    "family phone: the child's full name and birth date, typed by the mother",
			contact: Contact{Name: "Иванов Артем Сергеевич", BirthDate: "2015-06-30", Phones: []string{"+79122223344"}},
			cands:   []Candidate{mother, son, daughter},
			want: []want{
				{id: "p-son", confident: true, reasons: []string{ReasonPhone, ReasonFamily, ReasonGiven, ReasonMiddle, ReasonBirthDate}},
			},
		},
		{
			name:    "typo in the family name, with phone and birth date",
			contact: Contact{Name: "Иваонва Мария Петровна", BirthDate: "1985-03-14", Phones: []string{"+79122223344"}},
			cands:   []Candidate{mother},
			want:    []want{{id: "p-mother", confident: true, reasons: []string{ReasonFamilySimilar, ReasonGiven, ReasonMiddle, ReasonBirthDate}}},
		},
		{
			name:    "typo in the family name without the phone asks for confirmation",
			contact: Contact{Name: "Федоорв Семен Алексеевич", BirthDate: "1979-01-20"},
			cands:   []Candidate{fyodorov},
			want:    []want{{id: "p-fyodorov", min: 0.75, reasons: []string{ReasonFamilySimilar, ReasonGiven, ReasonMiddle, ReasonBirthDate}, absent: []string{ReasonPhone}}},
		},
		{
			name:    "changed phone: full name and birth date still identify the patient",
			contact: Contact{Name: "Фёдоров Семён Алексеевич", BirthDate: "1979-01-20", Phones: []string{"+79990001122"}},
			cands:   []Candidate{fyodorov},
			want:    []want{{id: "p-fyodorov", confident: true, reasons: []string{ReasonFamily, ReasonGiven, ReasonMiddle, ReasonBirthDate}, absent: []string{ReasonPhone}}},
		},
		{
			name:    "changed phone without the patronymic: a strong candidate to confirm",
			contact: Contact{Family: "Федоров", Given: "Семен", BirthDate: "1979-01-20", Phones: []string{"+79990001122"}},
			cands:   []Candidate{fyodorov},
			want:    []want{{id: "p-fyodorov", min: 0.75, max: 0.85}},
		},
		{
			name:    "patronymic absent in the contact is no evidence against",
			contact: Contact{Name: "Иванова Мария", BirthDate: "1985-03-14", Phones: []string{"+79122223344"}},
			cands:   []Candidate{mother},
			want:    []want{{id: "p-mother", confident: true, absent: []string{ReasonMiddleDiffers}}},
		},
		{
			name:    "patronymic absent in the MIS is no evidence against",
			contact: Contact{Name: "Ким Виктория Александровна", BirthDate: "1999-12-31"},
			cands:   []Candidate{noMiddle},
			want:    []want{{id: "p-nomiddle", min: 0.8, absent: []string{ReasonMiddleDiffers}}},
		},
		{
			name:    "another patronymic counts against",
			contact: Contact{Name: "Иванова Мария Павловна", Phones: []string{"+79122223344"}},
			cands:   []Candidate{mother},
			want:    []want{{id: "p-mother", max: 0.65, reasons: []string{ReasonMiddleDiffers}}},
		},
		{
			name:    "Ё and Е, case and spaces are the same letters",
			contact: Contact{Name: "  ФЕДОРОВ   семен алексеевич ", BirthDate: "1979-01-20", Phones: []string{"+79045556677"}},
			cands:   []Candidate{fyodorov},
			want:    []want{{id: "p-fyodorov", confident: true, min: 1, reasons: []string{ReasonFamily, ReasonGiven, ReasonMiddle}}},
		},
		{
			name:    "same name, different birth date must not match highly, even on the same phone",
			contact: Contact{Name: "Иванова Мария Петровна", BirthDate: "1985-03-14", Phones: []string{"+73432001020"}},
			cands:   []Candidate{namesake, mother},
			want: []want{
				{id: "p-mother", confident: true},
				{id: "p-namesake", max: 0.4, reasons: []string{ReasonBirthDateDiffers}},
			},
		},
		{
			name:    "a double family name typed with spaces or in part",
			contact: Contact{Name: "Римская - Корсакова Ольга", BirthDate: "1990-07-07"},
			cands:   []Candidate{double},
			want:    []want{{id: "p-double", min: 0.8, reasons: []string{ReasonFamily, ReasonGiven, ReasonBirthDate}}},
		},
		{
			name:    "one part of a double family name is similar",
			contact: Contact{Name: "Ольга Корсакова", Phones: []string{"+79501112233"}},
			cands:   []Candidate{double},
			want:    []want{{id: "p-double", min: 0.6, max: 0.7, reasons: []string{ReasonPhone, ReasonFamilySimilar, ReasonGiven}}},
		},
		{
			name:    "short names get no typo tolerance",
			contact: Contact{Name: "Кин Виктория", BirthDate: "1999-12-31"},
			cands:   []Candidate{noMiddle},
			want:    []want{{id: "p-nomiddle", max: 0.6, absent: []string{ReasonFamily, ReasonFamilySimilar}}},
		},
		{
			name:    "a web form's given name only",
			contact: Contact{Name: "Мария", Phones: []string{"+79122223344"}},
			cands:   []Candidate{mother, daughter},
			want: []want{
				{id: "p-mother", min: 0.5, max: 0.5},
				{id: "p-daughter", max: 0.1, reasons: []string{ReasonGivenDiffers}},
			},
		},
		{
			name:    "a stranger scores nothing",
			contact: Contact{Name: "Петров Игорь", Phones: []string{"+79220000000"}, BirthDate: "2001-01-01"},
			cands:   []Candidate{mother},
			want:    []want{{id: "p-mother", max: 0.1}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Rank(c.contact, c.cands)
			if len(got) < len(c.want) {
				t.Fatalf("%d results, want at least %d", len(got), len(c.want))
			}
			for i, w := range c.want {
				g := got[i]
				if g.ID != w.id {
					t.Fatalf("rank %d is %s (%.2f %v), want %s", i, g.ID, g.Confidence, g.Reasons, w.id)
				}
				if conf := g.Confidence >= Confident; conf != w.confident {
					t.Errorf("%s: confidence %.2f %v, confident=%v wanted", g.ID, g.Confidence, g.Reasons, w.confident)
				}
				hi := w.max
				if hi == 0 {
					hi = 1
				}
				if g.Confidence < w.min || g.Confidence > hi {
					t.Errorf("%s: confidence %.2f %v, want %.2f..%.2f", g.ID, g.Confidence, g.Reasons, w.min, hi)
				}
				for _, r := range w.reasons {
					if !slices.Contains(g.Reasons, r) {
						t.Errorf("%s: reasons %v lack %s", g.ID, g.Reasons, r)
					}
				}
				for _, r := range w.absent {
					if slices.Contains(g.Reasons, r) {
						t.Errorf("%s: reasons %v have %s", g.ID, g.Reasons, r)
					}
				}
			}
		})
	}
}

func TestWithinOneEdit(t *testing.T) {
	for i, c := range []struct {
		a, b string
		want bool
	}{
		{"иванова", "иванова", true},
		{"иванова", "иваонва", true},   // swap
		{"иванова", "ивановa", true},   // one substitution (Latin a)
		{"иванова", "ивнова", true},    // deletion
		{"иванова", "иванновa", false}, // two edits
		{"иванова", "иваанова", true},  // insertion
		{"иванов", "иванова", true},
		{"иванова", "аванови", false},
		{"ab", "ba", true},
		{"abc", "cab", false},
	} {
		if got := withinOneEdit([]rune(c.a), []rune(c.b)); got != c.want {
			t.Errorf("case %d: withinOneEdit = %v, want %v", i, got, c.want)
		}
	}
}

func TestRankIsStableAndDeduplicated(t *testing.T) {
	got := Rank(Contact{Name: "Никто"}, []Candidate{{ID: "b"}, {ID: "a"}, {ID: "b"}})
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" || got[0].Confidence != 0 {
		t.Fatalf("%+v", got)
	}
	if Normalize("Алёна-Мария ") != "аленамария" {
		t.Fatal("normalize")
	}
}
