package contactcenter

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/contactcenter/assign"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/problem"
)

// Presence of an operator: only online operators are given work.
const (
	PresenceOnline  = "online"
	PresenceAway    = "away"
	PresenceOffline = "offline"
)

// Presences lists the valid presences.
var Presences = []string{PresenceOnline, PresenceAway, PresenceOffline}

// OperatorView is an operator on the supervisor's board.
type OperatorView struct {
	Operator
	Extension    string     `json:"extension"`
	Presence     string     `json:"presence"`
	PresenceAt   *time.Time `json:"presence_at"`
	OpenRequests int64      `json:"open_requests"`
	OpenTasks    int64      `json:"open_tasks"`
	OverdueTasks int64      `json:"overdue_tasks"`
}

func (s *Service) ensureOperatorState(ctx context.Context, tx *sql.Tx, userID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO operator_state (user_id, extension, presence, presence_at, updated_at) VALUES ($1, '', 'offline', $2, $2)
ON CONFLICT (user_id) DO NOTHING`, userID, now)
	return err
}

// SetPresence records an operator's presence and announces a change; it
// returns the presence stored afterwards. With onlyFrom set, the change
// applies only while the stored presence is onlyFrom: the gateway reports a
// socket opening as online-if-offline, so that an operator who stepped
// away stays away when they reload the page or open another tab.
func (s *Service) SetPresence(ctx context.Context, userID, presence, onlyFrom string) (string, error) {
	if !slices.Contains(Presences, presence) {
		return "", problem.Fieldf("presence", "must be one of %s", strings.Join(Presences, ", "))
	}
	if onlyFrom != "" && !slices.Contains(Presences, onlyFrom) {
		return "", problem.Fieldf("if", "must be one of %s", strings.Join(Presences, ", "))
	}
	now := s.Now().UTC()
	stored := ""
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.ensureOperatorState(ctx, tx, userID, now); err != nil {
			return err
		}
		q, args := `UPDATE operator_state SET presence = $2, presence_at = $3, updated_at = $3 WHERE user_id = $1 AND presence <> $2`, []any{userID, presence, now}
		if onlyFrom != "" {
			q, args = q+` AND presence = $4`, append(args, onlyFrom)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("contactcenter: set presence: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			err := tx.QueryRowContext(ctx, `SELECT presence FROM operator_state WHERE user_id = $1`, userID).Scan(&stored)
			if err != nil {
				return fmt.Errorf("contactcenter: read presence: %w", err)
			}
			return nil
		}
		stored = presence
		return s.emit(ctx, tx, now, events.Event{Subject: "contactcenter.operator.presence", Data: map[string]string{"user_id": userID, "presence": presence}})
	})
	if err != nil {
		return "", err
	}
	s.OnCommit()
	return stored, nil
}

// SetExtension gives an operator their telephone extension (the number
// the PBX rings), so that incoming calls pop up on their screen.
func (s *Service) SetExtension(ctx context.Context, userID, ext string) error {
	ext = strings.TrimSpace(ext)
	if len(ext) > 20 || strings.ContainsAny(ext, " \t\r\n") {
		return problem.Field("extension", "at most 20 characters, no spaces")
	}
	now := s.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if ext != "" {
			var other string
			err := tx.QueryRowContext(ctx, `SELECT user_id FROM operator_state WHERE extension = $1 AND user_id <> $2`, ext, userID).Scan(&other)
			if err == nil {
				return problem.New(problem.Conflict, "this extension belongs to another operator")
			}
		}
		if err := s.ensureOperatorState(ctx, tx, userID, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE operator_state SET extension = $2, updated_at = $3 WHERE user_id = $1`, userID, ext, now)
		return err
	})
	s.exts.drop()
	return err
}

