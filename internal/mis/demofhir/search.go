package demofhir

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
)

// matcher tests one resource against one parameter value.
type matcher func(fhir.Resource) bool

// paramDef describes a search parameter: its FHIR type (for the CapabilityStatement) and how a
// single (comma-free) value becomes a matcher.
type paramDef struct {
	typ     string
	doc     string
	compile func(s *Server, value string) (matcher, error)
}

var commonParams = map[string]paramDef{
	"_id": {"token", "logical id", func(_ *Server, v string) (matcher, error) {
		return func(r fhir.Resource) bool { return r.Base().ID == v }, nil
	}},
	"_lastUpdated": {"date", "meta.lastUpdated; gt is the change feed", func(_ *Server, v string) (matcher, error) {
		return dateMatcher(v, func(r fhir.Resource) string { return r.Base().Meta.LastUpdated })
	}},
}

// controlParams shape the result rather than filter it.
var controlParams = []string{"_count", "_sort", "_offset", "_format", "_total"}

func specialtyParam(get func(fhir.Resource) []fhir.CodeableConcept) paramDef {
	return paramDef{"token", "specialty code (" + SpecialtySystem + " or SNOMED CT)", func(_ *Server, v string) (matcher, error) {
		return func(r fhir.Resource) bool { return tokenMatch(get(r), v) }, nil
	}}
}

func refParam(doc, target string, get func(fhir.Resource) []fhir.Reference) paramDef {
	return paramDef{"reference", doc, func(_ *Server, v string) (matcher, error) {
		return func(r fhir.Resource) bool { return refMatch(get(r), v, target) }, nil
	}}
}

func boolParam(get func(fhir.Resource) *bool) paramDef {
	return paramDef{"token", "true or false", func(_ *Server, v string) (matcher, error) {
		want, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", v)
		}
		return func(r fhir.Resource) bool {
			b := get(r)
			return (b == nil || *b) == want
		}, nil
	}}
}

func nameParam(doc string, get func(fhir.Resource) []string) paramDef {
	return paramDef{"string", doc, func(_ *Server, v string) (matcher, error) {
		v = fold(v)
		return func(r fhir.Resource) bool {
			for _, s := range get(r) {
				for _, word := range strings.Fields(fold(s)) {
					if strings.HasPrefix(word, v) {
						return true
					}
				}
				if strings.HasPrefix(fold(s), v) {
					return true
				}
			}
			return false
		}, nil
	}}
}

func namesOf(names []fhir.HumanName, family, given bool) []string {
	var out []string
	for _, n := range names {
		if family && given {
			out = append(out, n.Text)
		}
		if family {
			out = append(out, n.Family)
		}
		if given {
			out = append(out, n.Given...)
		}
	}
	return out
}

func phoneParam() paramDef {
	return paramDef{"token", "phone number; compared by digits, 8… and 10-digit forms read as +7", func(_ *Server, v string) (matcher, error) {
		want := phoneDigits(v)
		if want == "" {
			return nil, fmt.Errorf("%q is not a phone number", v)
		}
		return func(r fhir.Resource) bool {
			for _, t := range r.(*fhir.Patient).Telecom {
				if t.System == "phone" && phoneDigits(t.Value) == want {
					return true
				}
			}
			return false
		}, nil
	}}
}

