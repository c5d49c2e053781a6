package mis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
	"github.com/okno-crm/okno/internal/problem"
)

// FHIR client limits. The MIS is outside input: answers are bounded in size
// and in pages, and every call has a deadline.
const (
	FHIRTimeout     = 5 * time.Second
	maxFHIRBody     = 8 << 20
	maxPages        = 100
	refPageSize     = 200
	maxSlotPageSize = 100
	// ContactIdentifierSystem marks the Patient an Okno contact is booked as
	// until patient matching links a real one: the MIS finds it again by
	// this identifier instead of getting a new patient per booking.
	ContactIdentifierSystem = "urn:okno:contact"
	scheduleTTL             = 10 * time.Minute
)

// FHIRConfig configures the FHIR R4 adapter.
type FHIRConfig struct {
	BaseURL string       // the FHIR base, e.g. https://mis.example/fhir
	HTTP    *http.Client // nil: a client with FHIRTimeout
	Now     func() time.Time
	// SpecialtySystem picks the coding that names a specialty when the MIS
	// sends several (a local code and SNOMED CT); empty takes the first.
	SpecialtySystem string
	// Timeout bounds each call; zero means FHIRTimeout.
	Timeout time.Duration
}

// FHIRClient is the Client of a FHIR R4 server.
type FHIRClient struct {
	base    string
	http    *http.Client
	now     func() time.Time
	system  string
	timeout time.Duration
	breaker *Breaker

	mu        sync.Mutex
	schedules []scheduleInfo // Schedule → role, doctor, branch; reloaded every scheduleTTL
	loadedAt  time.Time
}

type scheduleInfo struct {
	id, roleID, doctorID, branchID, specialtyID string
}

// NewFHIRClient makes the adapter.
func NewFHIRClient(cfg FHIRConfig) (*FHIRClient, error) {
	u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mis: the FHIR base URL must be an absolute http(s) URL")
	}
	c := &FHIRClient{base: u.String(), http: cfg.HTTP, now: cfg.Now, system: cfg.SpecialtySystem, timeout: cfg.Timeout}
	if c.timeout <= 0 {
		c.timeout = FHIRTimeout
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.breaker = NewBreaker(c.now)
	return c, nil
}

// Breaker is the client's circuit breaker (for health pages and tests).
func (c *FHIRClient) Breaker() *Breaker { return c.breaker }

// badAnswer is a response that breaks the FHIR contract: it counts as a
// failure of the MIS, and the caller sees "unavailable".
func badAnswer(format string, args ...any) error {
	return &problem.Error{Code: problem.Unavailable, Message: "the MIS answered something unexpected", Err: fmt.Errorf(format, args...)}
}

// httpStatusError is an answer with a status the caller may act on.
type httpStatusError struct{ status int }

func (e *httpStatusError) Error() string { return "mis: FHIR answered " + strconv.Itoa(e.status) }

// do sends one request through the breaker and decodes a FHIR JSON answer
// into out (when out is not nil). 5xx, transport errors, time-outs and
// unreadable answers count as failures; 4xx answers are the caller's
// business and are returned as *httpStatusError.
func (c *FHIRClient) do(ctx context.Context, method, rawURL string, header http.Header, body any, out fhir.Resource) (http.Header, error) {
	if err := c.breaker.Allow(); err != nil {
		return nil, err
	}
	h, err := c.send(ctx, method, rawURL, header, body, out)
	var se *httpStatusError
	c.breaker.Record(err == nil || (errors.As(err, &se) && se.status < 500))
	return h, err
}

func (c *FHIRClient) send(ctx context.Context, method, rawURL string, header http.Header, body any, out fhir.Resource) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/fhir+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS does not answer", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFHIRBody+1))
	if err != nil {
		return nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS does not answer", Err: err}
	}
	if len(data) > maxFHIRBody {
		return nil, badAnswer("%s %s: answer larger than %d bytes", method, req.URL.Path, maxFHIRBody)
	}
	if resp.StatusCode >= 500 {
		return nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS reports an error", Err: &httpStatusError{resp.StatusCode}}
	}
	if resp.StatusCode >= 300 {
		return resp.Header, &httpStatusError{resp.StatusCode}
	}
	if out != nil {
		if err := fhir.DecodeAs(data, out); err != nil {
			return nil, badAnswer("%s %s: %v", method, req.URL.Path, err)
		}
	}
	return resp.Header, nil
}

