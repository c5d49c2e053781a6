// Package fhir holds hand-written Go structs for the subset of HL7 FHIR R4 (4.0.1) that Okno's
// MIS integration speaks: Patient, Practitioner, PractitionerRole, Location, HealthcareService,
// Schedule, Slot, Appointment, Bundle, OperationOutcome and CapabilityStatement, with the
// datatypes they use.
//
// The JSON follows the R4 JSON representation: every resource carries "resourceType"
// (MarshalJSON fills it in when the field is empty), elements of cardinality 0..1 are omitted
// when empty, primitives of type boolean and integer that are 0..1 are pointers so that false
// and 0 survive a round trip, and date, dateTime and instant values are kept as the strings the
// peer sent (FHIR allows partial dates; use ParseDateTime to read them). Elements this package
// does not model are dropped on decode; it is a working subset, not a full FHIR library.
package fhir

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Version is the FHIR version these structs follow.
const Version = "4.0.1"

// Meta is the R4 Meta datatype.
type Meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Source      string   `json:"source,omitempty"`
	Profile     []string `json:"profile,omitempty"`
	Security    []Coding `json:"security,omitempty"`
	Tag         []Coding `json:"tag,omitempty"`
}

// Narrative is the R4 Narrative datatype (a resource's human-readable text).
type Narrative struct {
	Status string `json:"status"`
	Div    string `json:"div"`
}

// Extension is the R4 Extension datatype with the value[x] choices Okno uses.
type Extension struct {
	URL                  string           `json:"url"`
	ValueString          string           `json:"valueString,omitempty"`
	ValueCode            string           `json:"valueCode,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueInteger         *int             `json:"valueInteger,omitempty"`
	ValueDecimal         json.Number      `json:"valueDecimal,omitempty"`
	ValueMoney           *Money           `json:"valueMoney,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueCoding          *Coding          `json:"valueCoding,omitempty"`
	ValueDateTime        string           `json:"valueDateTime,omitempty"`
}

// Money is the R4 Money datatype. Value is a decimal kept as written.
type Money struct {
	Value    json.Number `json:"value,omitempty"`
	Currency string      `json:"currency,omitempty"`
}

// Coding is the R4 Coding datatype.
type Coding struct {
	System       string `json:"system,omitempty"`
	Version      string `json:"version,omitempty"`
	Code         string `json:"code,omitempty"`
	Display      string `json:"display,omitempty"`
	UserSelected *bool  `json:"userSelected,omitempty"`
}

// CodeableConcept is the R4 CodeableConcept datatype.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// HasCoding reports whether cc has a coding matching system and code; an empty system matches
// any system.
func (cc CodeableConcept) HasCoding(system, code string) bool {
	for _, c := range cc.Coding {
		if c.Code == code && (system == "" || c.System == system) {
			return true
		}
	}
	return false
}

// Period is the R4 Period datatype; start and end are dateTime strings.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Reference is the R4 Reference datatype.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Ref builds a literal relative reference "Type/id".
func Ref(resourceType, id string) Reference {
	return Reference{Reference: resourceType + "/" + id}
}

// Split returns the type and id of a literal reference, relative ("Slot/1") or absolute
// ("https://host/fhir/Slot/1", history suffixes dropped). ok is false when it has no such shape.
func (r Reference) Split() (resourceType, id string, ok bool) {
	s := r.Reference
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(strings.TrimSuffix(s, "/"), "/")
	if len(parts) < 2 {
		return "", "", false
	}
	resourceType, id = parts[len(parts)-2], parts[len(parts)-1]
	if resourceType == "" || id == "" {
		return "", "", false
	}
	return resourceType, id, true
}

// Identifier is the R4 Identifier datatype.
type Identifier struct {
	Use      string           `json:"use,omitempty"`
	Type     *CodeableConcept `json:"type,omitempty"`
	System   string           `json:"system,omitempty"`
	Value    string           `json:"value,omitempty"`
	Period   *Period          `json:"period,omitempty"`
	Assigner *Reference       `json:"assigner,omitempty"`
}

// HumanName is the R4 HumanName datatype.
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
	Prefix []string `json:"prefix,omitempty"`
	Suffix []string `json:"suffix,omitempty"`
	Period *Period  `json:"period,omitempty"`
}

// ContactPoint is the R4 ContactPoint datatype. Okno writes phones in E.164.
type ContactPoint struct {
	System string  `json:"system,omitempty"`
	Value  string  `json:"value,omitempty"`
	Use    string  `json:"use,omitempty"`
	Rank   *int    `json:"rank,omitempty"`
	Period *Period `json:"period,omitempty"`
}

// Address is the R4 Address datatype.
type Address struct {
	Use        string   `json:"use,omitempty"`
	Type       string   `json:"type,omitempty"`
	Text       string   `json:"text,omitempty"`
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	District   string   `json:"district,omitempty"`
	State      string   `json:"state,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
	Period     *Period  `json:"period,omitempty"`
}

// dateTime layouts FHIR allows, most precise first.
var dateTimeLayouts = []struct {
	layout string
	step   func(time.Time) time.Time
}{
	{time.RFC3339Nano, nil},
	{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
	{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
	{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
	{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
}

// ParseDateTime parses a FHIR date, dateTime or instant. It returns the start of the interval
// the value denotes and its end (exclusive): "2024-03-01" is the whole day. Values without a
// zone (dates, partial dates) are read in loc; a nil loc means UTC.
func ParseDateTime(s string, loc *time.Location) (start, end time.Time, err error) {
	if loc == nil {
		loc = time.UTC
	}
	for i, l := range dateTimeLayouts {
		if i == 0 && !strings.Contains(s, ".") {
			continue
		}
		t, perr := time.ParseInLocation(l.layout, s, loc)
		if perr != nil {
			continue
		}
		if l.step == nil {
			// Full precision with fractional seconds: the interval is the instant itself, as
			// precise as written.
			return t, t.Add(time.Nanosecond), nil
		}
		return t, l.step(t), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("fhir: %q is not a FHIR date or dateTime", s)
}

// Instant formats t as a FHIR instant with millisecond precision.
func Instant(t time.Time) string {
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}

// DateTime formats t as a FHIR dateTime to the second.
func DateTime(t time.Time) string {
	return t.Format(time.RFC3339)
}

// Bool returns a pointer to b, for 0..1 boolean elements.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to n, for 0..1 integer elements.
func Int(n int) *int { return &n }
