package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/audit/migrations"
	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/store"
)

// ServiceName is the audit service's database (store.Options.Service) and
// the service named on the records it files about itself.
const ServiceName = "audit"

// Page sizes for Find.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Service is the audit service.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

// New migrates the audit database.
func New(ctx context.Context, db *store.DB, now func() time.Time) (*Service, error) {
	if err := db.Migrate(ctx, migrations.FS); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Service{DB: db, Now: now}, nil
}

// Entry is a filed record as the API shows it.
type Entry struct {
	Seq        int64             `json:"seq"`
	EventID    string            `json:"event_id"`
	Service    string            `json:"service"` // the service that emitted the record
	RecordedAt time.Time         `json:"recorded_at"`
	At         time.Time         `json:"at"`
	ActorID    string            `json:"actor_id"`
	ActorLogin string            `json:"actor_login"`
	ActorRole  string            `json:"actor_role"`
	ClientAddr string            `json:"client_addr"`
	Action     string            `json:"action"`
	ObjectType string            `json:"object_type"`
	ObjectID   string            `json:"object_id"`
	Fields     []string          `json:"fields"`
	Outcome    string            `json:"outcome"`
	Details    map[string]string `json:"details"`
	PrevHash   string            `json:"prev_hash"`
	Hash       string            `json:"hash"`
}

const entryCols = `seq, event_id, service, recorded_at, at, actor_id, actor_login, actor_role, client_addr,
  action, object_type, object_id, fields, outcome, details, prev_hash, hash`

func scanEntry(row interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var fields, details string
	err := row.Scan(&e.Seq, &e.EventID, &e.Service, &e.RecordedAt, &e.At, &e.ActorID, &e.ActorLogin, &e.ActorRole, &e.ClientAddr,
		&e.Action, &e.ObjectType, &e.ObjectID, &fields, &e.Outcome, &details, &e.PrevHash, &e.Hash)
	if err != nil {
		return Entry{}, err
	}
	e.RecordedAt, e.At = e.RecordedAt.UTC(), e.At.UTC()
	// A column that no longer decodes leaves the value empty: the hash then
	// fails to match and Verify reports the record, which is the point.
	_ = json.Unmarshal([]byte(fields), &e.Fields)
	_ = json.Unmarshal([]byte(details), &e.Details)
	if e.Fields == nil {
		e.Fields = []string{}
	}
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	return e, nil
}

// Apply files the audit records arriving from the bus; it is the Handler of
// the audit service's events.Consumer, which marks the event handled in the
// same transaction. Other subjects are ignored.
//
// A record that cannot be read or is incomplete is still filed, as an
// "audit.malformed" failure naming the event: returning an error would stall
// the single consumer on it forever, and dropping it would leave no trace.
func (s *Service) Apply(ctx context.Context, tx *sql.Tx, e events.Envelope) error {
	service, ok := strings.CutSuffix(e.Type, auditlog.SubjectSuffix)
	if !ok || service == "" {
		return nil
	}
	var r auditlog.Record
	reason := ""
	if err := json.Unmarshal(e.Data, &r); err != nil {
		reason = "unreadable record"
	} else if err := auditlog.Validate(r); err != nil {
		reason = err.Error() // names missing fields, never values
	}
	if reason != "" {
		at := e.At
		if at.IsZero() {
			at = s.Now()
		}
		r = auditlog.Record{
			At: at, ActorID: "system", Action: "audit.malformed", ObjectType: "event", ObjectID: e.ID,
			Outcome: auditlog.OutcomeFailure, Details: map[string]string{"subject": e.Type, "reason": reason},
		}
	}
	_, err := s.file(ctx, tx, e.ID, service, r)
	return err
}

// record files an event of the audit service's own (an export of the
// trail) in its own transaction.
func (s *Service) record(ctx context.Context, r auditlog.Record) (int64, error) {
	if err := auditlog.Validate(r); err != nil {
		return 0, err
	}
	var seq int64
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		seq, err = s.file(ctx, tx, ids.New(), ServiceName, r)
		return err
	})
	return seq, err
}