// params per resource type.
var params = map[string]map[string]paramDef{
	"Patient": {
		"phone": phoneParam(),
		"telecom": {"token", "any contact point value", func(_ *Server, v string) (matcher, error) {
			if _, val, ok := strings.Cut(v, "|"); ok {
				v = val
			}
			return func(r fhir.Resource) bool {
				for _, t := range r.(*fhir.Patient).Telecom {
					if t.Value == v || (t.System == "phone" && phoneDigits(t.Value) != "" && phoneDigits(t.Value) == phoneDigits(v)) {
						return true
					}
				}
				return false
			}, nil
		}},
		"identifier": {"token", "system|value or value (the MRN system is " + MRNSystem + ")", func(_ *Server, v string) (matcher, error) {
			return func(r fhir.Resource) bool { return identifierMatch(r.(*fhir.Patient).Identifier, v) }, nil
		}},
		"name":   nameParam("any part of the name, starts-with, case- and ё-insensitive", func(r fhir.Resource) []string { return namesOf(r.(*fhir.Patient).Name, true, true) }),
		"family": nameParam("family name, starts-with", func(r fhir.Resource) []string { return namesOf(r.(*fhir.Patient).Name, true, false) }),
		"given":  nameParam("given name or patronymic, starts-with", func(r fhir.Resource) []string { return namesOf(r.(*fhir.Patient).Name, false, true) }),
		"birthdate": {"date", "birth date", func(_ *Server, v string) (matcher, error) {
			return dateMatcher(v, func(r fhir.Resource) string { return r.(*fhir.Patient).BirthDate })
		}},
	},
	"Practitioner": {
		"name":   nameParam("any part of the name", func(r fhir.Resource) []string { return namesOf(r.(*fhir.Practitioner).Name, true, true) }),
		"family": nameParam("family name", func(r fhir.Resource) []string { return namesOf(r.(*fhir.Practitioner).Name, true, false) }),
		"given":  nameParam("given name or patronymic", func(r fhir.Resource) []string { return namesOf(r.(*fhir.Practitioner).Name, false, true) }),
		"identifier": {"token", "system|value or value", func(_ *Server, v string) (matcher, error) {
			return func(r fhir.Resource) bool { return identifierMatch(r.(*fhir.Practitioner).Identifier, v) }, nil
		}},
		"active": boolParam(func(r fhir.Resource) *bool { return r.(*fhir.Practitioner).Active }),
	},
	"PractitionerRole": {
		"specialty": specialtyParam(func(r fhir.Resource) []fhir.CodeableConcept { return r.(*fhir.PractitionerRole).Specialty }),
		"location":  refParam("Location", "Location", func(r fhir.Resource) []fhir.Reference { return r.(*fhir.PractitionerRole).Location }),
		"practitioner": refParam("Practitioner", "Practitioner", func(r fhir.Resource) []fhir.Reference {
			if p := r.(*fhir.PractitionerRole).Practitioner; p != nil {
				return []fhir.Reference{*p}
			}
			return nil
		}),
		"service": refParam("HealthcareService", "HealthcareService", func(r fhir.Resource) []fhir.Reference { return r.(*fhir.PractitionerRole).HealthcareService }),
		"active":  boolParam(func(r fhir.Resource) *bool { return r.(*fhir.PractitionerRole).Active }),
	},
	"Location": {
		"name": nameParam("name", func(r fhir.Resource) []string { return []string{r.(*fhir.Location).Name} }),
		"address-city": nameParam("city", func(r fhir.Resource) []string {
			if a := r.(*fhir.Location).Address; a != nil {
				return []string{a.City}
			}
			return nil
		}),
		"status": {"token", "active, suspended or inactive", func(_ *Server, v string) (matcher, error) {
			return func(r fhir.Resource) bool { return r.(*fhir.Location).Status == v }, nil
		}},
	},
	"HealthcareService": {
		"specialty": specialtyParam(func(r fhir.Resource) []fhir.CodeableConcept { return r.(*fhir.HealthcareService).Specialty }),
		"location":  refParam("Location", "Location", func(r fhir.Resource) []fhir.Reference { return r.(*fhir.HealthcareService).Location }),
		"name":      nameParam("name", func(r fhir.Resource) []string { return []string{r.(*fhir.HealthcareService).Name} }),
		"active":    boolParam(func(r fhir.Resource) *bool { return r.(*fhir.HealthcareService).Active }),
	},
	"Schedule": {
		"actor":     refParam("PractitionerRole, Practitioner or Location", "", func(r fhir.Resource) []fhir.Reference { return r.(*fhir.Schedule).Actor }),
		"specialty": specialtyParam(func(r fhir.Resource) []fhir.CodeableConcept { return r.(*fhir.Schedule).Specialty }),
		"active":    boolParam(func(r fhir.Resource) *bool { return r.(*fhir.Schedule).Active }),
	},
	"Slot": {
		"schedule": refParam("Schedule", "Schedule", func(r fhir.Resource) []fhir.Reference { return []fhir.Reference{r.(*fhir.Slot).Schedule} }),
		"status": {"token", "free, busy…", func(_ *Server, v string) (matcher, error) {
			return func(r fhir.Resource) bool { return r.(*fhir.Slot).Status == v }, nil
		}},
		"start": {"date", "slot start; ge…&lt… for a window", func(_ *Server, v string) (matcher, error) {
			return dateMatcher(v, func(r fhir.Resource) string { return r.(*fhir.Slot).Start })
		}},
		"specialty": specialtyParam(func(r fhir.Resource) []fhir.CodeableConcept { return r.(*fhir.Slot).Specialty }),
		"schedule.actor": {"reference", "chained: an actor of the slot's Schedule (PractitionerRole, Practitioner or Location)", func(s *Server, v string) (matcher, error) {
			return func(r fhir.Resource) bool {
				_, id, _ := r.(*fhir.Slot).Schedule.Split()
				sch, ok := s.res["Schedule"][id].(*fhir.Schedule)
				return ok && refMatch(sch.Actor, v, "")
			}, nil
		}},
	},
	"Appointment": {
		"patient":      refParam("Patient participant", "Patient", func(r fhir.Resource) []fhir.Reference { return actors(r, "Patient") }),
		"practitioner": refParam("Practitioner participant", "Practitioner", func(r fhir.Resource) []fhir.Reference { return actors(r, "Practitioner") }),
		"location":     refParam("Location participant", "Location", func(r fhir.Resource) []fhir.Reference { return actors(r, "Location") }),
		"actor":        refParam("any participant", "", func(r fhir.Resource) []fhir.Reference { return actors(r, "") }),
		"slot":         refParam("Slot", "Slot", func(r fhir.Resource) []fhir.Reference { return r.(*fhir.Appointment).Slot }),
		"status": {"token", "appointment status", func(_ *Server, v string) (matcher, error) {
			return func(r fhir.Resource) bool { return r.(*fhir.Appointment).Status == v }, nil
		}},
		"date": {"date", "appointment start", func(_ *Server, v string) (matcher, error) {
			return dateMatcher(v, func(r fhir.Resource) string { return r.(*fhir.Appointment).Start })
		}},
	},
}