// search reads every page of a search, following next links (only on the
// same base: a link elsewhere is refused, not followed), and hands each
// resource's JSON to each.
func (c *FHIRClient) search(ctx context.Context, typ string, q url.Values, limit int, each func(json.RawMessage) error) error {
	next := c.base + "/" + typ + "?" + q.Encode()
	seen := 0
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return badAnswer("%s search: more than %d pages", typ, maxPages)
		}
		var b fhir.Bundle
		if _, err := c.do(ctx, http.MethodGet, next, nil, nil, &b); err != nil {
			var se *httpStatusError
			if errors.As(err, &se) {
				return badAnswer("%s search: status %d", typ, se.status)
			}
			return err
		}
		if b.Type != "searchset" {
			return badAnswer("%s search: bundle type %q", typ, b.Type)
		}
		for _, e := range b.Entry {
			if e.Search != nil && e.Search.Mode != "" && e.Search.Mode != "match" {
				continue // included resources, outcomes
			}
			if err := each(e.Resource); err != nil {
				return err
			}
			seen++
			if limit > 0 && seen >= limit {
				return nil
			}
		}
		next = b.LinkURL("next")
		if next != "" && !strings.HasPrefix(next, c.base+"/") {
			return badAnswer("%s search: next link off the FHIR base", typ)
		}
	}
	return nil
}

func decodeEntry[T fhir.Resource](raw json.RawMessage, r T) (T, error) {
	if err := fhir.DecodeAs(raw, r); err != nil {
		return r, badAnswer("%v", err)
	}
	if r.Base().ID == "" {
		return r, badAnswer("%s without an id", r.ResourceTypeName())
	}
	return r, nil
}

