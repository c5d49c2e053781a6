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

// Who turns a Slot busy when it is booked (FHIRConfig.SlotClaim).
//
// FHIR R4 leaves it to the server: an MIS with scheduling logic (the demo
// MIS, most MIS facades) marks the Slot busy itself when an Appointment
// references it, and refuses a slot that is not free; a plain FHIR store
// (medplum, HAPI without scheduling rules) stores the Appointment and leaves
// the Slot as it was. Against such a store Okno claims the slot itself: a
// versioned update of the Slot to busy (If-Match on the version read) is the
// compare-and-set that lets exactly one booking win, and cancel and
// reschedule free it again.
const (
	// SlotClaimAuto decides from the CapabilityStatement: a server that
	// offers Slot updates is taken for a store that leaves slots to clients.
	SlotClaimAuto = ""
	// SlotClaimServer: the MIS marks slots busy and refuses taken ones.
	SlotClaimServer = "server"
	// SlotClaimClient: the adapter claims and frees slots with versioned updates.
	SlotClaimClient = "client"
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
	// SlotClaim says who turns a slot busy: SlotClaimAuto, SlotClaimServer
	// or SlotClaimClient. Auto is a heuristic: an MIS that offers Slot
	// updates and still manages slots itself must be set to "server".
	SlotClaim string
	// PageSize caps _count on every search, for servers that refuse large
	// pages; zero means 200 for reference data and 100 for slots.
	PageSize int
}

// FHIRClient is the Client of a FHIR R4 server.
type FHIRClient struct {
	base     string
	http     *http.Client
	now      func() time.Time
	system   string
	timeout  time.Duration
	breaker  *Breaker
	refPage  int
	slotPage int

	mu        sync.Mutex
	idx       *scheduleIndex // schedules and roles; reloaded every scheduleTTL
	loadedAt  time.Time
	claimMode string // SlotClaimServer or SlotClaimClient once known
	// sortByUpdated is false once the server refused _sort=_lastUpdated.
	noSortByUpdated bool
}

// scheduleIndex says whose each schedule and each role is.
type scheduleIndex struct {
	schedules []scheduleInfo
	roles     map[string]scheduleInfo // PractitionerRole id → its doctor, branch, specialty
}

type scheduleInfo struct {
	id, roleID, doctorID, branchID, specialtyID string
}

func (x *scheduleIndex) schedule(id string) (scheduleInfo, bool) {
	for _, s := range x.schedules {
		if s.id == id {
			return s, true
		}
	}
	return scheduleInfo{}, false
}

// NewFHIRClient makes the adapter.
func NewFHIRClient(cfg FHIRConfig) (*FHIRClient, error) {
	u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mis: the FHIR base URL must be an absolute http(s) URL")
	}
	switch cfg.SlotClaim {
	case SlotClaimAuto, SlotClaimServer, SlotClaimClient:
	default:
		return nil, fmt.Errorf("mis: slot claim must be empty (auto), %q or %q", SlotClaimServer, SlotClaimClient)
	}
	if cfg.PageSize < 0 {
		return nil, fmt.Errorf("mis: page size must not be negative")
	}
	c := &FHIRClient{base: u.String(), http: cfg.HTTP, now: cfg.Now, system: cfg.SpecialtySystem, timeout: cfg.Timeout,
		claimMode: cfg.SlotClaim, refPage: refPageSize, slotPage: maxSlotPageSize}
	if cfg.PageSize > 0 {
		c.refPage, c.slotPage = min(c.refPage, cfg.PageSize), min(c.slotPage, cfg.PageSize)
	}
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
	h, _, err := c.doRaw(ctx, method, rawURL, header, body, out)
	return h, err
}

