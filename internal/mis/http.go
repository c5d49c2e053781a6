package mis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/okno-crm/okno/internal/httpapi"
	"github.com/okno-crm/okno/internal/idempotency"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// Slot search limits.
const (
	DefaultSlotLimit = 50
	MaxSlotLimit     = 200
	defaultSlotRange = 7 * 24 * time.Hour
)

// misID is the FHIR id syntax, which every MIS id we pass on must match.
var misID = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// Handler is the mis service's internal HTTP API, called by the gateway.
func (s *Service) Handler(internalToken string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mis/branches", principal.Require(perm.MISRead, s.handleBranches))
	mux.HandleFunc("GET /mis/specialties", principal.Require(perm.MISRead, s.handleSpecialties))
	mux.HandleFunc("GET /mis/doctors", principal.Require(perm.MISRead, s.handleDoctors))
	mux.HandleFunc("GET /mis/slots", principal.Require(perm.MISRead, s.handleSlots))
	mux.HandleFunc("POST /mis/appointments", principal.Require(perm.AppointmentsBook, s.handleBook))
	mux.HandleFunc("DELETE /mis/appointments/{id}", principal.Require(perm.AppointmentsBook, s.handleCancel))
	mux.HandleFunc("POST /mis/appointments/{id}/reschedule", principal.Require(perm.AppointmentsBook, s.handleReschedule))
	mux.HandleFunc("GET /mis/appointments", principal.Require(perm.MISRead, s.handleContactAppointments))
	mux.HandleFunc("GET /mis/services", principal.Require(perm.MISRead, s.handleServices))
	mux.HandleFunc("GET /mis/schedule", principal.Require(perm.MISRead, s.handleSchedule))
	mux.HandleFunc("POST /mis/patients/match", principal.Require(perm.MISRead, s.handleMatch))
	mux.HandleFunc("POST /mis/patients", principal.Require(perm.PatientsLink, s.handleRegisterPatient))
	mux.HandleFunc("POST /mis/links", principal.Require(perm.PatientsLink, s.handleLink))
	mux.HandleFunc("DELETE /mis/links/{id}", principal.Require(perm.PatientsLink, s.handleUnlink))
	mux.HandleFunc("GET /mis/contacts/{id}/patients", principal.Require(perm.MISRead, s.handleContactPatients))
	mux.HandleFunc("GET /mis/health", principal.Require(perm.MISManage, s.handleHealth))
	mux.HandleFunc("POST /mis/refresh", principal.Require(perm.MISManage, s.handleRefresh))
	mux.HandleFunc("POST /mis/check", principal.Require(perm.MISManage, s.handleCheck))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.DB.Ping(r.Context()); err != nil {
			problem.Write(w, r, problem.New(problem.Unavailable, "mis database unavailable"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return principal.Middleware(internalToken, mux)
}

type list[T any] struct {
	Items []T `json:"items"`
}

func (s *Service) handleBranches(w http.ResponseWriter, r *http.Request) {
	items, err := s.Branches(r.Context())
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, list[Branch]{items})
}

func (s *Service) handleSpecialties(w http.ResponseWriter, r *http.Request) {
	items, err := s.Specialties(r.Context())
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, list[Specialty]{items})
}

// idParams reads optional MIS-id query parameters, naming the bad ones.
func idParams(q url.Values, names ...string) (map[string]string, []problem.FieldError) {
	out := map[string]string{}
	var fe []problem.FieldError
	for _, n := range names {
		v := q.Get(n)
		if v != "" && !misID.MatchString(v) {
			fe = append(fe, problem.FieldError{Field: n, Message: "must be an MIS id (letters, digits, '-' and '.', at most 64)"})
		}
		out[n] = v
	}
	return out, fe
}

func (s *Service) handleDoctors(w http.ResponseWriter, r *http.Request) {
	p, fe := idParams(r.URL.Query(), "specialty", "branch")
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	items, err := s.Doctors(r.Context(), p["specialty"], p["branch"])
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, list[Doctor]{items})
}

// parseSlotQuery validates a slot search: a specialty or a doctor, a range
// of at most 14 days (from defaults to now, to to a week after from).
func parseSlotQuery(q url.Values, now time.Time) (SlotQuery, []problem.FieldError) {
	p, fe := idParams(q, "specialty", "branch", "doctor")
	sq := SlotQuery{SpecialtyID: p["specialty"], BranchID: p["branch"], DoctorID: p["doctor"], From: now.UTC(), Limit: DefaultSlotLimit}
	if len(fe) == 0 && sq.SpecialtyID == "" && sq.DoctorID == "" {
		fe = append(fe, problem.FieldError{Field: "specialty", Message: "give a specialty or a doctor"})
	}
	fe = append(fe, parseRange(q, &sq, defaultSlotRange, MaxSlotRange)...)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxSlotLimit {
			fe = append(fe, problem.FieldError{Field: "limit", Message: fmt.Sprintf("must be a number from 1 to %d", MaxSlotLimit)})
		}
		sq.Limit = n
	}
	return sq, fe
}

