package contactcenter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/httpapi"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/phone"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// The data subject's rights under 152-FZ: to know what is held on them
// (the subject report), to withdraw consent, and to be forgotten
// (anonymization, announced to every service by an event).

// ConsentRecord is one consent as held for a person.
type ConsentRecord struct {
	ID          string     `json:"id"`
	RequestID   string     `json:"request_id"`
	Purpose     string     `json:"purpose"`
	TextVersion string     `json:"text_version"`
	Channel     string     `json:"channel"`
	GivenAt     time.Time  `json:"given_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at"`
}

// SearchContacts finds contacts by exact phone or e-mail through the blind
// indexes. The values travel in the request body, never in a URL.
func (s *Service) SearchContacts(ctx context.Context, phoneRaw, email string) ([]Contact, error) {
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return nil, err
	}
	var col, idx string
	switch {
	case strings.TrimSpace(phoneRaw) != "":
		p, err := phone.Normalize(phoneRaw)
		if err != nil {
			return nil, problem.Field("phone", "is not a valid phone number")
		}
		col, idx = "phone_index", ring.Index("phone", p)
	case strings.TrimSpace(email) != "":
		col, idx = "email_index", ring.Index("email", strings.ToLower(strings.TrimSpace(email)))
	default:
		return nil, problem.Field("phone", "give a phone or an e-mail to search by")
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id FROM contacts WHERE `+col+` = $1 ORDER BY id LIMIT 20`, idx)
	if err != nil {
		return nil, fmt.Errorf("contactcenter: search contacts: %w", err)
	}
	var found []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, id)
	}
	rows.Close()
	out := make([]Contact, 0, len(found))
	for _, id := range found {
		c, err := s.FindContactByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// FindConsents lists a person's consents, newest first.
func (s *Service) FindConsents(ctx context.Context, contactID string) ([]ConsentRecord, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, COALESCE(request_id, ''), purpose, text_version, channel, given_at, withdrawn_at FROM consents WHERE contact_id = $1 ORDER BY given_at DESC, id DESC`, contactID)
	if err != nil {
		return nil, fmt.Errorf("contactcenter: consents: %w", err)
	}
	defer rows.Close()
	out := []ConsentRecord{}
	for rows.Next() {
		var c ConsentRecord
		var w sql.NullTime
		if err := rows.Scan(&c.ID, &c.RequestID, &c.Purpose, &c.TextVersion, &c.Channel, &c.GivenAt, &w); err != nil {
			return nil, err
		}
		c.GivenAt = c.GivenAt.UTC()
		if w.Valid {
			t := w.Time.UTC()
			c.WithdrawnAt = &t
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// WithdrawConsent records that the person withdrew a consent.
func (s *Service) WithdrawConsent(ctx context.Context, p principal.Principal, contactID, consentID string) error {
	now := s.Now().UTC()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE consents SET withdrawn_at = $3 WHERE id = $1 AND contact_id = $2 AND withdrawn_at IS NULL`, consentID, contactID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such consent in force")
		}
		if _, err := events.Add(ctx, tx, "contactcenter.consent.withdrawn", now, map[string]string{"contact_id": contactID, "consent_id": consentID}); err != nil {
			return err
		}
		return auditlog.Emit(ctx, tx, "contactcenter", auditRecord(p, now, "consent.withdrawn", "contact", contactID, nil, map[string]string{"consent_id": consentID}))
	})
}

func auditRecord(p principal.Principal, at time.Time, action, objType, objID string, fields []string, details map[string]string) auditlog.Record {
	return auditlog.Record{At: at, ActorID: p.UserID, ActorLogin: p.Login, ActorRole: p.Role, ClientAddr: p.ClientAddr,
		Action: action, ObjectType: objType, ObjectID: objID, Fields: fields, Outcome: auditlog.OutcomeSuccess, Details: details}
}

// SubjectReport is everything Okno's contact center holds on one person.
type SubjectReport struct {
	GeneratedAt time.Time       `json:"generated_at"`
	Contact     Contact         `json:"contact"`
	Anonymized  *time.Time      `json:"anonymized_at"`
	Requests    []Request       `json:"requests"`
	Consents    []ConsentRecord `json:"consents"`
}

// Report assembles the data-subject report.
func (s *Service) Report(ctx context.Context, contactID string) (SubjectReport, error) {
	c, err := s.FindContactByID(ctx, contactID)
	if err != nil {
		return SubjectReport{}, err
	}
	rep := SubjectReport{GeneratedAt: s.Now().UTC(), Contact: c}
	var an sql.NullTime
	if err := s.DB.R.QueryRowContext(ctx, `SELECT anonymized_at FROM contacts WHERE id = $1`, contactID).Scan(&an); err != nil {
		return SubjectReport{}, err
	}
	if an.Valid {
		t := an.Time.UTC()
		rep.Anonymized = &t
	}
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return SubjectReport{}, err
	}
	rows, err := s.DB.R.QueryContext(ctx, requestSelect+" WHERE r.contact_id = $1 ORDER BY r.id DESC", contactID)
	if err != nil {
		return SubjectReport{}, err
	}
	defer rows.Close()
	rep.Requests = []Request{}
	for rows.Next() {
		r, err := scanRequest(ring, rows)
		if err != nil {
			return SubjectReport{}, err
		}
		rep.Requests = append(rep.Requests, r)
	}
	if err := rows.Err(); err != nil {
		return SubjectReport{}, err
	}
	rep.Consents, err = s.FindConsents(ctx, contactID)
	return rep, err
}

// Anonymize erases a person's personal data from the contact center — name,
// phone, e-mail, the texts of their requests — keeping ids, times and
// statuses, and announces it so that every other service erases theirs.
func (s *Service) Anonymize(ctx context.Context, p principal.Principal, contactID string) error {
	now := s.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE contacts SET name_sealed = '', phone_sealed = '', email_sealed = '', phone_index = '', email_index = '', anonymized_at = $2, updated_at = $2 WHERE id = $1`, contactID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no such contact")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET message_sealed = '', updated_at = $2 WHERE contact_id = $1`, contactID, now); err != nil {
			return err
		}
		if _, err := events.Add(ctx, tx, "contactcenter.contact.anonymized", now, map[string]string{"contact_id": contactID}); err != nil {
			return err
		}
		return auditlog.Emit(ctx, tx, "contactcenter", auditRecord(p, now, "contact.anonymized", "contact", contactID,
			[]string{"name", "phone", "email", "requests.message"}, nil))
	})
	if err == nil {
		s.OnCommit()
	}
	return err
}

