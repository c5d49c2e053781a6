// Package match ranks the MIS's patients as candidates for an Okno contact:
// who, of the people the clinic knows, is the person who wrote or called?
// It is pure (no I/O) so that the rules can be read and table-tested.
//
// A contact is what the contact center knows (a name typed by the patient or
// an operator, phones, maybe a birth date); a candidate is a patient record
// of the MIS. Each piece of evidence adds to a confidence from 0 to 1:
//
//	phone equal (E.164)               0.30
//	family name equal / similar       0.25 / 0.15
//	given name equal / similar        0.20 / 0.12
//	patronymic equal / similar        0.10 / 0.06
//	birth date equal                  0.35
//
// and contradictions take away: a different given name −0.20, a different
// patronymic −0.15, a different family name −0.10 (families share phones, not
// names), and a different birth date caps the whole at 0.40 — a namesake on
// the same phone is a relative, not the patient. Absent data (no patronymic,
// no birth date on one side) is neither for nor against.
//
// So the classic Russian identification, full name and birth date (ФИО + дата
// рождения), reaches Confident on its own, as does a phone with family, given
// name and birth date; a phone with a name but no birth date does not (a
// mother and her daughter share both the phone and often the name). Linking is
// always a person's explicit decision: Confident only lets the UI pre-select.
//
// Names are compared after normalization: case, Ё→Е, surrounding and
// repeated spaces, hyphens (Римская-Корсакова = Римская Корсакова), and with
// a tolerance of one edit (insertion, deletion, substitution or swap of
// neighbours: the optimal-string-alignment Damerau–Levenshtein distance) for
// names of five letters or more. A family name that is one part of the other's
// double name is similar. No transliteration: both sides are Cyrillic in a
// Russian clinic, and guessing Latin spellings would add false matches.
package match

import (
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/okno-crm/okno/internal/phone"
)

// Confident is the confidence from which the UI may pre-select a candidate.
// Below it the operator confirms a candidate by choosing it.
const Confident = 0.9

// Evidence weights (see the package comment).
const (
	wPhone        = 0.30
	wFamily       = 0.25
	wFamilyTypo   = 0.15
	wGiven        = 0.20
	wGivenTypo    = 0.12
	wMiddle       = 0.10
	wMiddleTypo   = 0.06
	wBirthDate    = 0.35
	penGiven      = 0.20
	penMiddle     = 0.15
	penFamily     = 0.10
	capBirthDiffs = 0.40
	typoMinLen    = 5
)

// Reasons name the evidence behind a confidence.
const (
	ReasonPhone            = "phone"
	ReasonFamily           = "family"
	ReasonFamilySimilar    = "family_similar"
	ReasonGiven            = "given"
	ReasonGivenSimilar     = "given_similar"
	ReasonMiddle           = "middle"
	ReasonMiddleSimilar    = "middle_similar"
	ReasonBirthDate        = "birth_date"
	ReasonFamilyDiffers    = "family_differs"
	ReasonGivenDiffers     = "given_differs"
	ReasonMiddleDiffers    = "middle_differs"
	ReasonBirthDateDiffers = "birth_date_differs"
)

// Contact is the person to find. Name is the name as typed, in any order
// ("Иванова Мария Петровна", "Мария"); Family, Given and Middle, when the
// parts are known separately, take precedence over Name. BirthDate is
// YYYY-MM-DD or empty; phones are in any form a Russian number is written.
type Contact struct {
	Name                  string
	Family, Given, Middle string
	BirthDate             string
	Phones                []string
}

// Candidate is a patient of the MIS.
type Candidate struct {
	ID                    string
	Family, Given, Middle string
	BirthDate             string
	Phones                []string
}

// Result is a candidate's confidence (0..1, two decimals) and its reasons.
type Result struct {
	ID         string
	Confidence float64
	Reasons    []string
}

// Rank scores every candidate and sorts them best first (ties by id, so the
// order is stable). Duplicated ids are scored once.
func Rank(c Contact, cands []Candidate) []Result {
	prepared := prepare(c)
	seen := map[string]bool{}
	out := make([]Result, 0, len(cands))
	for _, cand := range cands {
		if seen[cand.ID] {
			continue
		}
		seen[cand.ID] = true
		out = append(out, prepared.score(cand))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Confidence != out[j].Confidence {
			return out[i].Confidence > out[j].Confidence
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Score scores one candidate.
func Score(c Contact, cand Candidate) Result { return prepare(c).score(cand) }

// Name parts.
const (
	partAny = iota
	partFamily
	partGiven
	partMiddle
)

type token struct {
	text string // normalized, hyphens and spaces removed
	// parts of a double name ("римская", "корсакова"), for partial family matches
	pieces []string
	part   int
}

type prepared struct {
	tokens []token
	birth  string
	phones map[string]bool
}

func prepare(c Contact) prepared {
	p := prepared{birth: strings.TrimSpace(c.BirthDate), phones: map[string]bool{}}
	if c.Family != "" || c.Given != "" || c.Middle != "" {
		for _, f := range []struct {
			s    string
			part int
		}{{c.Family, partFamily}, {c.Given, partGiven}, {c.Middle, partMiddle}} {
			if t, ok := newToken(f.s, f.part); ok {
				p.tokens = append(p.tokens, t)
			}
		}
	} else {
		for _, w := range splitName(c.Name) {
			if t, ok := newToken(w, partAny); ok {
				p.tokens = append(p.tokens, t)
			}
		}
	}
	for _, ph := range c.Phones {
		if n, err := phone.Normalize(ph); err == nil {
			p.phones[n] = true
		}
	}
	return p
}

// splitName cuts a typed full name into words, keeping a hyphenated double
// name together even when typed with spaces around the hyphen.
func splitName(s string) []string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " - ", "-")
	s = strings.ReplaceAll(s, " -", "-")
	s = strings.ReplaceAll(s, "- ", "-")
	return strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' })
}

// Normalize is how a name is compared: lower case, Ё as Е, letters only
// (hyphens, spaces, dots and apostrophes dropped).
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == 'ё':
			b.WriteRune('е')
		case unicode.IsLetter(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func newToken(s string, part int) (token, bool) {
	t := token{text: Normalize(s), part: part}
	if t.text == "" {
		return t, false
	}
	for _, piece := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || unicode.IsSpace(r) }) {
		if n := Normalize(piece); n != "" {
			t.pieces = append(t.pieces, n)
		}
	}
	return t, true
}

