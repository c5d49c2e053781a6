package contactcenter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
)

// Task kinds.
const (
	TaskCallback = "callback"  // call back a missed or abandoned call
	TaskNoShow   = "noshow"    // the patient did not come: call and rebook
	TaskFollowUp = "follow_up" // anything a manager plans to do by a time
)

// TaskKinds lists the kinds.
var TaskKinds = []string{TaskCallback, TaskNoShow, TaskFollowUp}

// Task statuses.
const (
	TaskOpen      = "open"
	TaskDone      = "done"
	TaskCancelled = "cancelled"
)

// Task is a task as managers see it.
type Task struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	Contact     *Contact   `json:"contact"`
	RequestID   string     `json:"request_id"`
	CallID      string     `json:"call_id"`
	QueueID     string     `json:"queue_id"`
	AssigneeID  string     `json:"assignee_id"`
	Note        string     `json:"note"`
	Attempts    int64      `json:"attempts"`
	DueAt       time.Time  `json:"due_at"`
	Overdue     bool       `json:"overdue"`
	RemindAt    *time.Time `json:"remind_at"`
	EscalatedAt *time.Time `json:"escalated_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	ClosedBy    string     `json:"closed_by"`
	CloseReason string     `json:"close_reason"`
}

func taskEvent(subject, id, kind, status, assignee, queue, contact string) events.Event {
	return events.Event{Subject: "contactcenter.task." + subject, Data: map[string]string{
		"task_id": id, "kind": kind, "status": status, "assignee_id": assignee, "queue_id": queue, "contact_id": contact}}
}

// callbackForMiss opens a callback task for a missed call, due within the
// queue's callback SLA counted in its working hours; a further miss from
// the same number joins the open task (one atomic statement, so two misses
// committed at once still make one task).
func (s *Service) callbackForMiss(ctx context.Context, tx *sql.Tx, c callRow, now time.Time) error {
	q, err := s.queue(ctx, tx, c.queueID)
	if err != nil {
		q = defaultQueue()
	}
	from := now
	if c.endedAt.Valid {
		from = c.endedAt.Time.UTC()
	}
	due := q.Hours.AddWorking(from, time.Duration(q.CallbackSLA)*time.Second).UTC()
	assignee, err := s.pickAssignee(ctx, tx, q, now)
	if err != nil {
		return err
	}
	id := ids.NewAt(now)
	var got string
	var attempts int64
	err = tx.QueryRowContext(ctx, `INSERT INTO tasks (id, kind, status, contact_id, request_id, call_id, phone_index, queue_id, assignee_id, note_sealed,
  attempts, due_at, created_at, updated_at, closed_by, close_reason)