func actors(r fhir.Resource, typ string) []fhir.Reference {
	var out []fhir.Reference
	for _, p := range r.(*fhir.Appointment).Participant {
		if p.Actor == nil {
			continue
		}
		if t, _, ok := p.Actor.Split(); ok && (typ == "" || t == typ) {
			out = append(out, *p.Actor)
		}
	}
	return out
}

// sortKeys per type: the value compared for _sort.
var sortKeys = map[string]func(fhir.Resource) string{
	"_id":          func(r fhir.Resource) string { return r.Base().ID },
	"_lastUpdated": func(r fhir.Resource) string { return r.Base().Meta.LastUpdated },
}

func startOf(r fhir.Resource) (string, bool) {
	switch v := r.(type) {
	case *fhir.Slot:
		return v.Start, true
	case *fhir.Appointment:
		return v.Start, true
	}
	return "", false
}

func fold(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}

// phoneDigits normalises a Russian phone to 7XXXXXXXXXX digits (other numbers: their digits).
func phoneDigits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	d := b.String()
	switch {
	case len(d) == 11 && d[0] == '8':
		return "7" + d[1:]
	case len(d) == 10:
		return "7" + d
	}
	return d
}

func tokenMatch(ccs []fhir.CodeableConcept, v string) bool {
	system, code, hasSystem := strings.Cut(v, "|")
	if !hasSystem {
		code, system = v, ""
	}
	for _, cc := range ccs {
		for _, c := range cc.Coding {
			if c.Code != code && !(hasSystem && code == "") {
				continue
			}
			if !hasSystem || c.System == system {
				return true
			}
		}
	}
	return false
}

func identifierMatch(ids []fhir.Identifier, v string) bool {
	system, value, hasSystem := strings.Cut(v, "|")
	if !hasSystem {
		value, system = v, ""
	}
	for _, id := range ids {
		if id.Value == value && (!hasSystem || id.System == system) {
			return true
		}
	}
	return false
}

// refMatch compares references with a search value: "Type/id", an absolute URL ending so, or a
// bare id (of target type when target is set).
func refMatch(refs []fhir.Reference, v, target string) bool {
	wantType, wantID, ok := fhir.Reference{Reference: v}.Split()
	if !ok {
		wantType, wantID = target, v
	}
	for _, r := range refs {
		t, id, ok := r.Split()
		if ok && id == wantID && (wantType == "" || t == wantType) {
			return true
		}
	}
	return false
}