// Branches lists active Locations.
func (c *FHIRClient) Branches(ctx context.Context) ([]Branch, error) {
	var out []Branch
	err := c.search(ctx, "Location", url.Values{"_count": {strconv.Itoa(refPageSize)}}, 0, func(raw json.RawMessage) error {
		l, err := decodeEntry(raw, &fhir.Location{})
		if err != nil {
			return err
		}
		if l.Name == "" {
			return badAnswer("Location/%s without a name", l.ID)
		}
		if l.Status != "" && l.Status != "active" {
			return nil
		}
		b := Branch{ID: l.ID, Name: l.Name}
		if l.Address != nil {
			b.Address = l.Address.Text
			if b.Address == "" {
				b.Address = strings.Join(append(append([]string{}, l.Address.Line...), l.Address.City), ", ")
			}
		}
		for _, t := range l.Telecom {
			if t.System == "phone" {
				b.Phone = t.Value
				break
			}
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// specialtyOf picks the coding that names a specialty.
func (c *FHIRClient) specialtyOf(cc fhir.CodeableConcept) (Specialty, bool) {
	for _, cd := range cc.Coding {
		if cd.Code == "" || (c.system != "" && cd.System != c.system) {
			continue
		}
		name := cd.Display
		if name == "" {
			name = cc.Text
		}
		if name == "" {
			name = cd.Code
		}
		return Specialty{ID: cd.Code, System: cd.System, Name: name}, true
	}
	return Specialty{}, false
}

// Specialties are the codings of HealthcareService and PractitionerRole
// specialties, first seen first named.
func (c *FHIRClient) Specialties(ctx context.Context) ([]Specialty, error) {
	seen := map[string]bool{}
	var out []Specialty
	add := func(ccs []fhir.CodeableConcept) {
		for _, cc := range ccs {
			if s, ok := c.specialtyOf(cc); ok && !seen[s.ID] {
				seen[s.ID] = true
				out = append(out, s)
			}
		}
	}
	q := url.Values{"_count": {strconv.Itoa(refPageSize)}}
	if err := c.search(ctx, "HealthcareService", q, 0, func(raw json.RawMessage) error {
		hs, err := decodeEntry(raw, &fhir.HealthcareService{})
		if err == nil && (hs.Active == nil || *hs.Active) {
			add(hs.Specialty)
		}
		return err
	}); err != nil {
		return nil, err
	}
	if err := c.search(ctx, "PractitionerRole", q, 0, func(raw json.RawMessage) error {
		pr, err := decodeEntry(raw, &fhir.PractitionerRole{})
		if err == nil && (pr.Active == nil || *pr.Active) {
			add(pr.Specialty)
		}
		return err
	}); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func humanName(names []fhir.HumanName) string {
	for _, n := range names {
		if n.Text != "" {
			return n.Text
		}
		if s := strings.TrimSpace(n.Family + " " + strings.Join(n.Given, " ")); s != "" {
			return s
		}
	}
	return ""
}

func refID(r *fhir.Reference, typ string) string {
	if r == nil {
		return ""
	}
	t, id, ok := r.Split()
	if !ok || t != typ {
		return ""
	}
	return id
}

// Doctors are active Practitioners with their active PractitionerRoles; a
// practitioner without a role cannot be booked and is left out.
func (c *FHIRClient) Doctors(ctx context.Context) ([]Doctor, error) {
	names := map[string]string{}
	q := url.Values{"_count": {strconv.Itoa(refPageSize)}}
	if err := c.search(ctx, "Practitioner", q, 0, func(raw json.RawMessage) error {
		p, err := decodeEntry(raw, &fhir.Practitioner{})
		if err != nil {
			return err
		}
		if p.Active != nil && !*p.Active {
			return nil
		}
		name := humanName(p.Name)
		if name == "" {
			return badAnswer("Practitioner/%s without a name", p.ID)
		}
		names[p.ID] = name
		return nil
	}); err != nil {
		return nil, err
	}
	byID := map[string]*Doctor{}
	var order []string
	if err := c.search(ctx, "PractitionerRole", q, 0, func(raw json.RawMessage) error {
		pr, err := decodeEntry(raw, &fhir.PractitionerRole{})
		if err != nil {
			return err
		}
		if pr.Active != nil && !*pr.Active {
			return nil
		}
		doc := refID(pr.Practitioner, "Practitioner")
		if doc == "" {
			return badAnswer("PractitionerRole/%s without a practitioner", pr.ID)
		}
		name, ok := names[doc]
		if !ok {
			return nil // an inactive or unknown practitioner
		}
		d := byID[doc]
		if d == nil {
			d = &Doctor{ID: doc, Name: name}
			byID[doc] = d
			order = append(order, doc)
		}
		var spec []string
		for _, cc := range pr.Specialty {
			if s, ok := c.specialtyOf(cc); ok {
				spec = append(spec, s.ID)
			}
		}
		var locs []string
		for _, l := range pr.Location {
			if id := refID(&l, "Location"); id != "" {
				locs = append(locs, id)
			}
		}
		if len(spec) == 0 {
			spec = []string{""}
		}
		if len(locs) == 0 {
			locs = []string{""}
		}
		for _, s := range spec {
			for _, l := range locs {
				d.Roles = append(d.Roles, DoctorRole{ID: pr.ID, BranchID: l, SpecialtyID: s})
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]Doctor, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PriceExtension is where a HealthcareService carries its price (the demo
// MIS's convention; FHIR R4 has no price element on it).
const PriceExtension = "http://okno.local/fhir/StructureDefinition/price"

// Services are active HealthcareServices with their prices.
func (c *FHIRClient) Services(ctx context.Context) ([]MedService, error) {
	var out []MedService
	err := c.search(ctx, "HealthcareService", url.Values{"_count": {strconv.Itoa(refPageSize)}}, 0, func(raw json.RawMessage) error {
		hs, err := decodeEntry(raw, &fhir.HealthcareService{})
		if err != nil {
			return err
		}
		if hs.Active != nil && !*hs.Active {
			return nil
		}
		if hs.Name == "" {
			return badAnswer("HealthcareService/%s without a name", hs.ID)
		}
		s := MedService{ID: hs.ID, Name: hs.Name}
		for _, cc := range hs.Specialty {
			if sp, ok := c.specialtyOf(cc); ok {
				s.SpecialtyID = sp.ID
				break
			}
		}
		if e, ok := hs.ExtensionByURL(PriceExtension); ok && e.ValueMoney != nil {
			if _, err := strconv.ParseFloat(string(e.ValueMoney.Value), 64); err != nil {
				return badAnswer("HealthcareService/%s: price is not a number", hs.ID)
			}
			s.Price, s.Currency = string(e.ValueMoney.Value), e.ValueMoney.Currency
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// scheduleIndex returns the MIS's schedules with the role, doctor and branch
// each belongs to; reloaded when older than scheduleTTL.
func (c *FHIRClient) scheduleIndex(ctx context.Context) ([]scheduleInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.schedules != nil && c.now().Sub(c.loadedAt) < scheduleTTL {
		return c.schedules, nil
	}
	roles := map[string]*fhir.PractitionerRole{}
	q := url.Values{"_count": {strconv.Itoa(refPageSize)}}
	if err := c.search(ctx, "PractitionerRole", q, 0, func(raw json.RawMessage) error {
		pr, err := decodeEntry(raw, &fhir.PractitionerRole{})
		if err == nil {
			roles[pr.ID] = pr
		}
		return err
	}); err != nil {
		return nil, err
	}
	out := []scheduleInfo{}
	if err := c.search(ctx, "Schedule", q, 0, func(raw json.RawMessage) error {
		s, err := decodeEntry(raw, &fhir.Schedule{})
		if err != nil {
			return err
		}
		if s.Active != nil && !*s.Active {
			return nil
		}
		info := scheduleInfo{id: s.ID}
		for _, a := range s.Actor {
			t, id, ok := a.Split()
			if !ok {
				continue
			}
			switch t {
			case "PractitionerRole":
				info.roleID = id
			case "Practitioner":
				info.doctorID = id
			case "Location":
				info.branchID = id
			}
		}
		if r := roles[info.roleID]; r != nil {
			if info.doctorID == "" {
				info.doctorID = refID(r.Practitioner, "Practitioner")
			}
			if info.branchID == "" && len(r.Location) > 0 {
				info.branchID = refID(&r.Location[0], "Location")
			}
			if len(s.Specialty) == 0 {
				s.Specialty = r.Specialty
			}
		}
		for _, cc := range s.Specialty {
			if sp, ok := c.specialtyOf(cc); ok {
				info.specialtyID = sp.ID
				break
			}
		}
		if info.doctorID == "" {
			return nil // a room's or a device's schedule: not bookable from here
		}
		out = append(out, info)
		return nil
	}); err != nil {
		return nil, err
	}
	c.schedules, c.loadedAt = out, c.now()
	return out, nil
}

// slotFrom validates a Slot and fills in whose it is.
func (c *FHIRClient) slotFrom(s *fhir.Slot, idx []scheduleInfo) (Slot, error) {
	if s.Status == "" || s.Start == "" || s.End == "" || s.Schedule.Reference == "" {
		return Slot{}, badAnswer("Slot/%s lacks status, start, end or schedule", s.ID)
	}
	start, _, err1 := fhir.ParseDateTime(s.Start, time.UTC)
	end, _, err2 := fhir.ParseDateTime(s.End, time.UTC)
	if err1 != nil || err2 != nil || !end.After(start) {
		return Slot{}, badAnswer("Slot/%s has a bad start or end", s.ID)
	}
	out := Slot{ID: s.ID, Start: start.UTC(), End: end.UTC()}
	if s.Meta != nil {
		out.Version = s.Meta.VersionID
	}
	_, sid, _ := s.Schedule.Split()
	for _, si := range idx {
		if si.id == sid {
			out.DoctorID, out.BranchID, out.RoleID, out.SpecialtyID = si.doctorID, si.branchID, si.roleID, si.specialtyID
		}
	}
	for _, cc := range s.Specialty {
		if sp, ok := c.specialtyOf(cc); ok {
			out.SpecialtyID = sp.ID
			break
		}
	}
	return out, nil
}

// FreeSlots searches free slots by schedule (the doctor's and branch's),
// status, start range and specialty, soonest first, following pages.
func (c *FHIRClient) FreeSlots(ctx context.Context, q SlotQuery) ([]Slot, error) {
	idx, err := c.scheduleIndex(ctx)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	v := url.Values{
		"status": {fhir.SlotFree},
		"start":  {"ge" + fhir.DateTime(q.From.UTC()), "lt" + fhir.DateTime(q.To.UTC())},
		"_sort":  {"start"},
		"_count": {strconv.Itoa(min(limit, maxSlotPageSize))},
	}
	if q.DoctorID != "" || q.BranchID != "" {
		var ids []string
		for _, s := range idx {
			if (q.DoctorID == "" || s.doctorID == q.DoctorID) && (q.BranchID == "" || s.branchID == q.BranchID) &&
				(q.SpecialtyID == "" || s.specialtyID == "" || s.specialtyID == q.SpecialtyID) {
				ids = append(ids, "Schedule/"+s.id)
			}
		}
		if len(ids) == 0 {
			return []Slot{}, nil
		}
		v.Set("schedule", strings.Join(ids, ","))
	}
	if q.SpecialtyID != "" {
		// Without a configured system the code matches in any system: the
		// ids we hand out are codes, and a clash between systems is unlikely
		// within one MIS.
		if c.system != "" {
			v.Set("specialty", c.system+"|"+q.SpecialtyID)
		} else {
			v.Set("specialty", q.SpecialtyID)
		}
	}
	out := []Slot{}
	err = c.search(ctx, "Slot", v, limit, func(raw json.RawMessage) error {
		s, err := decodeEntry(raw, &fhir.Slot{})
		if err != nil {
			return err
		}
		sl, err := c.slotFrom(s, idx)
		if err != nil {
			return err
		}
		// The server said free, in range: check rather than trust.
		if s.Status != fhir.SlotFree || sl.Start.Before(q.From) || !sl.Start.Before(q.To) {
			return badAnswer("Slot/%s does not match the search", s.ID)
		}
		out = append(out, sl)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readSlot reads one Slot with its version.
func (c *FHIRClient) readSlot(ctx context.Context, id string) (Slot, string, error) {
	idx, err := c.scheduleIndex(ctx)
	if err != nil {
		return Slot{}, "", err
	}
	var s fhir.Slot
	h, err := c.do(ctx, http.MethodGet, c.base+"/Slot/"+url.PathEscape(id), nil, nil, &s)
	var se *httpStatusError
	if errors.As(err, &se) {
		if se.status == http.StatusNotFound || se.status == http.StatusGone {
			return Slot{}, "", ErrNotFound
		}
		return Slot{}, "", badAnswer("Slot read: status %d", se.status)
	}
	if err != nil {
		return Slot{}, "", err
	}
	if s.ID != id {
		return Slot{}, "", badAnswer("Slot/%s answered as %q", id, s.ID)
	}
	sl, err := c.slotFrom(&s, idx)
	if err != nil {
		return Slot{}, "", err
	}
	if etag := h.Get("ETag"); etag != "" {
		sl.Version = strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	}
	return sl, s.Status, nil
}

// patientFor finds or creates the Patient standing for an Okno contact
// (conditional create on the contact identifier).
func (c *FHIRClient) patientFor(ctx context.Context, contactID string) (string, error) {
	p := fhir.Patient{Identifier: []fhir.Identifier{{Use: "secondary", System: ContactIdentifierSystem, Value: contactID}}}
	h := http.Header{"If-None-Exist": {"identifier=" + url.QueryEscape(ContactIdentifierSystem+"|"+contactID)}}
	var got fhir.Patient
	_, err := c.do(ctx, http.MethodPost, c.base+"/Patient", h, p, &got)
	var se *httpStatusError
	if errors.As(err, &se) {
		return "", badAnswer("Patient create: status %d", se.status)
	}
	if err != nil {
		return "", err
	}
	if got.ID == "" {
		return "", badAnswer("Patient created without an id")
	}
	return got.ID, nil
}

// Book books the slot for the contact: the slot is read for its version,
// and the Appointment is created with If-Match on it, so that a slot taken
// meanwhile gives 409 or 412 — ErrSlotTaken — and never a double booking.
func (c *FHIRClient) Book(ctx context.Context, b Booking) (Booked, error) {
	sl, status, err := c.readSlot(ctx, b.SlotID)
	if err != nil {
		return Booked{}, err
	}
	if status != fhir.SlotFree {
		return Booked{}, &TakenError{Slot: sl}
	}
	pid, err := c.patientFor(ctx, b.ContactID)
	if err != nil {
		return Booked{}, err
	}
	a := fhir.Appointment{
		Status: fhir.AppointmentBooked,
		Start:  fhir.Instant(sl.Start), End: fhir.Instant(sl.End),
		Slot:    []fhir.Reference{fhir.Ref("Slot", sl.ID)},
		Created: fhir.DateTime(c.now().UTC()),
		Participant: []fhir.AppointmentParticipant{
			{Actor: &fhir.Reference{Reference: "Patient/" + pid}, Required: "required", Status: "accepted"},
		},
	}
	h := http.Header{}
	if sl.Version != "" {
		h.Set("If-Match", `W/"`+sl.Version+`"`)
	}
	var got fhir.Appointment
	_, err = c.do(ctx, http.MethodPost, c.base+"/Appointment", h, a, &got)
	var se *httpStatusError
	if errors.As(err, &se) {
		if se.status == http.StatusConflict || se.status == http.StatusPreconditionFailed {
			return Booked{}, &TakenError{Slot: sl}
		}
		return Booked{}, badAnswer("Appointment create: status %d", se.status)
	}
	if err != nil {
		return Booked{}, err
	}
	if got.ID == "" || got.Status == "" {
		return Booked{}, badAnswer("Appointment created without an id or status")
	}
	if got.Status != fhir.AppointmentBooked && got.Status != fhir.AppointmentPending {
		return Booked{}, badAnswer("Appointment/%s created as %s", got.ID, got.Status)
	}
	if len(got.Slot) != 1 || refID(&got.Slot[0], "Slot") != sl.ID {
		return Booked{}, badAnswer("Appointment/%s is not in the slot booked", got.ID)
	}
	return Booked{MISID: got.ID, SlotID: sl.ID, Start: sl.Start, End: sl.End, DoctorID: sl.DoctorID,
		BranchID: sl.BranchID, SpecialtyID: sl.SpecialtyID, Status: got.Status}, nil
}

// Cancel sets the appointment's status to cancelled (PUT with If-Match on
// the version read). One already cancelled is left as it is.
func (c *FHIRClient) Cancel(ctx context.Context, id string) error {
	var a fhir.Appointment
	u := c.base + "/Appointment/" + url.PathEscape(id)
	h, err := c.do(ctx, http.MethodGet, u, nil, nil, &a)
	var se *httpStatusError
	if errors.As(err, &se) {
		if se.status == http.StatusNotFound || se.status == http.StatusGone {
			return ErrNotFound
		}
		return badAnswer("Appointment read: status %d", se.status)
	}
	if err != nil {
		return err
	}
	if a.ID != id || a.Status == "" {
		return badAnswer("Appointment/%s answered without its id or status", id)
	}
	if a.Status == fhir.AppointmentCancelled {
		return nil
	}
	a.Status = fhir.AppointmentCancelled
	ph := http.Header{}
	if etag := h.Get("ETag"); etag != "" {
		ph.Set("If-Match", etag)
	}
	var got fhir.Appointment
	_, err = c.do(ctx, http.MethodPut, u, ph, a, &got)
	if errors.As(err, &se) {
		if se.status == http.StatusPreconditionFailed || se.status == http.StatusConflict {
			return &problem.Error{Code: problem.Conflict, Message: "the appointment changed in the MIS meanwhile; try again", Err: err}
		}
		return badAnswer("Appointment cancel: status %d", se.status)
	}
	if err != nil {
		return err
	}
	if got.Status != fhir.AppointmentCancelled {
		return badAnswer("Appointment/%s is %s after cancelling", id, got.Status)
	}
	return nil
}

// Breaker refuses calls for Cooldown after Threshold consecutive failures,
// so that a dead MIS costs callers an instant "unavailable" instead of a
// time-out each, and is not hammered while it recovers. After the cool-down
// calls go through again; one more failure opens it again at once.
type Breaker struct {
	Threshold int
	Cooldown  time.Duration
	now       func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time
}

// NewBreaker makes a breaker of 5 failures and 30 s.
func NewBreaker(now func() time.Time) *Breaker {
	return &Breaker{Threshold: 5, Cooldown: 30 * time.Second, now: now}
}

// Allow returns a problem.Unavailable error while the breaker is open.
func (b *Breaker) Allow() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if left := b.openUntil.Sub(b.now()); left > 0 {
		return &problem.Error{Code: problem.Unavailable, RetryAfter: left,
			Message: "the MIS is unavailable (" + strconv.Itoa(b.failures) + " failed calls in a row); booking and schedules are paused, try again in " + strconv.Itoa(problem.RetrySeconds(left)) + " s"}
	}
	return nil
}

// Record notes a call's outcome.
func (b *Breaker) Record(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ok {
		b.failures, b.openUntil = 0, time.Time{}
		return
	}
	b.failures++
	if b.failures >= b.Threshold {
		b.openUntil = b.now().Add(b.Cooldown)
	}
}

// Open reports whether calls are being refused.
func (b *Breaker) Open() bool { return b.Allow() != nil }