VALUES ($1, 'callback', 'open', $2, '', $3, $4, $5, $6, '', 1, $7, $8, $8, '', '')
ON CONFLICT (phone_index) WHERE kind = 'callback' AND status = 'open'
DO UPDATE SET attempts = tasks.attempts + 1, call_id = excluded.call_id, updated_at = excluded.updated_at
RETURNING id, attempts`, id, c.contactID, c.id, c.phoneIndex, c.queueID, assignee, due, now).Scan(&got, &attempts)
	if err != nil {
		return fmt.Errorf("contactcenter: callback task: %w", err)
	}
	subject := "updated"
	if got == id {
		subject = "created"
	}
	return s.emit(ctx, tx, now, taskEvent(subject, got, TaskCallback, TaskOpen, assignee, c.queueID, c.contactID))
}

// closeCallbacks closes the open callback of a number once a call reaches
// the patient, whoever called whom.
func (s *Service) closeCallbacks(ctx context.Context, tx *sql.Tx, phoneIndex, callID string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `UPDATE tasks SET status = 'done', closed_at = $2, closed_by = 'system', close_reason = 'reached', call_id = $3, updated_at = $2
WHERE phone_index = $1 AND kind = 'callback' AND status = 'open' RETURNING id, assignee_id, queue_id, contact_id`, phoneIndex, now, callID)
	if err != nil {
		return fmt.Errorf("contactcenter: close callbacks: %w", err)
	}
	var evs []events.Event
	for rows.Next() {
		var id, assignee, queue, contact string
		if err := rows.Scan(&id, &assignee, &queue, &contact); err != nil {
			rows.Close()
			return err
		}
		evs = append(evs, taskEvent("closed", id, TaskCallback, TaskDone, assignee, queue, contact))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(evs) == 0 {
		return nil
	}
	return s.emit(ctx, tx, now, evs...)
}

// NewTask is a task a manager creates (or a no-show follow-up).
type NewTask struct {
	Kind      string    `json:"kind"`
	RequestID string    `json:"request_id"`
	ContactID string    `json:"contact_id"`
	Note      string    `json:"note"`
	DueAt     time.Time `json:"due_at"`
	RemindAt  time.Time `json:"remind_at"`
	// AssigneeID empty: the creator takes it.
	AssigneeID string `json:"assignee_id"`
}

// CreateTask stores a manager's task.
func (s *Service) CreateTask(ctx context.Context, actorID string, in NewTask) (Task, error) {
	var fe []problem.FieldError
	bad := func(f, m string) { fe = append(fe, problem.FieldError{Field: f, Message: m}) }
	if in.Kind == "" {
		in.Kind = TaskFollowUp
	}
	if in.Kind != TaskFollowUp && in.Kind != TaskNoShow {
		bad("kind", "must be follow_up or noshow (callbacks come from missed calls)")
	}
	if in.RequestID != "" && !ids.Valid(in.RequestID) {
		bad("request_id", "not a request id")
	}
	if in.ContactID != "" && !ids.Valid(in.ContactID) {
		bad("contact_id", "not a contact id")
	}
	if in.RequestID == "" && in.ContactID == "" {
		bad("request_id", "a task needs a request_id or a contact_id")
	}
	if in.DueAt.IsZero() {
		bad("due_at", "required (RFC 3339)")
	}
	if !in.RemindAt.IsZero() && !in.DueAt.IsZero() && in.RemindAt.After(in.DueAt) {
		bad("remind_at", "must not be after due_at")
	}
	in.Note = strings.TrimSpace(in.Note)
	if len([]rune(in.Note)) > 2000 {
		bad("note", "at most 2000 characters")
	}
	if in.AssigneeID != "" && !ids.Valid(in.AssigneeID) {
		bad("assignee_id", "not a user id")
	}
	if len(fe) > 0 {
		return Task{}, problem.Fields(fe)
	}
	if in.AssigneeID == "" {
		in.AssigneeID = actorID
	}
	now := s.Now().UTC()
	id := ids.NewAt(now)
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		queue := ""
		if in.RequestID != "" {
			err := tx.QueryRowContext(ctx, `SELECT contact_id, queue_id FROM requests WHERE id = $1`, in.RequestID).Scan(&in.ContactID, &queue)
			if errors.Is(err, sql.ErrNoRows) {
				return problem.Field("request_id", "no such request")
			}
			if err != nil {
				return err
			}
		}
		return s.insertTask(ctx, tx, id, in, queue, now)
	})
	if err != nil {
		return Task{}, err
	}
	s.OnCommit()
	return s.FindTask(ctx, id)
}

func (s *Service) insertTask(ctx context.Context, tx *sql.Tx, id string, in NewTask, queue string, now time.Time) error {
	note := ""
	if in.Note != "" {
		ring, err := s.keys.Ring(ctx)
		if err != nil {
			return err
		}
		if note, err = ring.Seal(in.Note, aad("tasks", id, "note")); err != nil {
			return err
		}
	}
	var remind any
	if !in.RemindAt.IsZero() {
		remind = in.RemindAt.UTC()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO tasks (id, kind, status, contact_id, request_id, call_id, phone_index, queue_id, assignee_id, note_sealed,
  attempts, due_at, remind_at, created_at, updated_at, closed_by, close_reason)
VALUES ($1, $2, 'open', $3, $4, '', $5, $6, $7, $8, 0, $9, $10, $11, $11, '', '')`,
		id, in.Kind, in.ContactID, in.RequestID, "task:"+id, queue, in.AssigneeID, note, in.DueAt.UTC(), remind, now)
	if err != nil {
		return fmt.Errorf("contactcenter: insert task: %w", err)
	}
	return s.emit(ctx, tx, now, taskEvent("created", id, in.Kind, TaskOpen, in.AssigneeID, queue, in.ContactID))
}

