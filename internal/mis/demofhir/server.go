package demofhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/mis/fhir"
)

// Options configure a demo server. The zero value is usable.
type Options struct {
	// Start is the first day of the two weeks of schedules (its date in Yekaterinburg counts).
	// Zero means the day of Now().
	Start time.Time
	// Now is the clock for meta.lastUpdated and created stamps. Nil means time.Now.
	Now func() time.Time
	// Seed chooses the generated clinic. Zero means 1.
	Seed uint64
	// BaseURL is the absolute FHIR base used in fullUrl, links and Location headers, e.g.
	// "http://127.0.0.1:8080/demo/fhir". Empty means derived from each request (its Host and
	// the prefix a http.StripPrefix removed).
	BaseURL string
}

// resourceTypes the server holds, in CapabilityStatement order.
var resourceTypes = []string{"Patient", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "Schedule", "Slot", "Appointment"}

const (
	fhirJSON     = "application/fhir+json; charset=utf-8"
	defaultCount = 50
	maxCount     = 1000
	maxBody      = 1 << 20
)

// Server is the demo FHIR server; it is an http.Handler and safe for concurrent use.
type Server struct {
	opts Options
	now  func() time.Time

	mu              sync.RWMutex
	last            time.Time                           // last stamp given to a write
	res             map[string]map[string]fhir.Resource // type → id → resource
	order           map[string][]string                 // type → ids in creation order
	nextPatient     int
	nextAppointment int
	started         time.Time
}

// New builds the demo clinic and returns its server.
func New(opts Options) *Server {
	s := &Server{opts: opts, now: opts.Now, res: map[string]map[string]fhir.Resource{}, order: map[string][]string{}}
	if s.now == nil {
		s.now = time.Now
	}
	for _, t := range resourceTypes {
		s.res[t] = map[string]fhir.Resource{}
	}
	start := opts.Start
	if start.IsZero() {
		start = s.now()
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = s.stamp()
	s.seed(seed, start)
	return s
}

// stamp returns the next write time: the clock, to the millisecond, but always after the
// previous stamp so that _lastUpdated=gt polling misses nothing. Callers hold mu for writing.
func (s *Server) stamp() time.Time {
	t := s.now().UTC().Truncate(time.Millisecond)
	if !t.After(s.last) {
		t = s.last.Add(time.Millisecond)
	}
	s.last = t
	return t
}

// put stores a new resource as version 1 stamped at. Callers hold mu for writing.
func (s *Server) put(r fhir.Resource, at time.Time) {
	b := r.Base()
	b.Meta = &fhir.Meta{VersionID: "1", LastUpdated: fhir.Instant(at)}
	t := r.ResourceTypeName()
	if _, dup := s.res[t][b.ID]; dup {
		panic("demofhir: duplicate id " + t + "/" + b.ID)
	}
	s.res[t][b.ID] = r
	s.order[t] = append(s.order[t], b.ID)
}

// touch gives a changed resource its next version stamped at (one stamp per write operation).
// Callers hold mu for writing.
func (s *Server) touch(r fhir.Resource, at time.Time) {
	b := r.Base()
	v := 0
	if b.Meta != nil {
		v, _ = strconv.Atoi(b.Meta.VersionID)
	}
	b.Meta = &fhir.Meta{VersionID: strconv.Itoa(v + 1), LastUpdated: fhir.Instant(at)}
}

func etag(r fhir.Resource) string {
	return `W/"` + r.Base().Meta.VersionID + `"`
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if f := r.URL.Query().Get("_format"); f != "" && !slices.Contains([]string{"json", "application/json", "application/fhir+json"}, f) {
		s.fail(w, http.StatusNotAcceptable, "not-supported", "only JSON is served")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "metadata" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.notAllowed(w, "GET")
			return
		}
		s.write(w, http.StatusOK, s.capability(s.base(r)), nil)
		return
	}
	if len(parts) == 0 || parts[0] == "" || len(parts) > 2 {
		s.fail(w, http.StatusNotFound, "not-found", "no such FHIR endpoint")
		return
	}
	typ := parts[0]
	if !slices.Contains(resourceTypes, typ) {
		s.fail(w, http.StatusNotFound, "not-supported", "resource type "+strconv.Quote(typ)+" is not supported")
		return
	}
	if len(parts) == 1 {
		switch {
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			s.search(w, r, typ)
		case r.Method == http.MethodPost && typ == "Patient":
			s.createPatient(w, r)
		case r.Method == http.MethodPost && typ == "Appointment":
			s.createAppointment(w, r)
		case typ == "Patient" || typ == "Appointment":
			s.notAllowed(w, "GET, POST")
		default:
			s.notAllowed(w, "GET")
		}
		return
	}
	id := parts[1]
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		s.read(w, typ, id)
	case r.Method == http.MethodPut && typ == "Appointment":
		s.updateAppointment(w, r, id)
	case typ == "Appointment":
		s.notAllowed(w, "GET, PUT")
	default:
		s.notAllowed(w, "GET")
	}
}