// doRaw is do that also returns the answer's JSON, for updates that must
// send back every element the MIS has, not only those Okno models.
func (c *FHIRClient) doRaw(ctx context.Context, method, rawURL string, header http.Header, body any, out fhir.Resource) (http.Header, []byte, error) {
	if err := c.breaker.Allow(); err != nil {
		return nil, nil, err
	}
	h, data, err := c.send(ctx, method, rawURL, header, body, out)
	var se *httpStatusError
	c.breaker.Record(err == nil || (errors.As(err, &se) && se.status < 500))
	return h, data, err
}

func (c *FHIRClient) send(ctx context.Context, method, rawURL string, header http.Header, body any, out fhir.Resource) (http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/fhir+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
		// Some servers answer writes with an empty body unless asked.
		req.Header.Set("Prefer", "return=representation")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS does not answer", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFHIRBody+1))
	if err != nil {
		return nil, nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS does not answer", Err: err}
	}
	if len(data) > maxFHIRBody {
		return nil, nil, badAnswer("%s %s: answer larger than %d bytes", method, req.URL.Path, maxFHIRBody)
	}
	if resp.StatusCode >= 500 {
		return nil, nil, &problem.Error{Code: problem.Unavailable, Message: "the MIS reports an error", Err: &httpStatusError{resp.StatusCode}}
	}
	if resp.StatusCode >= 300 {
		return resp.Header, nil, &httpStatusError{resp.StatusCode}
	}
	if out != nil {
		if err := fhir.DecodeAs(data, out); err != nil {
			return nil, nil, badAnswer("%s %s: %v", method, req.URL.Path, err)
		}
	}
	return resp.Header, data, nil
}

// statusOf is the HTTP status of a 4xx answer, or 0.
func statusOf(err error) int {
	var se *httpStatusError
	if errors.As(err, &se) {
		return se.status
	}
	return 0
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
		b, err := c.searchPage(ctx, typ, next)
		if err != nil {
			if st := statusOf(err); st != 0 {
				return badAnswer("%s search: status %d", typ, st)
			}
			return err
		}
		for _, raw := range b.matches {
			if err := each(raw); err != nil {
				return err
			}
			seen++
			if limit > 0 && seen >= limit {
				return nil
			}
		}
		next = b.next
	}
	return nil
}

// searchPage is one page of a search: its matches (included resources and
// outcomes left out) and its next link. A 4xx answer is returned as
// *httpStatusError for the caller to judge.
type searchPage struct {
	matches []json.RawMessage
	next    string
}

func (c *FHIRClient) searchPage(ctx context.Context, typ, pageURL string) (searchPage, error) {
	var b fhir.Bundle
	if _, err := c.do(ctx, http.MethodGet, pageURL, nil, nil, &b); err != nil {
		return searchPage{}, err
	}
	if b.Type != "searchset" {
		return searchPage{}, badAnswer("%s search: bundle type %q", typ, b.Type)
	}
	var out searchPage
	for _, e := range b.Entry {
		if e.Search != nil && e.Search.Mode != "" && e.Search.Mode != "match" {
			continue // included resources, outcomes
		}
		out.matches = append(out.matches, e.Resource)
	}
	out.next = b.LinkURL("next")
	if out.next != "" && !strings.HasPrefix(out.next, c.base+"/") {
		return searchPage{}, badAnswer("%s search: next link off the FHIR base", typ)
	}
	return out, nil
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
	err := c.search(ctx, "Location", url.Values{"_count": {strconv.Itoa(c.refPage)}}, 0, func(raw json.RawMessage) error {
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
	q := url.Values{"_count": {strconv.Itoa(c.refPage)}}
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
	q := url.Values{"_count": {strconv.Itoa(c.refPage)}}
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
	err := c.search(ctx, "HealthcareService", url.Values{"_count": {strconv.Itoa(c.refPage)}}, 0, func(raw json.RawMessage) error {
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
			Message: fmt.Sprintf("the MIS is unavailable (%d failed calls in a row); booking and schedules are paused, try again in %d s", b.failures, problem.RetrySeconds(left))}
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