// file appends r to the chain inside tx and returns its seq. The last row is
// read in the same transaction: SQLite's single writer serialises appends,
// and on PostgreSQL a racing append fails on the seq primary key (and is
// retried by the consumer) instead of forking the chain.
func (s *Service) file(ctx context.Context, tx *sql.Tx, eventID, service string, r auditlog.Record) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM audit_records WHERE event_id = $1`, eventID).Scan(&seq)
	if err == nil {
		return seq, nil // filed already: a replay outside the consumer's inbox
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("audit: look up event: %w", err)
	}
	prev := genesis
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("audit: read chain head: %w", err)
	}
	// Times are cut to microseconds, what PostgreSQL keeps, so that the
	// hash computed now is the hash recomputed from the stored row.
	e := Entry{
		Seq: seq + 1, EventID: eventID, Service: clean(service),
		RecordedAt: s.Now().UTC().Truncate(time.Microsecond), At: r.At.UTC().Truncate(time.Microsecond),
		ActorID: clean(r.ActorID), ActorLogin: clean(r.ActorLogin), ActorRole: clean(r.ActorRole), ClientAddr: clean(r.ClientAddr),
		Action: clean(r.Action), ObjectType: clean(r.ObjectType), ObjectID: clean(r.ObjectID),
		Fields: make([]string, 0, len(r.Fields)), Outcome: clean(r.Outcome), Details: make(map[string]string, len(r.Details)),
		PrevHash: prev,
	}
	for _, f := range r.Fields {
		e.Fields = append(e.Fields, clean(f))
	}
	for k, v := range r.Details {
		e.Details[clean(k)] = clean(v)
	}
	e.Hash = chainHash(prev, e)
	fields, _ := json.Marshal(e.Fields)
	details, _ := json.Marshal(e.Details)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_records (`+entryCols+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		e.Seq, e.EventID, e.Service, e.RecordedAt, e.At, e.ActorID, e.ActorLogin, e.ActorRole, e.ClientAddr,
		e.Action, e.ObjectType, e.ObjectID, string(fields), e.Outcome, string(details), e.PrevHash, e.Hash)
	if err != nil {
		return 0, fmt.Errorf("audit: append record: %w", err)
	}
	return e.Seq, nil
}

// clean makes a string storable as PostgreSQL TEXT, which refuses NUL and
// invalid UTF-8: a record that can never be inserted would stall the
// consumer. The hash covers the cleaned value, which is what is kept.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// Verify recomputes the chain in seq order and returns how many records it
// read and the seq of the first one that is wrong: a hash or prev_hash that
// does not match, or a missing seq (a deleted record). firstBroken is 0
// when the chain is intact. Rows are streamed, not loaded at once.
func (s *Service) Verify(ctx context.Context) (checked int, firstBroken int64, err error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+entryCols+` FROM audit_records ORDER BY seq`)
	if err != nil {
		return 0, 0, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	prev, want := genesis, int64(1)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return checked, 0, fmt.Errorf("audit: verify: %w", err)
		}
		checked++
		if e.Seq != want {
			return checked, want, nil
		}
		if e.PrevHash != prev || e.Hash != chainHash(prev, e) {
			return checked, e.Seq, nil
		}
		prev, want = e.Hash, want+1
	}
	if err := rows.Err(); err != nil {
		return checked, 0, fmt.Errorf("audit: verify: %w", err)
	}
	return checked, 0, nil
}

// Filter selects records. Empty fields do not filter; strings match exactly.
type Filter struct {
	ActorID    string
	ActorLogin string
	ObjectID   string
	ObjectType string
	Action     string
	From       time.Time // records at or after (by the time of the event)
	To         time.Time // records before
	Before     int64     // cursor: records with seq below this one
	Limit      int       // DefaultLimit when 0, at most MaxLimit
}

// where returns the WHERE clause of f (empty when f selects everything) and
// its arguments.
func (s *Service) where(f Filter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, cond+" "+s.DB.Params(len(args), 1))
	}
	for _, c := range []struct{ col, v string }{
		{"actor_id", f.ActorID}, {"actor_login", f.ActorLogin}, {"object_id", f.ObjectID},
		{"object_type", f.ObjectType}, {"action", f.Action},
	} {
		if c.v != "" {
			add(c.col+" =", c.v)
		}
	}
	// Both databases compare these correctly: PostgreSQL as timestamps,
	// SQLite as the driver's UTC text, whose order is the time order.
	if !f.From.IsZero() {
		add("at >=", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at <", f.To.UTC())
	}
	if f.Before > 0 {
		add("seq <", f.Before)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Find lists records newest first. It returns the cursor of the next page,
// empty on the last one.
func (s *Service) Find(ctx context.Context, f Filter) ([]Entry, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	where, args := s.where(f)
	args = append(args, limit+1)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+entryCols+` FROM audit_records`+where+
		` ORDER BY seq DESC LIMIT `+s.DB.Params(len(args), 1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("audit: find: %w", err)
	}
	defer rows.Close()
	items := make([]Entry, 0, min(limit+1, 64))
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, "", fmt.Errorf("audit: find: %w", err)
		}
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("audit: find: %w", err)
	}
	next := ""
	if len(items) > limit {
		items = items[:limit]
		next = strconv.FormatInt(items[len(items)-1].Seq, 10)
	}
	return items, next, nil
}

// nth returns the seq of the n-th record (from 1, newest first) that f
// selects, and whether any record follows it.
func (s *Service) nth(ctx context.Context, f Filter, n int) (seq int64, more bool, err error) {
	where, args := s.where(f)
	args = append(args, n-1)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT seq FROM audit_records`+where+
		` ORDER BY seq DESC LIMIT 2 OFFSET `+s.DB.Params(len(args), 1), args...)
	if err != nil {
		return 0, false, fmt.Errorf("audit: count: %w", err)
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return 0, false, err
		}
		if found == 0 {
			seq = v
		}
		found++
	}
	return seq, found == 2, rows.Err()
}
