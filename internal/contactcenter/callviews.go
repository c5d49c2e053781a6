package contactcenter

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/vault"
)

// CallView is a call as the call log shows it.
type CallView struct {
	ID           string     `json:"id"`
	Direction    string     `json:"direction"`
	Caller       string     `json:"caller"` // the outside party's number
	Line         string     `json:"line"`   // the clinic's number called (or calling)
	Extension    string     `json:"extension"`
	OperatorID   string     `json:"operator_id"`
	OperatorName string     `json:"operator_name"`
	QueueID      string     `json:"queue_id"`
	State        string     `json:"state"`
	Result       string     `json:"result"`
	StartedAt    time.Time  `json:"started_at"`
	AnsweredAt   *time.Time `json:"answered_at"`
	EndedAt      *time.Time `json:"ended_at"`
	Duration     int64      `json:"duration_seconds"`
	RecordingURL string     `json:"recording_url"`
	RequestID    string     `json:"request_id"`
	Contact      *Contact   `json:"contact"`
	Masked       bool       `json:"masked"`
}

// ContactID is the call's contact, or "".
func (c CallView) ContactID() string {
	if c.Contact == nil {
		return ""
	}
	return c.Contact.ID
}

// callForViewer masks the numbers for viewers without patients.read_pd.
func callForViewer(p principal.Principal, c *CallView) {
	if c.Contact != nil {
		forViewer(p, c.Contact)
	}
	if !p.Can(perm.PatientsReadPD) {
		c.Caller, c.Masked = MaskPhone(c.Caller), true
	}
}

func callFields(p principal.Principal) []string {
	if p.Can(perm.PatientsReadPD) {
		return []string{"caller", "line", "contact.name", "contact.phone", "recording_url"}
	}
	return []string{"caller.masked", "line", "contact.name", "contact.phone.masked", "recording_url"}
}

// CallFilter selects calls for the log.
type CallFilter struct {
	Direction string
	Result    string
	ContactID string
	IDs       []string
	Before    string
	Limit     int
}

const callSelect = `SELECT k.id, k.direction, k.from_sealed, k.to_sealed, k.extension, k.operator_id, COALESCE(o.name, ''), k.queue_id, k.state, k.result,
  k.started_at, k.answered_at, k.ended_at, k.duration_seconds, k.recording_sealed, k.request_id, k.contact_id,
  COALESCE(c.name_sealed, ''), COALESCE(c.phone_sealed, ''), COALESCE(c.email_sealed, '')
FROM calls k LEFT JOIN contacts c ON c.id = k.contact_id LEFT JOIN operators o ON o.user_id = k.operator_id`

func scanCall(ring *vault.Keyring, row interface{ Scan(...any) error }) (CallView, error) {
	var v CallView
	var from, to, rec, contactID, name, phone, email string
	var answered, ended sql.NullTime
	if err := row.Scan(&v.ID, &v.Direction, &from, &to, &v.Extension, &v.OperatorID, &v.OperatorName, &v.QueueID, &v.State, &v.Result,
		&v.StartedAt, &answered, &ended, &v.Duration, &rec, &v.RequestID, &contactID, &name, &phone, &email); err != nil {
		return CallView{}, err
	}
	var err error
	open := func(dst *string, sealed, a string) {
		if err == nil && sealed != "" {
			*dst, err = ring.Open(sealed, a)
		}
	}
	open(&v.Caller, from, aad("calls", v.ID, "from"))
	open(&v.Line, to, aad("calls", v.ID, "to"))
	open(&v.RecordingURL, rec, aad("calls", v.ID, "recording"))
	if contactID != "" {
		c := Contact{ID: contactID}
		open(&c.Name, name, aad("contacts", contactID, "name"))
		open(&c.Phone, phone, aad("contacts", contactID, "phone"))
		open(&c.Email, email, aad("contacts", contactID, "email"))
		v.Contact = &c
	}
	if err != nil {
		return CallView{}, fmt.Errorf("call %s: %w", v.ID, err)
	}
	v.StartedAt = v.StartedAt.UTC()
	v.AnsweredAt, v.EndedAt = timePtr(answered), timePtr(ended)
	return v, nil
}

