package contactcenter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/contactcenter/migrations"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
	"github.com/okno-crm/okno/internal/vault"
)

// Service is the contact-center service.
type Service struct {
	DB       *store.DB
	Now      func() time.Time
	OnCommit func() // wakes the outbox relay
	keys     *vault.Keys
	intake   *batcher
	auditor  *events.Committer
	forms    sync.Map // form key → cachedForm
	calls    *callWriter
	pbxCache shortCache[map[string]PBXIntegration]
	rules    shortCache[[]RoutingRule]
	exts     shortCache[map[string]string]
	// PublicURL is where the clinic's PBX reaches Okno: webhook URLs are
	// given under it.
	PublicURL string
	ami       amiRunner
}

// SweepEvery is how often overdue tasks, reminders and SLA breaches are
// looked for.
const SweepEvery = 15 * time.Second

// cachedForm keeps a web form for a few seconds: every submission needs it,
// and a form's settings change rarely.
type cachedForm struct {
	form    WebForm
	err     error
	expires time.Time
}

const formCacheTTL = 5 * time.Second

// New migrates the contact center's database, opens its data keys with the
// master key and prepares the intake writer; Run must be running for
// submissions to be stored.
func New(ctx context.Context, db *store.DB, masterKey []byte, now func() time.Time) (*Service, error) {
	if err := db.Migrate(ctx, migrations.FS); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	keys, err := vault.OpenKeys(ctx, db, masterKey, now)
	if err != nil {
		return nil, err
	}
	s := &Service{DB: db, Now: now, OnCommit: func() {}, keys: keys}
	s.intake = newBatcher(s)
	s.calls = newCallWriter(s)
	s.ami.changed = make(chan struct{}, 1)
	if err := s.seedLostReasons(ctx); err != nil {
		return nil, err
	}
	s.auditor = events.NewCommitter(db, func() { s.OnCommit() })
	return s, nil
}

// Run runs the group-commit writers (web forms, call events, audit) and the
// sweep of overdue tasks and SLA breaches until ctx ends, then stores what
// was already accepted into the writers' queues before returning.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); s.runAMI(ctx) }()
	go func() { defer wg.Done(); s.auditor.Run(ctx) }()
	go func() { defer wg.Done(); s.calls.run(ctx) }()
	go func() { defer wg.Done(); s.sweepLoop(ctx) }()
	s.intake.run(ctx)
	wg.Wait()
}

func (s *Service) sweepLoop(ctx context.Context) {
	t := time.NewTicker(SweepEvery)
	defer t.Stop()
	purged := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("contactcenter: sweep failed", "err", err)
		} else {
			s.OnCommit()
		}
		if time.Since(purged) > time.Hour {
			purged = time.Now()
			if err := s.PurgeDeliveries(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("contactcenter: purge of old delivery ids failed", "err", err)
			}
		}
	}
}

// WebFormForIntake returns an active web form, from a short-lived cache.
func (s *Service) WebFormForIntake(ctx context.Context, key string) (WebForm, error) {
	now := s.Now()
	if c, ok := s.forms.Load(key); ok && now.Before(c.(cachedForm).expires) {
		return c.(cachedForm).form, c.(cachedForm).err
	}
	f, err := s.FindWebForm(ctx, key)
	if err != nil && problem.CodeOf(err) != problem.NotFound {
		return WebForm{}, err
	}
	if len(key) <= 64 {
		s.forms.Store(key, cachedForm{form: f, err: err, expires: now.Add(formCacheTTL)})
	}
	return f, err
}

// FindWebForm returns an active web form by key.
func (s *Service) FindWebForm(ctx context.Context, key string) (WebForm, error) {
	var f WebForm
	var origins string
	err := s.DB.R.QueryRowContext(ctx, `SELECT form_key, name, consent_text, consent_version, allowed_origins, success_url, active FROM web_forms WHERE form_key = $1`, key).
		Scan(&f.Key, &f.Name, &f.ConsentText, &f.ConsentVersion, &origins, &f.SuccessURL, &f.Active)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !f.Active) {
		return WebForm{}, problem.New(problem.NotFound, "no such web form")
	}
	if err != nil {
		return WebForm{}, fmt.Errorf("contactcenter: find web form: %w", err)
	}
	f.AllowedOrigins = strings.Fields(origins)
	return f, nil
}

// SaveWebForm creates or replaces a web form.
func (s *Service) SaveWebForm(ctx context.Context, f WebForm) error {
	_, err := s.DB.W.ExecContext(ctx, `INSERT INTO web_forms (form_key, name, consent_text, consent_version, allowed_origins, success_url, active, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (form_key) DO UPDATE SET name = excluded.name, consent_text = excluded.consent_text, consent_version = excluded.consent_version,
  allowed_origins = excluded.allowed_origins, success_url = excluded.success_url, active = excluded.active`,
		f.Key, f.Name, f.ConsentText, f.ConsentVersion, strings.Join(f.AllowedOrigins, " "), f.SuccessURL, f.Active, s.Now().UTC())
	if err != nil {
		return fmt.Errorf("contactcenter: save web form: %w", err)
	}
	s.forms.Delete(f.Key)
	return nil
}

// RequestFilter selects requests for the inbox.
type RequestFilter struct {
	Status   string
	Channel  string
	Assignee string
	Queue    string
	Breached bool
	Before   string   // cursor: requests with ids below this one
	IDs      []string // only these requests
	Limit    int
}