// parseScheduleQuery validates a schedule grid: a branch, a specialty or a
// doctor, a range of at most 8 days (to defaults to a day after from).
func parseScheduleQuery(q url.Values, now time.Time) (SlotQuery, []problem.FieldError) {
	p, fe := idParams(q, "specialty", "branch", "doctor")
	sq := SlotQuery{SpecialtyID: p["specialty"], BranchID: p["branch"], DoctorID: p["doctor"], From: now.UTC()}
	if len(fe) == 0 && sq.SpecialtyID == "" && sq.DoctorID == "" && sq.BranchID == "" {
		fe = append(fe, problem.FieldError{Field: "branch", Message: "give a branch, a specialty or a doctor"})
	}
	fe = append(fe, parseRange(q, &sq, 24*time.Hour, MaxScheduleRange)...)
	return sq, fe
}

// parseRange reads from and to into sq: from defaults to sq.From, to to
// def after from, and to must be later than from by at most max.
func parseRange(q url.Values, sq *SlotQuery, def, max time.Duration) []problem.FieldError {
	var fe []problem.FieldError
	timeOK := true
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &sq.From}, {"to", &sq.To}} {
		if v := q.Get(t.name); v != "" {
			parsed, err := time.Parse(time.RFC3339, v)
			if err != nil {
				fe = append(fe, problem.FieldError{Field: t.name, Message: "must be an RFC 3339 time, e.g. 2026-11-23T09:00:00+05:00"})
				timeOK = false
				continue
			}
			*t.dst = parsed.UTC()
		}
	}
	if sq.To.IsZero() {
		sq.To = sq.From.Add(def)
	}
	if timeOK {
		switch {
		case !sq.To.After(sq.From):
			fe = append(fe, problem.FieldError{Field: "to", Message: "must be later than from"})
		case sq.To.Sub(sq.From) > max:
			fe = append(fe, problem.FieldError{Field: "to", Message: fmt.Sprintf("must be at most %d days after from", int(max/(24*time.Hour)))})
		}
	}
	return fe
}

func (s *Service) handleSlots(w http.ResponseWriter, r *http.Request) {
	q, fe := parseSlotQuery(r.URL.Query(), s.Now())
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	items, err := s.FreeSlots(r.Context(), q)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, list[SlotView]{items})
}

type bookBody struct {
	SlotID    string `json:"slot_id"`
	ContactID string `json:"contact_id"`
	RequestID string `json:"request_id"`
	PatientID string `json:"patient_id"`
}

func (s *Service) handleBook(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		problem.Write(w, r, problem.New(problem.Unsupported, "send application/json"))
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	p := principal.From(r.Context())
	in := BookInput{IdemKey: r.Header.Get(idempotency.Header)}
	if in.IdemKey != "" {
		if err := idempotency.CheckKey(in.IdemKey); err != nil {
			problem.Write(w, r, err)
			return
		}
		in.Fingerprint = idempotency.Fingerprint(r.Method, r.URL.Path, "application/json", raw)
		if s.replay(w, r, p, in) {
			return
		}
	}
	var b bookBody
	if err := json.Unmarshal(raw, &b); err != nil {
		problem.Write(w, r, &problem.Error{Code: problem.Malformed, Message: "the body is not a JSON object", Err: err})
		return
	}
	var fe []problem.FieldError
	if !misID.MatchString(b.SlotID) {
		fe = append(fe, problem.FieldError{Field: "slot_id", Message: "must be a slot id from GET /mis/slots"})
	}
	if !ids.Valid(b.ContactID) {
		fe = append(fe, problem.FieldError{Field: "contact_id", Message: "must be a contact id"})
	}
	if b.RequestID != "" && !ids.Valid(b.RequestID) {
		fe = append(fe, problem.FieldError{Field: "request_id", Message: "must be a request id"})
	}
	if b.PatientID != "" && !misID.MatchString(b.PatientID) {
		fe = append(fe, problem.FieldError{Field: "patient_id", Message: "must be an MIS patient id"})
	}
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	in.SlotID, in.ContactID, in.RequestID, in.PatientID = b.SlotID, b.ContactID, b.RequestID, b.PatientID
	a, err := s.Book(r.Context(), p, in)
	if errors.Is(err, errIdemRace) && s.replay(w, r, p, in) {
		return
	}
	if writeTaken(w, r, err) {
		return
	}
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/mis/appointments/"+a.ID)
	httpapi.WriteJSON(w, http.StatusCreated, a)
}