// dateMatcher compiles a date parameter value (with an optional prefix) against the value get
// returns, both read as intervals per FHIR date search.
func dateMatcher(v string, get func(fhir.Resource) string) (matcher, error) {
	prefix := "eq"
	if len(v) > 2 && v[0] >= 'a' && v[0] <= 'z' {
		prefix, v = v[:2], v[2:]
	}
	lo, hi, err := fhir.ParseDateTime(v, Yekaterinburg)
	if err != nil {
		return nil, err
	}
	var test func(a, b time.Time) bool
	switch prefix {
	case "eq":
		test = func(a, b time.Time) bool { return !a.Before(lo) && !b.After(hi) }
	case "ne":
		test = func(a, b time.Time) bool { return a.Before(lo) || b.After(hi) }
	case "gt":
		test = func(_, b time.Time) bool { return b.After(hi) }
	case "ge":
		test = func(_, b time.Time) bool { return b.After(lo) }
	case "lt":
		test = func(a, _ time.Time) bool { return a.Before(lo) }
	case "le":
		test = func(a, _ time.Time) bool { return a.Before(hi) }
	default:
		return nil, fmt.Errorf("date prefix %q is not supported", prefix)
	}
	return func(r fhir.Resource) bool {
		s := get(r)
		if s == "" {
			return false
		}
		a, b, err := fhir.ParseDateTime(s, Yekaterinburg)
		return err == nil && test(a, b)
	}, nil
}

type query struct {
	all    []matcher // AND of ORs, flattened: each element is one parameter occurrence
	sort   []string
	count  int
	offset int
}

// parseQuery compiles the search parameters for typ; unknown parameters are an error.
func (s *Server) parseQuery(typ string, q url.Values) (*query, error) {
	out := &query{count: defaultCount}
	for name, values := range q {
		if slices.Contains(controlParams, name) {
			continue
		}
		def, ok := params[typ][name]
		if !ok {
			def, ok = commonParams[name]
		}
		if !ok {
			return nil, fmt.Errorf("search parameter %q is not supported for %s", name, typ)
		}
		for _, value := range values {
			var ors []matcher
			for v := range strings.SplitSeq(value, ",") {
				if v == "" {
					return nil, fmt.Errorf("parameter %s has an empty value", name)
				}
				m, err := def.compile(s, v)
				if err != nil {
					return nil, fmt.Errorf("parameter %s: %v", name, err)
				}
				ors = append(ors, m)
			}
			out.all = append(out.all, func(r fhir.Resource) bool {
				return slices.ContainsFunc(ors, func(m matcher) bool { return m(r) })
			})
		}
	}
	if v := q.Get("_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("_count %q is not a non-negative integer", v)
		}
		out.count = min(n, maxCount)
	}
	if v := q.Get("_offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("_offset %q is not a paging cursor of this server", v)
		}
		out.offset = n
	}
	for _, v := range q["_sort"] {
		for key := range strings.SplitSeq(v, ",") {
			name := strings.TrimPrefix(key, "-")
			// Appointment's search parameter for its start is "date"; "start" stays accepted.
			if _, ok := sortKeys[name]; !ok && !(name == "start" && (typ == "Slot" || typ == "Appointment")) && !(name == "date" && typ == "Appointment") {
				return nil, fmt.Errorf("_sort by %q is not supported for %s", key, typ)
			}
			out.sort = append(out.sort, key)
		}
	}
	return out, nil
}

// find returns the matching resources of typ, sorted. Callers hold mu (read or write).
func (s *Server) find(typ string, q *query) []fhir.Resource {
	var hits []fhir.Resource
	for _, id := range s.order[typ] {
		r := s.res[typ][id]
		if !slices.ContainsFunc(q.all, func(m matcher) bool { return !m(r) }) {
			hits = append(hits, r)
		}
	}
	if len(q.sort) > 0 {
		slices.SortStableFunc(hits, func(a, b fhir.Resource) int {
			for _, key := range q.sort {
				name, desc := strings.TrimPrefix(key, "-"), strings.HasPrefix(key, "-")
				var c int
				if name == "start" || name == "date" {
					as, _ := startOf(a)
					bs, _ := startOf(b)
					at, _, _ := fhir.ParseDateTime(as, Yekaterinburg)
					bt, _, _ := fhir.ParseDateTime(bs, Yekaterinburg)
					c = at.Compare(bt)
				} else {
					c = cmp.Compare(sortKeys[name](a), sortKeys[name](b))
				}
				if desc {
					c = -c
				}
				if c != 0 {
					return c
				}
			}
			return 0
		})
	}
	return hits
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, typ string) {
	values := r.URL.Query()
	s.mu.RLock()
	defer s.mu.RUnlock()
	q, err := s.parseQuery(typ, values)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "not-supported", err.Error())
		return
	}
	hits := s.find(typ, q)
	base := s.base(r)
	total := len(hits)
	bundle := fhir.Bundle{
		ResourceBase: fhir.ResourceBase{ID: fmt.Sprintf("search-%d", s.last.UnixMilli()), Meta: &fhir.Meta{LastUpdated: fhir.Instant(s.last)}},
		Type:         "searchset",
		Timestamp:    fhir.Instant(s.now().UTC()),
		Total:        &total,
	}
	link := func(rel string, offset int) {
		v := url.Values{}
		for k, vs := range values {
			if k != "_offset" {
				v[k] = vs
			}
		}
		if offset > 0 {
			v.Set("_offset", strconv.Itoa(offset))
		}
		u := base + "/" + typ
		if enc := v.Encode(); enc != "" {
			u += "?" + enc
		}
		bundle.Link = append(bundle.Link, fhir.BundleLink{Relation: rel, URL: u})
	}
	link("self", q.offset)
	if q.count > 0 && q.offset+q.count < total {
		link("next", q.offset+q.count)
	}
	if q.offset > 0 && q.count > 0 {
		link("previous", max(0, q.offset-q.count))
	}
	if q.offset < total {
		page := hits[q.offset:min(total, q.offset+q.count)]
		for _, res := range page {
			raw, err := json.Marshal(res)
			if err != nil {
				s.fail(w, http.StatusInternalServerError, "exception", "encoding failed")
				return
			}
			bundle.Entry = append(bundle.Entry, fhir.BundleEntry{
				FullURL:  base + "/" + typ + "/" + res.Base().ID,
				Resource: raw,
				Search:   &fhir.BundleEntrySearch{Mode: "match"},
			})
		}
	}
	s.write(w, http.StatusOK, bundle, nil)
}