const requestSelect = `SELECT r.id, r.channel, r.status, r.source, COALESCE(f.name, ''), r.message_sealed, r.created_at, r.updated_at,
  c.id, c.name_sealed, c.phone_sealed, c.email_sealed, co.given_at, co.text_version,
  r.queue_id, r.assignee_id, r.lost_reason, r.tags, r.merged_into, r.first_response_due, r.first_response_at, r.resolution_due, r.resolved_at, r.breached
FROM requests r
JOIN contacts c ON c.id = r.contact_id
LEFT JOIN web_forms f ON f.form_key = r.source
LEFT JOIN consents co ON co.request_id = r.id`

func scanRequest(ring *vault.Keyring, row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var given sql.NullTime
	var version sql.NullString
	var msg, name, phone, email, tags, breached string
	var frDue, frAt, resDue, resAt sql.NullTime
	err := row.Scan(&r.ID, &r.Channel, &r.Status, &r.Source, &r.SourceName, &msg, &r.CreatedAt, &r.UpdatedAt,
		&r.Contact.ID, &name, &phone, &email, &given, &version,
		&r.QueueID, &r.AssigneeID, &r.LostReason, &tags, &r.MergedInto, &frDue, &frAt, &resDue, &resAt, &breached)
	if err != nil {
		return Request{}, err
	}
	r.Tags, r.Breached = strings.Fields(tags), strings.Fields(breached)
	r.FirstResponseDue, r.FirstResponseAt, r.ResolutionDue, r.ResolvedAt = timePtr(frDue), timePtr(frAt), timePtr(resDue), timePtr(resAt)
	for _, f := range []struct {
		dst            *string
		sealed, aadStr string
	}{
		{&r.Message, msg, aad("requests", r.ID, "message")},
		{&r.Contact.Name, name, aad("contacts", r.Contact.ID, "name")},
		{&r.Contact.Phone, phone, aad("contacts", r.Contact.ID, "phone")},
		{&r.Contact.Email, email, aad("contacts", r.Contact.ID, "email")},
	} {
		if *f.dst, err = ring.Open(f.sealed, f.aadStr); err != nil {
			return Request{}, fmt.Errorf("request %s: %w", r.ID, err)
		}
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if given.Valid {
		r.Consent = &Consent{GivenAt: given.Time.UTC(), TextVersion: version.String}
	}
	return r, nil
}

// FindRequests lists requests newest first. It returns the cursor of the
// next page, empty on the last one.
func (s *Service) FindRequests(ctx context.Context, f RequestFilter) ([]Request, string, error) {
	lq := listQuery{db: s.DB}
	if f.Status != "" {
		lq.eq("r.status =", f.Status)
	}
	if f.Channel != "" {
		lq.eq("r.channel =", f.Channel)
	}
	if f.Assignee != "" {
		lq.eq("r.assignee_id =", f.Assignee)
	}
	if f.Queue != "" {
		lq.eq("r.queue_id =", f.Queue)
	}
	if f.Breached {
		lq.raw("r.breached <> '' AND r.status IN ('new', 'in_progress')")
	}
	if f.Before != "" {
		lq.eq("r.id <", f.Before)
	}
	lq.in("r.id", f.IDs)
	q, args := lq.build(requestSelect, "r.id", f.Limit)
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("contactcenter: find requests: %w", err)
	}
	defer rows.Close()
	items := make([]Request, 0, f.Limit)
	for rows.Next() {
		r, err := scanRequest(ring, rows)
		if err != nil {
			return nil, "", fmt.Errorf("contactcenter: scan request: %w", err)
		}
		items = append(items, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	items, next := page(items, f.Limit, func(r Request) string { return r.ID })
	return items, next, nil
}

// FindRequestByID returns one request.
func (s *Service) FindRequestByID(ctx context.Context, id string) (Request, error) {
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return Request{}, err
	}
	r, err := scanRequest(ring, s.DB.R.QueryRowContext(ctx, requestSelect+" WHERE r.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, problem.New(problem.NotFound, "no such request")
	}
	if err != nil {
		return Request{}, fmt.Errorf("contactcenter: find request: %w", err)
	}
	return r, nil
}

// ApplyIdentityEvent keeps the local roster of operators in step with the
// identity service, for assignment and display.
func (s *Service) ApplyIdentityEvent(ctx context.Context, tx *sql.Tx, e events.Envelope) error {
	switch e.Type {
	case "identity.user.created", "identity.user.updated":
	default:
		return nil
	}
	var u struct {
		UserID  string `json:"user_id"`
		Login   string `json:"login"`
		Name    string `json:"name"`
		Role    string `json:"role"`
		Blocked bool   `json:"blocked"`
	}
	if err := json.Unmarshal(e.Data, &u); err != nil || u.UserID == "" {
		return nil // unreadable: nothing to apply, and retrying will not help
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO operators (user_id, login, name, role, blocked, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (user_id) DO UPDATE SET login = excluded.login, name = excluded.name, role = excluded.role, blocked = excluded.blocked, updated_at = excluded.updated_at`,
		u.UserID, u.Login, u.Name, u.Role, u.Blocked, e.At.UTC())
	return err
}

// Operator is a staff member known to the contact center.
type Operator struct {
	UserID string `json:"user_id"`
	Login  string `json:"login"`
	Name   string `json:"name"`
	Role   string `json:"role"`
}

// FindOperators lists the operators roster.
func (s *Service) FindOperators(ctx context.Context) ([]Operator, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT user_id, login, name, role FROM operators WHERE blocked = FALSE ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Operator
	for rows.Next() {
		var o Operator
		if err := rows.Scan(&o.UserID, &o.Login, &o.Name, &o.Role); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