// TaskFilter selects tasks.
type TaskFilter struct {
	Kind     string
	Status   string
	Assignee string
	Queue    string
	Request  string // the request the tasks belong to
	Overdue  bool
	IDs      []string
	Before   string
	Limit    int
}

const taskSelect = `SELECT t.id, t.kind, t.status, t.contact_id, t.request_id, t.call_id, t.queue_id, t.assignee_id, t.note_sealed, t.attempts,
  t.due_at, t.remind_at, t.escalated_at, t.created_at, t.updated_at, t.closed_at, t.closed_by, t.close_reason,
  COALESCE(c.name_sealed, ''), COALESCE(c.phone_sealed, ''), COALESCE(c.email_sealed, '')
FROM tasks t LEFT JOIN contacts c ON c.id = t.contact_id`

// FindTasks lists tasks, open ones soonest due first, others newest first.
func (s *Service) FindTasks(ctx context.Context, f TaskFilter) ([]Task, string, error) {
	lq := listQuery{db: s.DB}
	if f.Kind != "" {
		lq.eq("t.kind =", f.Kind)
	}
	if f.Status != "" {
		lq.eq("t.status =", f.Status)
	}
	if f.Assignee != "" {
		lq.eq("t.assignee_id =", f.Assignee)
	}
	if f.Queue != "" {
		lq.eq("t.queue_id =", f.Queue)
	}
	if f.Request != "" {
		lq.eq("t.request_id =", f.Request)
	}
	if f.Overdue {
		lq.eq("t.status = 'open' AND t.due_at <", s.Now().UTC())
	}
	if f.Before != "" {
		lq.eq("t.id <", f.Before)
	}
	lq.in("t.id", f.IDs)
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q, args := lq.build(taskSelect, "t.id", f.Limit)
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("contactcenter: find tasks: %w", err)
	}
	defer rows.Close()
	now := s.Now().UTC()
	out := make([]Task, 0, f.Limit)
	for rows.Next() {
		var t Task
		var contactID, note, name, phone, email string
		var remind, escalated, closed sql.NullTime
		if err := rows.Scan(&t.ID, &t.Kind, &t.Status, &contactID, &t.RequestID, &t.CallID, &t.QueueID, &t.AssigneeID, &note, &t.Attempts,
			&t.DueAt, &remind, &escalated, &t.CreatedAt, &t.UpdatedAt, &closed, &t.ClosedBy, &t.CloseReason, &name, &phone, &email); err != nil {
			return nil, "", err
		}
		if note != "" {
			if t.Note, err = ring.Open(note, aad("tasks", t.ID, "note")); err != nil {
				return nil, "", fmt.Errorf("task %s: %w", t.ID, err)
			}
		}
		if contactID != "" {
			c := Contact{ID: contactID}
			for _, f := range []struct {
				dst           *string
				sealed, field string
			}{{&c.Name, name, "name"}, {&c.Phone, phone, "phone"}, {&c.Email, email, "email"}} {
				if *f.dst, err = ring.Open(f.sealed, aad("contacts", contactID, f.field)); err != nil {
					return nil, "", fmt.Errorf("task %s contact: %w", t.ID, err)
				}
			}
			t.Contact = &c
		}
		t.DueAt, t.CreatedAt, t.UpdatedAt = t.DueAt.UTC(), t.CreatedAt.UTC(), t.UpdatedAt.UTC()
		t.RemindAt, t.EscalatedAt, t.ClosedAt = timePtr(remind), timePtr(escalated), timePtr(closed)
		t.Overdue = t.Status == TaskOpen && now.After(t.DueAt)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := page(out, f.Limit, func(t Task) string { return t.ID })
	return out, next, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// FindTask returns one task.
func (s *Service) FindTask(ctx context.Context, id string) (Task, error) {
	ts, _, err := s.FindTasks(ctx, TaskFilter{IDs: []string{id}, Limit: 1})
	if err != nil {
		return Task{}, err
	}
	if len(ts) == 0 {
		return Task{}, problem.New(problem.NotFound, "no such task")
	}
	return ts[0], nil
}

// TaskChange is what a manager does to a task: take it, hand it on,
// complete or cancel it, or move its due time.
type TaskChange struct {
	AssigneeID *string    `json:"assignee_id"`
	Status     *string    `json:"status"`
	Reason     string     `json:"reason"`
	DueAt      *time.Time `json:"due_at"`
}

// UpdateTask applies a change.
func (s *Service) UpdateTask(ctx context.Context, actorID, id string, in TaskChange) (Task, error) {
	var fe []problem.FieldError
	if in.Status != nil && !slices.Contains([]string{TaskOpen, TaskDone, TaskCancelled}, *in.Status) {
		fe = append(fe, problem.FieldError{Field: "status", Message: "must be open, done or cancelled"})
	}
	if in.AssigneeID != nil && *in.AssigneeID != "" && !ids.Valid(*in.AssigneeID) {
		fe = append(fe, problem.FieldError{Field: "assignee_id", Message: "not a user id"})
	}
	if len(in.Reason) > 200 {
		fe = append(fe, problem.FieldError{Field: "reason", Message: "at most 200 characters"})
	}
	if len(fe) > 0 {
		return Task{}, problem.Fields(fe)
	}
	now := s.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var kind, status, assignee, queue, contact string
		err := tx.QueryRowContext(ctx, `SELECT kind, status, assignee_id, queue_id, contact_id FROM tasks WHERE id = $1`, id).Scan(&kind, &status, &assignee, &queue, &contact)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.NotFound, "no such task")
		}
		if err != nil {
			return err
		}
		if in.AssigneeID != nil {
			assignee = *in.AssigneeID
		}
		subject := "updated"
		closedAt, closedBy, reason := any(nil), "", ""
		if in.Status != nil && *in.Status != status {
			if status != TaskOpen {
				return problem.New(problem.Conflict, "the task is already closed")
			}
			status = *in.Status
			if status != TaskOpen {
				subject, closedAt, closedBy, reason = "closed", now, actorID, in.Reason
			}
		}
		q := `UPDATE tasks SET assignee_id = $2, status = $3, closed_at = $4, closed_by = $5, close_reason = $6, updated_at = $7`
		args := []any{id, assignee, status, closedAt, closedBy, reason, now}
		if in.DueAt != nil {
			q += `, due_at = $8, escalated_at = NULL`
			args = append(args, in.DueAt.UTC())
		}
		if _, err := tx.ExecContext(ctx, q+` WHERE id = $1`, args...); err != nil {
			return fmt.Errorf("contactcenter: update task: %w", err)
		}
		return s.emit(ctx, tx, now, taskEvent(subject, id, kind, status, assignee, queue, contact))
	})
	if err != nil {
		return Task{}, err
	}
	s.OnCommit()
	return s.FindTask(ctx, id)
}

