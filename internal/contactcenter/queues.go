package contactcenter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/contactcenter/workhours"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
)

// Assignment strategies of a queue.
const (
	StrategyManual      = "manual"
	StrategyRoundRobin  = "round_robin"
	StrategyLeastLoaded = "least_loaded"
)

// Strategies lists the valid strategies.
var Strategies = []string{StrategyManual, StrategyRoundRobin, StrategyLeastLoaded}

// Default SLA of a queue without its own: a missed call is called back
// within 15 working minutes; a request gets a first answer within 15 and
// is resolved within two working days.
const (
	DefaultCallbackSLA      = 15 * time.Minute
	DefaultFirstResponseSLA = 15 * time.Minute
	DefaultResolutionSLA    = 24 * time.Hour
)

// Queue is where requests and callbacks wait for an operator.
type Queue struct {
	ID               string              `json:"id"`
	Name             string              `json:"name"`
	Strategy         string              `json:"strategy"`
	Hours            *workhours.Schedule `json:"hours"`
	FirstResponseSLA int64               `json:"first_response_sla_seconds"`
	ResolutionSLA    int64               `json:"resolution_sla_seconds"`
	CallbackSLA      int64               `json:"callback_sla_seconds"`
	Members          []string            `json:"members"`
	Position         int64               `json:"position"`
	lastAssigned     string
}

// defaultQueue stands in where no queue is chosen: the clinic's default
// working hours and SLA, manual assignment.
func defaultQueue() Queue {
	return Queue{Name: "default", Strategy: StrategyManual, Hours: defaultHours(), FirstResponseSLA: int64(DefaultFirstResponseSLA / time.Second),
		ResolutionSLA: int64(DefaultResolutionSLA / time.Second), CallbackSLA: int64(DefaultCallbackSLA / time.Second)}
}

// defaultHours is the clinic's usual schedule, built once: every request
// and call outside a queue is timed by it.
var defaultHours = sync.OnceValue(func() *workhours.Schedule {
	h, err := workhours.New(workhours.DefaultSpec())
	if err != nil {
		panic("contactcenter: the default working hours do not parse: " + err.Error())
	}
	return h
})

// QueueInput is what an administrator sends to create or change a queue.
type QueueInput struct {
	Name             string          `json:"name"`
	Strategy         string          `json:"strategy"`
	Hours            json.RawMessage `json:"hours"`
	FirstResponseSLA int64           `json:"first_response_sla_seconds"`
	ResolutionSLA    int64           `json:"resolution_sla_seconds"`
	CallbackSLA      int64           `json:"callback_sla_seconds"`
	Members          []string        `json:"members"`
	Position         int64           `json:"position"`
}

func (in QueueInput) toQueue() (Queue, error) {
	var fe []problem.FieldError
	bad := func(f, m string) { fe = append(fe, problem.FieldError{Field: f, Message: m}) }
	q := Queue{Name: strings.TrimSpace(in.Name), Strategy: in.Strategy, FirstResponseSLA: in.FirstResponseSLA,
		ResolutionSLA: in.ResolutionSLA, CallbackSLA: in.CallbackSLA, Members: in.Members, Position: in.Position}
	if q.Name == "" || len(q.Name) > 100 {
		bad("name", "required, at most 100 characters")
	}
	if q.Strategy == "" {
		q.Strategy = StrategyManual
	}
	if !slices.Contains(Strategies, q.Strategy) {
		bad("strategy", fmt.Sprintf("must be one of %s", strings.Join(Strategies, ", ")))
	}
	for _, f := range []struct {
		name string
		v    *int64
		def  time.Duration
	}{{"first_response_sla_seconds", &q.FirstResponseSLA, DefaultFirstResponseSLA}, {"resolution_sla_seconds", &q.ResolutionSLA, DefaultResolutionSLA},
		{"callback_sla_seconds", &q.CallbackSLA, DefaultCallbackSLA}} {
		if *f.v == 0 {
			*f.v = int64(f.def / time.Second)
		}
		if *f.v < 60 || *f.v > 30*24*3600 {
			bad(f.name, "must be from 60 seconds to 30 days")
		}
	}
	if q.Members == nil {
		q.Members = []string{}
	}
	for _, m := range q.Members {
		if !ids.Valid(m) {
			bad("members", "must be user ids")
			break
		}
	}
	if len(in.Hours) == 0 || string(in.Hours) == "null" {
		q.Hours, _ = workhours.New(workhours.DefaultSpec())
	} else {
		h, err := workhours.ParseField("hours", in.Hours)
		if err != nil {
			var pe *problem.Error
			if !errors.As(err, &pe) {
				// Not a refusal of the schedule: the cause is for the log,
				// not a message for the client.
				return Queue{}, err
			}
			fe = append(fe, pe.Fields...)
		}
		q.Hours = h
	}
	if len(fe) > 0 {
		return Queue{}, problem.Fields(fe)
	}
	return q, nil
}