// Match grades of two names.
const (
	noMatch = iota
	similar
	equal
)

func compare(a, b token) int {
	if a.text == b.text {
		return equal
	}
	ra, rb := []rune(a.text), []rune(b.text)
	if len(ra) >= typoMinLen && len(rb) >= typoMinLen && withinOneEdit(ra, rb) {
		return similar
	}
	// One part of a double name: "Петрова" for "Петрова-Водкина".
	if len(a.pieces) > 1 || len(b.pieces) > 1 {
		for _, pa := range a.pieces {
			for _, pb := range b.pieces {
				if pa == pb && len([]rune(pa)) >= 3 {
					return similar
				}
			}
		}
	}
	return noMatch
}

// withinOneEdit reports whether a and b are at most one insertion, deletion,
// substitution or adjacent swap apart.
func withinOneEdit(a, b []rune) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	switch len(a) - len(b) {
	case 0:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		if i == len(a) {
			return true
		}
		if equalRunes(a[i+1:], b[i+1:]) {
			return true // substitution
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && equalRunes(a[i+2:], b[i+2:]) // swap
	case 1:
		i := 0
		for i < len(b) && a[i] == b[i] {
			i++
		}
		return equalRunes(a[i+1:], b[i:])
	}
	return false
}

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// looksPatronymic tells a typed word that is most likely an отчество, so
// that an unmatched one counts against a candidate with another patronymic.
func looksPatronymic(t token) bool {
	for _, suffix := range []string{"вич", "вна", "ична", "инична", "оглы", "кызы"} {
		if strings.HasSuffix(t.text, suffix) {
			return true
		}
	}
	return false
}

func (p prepared) score(c Candidate) Result {
	r := Result{ID: c.ID, Reasons: []string{}}
	score := 0.0
	for _, ph := range c.Phones {
		n, err := phone.Normalize(ph)
		if err == nil && p.phones[n] {
			score += wPhone
			r.Reasons = append(r.Reasons, ReasonPhone)
			break
		}
	}
	used := make([]bool, len(p.tokens))
	type part struct {
		kind                            int
		value                           string
		wEqual, wSimilar, penalty       float64
		reasonEq, reasonSim, reasonDiff string
	}
	parts := []part{
		{partFamily, c.Family, wFamily, wFamilyTypo, penFamily, ReasonFamily, ReasonFamilySimilar, ReasonFamilyDiffers},
		{partGiven, c.Given, wGiven, wGivenTypo, penGiven, ReasonGiven, ReasonGivenSimilar, ReasonGivenDiffers},
		{partMiddle, c.Middle, wMiddle, wMiddleTypo, penMiddle, ReasonMiddle, ReasonMiddleSimilar, ReasonMiddleDiffers},
	}
	unmatched := make([]bool, len(parts))
	for pi, pt := range parts {
		ct, ok := newToken(pt.value, pt.kind)
		if !ok {
			continue
		}
		best, bestAt := noMatch, -1
		for i, t := range p.tokens {
			if used[i] || (t.part != partAny && t.part != pt.kind) {
				continue
			}
			if g := compare(t, ct); g > best {
				best, bestAt = g, i
			}
		}
		switch best {
		case equal:
			used[bestAt] = true
			score += pt.wEqual
			r.Reasons = append(r.Reasons, pt.reasonEq)
		case similar:
			used[bestAt] = true
			score += pt.wSimilar
			r.Reasons = append(r.Reasons, pt.reasonSim)
		default:
			unmatched[pi] = true
		}
	}
	// A patient's name part left unmatched contradicts the contact only when
	// the contact has a word left that plays that part.
	for pi, pt := range parts {
		if !unmatched[pi] {
			continue
		}
		for i, t := range p.tokens {
			if used[i] {
				continue
			}
			plays := t.part == pt.kind
			if t.part == partAny {
				switch pt.kind {
				case partMiddle:
					plays = looksPatronymic(t)
				case partGiven:
					plays = !looksPatronymic(t)
				case partFamily:
					plays = false // a lone unknown word is more likely a given name
				}
			}
			if plays {
				used[i] = true
				score -= pt.penalty
				r.Reasons = append(r.Reasons, pt.reasonDiff)
				break
			}
		}
	}
	if p.birth != "" && c.BirthDate != "" {
		if p.birth == c.BirthDate {
			score += wBirthDate
			r.Reasons = append(r.Reasons, ReasonBirthDate)
		} else {
			score = math.Min(score, capBirthDiffs)
			r.Reasons = append(r.Reasons, ReasonBirthDateDiffers)
		}
	}
	score = math.Max(0, math.Min(1, score))
	r.Confidence = math.Round(score*100) / 100
	return r
}