// FindCalls lists calls newest first, with the next page's cursor.
func (s *Service) FindCalls(ctx context.Context, f CallFilter) ([]CallView, string, error) {
	lq := listQuery{db: s.DB}
	if f.Direction != "" {
		lq.eq("k.direction =", f.Direction)
	}
	if f.Result != "" {
		lq.eq("k.result =", f.Result)
	}
	if f.ContactID != "" {
		lq.eq("k.contact_id =", f.ContactID)
	}
	if f.Before != "" {
		lq.eq("k.id <", f.Before)
	}
	lq.in("k.id", f.IDs)
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q, args := lq.build(callSelect, "k.id", f.Limit)
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("contactcenter: find calls: %w", err)
	}
	defer rows.Close()
	out := make([]CallView, 0, f.Limit)
	for rows.Next() {
		v, err := scanCall(ring, rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := page(out, f.Limit, func(c CallView) string { return c.ID })
	return out, next, nil
}

// RequestBrief is a request in a pop-up or timeline: no message text.
type RequestBrief struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// CallBrief is a call in a pop-up or timeline.
type CallBrief struct {
	ID        string    `json:"id"`
	Direction string    `json:"direction"`
	Result    string    `json:"result"`
	State     string    `json:"state"`
	StartedAt time.Time `json:"started_at"`
	Duration  int64     `json:"duration_seconds"`
}

// Popup is what an operator sees while their phone rings: who calls,
// their open requests and their last contacts with the clinic.
type Popup struct {
	Call         CallView       `json:"call"`
	OpenRequests []RequestBrief `json:"open_requests"`
	RecentCalls  []CallBrief    `json:"recent_calls"`
	OpenTasks    int64          `json:"open_tasks"`
}

// Popup assembles the incoming-call card, masked for the viewer.
func (s *Service) Popup(ctx context.Context, p principal.Principal, callID string) (Popup, error) {
	calls, _, err := s.FindCalls(ctx, CallFilter{IDs: []string{callID}, Limit: 1})
	if err != nil {
		return Popup{}, err
	}
	if len(calls) == 0 {
		return Popup{}, problem.New(problem.NotFound, "no such call")
	}
	pop := Popup{Call: calls[0], OpenRequests: []RequestBrief{}, RecentCalls: []CallBrief{}}
	callForViewer(p, &pop.Call)
	cid := pop.Call.ContactID()
	if cid == "" {
		return pop, nil
	}
	if pop.OpenRequests, err = s.requestBriefs(ctx, cid, true, 10); err != nil {
		return Popup{}, err
	}
	if pop.RecentCalls, err = s.callBriefs(ctx, cid, callID, 5); err != nil {
		return Popup{}, err
	}
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM tasks WHERE contact_id = $1 AND status = 'open'`, cid).Scan(&pop.OpenTasks); err != nil {
		return Popup{}, err
	}
	return pop, nil
}

func (s *Service) requestBriefs(ctx context.Context, contactID string, openOnly bool, limit int) ([]RequestBrief, error) {
	q := `SELECT id, channel, status, created_at FROM requests WHERE contact_id = $1 AND merged_into = ''`
	if openOnly {
		q += ` AND status IN ('new', 'in_progress', 'booked')`
	}
	rows, err := s.DB.R.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $2`, contactID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RequestBrief{}
	for rows.Next() {
		var b RequestBrief
		if err := rows.Scan(&b.ID, &b.Channel, &b.Status, &b.CreatedAt); err != nil {
			return nil, err
		}
		b.CreatedAt = b.CreatedAt.UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *Service) callBriefs(ctx context.Context, contactID, except string, limit int) ([]CallBrief, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, direction, result, state, started_at, duration_seconds FROM calls WHERE contact_id = $1 AND id <> $2 ORDER BY id DESC LIMIT $3`,
		contactID, except, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []CallBrief{}
	for rows.Next() {
		var b CallBrief
		if err := rows.Scan(&b.ID, &b.Direction, &b.Result, &b.State, &b.StartedAt, &b.Duration); err != nil {
			return nil, err
		}
		b.StartedAt = b.StartedAt.UTC()
		out = append(out, b)
	}
	return out, rows.Err()
}