// replay answers a booking retried with the same Idempotency-Key with the
// first answer, and refuses the key reused for another body. It reports
// whether it answered.
func (s *Service) replay(w http.ResponseWriter, r *http.Request, p principal.Principal, in BookInput) bool {
	saved, err := idempotency.Lookup(r.Context(), s.DB.R, idemScope(p), in.IdemKey)
	if err != nil {
		problem.Write(w, r, err)
		return true
	}
	if saved == nil {
		return false
	}
	if saved.Fingerprint != in.Fingerprint {
		problem.Write(w, r, problem.Field(idempotency.Header, "this key was already used for a different request"))
		return true
	}
	w.Header().Set("Content-Type", saved.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(saved.Status)
	_, _ = w.Write(saved.Body)
	return true
}

func (s *Service) handleCancel(w http.ResponseWriter, r *http.Request) {
	a, err := s.Cancel(r.Context(), principal.From(r.Context()), r.PathValue("id"))
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, a)
}

// writeTaken answers a slot taken meanwhile: 409 with fresh alternatives.
// It reports whether err was that.
func writeTaken(w http.ResponseWriter, r *http.Request, err error) bool {
	var tp *TakenProblem
	if !errors.As(err, &tp) {
		return false
	}
	body := problem.Localized(w, r, problem.New(problem.Conflict, "the slot was just taken; choose one of the alternatives"))
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusConflict)
	_ = json.NewEncoder(w).Encode(struct {
		problem.Body
		Alternatives []SlotView `json:"alternatives"`
	}{body, tp.Alternatives})
	return true
}

// readJSON decodes a JSON object body into dst, answering the problem
// itself when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		problem.Write(w, r, problem.New(problem.Unsupported, "send application/json"))
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(dst); err != nil {
		problem.Write(w, r, &problem.Error{Code: problem.Malformed, Message: "the body is not a JSON object", Err: err})
		return false
	}
	return true
}

func (s *Service) handleReschedule(w http.ResponseWriter, r *http.Request) {
	var b struct {
		SlotID string `json:"slot_id"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	a, err := s.Reschedule(r.Context(), principal.From(r.Context()), r.PathValue("id"), b.SlotID)
	if writeTaken(w, r, err) {
		return
	}
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, a)
}

func (s *Service) handleContactAppointments(w http.ResponseWriter, r *http.Request) {
	items, err := s.ContactAppointments(r.Context(), principal.From(r.Context()), r.URL.Query().Get("contact_id"))
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, list[Appointment]{items})
}

func (s *Service) handleServices(w http.ResponseWriter, r *http.Request) {
	p, fe := idParams(r.URL.Query(), "specialty")
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	items, err := s.Services(r.Context(), p["specialty"])
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, list[MedService]{items})
}

func (s *Service) handleSchedule(w http.ResponseWriter, r *http.Request) {
	q, fe := parseScheduleQuery(r.URL.Query(), s.Now())
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	items, err := s.Schedule(r.Context(), q)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, list[ScheduleSlot]{items})
}

type contactBody struct {
	ContactID string `json:"contact_id"`
	PatientID string `json:"patient_id"`
}

func (s *Service) handleMatch(w http.ResponseWriter, r *http.Request) {
	var b contactBody
	if !readJSON(w, r, &b) {
		return
	}
	ans, err := s.MatchPatients(r.Context(), principal.From(r.Context()), b.ContactID)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, ans)
}

func (s *Service) handleRegisterPatient(w http.ResponseWriter, r *http.Request) {
	var b contactBody
	if !readJSON(w, r, &b) {
		return
	}
	pt, l, err := s.RegisterPatient(r.Context(), principal.From(r.Context()), b.ContactID)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusCreated, struct {
		PatientView
		LinkID string `json:"link_id"`
	}{pt, l.ID})
}

func (s *Service) handleLink(w http.ResponseWriter, r *http.Request) {
	var b contactBody
	if !readJSON(w, r, &b) {
		return
	}
	l, created, err := s.LinkPatient(r.Context(), principal.From(r.Context()), b.ContactID, b.PatientID)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/mis/links/"+l.ID)
	}
	httpapi.WriteJSON(w, status, l)
}

func (s *Service) handleUnlink(w http.ResponseWriter, r *http.Request) {
	if err := s.UnlinkPatient(r.Context(), principal.From(r.Context()), r.PathValue("id")); err != nil {
		problem.Write(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleContactPatients(w http.ResponseWriter, r *http.Request) {
	items, err := s.ContactPatients(r.Context(), principal.From(r.Context()), r.PathValue("id"))
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, list[CardPatient]{items})
}

func (s *Service) handleHealth(w http.ResponseWriter, r *http.Request) {
	h, err := s.Health(r.Context())
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, h)
}

func (s *Service) handleRefresh(w http.ResponseWriter, r *http.Request) {
	if s.Client == nil {
		problem.Write(w, r, errNoMIS)
		return
	}
	if err := s.RefreshLater(r.Context(), principal.From(r.Context())); err != nil {
		problem.Write(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Service) handleCheck(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, s.Check(r.Context()))
}