func (s *Server) read(w http.ResponseWriter, typ, id string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	res, ok := s.res[typ][id]
	if !ok {
		s.fail(w, http.StatusNotFound, "not-found", typ+"/"+id+" is not known")
		return
	}
	s.write(w, http.StatusOK, res, res)
}

// write sends v as FHIR JSON; when versioned is not nil its ETag and Last-Modified go along.
func (s *Server) write(w http.ResponseWriter, status int, v any, versioned fhir.Resource) {
	body, err := json.Marshal(v)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, "exception", "encoding failed")
		return
	}
	h := w.Header()
	h.Set("Content-Type", fhirJSON)
	if versioned != nil {
		h.Set("ETag", etag(versioned))
		if t, err := time.Parse(time.RFC3339Nano, versioned.Base().Meta.LastUpdated); err == nil {
			h.Set("Last-Modified", t.UTC().Format(http.TimeFormat))
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fail answers with an OperationOutcome of one error issue.
func (s *Server) fail(w http.ResponseWriter, status int, code, diagnostics string) {
	oo := fhir.NewOperationOutcome("error", code, diagnostics)
	body, _ := json.Marshal(oo)
	w.Header().Set("Content-Type", fhirJSON)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) notAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	s.fail(w, http.StatusMethodNotAllowed, "not-supported", "method not allowed here; allowed: "+allow)
}

// base is the absolute FHIR base URL for links.
func (s *Server) base(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return strings.TrimSuffix(s.opts.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	prefix := ""
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && strings.HasSuffix(u.Path, r.URL.Path) {
		prefix = strings.TrimSuffix(u.Path, r.URL.Path)
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(prefix, "/")
}

// decodeBody reads a FHIR JSON body into dst.
func decodeBody(r *http.Request, dst fhir.Resource) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/fhir+json" && mt != "application/json") {
			return errUnsupportedMedia
		}
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return err
	}
	if len(data) > maxBody {
		return errors.New("body larger than 1 MiB")
	}
	return fhir.DecodeAs(data, dst)
}

var errUnsupportedMedia = errors.New("send application/fhir+json")

func (s *Server) badBody(w http.ResponseWriter, err error) {
	if errors.Is(err, errUnsupportedMedia) {
		s.fail(w, http.StatusUnsupportedMediaType, "not-supported", err.Error())
		return
	}
	s.fail(w, http.StatusBadRequest, "structure", err.Error())
}

// matchIfMatch compares an If-Match header with a resource version. An empty header matches.
func matchIfMatch(header string, r fhir.Resource) bool {
	if header == "" {
		return true
	}
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		tag = strings.TrimPrefix(tag, "W/")
		if strings.Trim(tag, `"`) == r.Base().Meta.VersionID {
			return true
		}
	}
	return false
}

func (s *Server) created(w http.ResponseWriter, r *http.Request, res fhir.Resource, status int) {
	b := res.Base()
	w.Header().Set("Location", fmt.Sprintf("%s/%s/%s/_history/%s", s.base(r), res.ResourceTypeName(), b.ID, b.Meta.VersionID))
	s.write(w, status, res, res)
}