// Roster lists operators with their presence and load, for the board and
// for assignment.
func (s *Service) Roster(ctx context.Context) ([]OperatorView, error) {
	now := s.Now().UTC()
	rows, err := s.DB.R.QueryContext(ctx, `SELECT o.user_id, o.login, o.name, o.role, COALESCE(st.extension, ''), COALESCE(st.presence, 'offline'), st.presence_at,
  (SELECT COUNT(*) FROM requests r WHERE r.assignee_id = o.user_id AND r.status IN ('new', 'in_progress')),
  (SELECT COUNT(*) FROM tasks t WHERE t.assignee_id = o.user_id AND t.status = 'open'),
  (SELECT COUNT(*) FROM tasks t WHERE t.assignee_id = o.user_id AND t.status = 'open' AND t.due_at < $1)
FROM operators o LEFT JOIN operator_state st ON st.user_id = o.user_id
WHERE o.blocked = FALSE ORDER BY o.name, o.user_id`, now)
	if err != nil {
		return nil, fmt.Errorf("contactcenter: roster: %w", err)
	}
	defer rows.Close()
	out := []OperatorView{}
	for rows.Next() {
		var v OperatorView
		var at sql.NullTime
		if err := rows.Scan(&v.UserID, &v.Login, &v.Name, &v.Role, &v.Extension, &v.Presence, &at, &v.OpenRequests, &v.OpenTasks, &v.OverdueTasks); err != nil {
			return nil, err
		}
		v.PresenceAt = timePtr(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// emit adds events to the outbox in the caller's transaction.
func (s *Service) emit(ctx context.Context, tx *sql.Tx, at time.Time, evs ...events.Event) error {
	return events.AddMany(ctx, s.DB, tx, at, evs)
}

// pickAssignee chooses an operator for new work in q by its strategy among
// its members who are online and under capacity; "" leaves the work in
// the queue. The queue remembers whom it gave work to last (round-robin).
func (s *Service) pickAssignee(ctx context.Context, tx *sql.Tx, q Queue, now time.Time) (string, error) {
	if q.ID == "" || q.Strategy == StrategyManual || len(q.Members) == 0 {
		return "", nil
	}
	args := []any{}
	for _, m := range q.Members {
		args = append(args, m)
	}
	rows, err := tx.QueryContext(ctx, `SELECT st.user_id, st.presence, st.last_assigned_at,
  (SELECT COUNT(*) FROM requests r WHERE r.assignee_id = st.user_id AND r.status IN ('new', 'in_progress'))
  + (SELECT COUNT(*) FROM tasks t WHERE t.assignee_id = st.user_id AND t.status = 'open')
FROM operator_state st JOIN operators o ON o.user_id = st.user_id AND o.blocked = FALSE
WHERE st.user_id IN (`+s.DB.Params(1, len(q.Members))+`) ORDER BY st.user_id`, args...)
	if err != nil {
		return "", fmt.Errorf("contactcenter: assignment candidates: %w", err)
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		var last sql.NullTime
		if err := rows.Scan(&c.userID, &c.presence, &last, &c.load); err != nil {
			rows.Close()
			return "", err
		}
		if last.Valid {
			c.lastAssigned = last.Time
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	picked := chooseOperator(q.Strategy, q.lastAssigned, cands)
	if picked == "" {
		return "", nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE queues SET last_assigned = $2 WHERE id = $1`, q.ID, picked); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE operator_state SET last_assigned_at = $2 WHERE user_id = $1`, picked, now); err != nil {
		return "", err
	}
	return picked, nil
}

type candidate struct {
	userID, presence string
	load             int64
	lastAssigned     time.Time
}

// chooseOperator applies a queue's strategy to its candidates.
func chooseOperator(strategy, last string, cands []candidate) string {
	q := assign.Queue{Strategy: assign.Strategy(strategy), LastAssigned: last}
	for _, c := range cands {
		q.Members = append(q.Members, assign.Member{UserID: c.userID, Presence: assign.Presence(c.presence), Load: int(c.load), LastAssignedAt: c.lastAssigned})
	}
	r, err := assign.Pick(q)
	if err != nil || !r.OK() {
		return ""
	}
	return r.UserID
}