// Sweep escalates tasks that passed their due time, sends due reminders
// and reports requests whose SLA is breached — each once. Run calls it
// every SweepEvery; tests call it with their own clock.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.Now().UTC()
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var evs []events.Event
		collect := func(subject, q string) error {
			rows, err := tx.QueryContext(ctx, q, now)
			if err != nil {
				return fmt.Errorf("contactcenter: sweep %s: %w", subject, err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, kind, assignee, queue, contact string
				if err := rows.Scan(&id, &kind, &assignee, &queue, &contact); err != nil {
					return err
				}
				evs = append(evs, taskEvent(subject, id, kind, TaskOpen, assignee, queue, contact))
			}
			return rows.Err()
		}
		if err := collect("escalated", `UPDATE tasks SET escalated_at = $1, updated_at = $1 WHERE status = 'open' AND due_at < $1 AND escalated_at IS NULL
RETURNING id, kind, assignee_id, queue_id, contact_id`); err != nil {
			return err
		}
		if err := collect("reminder", `UPDATE tasks SET remind_at = NULL, updated_at = $1 WHERE status = 'open' AND remind_at IS NOT NULL AND remind_at <= $1
RETURNING id, kind, assignee_id, queue_id, contact_id`); err != nil {
			return err
		}
		breaches, err := s.sweepSLA(ctx, tx, now)
		if err != nil {
			return err
		}
		evs = append(evs, breaches...)
		if len(evs) == 0 {
			return nil
		}
		return s.emit(ctx, tx, now, evs...)
	})
}
