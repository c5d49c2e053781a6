package contactcenter

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/httpapi"
	"github.com/okno-crm/okno/internal/idempotency"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// MaxIntakeBody is the largest web-form body accepted.
const MaxIntakeBody = 1 << 20

// Handler is the contact center's internal HTTP API.
func (s *Service) Handler(internalToken string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /intake/web-forms/{key}", s.handleIntake)
	mux.HandleFunc("OPTIONS /intake/web-forms/{key}", s.handleIntakePreflight)
	mux.HandleFunc("GET /requests", principal.Require(perm.RequestsRead, s.handleListRequests))
	mux.HandleFunc("GET /requests/{id}", principal.Require(perm.RequestsRead, s.handleGetRequest))
	mux.HandleFunc("GET /contacts/{id}", principal.Require(perm.ContactsRead, s.handleGetContact))
	// Service-to-service only (never routed by the gateway): the MIS
	// service matches and registers patients from a contact, unmasked,
	// audited as the operator who asked.
	// A merged contact is answered with where it went (merged_into), never
	// with its data.
	mux.HandleFunc("GET /internal/contacts/{id}", principal.Require(perm.ContactsRead, s.handleInternalContact))
	mux.HandleFunc("POST /contacts/{id}/reveal", principal.Require(perm.ContactsReveal, s.handleReveal))
	mux.HandleFunc("POST /contacts/search", principal.Require(perm.ContactsRead, s.handleSearchContacts))
	mux.HandleFunc("GET /contacts/{id}/consents", principal.Require(perm.ContactsRead, s.handleConsents))
	mux.HandleFunc("POST /contacts/{id}/consents/{consent}/withdraw", principal.Require(perm.ConsentsManage, s.handleWithdrawConsent))
	mux.HandleFunc("GET /contacts/{id}/subject-report", principal.Require(perm.SubjectsManage, s.handleSubjectReport))
	mux.HandleFunc("POST /contacts/{id}/anonymize", principal.Require(perm.SubjectsManage, s.handleAnonymize))
	s.routesCallCenter(mux)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.DB.Ping(r.Context()); err != nil {
			problem.Write(w, r, problem.New(problem.Unavailable, "contact center database unavailable"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return principal.Middleware(internalToken, mux)
}

// allowCORS lets the clinic's own website post to a form from the browser;
// every other origin stays closed.
func allowCORS(w http.ResponseWriter, r *http.Request, f WebForm) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || !slices.Contains(f.AllowedOrigins, origin) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Add("Vary", "Origin")
	return true
}

func (s *Service) handleIntakePreflight(w http.ResponseWriter, r *http.Request) {
	f, err := s.WebFormForIntake(r.Context(), r.PathValue("key"))
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if allowCORS(w, r, f) {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key")
		w.Header().Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleIntake(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxIntakeBody))
	if err != nil {
		if problem.CodeOf(err) == problem.TooLarge {
			problem.Write(w, r, err)
		} else {
			problem.Write(w, r, problem.New(problem.Malformed, "the body could not be read"))
		}
		return
	}
	form, err := s.WebFormForIntake(r.Context(), r.PathValue("key"))
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	allowCORS(w, r, form)
	key := r.Header.Get(idempotency.Header)
	if key != "" {
		if err := idempotency.CheckKey(key); err != nil {
			problem.Write(w, r, err)
			return
		}
	}
	ct := r.Header.Get("Content-Type")
	in, err := ParseWebForm(ct, body)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	res, err := s.Submit(r.Context(), Submission{
		Form: form, Input: in, IdemKey: key,
		Fingerprint: idempotency.Fingerprint(r.Method, r.URL.Path, ct, body),
	})
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	// A plain HTML form posted by a browser is sent on to the site's
	// thank-you page rather than shown raw JSON.
	if res.Status == http.StatusCreated && form.SuccessURL != "" && prefersHTML(r) {
		http.Redirect(w, r, form.SuccessURL, http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", res.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(res.Status)
	_, _ = w.Write(res.Body)
}

func prefersHTML(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "text/html") && !strings.Contains(a, "application/json")
}

// ListResponse is a page of requests.
type ListResponse struct {
	Items      []Request `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

func (s *Service) handleListRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := RequestFilter{Status: q.Get("status"), Channel: q.Get("channel"), Before: q.Get("cursor"), Limit: 50,
		Queue: q.Get("queue"), Breached: q.Get("overdue") == "true"}
	var fe []problem.FieldError
	switch a := q.Get("assignee"); a {
	case "":
	case "me":
		f.Assignee = principal.From(r.Context()).UserID
	default:
		if !ids.Valid(a) {
			fe = append(fe, problem.FieldError{Field: "assignee", Message: "must be me or a user id"})
		}
		f.Assignee = a
	}
	if f.Queue != "" && !ids.Valid(f.Queue) {
		fe = append(fe, problem.FieldError{Field: "queue", Message: "not a queue id"})
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		fe = append(fe, problem.FieldError{Field: "status", Message: fmt.Sprintf("must be one of %s", strings.Join(Statuses, ", "))})
	}
	if f.Channel != "" && !slices.Contains(Channels, f.Channel) {
		fe = append(fe, problem.FieldError{Field: "channel", Message: fmt.Sprintf("must be one of %s", strings.Join(Channels, ", "))})
	}
	if f.Before != "" && !ids.Valid(f.Before) {
		fe = append(fe, problem.FieldError{Field: "cursor", Message: "is not a cursor this API gave"})
	}
	if v := q.Get("ids"); v != "" {
		f.IDs = strings.Split(v, ",")
		if len(f.IDs) > 200 {
			fe = append(fe, problem.FieldError{Field: "ids", Message: "at most 200 ids"})
		}
		for _, id := range f.IDs {
			if !ids.Valid(id) {
				fe = append(fe, problem.FieldError{Field: "ids", Message: "must be request ids separated by commas"})
				break
			}
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			fe = append(fe, problem.FieldError{Field: "limit", Message: "must be a number from 1 to 200"})
		}
		f.Limit = n
	}
	if len(fe) > 0 {
		problem.Write(w, r, problem.Fields(fe))
		return
	}
	items, next, err := s.FindRequests(r.Context(), f)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	p := principal.From(r.Context())
	shown := make([]string, len(items))
	for i := range items {
		forViewer(p, &items[i].Contact)
		shown[i] = items[i].ID
	}
	if err := s.auditList(r, "request", viewedFields(p), shown); err != nil {
		problem.Write(w, r, err)
		return
	}
	writePage(w, items, next)
}

func (s *Service) handleGetRequest(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !ids.Valid(id) {
		problem.Write(w, r, problem.New(problem.NotFound, "no such request"))
		return
	}
	req, err := s.FindRequestByID(r.Context(), id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	p := principal.From(r.Context())
	forViewer(p, &req.Contact)
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "request.read", ObjectType: "request", ObjectID: id, Fields: viewedFields(p),
		Details: map[string]string{"contact_id": req.Contact.ID}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, req)
}

// handleGetContact returns one contact, masked for a viewer without
// patients.read_pd; other services (the MIS matching) read contacts here.
func (s *Service) handleGetContact(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !ids.Valid(id) {
		problem.Write(w, r, problem.New(problem.NotFound, "no such contact"))
		return
	}
	c, err := s.FindContactByID(r.Context(), id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	p := principal.From(r.Context())
	forViewer(p, &c)
	fields := []string{"name", "phone", "email"}
	if c.Masked {
		fields = []string{"name", "phone.masked", "email.masked"}
	}
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "contact.read", ObjectType: "contact", ObjectID: id, Fields: fields}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, c)
}

// ContactForService is a contact as another service needs it: every phone
// and e-mail, unmasked.
type ContactForService struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Phones    []string `json:"phones"`
	Emails    []string `json:"emails"`
	BirthDate string   `json:"birth_date"`
}

// ContactRef is a contact as a service that needs no data of it sees it:
// whether it still stands or was merged, and into which contact.
type ContactRef struct {
	ID         string `json:"id"`
	MergedInto string `json:"merged_into"`
}

// internalPurposes are the reasons another service may read a contact
// for, recorded in the audit: true for those that need its data (matching
// and registering a patient); linking a patient and booking only ask
// whether the card was merged, and get ids only.
var internalPurposes = map[string]bool{"patient_match": true, "patient_register": true, "patient_link": false, "appointment_book": false}

func (s *Service) handleInternalContact(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !ids.Valid(id) {
		problem.Write(w, r, problem.New(problem.NotFound, "no such contact"))
		return
	}
	purpose := r.URL.Query().Get("purpose")
	needsData, known := internalPurposes[purpose]
	if !known {
		problem.Write(w, r, problem.Field("purpose", "must be patient_match, patient_register, patient_link or appointment_book"))
		return
	}
	p := principal.From(r.Context())
	var mergedInto string
	err := s.DB.R.QueryRowContext(r.Context(), `SELECT merged_into FROM contacts WHERE id = $1`, id).Scan(&mergedInto)
	if errors.Is(err, sql.ErrNoRows) {
		problem.Write(w, r, problem.New(problem.NotFound, "no such contact"))
		return
	}
	if err != nil {
		problem.Write(w, r, fmt.Errorf("contactcenter: internal contact: %w", err))
		return
	}
	// A merged card's data lives on with the survivor, which the caller
	// reads next: nothing of the merged one is opened or answered.
	if !needsData || mergedInto != "" {
		details := map[string]string{"purpose": purpose, "by_service": "mis"}
		if mergedInto != "" {
			details["merged_into"] = mergedInto
		}
		if err := s.audit(r.Context(), p, auditlog.Record{Action: "contact.read", ObjectType: "contact", ObjectID: id, Details: details}); err != nil {
			problem.Write(w, r, err)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, ContactRef{ID: id, MergedInto: mergedInto})
		return
	}
	full := p
	full.Permissions = append(append([]string{}, p.Permissions...), perm.PatientsReadPD)
	card, err := s.ContactCard(r.Context(), full, id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "contact.read", ObjectType: "contact", ObjectID: id,
		Fields: []string{"name", "phones", "emails"}, Details: map[string]string{"purpose": purpose, "by_service": "mis"}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, ContactForService{ID: id, Name: card.Name, Phones: card.Phones, Emails: card.Emails})
}

// handleReveal shows one contact's phone and e-mail unmasked, and records
// that it was shown, to whom and why it was possible.
func (s *Service) handleReveal(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !ids.Valid(id) {
		problem.Write(w, r, problem.New(problem.NotFound, "no such contact"))
		return
	}
	c, err := s.FindContactByID(r.Context(), id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if err := s.audit(r.Context(), principal.From(r.Context()), auditlog.Record{Action: "contact.reveal", ObjectType: "contact", ObjectID: id,
		Fields: []string{"phone", "email"}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"id": c.ID, "phone": c.Phone, "email": c.Email})
}