// SaveQueue creates (id "") or replaces a queue with its members.
func (s *Service) SaveQueue(ctx context.Context, id string, in QueueInput) (Queue, error) {
	q, err := in.toQueue()
	if err != nil {
		return Queue{}, err
	}
	hours, _ := json.Marshal(q.Hours)
	now := s.Now().UTC()
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if id == "" {
			q.ID = ids.New()
			_, err := tx.ExecContext(ctx, `INSERT INTO queues (id, name, strategy, hours, first_response_seconds, resolution_seconds, callback_seconds, last_assigned, position, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9, $9)`, q.ID, q.Name, q.Strategy, string(hours), q.FirstResponseSLA, q.ResolutionSLA, q.CallbackSLA, q.Position, now)
			if err != nil {
				return fmt.Errorf("contactcenter: create queue: %w", err)
			}
		} else {
			q.ID = id
			res, err := tx.ExecContext(ctx, `UPDATE queues SET name = $2, strategy = $3, hours = $4, first_response_seconds = $5, resolution_seconds = $6, callback_seconds = $7, position = $8, updated_at = $9 WHERE id = $1`,
				q.ID, q.Name, q.Strategy, string(hours), q.FirstResponseSLA, q.ResolutionSLA, q.CallbackSLA, q.Position, now)
			if err != nil {
				return fmt.Errorf("contactcenter: update queue: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return problem.New(problem.NotFound, "no such queue")
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM queue_members WHERE queue_id = $1`, q.ID); err != nil {
				return err
			}
		}
		for _, m := range q.Members {
			if _, err := tx.ExecContext(ctx, `INSERT INTO queue_members (queue_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, q.ID, m); err != nil {
				return fmt.Errorf("contactcenter: queue member: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return Queue{}, err
	}
	return q, nil
}

const queueSelect = `SELECT id, name, strategy, hours, first_response_seconds, resolution_seconds, callback_seconds, last_assigned, position FROM queues`

func scanQueue(row interface{ Scan(...any) error }) (Queue, error) {
	var q Queue
	var hours string
	if err := row.Scan(&q.ID, &q.Name, &q.Strategy, &hours, &q.FirstResponseSLA, &q.ResolutionSLA, &q.CallbackSLA, &q.lastAssigned, &q.Position); err != nil {
		return Queue{}, err
	}
	h, err := workhours.Parse([]byte(hours))
	if err != nil {
		return Queue{}, fmt.Errorf("contactcenter: queue %s hours: %w", q.ID, err)
	}
	q.Hours = h
	return q, nil
}

// queue reads one queue with its members; "" is the default queue.
func (s *Service) queue(ctx context.Context, db querier, id string) (Queue, error) {
	if id == "" {
		return defaultQueue(), nil
	}
	q, err := scanQueue(db.QueryRowContext(ctx, queueSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Queue{}, problem.New(problem.NotFound, "no such queue")
	}
	if err != nil {
		return Queue{}, err
	}
	rows, err := db.QueryContext(ctx, `SELECT user_id FROM queue_members WHERE queue_id = $1 ORDER BY user_id`, id)
	if err != nil {
		return Queue{}, err
	}
	defer rows.Close()
	q.Members = []string{}
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return Queue{}, err
		}
		q.Members = append(q.Members, m)
	}
	return q, rows.Err()
}

// Queues lists the queues with their members.
func (s *Service) Queues(ctx context.Context) ([]Queue, error) {
	rows, err := s.DB.R.QueryContext(ctx, queueSelect+` ORDER BY position, name`)
	if err != nil {
		return nil, err
	}
	var out []Queue
	for rows.Next() {
		q, err := scanQueue(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	members, err := s.DB.R.QueryContext(ctx, `SELECT queue_id, user_id FROM queue_members ORDER BY user_id`)
	if err != nil {
		return nil, err
	}
	defer members.Close()
	byQueue := map[string][]string{}
	for members.Next() {
		var q, u string
		if err := members.Scan(&q, &u); err != nil {
			return nil, err
		}
		byQueue[q] = append(byQueue[q], u)
	}
	for i := range out {
		out[i].Members = byQueue[out[i].ID]
		if out[i].Members == nil {
			out[i].Members = []string{}
		}
	}
	return out, members.Err()
}

// RouteInput is what a routing rule matches on.
type RouteInput struct {
	Channel   string
	Line      string // the clinic's number called (E.164), for calls
	Source    string // the web form key, for web requests
	Specialty string
	Branch    string
}

// RoutingRule sends matching requests and calls to a queue. Empty fields
// match anything; the first rule by position wins.
type RoutingRule struct {
	ID        string `json:"id"`
	Position  int64  `json:"position"`
	Channel   string `json:"channel"`
	Line      string `json:"line"`
	Source    string `json:"source"`
	Specialty string `json:"specialty"`
	Branch    string `json:"branch"`
	QueueID   string `json:"queue_id"`
}

func (r RoutingRule) matches(in RouteInput) bool {
	return (r.Channel == "" || r.Channel == in.Channel) && (r.Line == "" || r.Line == in.Line) &&
		(r.Source == "" || r.Source == in.Source) && (r.Specialty == "" || r.Specialty == in.Specialty) &&
		(r.Branch == "" || r.Branch == in.Branch)
}

// routeQueue picks the queue for a new request or call: the first matching
// rule, else fallback (the integration's or form's own queue). Every new
// call and request is routed, so the rules are read from a short-lived
// cache that a change of the rules clears.
func (s *Service) routeQueue(ctx context.Context, in RouteInput, fallback string) (string, error) {
	rules, err := s.cachedRules(ctx)
	if err != nil {
		return "", err
	}
	for _, r := range rules {
		if r.matches(in) {
			return r.QueueID, nil
		}
	}
	return fallback, nil
}

// cachedRules are the routing rules, read at most every few seconds: every
// call and request is routed.
func (s *Service) cachedRules(ctx context.Context) ([]RoutingRule, error) {
	return s.rules.get(s.Now(), func() ([]RoutingRule, error) { return s.routingRules(ctx, s.DB.R) })
}

func (s *Service) routingRules(ctx context.Context, db querier) ([]RoutingRule, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, position, channel, line, source, specialty, branch, queue_id FROM routing_rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("contactcenter: routing rules: %w", err)
	}
	defer rows.Close()
	out := []RoutingRule{}
	for rows.Next() {
		var r RoutingRule
		if err := rows.Scan(&r.ID, &r.Position, &r.Channel, &r.Line, &r.Source, &r.Specialty, &r.Branch, &r.QueueID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RoutingRules lists the rules in the order they are tried.
func (s *Service) RoutingRules(ctx context.Context) ([]RoutingRule, error) {
	return s.routingRules(ctx, s.DB.R)
}

// ReplaceRoutingRules stores the whole ordered list of rules at once: the
// administrator edits them as one list.
func (s *Service) ReplaceRoutingRules(ctx context.Context, rules []RoutingRule) ([]RoutingRule, error) {
	var fe []problem.FieldError
	for i := range rules {
		r := &rules[i]
		f := fmt.Sprintf("rules[%d]", i)
		if r.Channel != "" && !slices.Contains(Channels, r.Channel) {
			fe = append(fe, problem.FieldError{Field: f + ".channel", Message: fmt.Sprintf("must be one of %s", strings.Join(Channels, ", "))})
		}
		if !ids.Valid(r.QueueID) {
			fe = append(fe, problem.FieldError{Field: f + ".queue_id", Message: "required: a queue id"})
		}
		for _, v := range []struct{ n, v string }{{"line", r.Line}, {"source", r.Source}, {"specialty", r.Specialty}, {"branch", r.Branch}} {
			if len(v.v) > 100 {
				fe = append(fe, problem.FieldError{Field: f + "." + v.n, Message: "at most 100 characters"})
			}
		}
		r.ID, r.Position = ids.New(), int64(i)
	}
	if len(rules) > 500 {
		fe = append(fe, problem.FieldError{Field: "rules", Message: "at most 500 rules"})
	}
	if len(fe) > 0 {
		return nil, problem.Fields(fe)
	}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rules {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM queues WHERE id = $1`, r.QueueID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return problem.Fields([]problem.FieldError{{Field: fmt.Sprintf("rules[%d].queue_id", r.Position), Message: "no such queue"}})
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM routing_rules`); err != nil {
			return err
		}
		for _, r := range rules {
			if _, err := tx.ExecContext(ctx, `INSERT INTO routing_rules (id, position, channel, line, source, specialty, branch, queue_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				r.ID, r.Position, r.Channel, r.Line, r.Source, r.Specialty, r.Branch, r.QueueID); err != nil {
				return fmt.Errorf("contactcenter: routing rule: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.rules.drop()
	if rules == nil {
		rules = []RoutingRule{}
	}
	return rules, nil
}