func (s *Service) handleSearchContacts(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Phone string `json:"phone"`
		Email string `json:"email"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		problem.Write(w, r, problem.New(problem.Malformed, "the body must be a JSON object with phone or email"))
		return
	}
	found, err := s.SearchContacts(r.Context(), in.Phone, in.Email)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	p := principal.From(r.Context())
	idList := make([]string, len(found))
	for i := range found {
		forViewer(p, &found[i])
		idList[i] = found[i].ID
	}
	by := "phone"
	if strings.TrimSpace(in.Phone) == "" {
		by = "email"
	}
	if err := s.audit(r.Context(), p, auditlog.Record{Action: "contact.search", ObjectType: "contact", Fields: []string{"name", "phone", "email"},
		Details: map[string]string{"by": by, "found": strings.Join(idList, ",")}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]Contact{"items": found})
}

func validContact(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !ids.Valid(id) {
		problem.Write(w, r, problem.New(problem.NotFound, "no such contact"))
		return "", false
	}
	return id, true
}

func (s *Service) handleConsents(w http.ResponseWriter, r *http.Request) {
	id, ok := validContact(w, r)
	if !ok {
		return
	}
	if _, err := s.FindContactByID(r.Context(), id); err != nil {
		problem.Write(w, r, err)
		return
	}
	list, err := s.FindConsents(r.Context(), id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]ConsentRecord{"items": list})
}

func (s *Service) handleWithdrawConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := validContact(w, r)
	if !ok {
		return
	}
	if err := s.WithdrawConsent(r.Context(), principal.From(r.Context()), id, r.PathValue("consent")); err != nil {
		problem.Write(w, r, err)
		return
	}
	s.OnCommit()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Service) handleSubjectReport(w http.ResponseWriter, r *http.Request) {
	id, ok := validContact(w, r)
	if !ok {
		return
	}
	rep, err := s.Report(r.Context(), id)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if err := s.audit(r.Context(), principal.From(r.Context()), auditlog.Record{Action: "contact.subject_report", ObjectType: "contact", ObjectID: id,
		Fields: []string{"name", "phone", "email", "requests", "consents"}}); err != nil {
		problem.Write(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="okno-subject-report-`+id+`.json"`)
	httpapi.WriteJSON(w, http.StatusOK, rep)
}

func (s *Service) handleAnonymize(w http.ResponseWriter, r *http.Request) {
	id, ok := validContact(w, r)
	if !ok {
		return
	}
	err := s.Anonymize(r.Context(), principal.From(r.Context()), id)
	if errors.Is(err, context.Canceled) {
		return
	}
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