func jsonNumber(n int) json.Number { return json.Number(strconv.Itoa(n)) }

// capability describes exactly what this server does.
func (s *Server) capability(base string) *fhir.CapabilityStatement {
	rest := fhir.CapabilityRest{
		Mode:          "server",
		Documentation: "Okno demo MIS: in-memory, generated data, no security. A demo and test peer, not a product.",
	}
	for _, typ := range resourceTypes {
		res := fhir.CapabilityResource{
			Type:        typ,
			Interaction: []fhir.CapabilityInteraction{{Code: "read"}, {Code: "search-type"}},
			Versioning:  "versioned",
			ReadHistory: fhir.Bool(false),
		}
		switch typ {
		case "Patient":
			res.Interaction = append(res.Interaction, fhir.CapabilityInteraction{Code: "create", Documentation: "If-None-Exist: conditional create by the Patient search parameters"})
			res.ConditionalCreate = fhir.Bool(true)
		case "Appointment":
			res.Interaction = append(res.Interaction,
				fhir.CapabilityInteraction{Code: "create", Documentation: "Books exactly one free Slot (Appointment.slot); the Slot becomes busy. A Slot that is not free: 409. If-Match: W/\"<Slot versionId>\" is checked against the referenced Slot: a stale version gives 412."},
				fhir.CapabilityInteraction{Code: "update", Documentation: "If-Match against the Appointment's version. Status cancelled or entered-in-error frees the Slot; a different slot reference reschedules into that free Slot (409 if it is not free)."})
			res.UpdateCreate = fhir.Bool(false)
		}
		names := make([]string, 0)
		for n := range params[typ] {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			d := params[typ][n]
			res.SearchParam = append(res.SearchParam, fhir.CapabilitySearchParam{Name: n, Type: d.typ, Documentation: d.doc})
		}
		for _, n := range []string{"_id", "_lastUpdated"} {
			d := commonParams[n]
			res.SearchParam = append(res.SearchParam, fhir.CapabilitySearchParam{Name: n, Type: d.typ, Documentation: d.doc})
		}
		rest.Resource = append(rest.Resource, res)
	}
	return &fhir.CapabilityStatement{
		DomainResource: fhir.DomainResource{ResourceBase: fhir.ResourceBase{ID: "okno-demo-mis"}},
		Name:           "OknoDemoMIS",
		Title:          "Okno demo MIS (FHIR R4)",
		Status:         "active",
		Experimental:   fhir.Bool(true),
		Date:           fhir.DateTime(s.started.In(Yekaterinburg)),
		Publisher:      "Okno",
		Kind:           "instance",
		Software:       &fhir.CapabilitySoftware{Name: "okno demofhir"},
		Implementation: &fhir.CapabilityImplementation{Description: "Okno demo MIS — a demo and test peer, not a product", URL: base},
		FHIRVersion:    fhir.Version,
		Format:         []string{"application/fhir+json", "json"},
		Rest:           []fhir.CapabilityRest{rest},
	}
}
