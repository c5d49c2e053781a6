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

// SLA names, as recorded in a request's breached list and announced.
const (
	SLAFirstResponse = "first_response"
	SLAResolution    = "resolution"
)

// LostReason is why a request ended without a visit.
type LostReason struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Active   bool   `json:"active"`
	Position int64  `json:"position"`
}

// defaultLostReasons are seeded on first start; administrators edit them.
var defaultLostReasons = []string{"Дорого", "Выбрал другую клинику", "Не дозвонились", "Нет подходящего врача или времени", "Передумал", "Дубль"}

// seedLostReasons fills an empty list with the defaults.
func (s *Service) seedLostReasons(ctx context.Context) error {
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM lost_reasons`).Scan(&n); err != nil || n > 0 {
			return err
		}
		for i, name := range defaultLostReasons {
			if _, err := tx.ExecContext(ctx, `INSERT INTO lost_reasons (id, name, active, position) VALUES ($1, $2, TRUE, $3)`, ids.New(), name, i); err != nil {
				return err
			}
		}
		return nil
	})
}

// LostReasons lists the reasons, active first by position.
func (s *Service) LostReasons(ctx context.Context) ([]LostReason, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, active, position FROM lost_reasons ORDER BY position, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LostReason{}
	for rows.Next() {
		var r LostReason
		if err := rows.Scan(&r.ID, &r.Name, &r.Active, &r.Position); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveLostReasons replaces the list: reasons keep their ids (requests name
// them), unlisted ones are deactivated rather than deleted.
func (s *Service) SaveLostReasons(ctx context.Context, in []LostReason) ([]LostReason, error) {
	var fe []problem.FieldError
	seen := map[string]bool{}
	for i := range in {
		in[i].Name = strings.TrimSpace(in[i].Name)
		if in[i].Name == "" || len([]rune(in[i].Name)) > 100 {
			fe = append(fe, problem.FieldError{Field: fmt.Sprintf("reasons[%d].name", i), Message: "required, at most 100 characters"})
		}
		if in[i].ID != "" && !ids.Valid(in[i].ID) {
			fe = append(fe, problem.FieldError{Field: fmt.Sprintf("reasons[%d].id", i), Message: "not a reason id"})
		}
		if seen[in[i].Name] {
			fe = append(fe, problem.FieldError{Field: fmt.Sprintf("reasons[%d].name", i), Message: "listed twice"})
		}
		seen[in[i].Name] = true
	}
	if len(fe) > 0 {
		return nil, problem.Fields(fe)
	}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE lost_reasons SET active = FALSE`); err != nil {
			return err
		}
		for i, r := range in {
			if r.ID == "" {
				r.ID = ids.New()
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO lost_reasons (id, name, active, position) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, active = excluded.active, position = excluded.position`, r.ID, r.Name, r.Active, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.LostReasons(ctx)
}

// RequestChange is what a manager changes on a request. Nil fields stay.
type RequestChange struct {
	Status     *string   `json:"status"`
	LostReason *string   `json:"lost_reason"`
	AssigneeID *string   `json:"assignee_id"`
	QueueID    *string   `json:"queue_id"`
	Tags       *[]string `json:"tags"`
}

type requestState struct {
	status, lostReason, assignee, queue, tags, contactID, mergedInto string
	firstResponseAt, resolvedAt                                      sql.NullTime
}

func (s *Service) requestState(ctx context.Context, tx *sql.Tx, id string) (requestState, error) {
	var st requestState
	err := tx.QueryRowContext(ctx, `SELECT status, lost_reason, assignee_id, queue_id, tags, contact_id, merged_into, first_response_at, resolved_at FROM requests WHERE id = $1`, id).
		Scan(&st.status, &st.lostReason, &st.assignee, &st.queue, &st.tags, &st.contactID, &st.mergedInto, &st.firstResponseAt, &st.resolvedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return st, problem.New(problem.NotFound, "no such request")
	}
	return st, err
}

func normalizeTags(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if len([]rune(t)) > 40 || strings.ContainsAny(t, " \t,") {
			return nil, problem.Field("tags", "each tag at most 40 characters, without spaces or commas")
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > 20 {
		return nil, problem.Field("tags", "at most 20 tags")
	}
	slices.Sort(out)
	return out, nil
}

// UpdateRequest applies a manager's change, records each changed field in
// the request's history and announces it. The first change by a person is
// the request's first response; booked, visited and lost resolve it.
func (s *Service) UpdateRequest(ctx context.Context, actorID, id string, in RequestChange) error {
	var fe []problem.FieldError
	if in.Status != nil && !slices.Contains(Statuses, *in.Status) {
		fe = append(fe, problem.FieldError{Field: "status", Message: fmt.Sprintf("must be one of %s", strings.Join(Statuses, ", "))})
	}
	if in.AssigneeID != nil && *in.AssigneeID != "" && !ids.Valid(*in.AssigneeID) {
		fe = append(fe, problem.FieldError{Field: "assignee_id", Message: "not a user id"})
	}
	if in.QueueID != nil && *in.QueueID != "" && !ids.Valid(*in.QueueID) {
		fe = append(fe, problem.FieldError{Field: "queue_id", Message: "not a queue id"})
	}
	var tags []string
	if in.Tags != nil {
		var err error
		if tags, err = normalizeTags(*in.Tags); err != nil {
			return err
		}
	}
	if len(fe) > 0 {
		return problem.Fields(fe)
	}
	now := s.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		st, err := s.requestState(ctx, tx, id)
		if err != nil {
			return err
		}
		if st.mergedInto != "" {
			return problem.New(problem.Conflict, "the request was merged into another one")
		}
		next := st
		if in.Status != nil {
			next.status = *in.Status
		}
		if in.LostReason != nil {
			next.lostReason = strings.TrimSpace(*in.LostReason)
		}
		if next.status != StatusLost {
			next.lostReason = ""
		} else if next.lostReason == "" {
			return problem.Field("lost_reason", "required when the request is lost")
		} else if next.lostReason != st.lostReason {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM lost_reasons WHERE name = $1 AND active = TRUE`, next.lostReason).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return problem.Field("lost_reason", "not one of the clinic's reasons (GET /api/v1/lost-reasons)")
			}
		}
		if in.AssigneeID != nil {
			next.assignee = *in.AssigneeID
			if next.assignee != "" {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM operators WHERE user_id = $1 AND blocked = FALSE`, next.assignee).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					return problem.Field("assignee_id", "no such operator")
				}
			}
		}
		if in.QueueID != nil {
			next.queue = *in.QueueID
			if next.queue != "" {
				if _, err := s.queue(ctx, tx, next.queue); err != nil {
					return problem.Field("queue_id", "no such queue")
				}
			}
		}
		if in.Tags != nil {
			next.tags = strings.Join(tags, " ")
		}
		changes := [][3]string{}
		for _, c := range [][3]string{{"status", st.status, next.status}, {"lost_reason", st.lostReason, next.lostReason},
			{"assignee_id", st.assignee, next.assignee}, {"queue_id", st.queue, next.queue}, {"tags", st.tags, next.tags}} {
			if c[1] != c[2] {
				changes = append(changes, c)
			}
		}
		if len(changes) == 0 {
			return nil
		}
		firstResponse, resolved := st.firstResponseAt, st.resolvedAt
		if !firstResponse.Valid {
			firstResponse = sql.NullTime{Time: now, Valid: true}
		}
		switch next.status {
		case StatusBooked, StatusVisited, StatusLost:
			if !resolved.Valid {
				resolved = sql.NullTime{Time: now, Valid: true}
			}
		default:
			resolved = sql.NullTime{}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET status = $2, lost_reason = $3, assignee_id = $4, queue_id = $5, tags = $6,
  first_response_at = $7, resolved_at = $8, updated_at = $9 WHERE id = $1`,
			id, next.status, next.lostReason, next.assignee, next.queue, next.tags, firstResponse, resolved, now); err != nil {
			return fmt.Errorf("contactcenter: update request: %w", err)
		}
		if err := s.recordHistory(ctx, tx, id, actorID, now, changes...); err != nil {
			return err
		}
		data := map[string]string{"request_id": id, "status": next.status, "previous_status": st.status, "assignee_id": next.assignee, "queue_id": next.queue}
		return s.emit(ctx, tx, now, events.Event{Subject: "contactcenter.request.updated", Data: data})
	})
	if err == nil {
		s.OnCommit()
	}
	return err
}

func (s *Service) recordHistory(ctx context.Context, tx *sql.Tx, requestID, actorID string, now time.Time, changes ...[3]string) error {
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_history (id, request_id, actor_id, field, old_value, new_value, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			ids.NewAt(now), requestID, actorID, c[0], c[1], c[2], now); err != nil {
			return fmt.Errorf("contactcenter: request history: %w", err)
		}
	}
	return nil
}

// Comment is a manager's note on a request.
type Comment struct {
	ID        string    `json:"id"`
	AuthorID  string    `json:"author_id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// HistoryEntry is one change of a request.
type HistoryEntry struct {
	ID      string    `json:"id"`
	ActorID string    `json:"actor_id"`
	Field   string    `json:"field"`
	Old     string    `json:"old"`
	New     string    `json:"new"`
	At      time.Time `json:"at"`
}

// AddComment stores a comment (sealed: managers write what patients said).
func (s *Service) AddComment(ctx context.Context, actorID, requestID, body string) (Comment, error) {
	body = strings.TrimSpace(body)
	if body == "" || len([]rune(body)) > 5000 {
		return Comment{}, problem.Field("body", "required, at most 5000 characters")
	}
	now := s.Now().UTC()
	c := Comment{ID: ids.NewAt(now), AuthorID: actorID, Body: body, CreatedAt: now}
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return Comment{}, err
	}
	sealed, err := ring.Seal(body, aad("request_comments", c.ID, "body"))
	if err != nil {
		return Comment{}, err
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		st, err := s.requestState(ctx, tx, requestID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_comments (id, request_id, author_id, body_sealed, created_at) VALUES ($1, $2, $3, $4, $5)`,
			c.ID, requestID, actorID, sealed, now); err != nil {
			return fmt.Errorf("contactcenter: add comment: %w", err)
		}
		if !st.firstResponseAt.Valid {
			if _, err := tx.ExecContext(ctx, `UPDATE requests SET first_response_at = $2 WHERE id = $1`, requestID, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET updated_at = $2 WHERE id = $1`, requestID, now); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, events.Event{Subject: "contactcenter.request.updated",
			Data: map[string]string{"request_id": requestID, "status": st.status, "comment_id": c.ID}})
	})
	if err != nil {
		return Comment{}, err
	}
	s.OnCommit()
	return c, nil
}

// RequestTrail is a request's comments and history of changes.
type RequestTrail struct {
	Comments []Comment      `json:"comments"`
	History  []HistoryEntry `json:"history"`
}

// Trail returns a request's comments and history, oldest first.
func (s *Service) Trail(ctx context.Context, requestID string) (RequestTrail, error) {
	t := RequestTrail{Comments: []Comment{}, History: []HistoryEntry{}}
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return t, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, author_id, body_sealed, created_at FROM request_comments WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		return t, err
	}
	for rows.Next() {
		var c Comment
		var sealed string
		if err := rows.Scan(&c.ID, &c.AuthorID, &sealed, &c.CreatedAt); err != nil {
			rows.Close()
			return t, err
		}
		if c.Body, err = ring.Open(sealed, aad("request_comments", c.ID, "body")); err != nil {
			rows.Close()
			return t, fmt.Errorf("comment %s: %w", c.ID, err)
		}
		c.CreatedAt = c.CreatedAt.UTC()
		t.Comments = append(t.Comments, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, err
	}
	hrows, err := s.DB.R.QueryContext(ctx, `SELECT id, actor_id, field, old_value, new_value, at FROM request_history WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		return t, err
	}
	defer hrows.Close()
	for hrows.Next() {
		var h HistoryEntry
		if err := hrows.Scan(&h.ID, &h.ActorID, &h.Field, &h.Old, &h.New, &h.At); err != nil {
			return t, err
		}
		h.At = h.At.UTC()
		t.History = append(t.History, h)
	}
	return t, hrows.Err()
}

// MergeRequests folds a duplicate into the request it repeats: the
// duplicate is closed as lost ("Дубль") pointing at the survivor, its
// comments and tasks move over, and both histories say so.
func (s *Service) MergeRequests(ctx context.Context, actorID, dupID, intoID string) error {
	if dupID == intoID {
		return problem.Field("into", "a request cannot be merged into itself")
	}
	if !ids.Valid(intoID) {
		return problem.Field("into", "not a request id")
	}
	now := s.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		dup, err := s.requestState(ctx, tx, dupID)
		if err != nil {
			return err
		}
		into, err := s.requestState(ctx, tx, intoID)
		if errors.Is(err, problem.New(problem.NotFound, "")) || problem.CodeOf(err) == problem.NotFound {
			return problem.Field("into", "no such request")
		}
		if err != nil {
			return err
		}
		if dup.mergedInto != "" || into.mergedInto != "" {
			return problem.New(problem.Conflict, "one of the requests was already merged")
		}
		for _, q := range []string{
			`UPDATE request_comments SET request_id = $2 WHERE request_id = $1`,
			`UPDATE tasks SET request_id = $2 WHERE request_id = $1`,
			`UPDATE calls SET request_id = $2 WHERE request_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, dupID, intoID); err != nil {
				return fmt.Errorf("contactcenter: merge requests: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET status = 'lost', lost_reason = 'Дубль', merged_into = $2, resolved_at = $3, updated_at = $3 WHERE id = $1`,
			dupID, intoID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET updated_at = $2 WHERE id = $1`, intoID, now); err != nil {
			return err
		}
		if err := s.recordHistory(ctx, tx, dupID, actorID, now, [3]string{"merged_into", "", intoID}, [3]string{"status", dup.status, StatusLost}); err != nil {
			return err
		}
		if err := s.recordHistory(ctx, tx, intoID, actorID, now, [3]string{"merged_from", "", dupID}); err != nil {
			return err
		}
		return s.emit(ctx, tx, now,
			events.Event{Subject: "contactcenter.request.updated", Data: map[string]string{"request_id": dupID, "status": StatusLost, "merged_into": intoID}},
			events.Event{Subject: "contactcenter.request.updated", Data: map[string]string{"request_id": intoID, "status": into.status, "merged_from": dupID}})
	})
	if err == nil {
		s.OnCommit()
	}
	return err
}

// sweepSLA marks requests whose first-response or resolution time passed
// and returns the breach events (each breach once).
func (s *Service) sweepSLA(ctx context.Context, tx *sql.Tx, now time.Time) ([]events.Event, error) {
	var evs []events.Event
	for _, c := range []struct{ name, cond string }{
		{SLAFirstResponse, `first_response_at IS NULL AND first_response_due < $1`},
		{SLAResolution, `resolved_at IS NULL AND resolution_due < $1`},
	} {
		rows, err := tx.QueryContext(ctx, `SELECT id, queue_id, assignee_id, breached FROM requests WHERE merged_into = '' AND status IN ('new', 'in_progress', 'booked') AND `+c.cond, now)
		if err != nil {
			return nil, fmt.Errorf("contactcenter: SLA sweep: %w", err)
		}
		type hit struct{ id, queue, assignee, breached string }
		var hits []hit
		for rows.Next() {
			var h hit
			if err := rows.Scan(&h.id, &h.queue, &h.assignee, &h.breached); err != nil {
				rows.Close()
				return nil, err
			}
			if !slices.Contains(strings.Fields(h.breached), c.name) {
				hits = append(hits, h)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, h := range hits {
			b := strings.TrimSpace(h.breached + " " + c.name)
			if _, err := tx.ExecContext(ctx, `UPDATE requests SET breached = $2 WHERE id = $1`, h.id, b); err != nil {
				return nil, err
			}
			evs = append(evs, events.Event{Subject: "contactcenter.request.sla_breached",
				Data: map[string]string{"request_id": h.id, "sla": c.name, "queue_id": h.queue, "assignee_id": h.assignee}})
		}
	}
	return evs, nil
}

// routed is where a new request goes and when it is due.
type routed struct {
	queue, assignee   string
	first, resolution time.Time
}

// routeFor chooses each new request's queue (by the routing rules), SLA due
// times (in the queue's working hours) and, where the queue assigns
// automatically, an operator.
func (s *Service) routeFor(ctx context.Context, tx *sql.Tx, reqs []newRequestRef, now time.Time) ([]routed, error) {
	queues := map[string]Queue{}
	out := make([]routed, len(reqs))
	for i, r := range reqs {
		qid, err := s.routeQueue(ctx, RouteInput{Channel: r.channel, Source: r.source}, r.queue)
		if err != nil {
			return nil, err
		}
		q, ok := queues[qid]
		if !ok {
			if q, err = s.queue(ctx, tx, qid); err != nil {
				q, qid = defaultQueue(), ""
			}
			queues[qid] = q
		}
		assignee, err := s.pickAssignee(ctx, tx, q, now)
		if err != nil {
			return nil, err
		}
		out[i] = routed{queue: qid, assignee: assignee,
			first:      q.Hours.AddWorking(now, time.Duration(q.FirstResponseSLA)*time.Second).UTC(),
			resolution: q.Hours.AddWorking(now, time.Duration(q.ResolutionSLA)*time.Second).UTC()}
	}
	return out, nil
}

// routeNewRequests routes requests already stored.
func (s *Service) routeNewRequests(ctx context.Context, tx *sql.Tx, reqs []newRequestRef, now time.Time) error {
	rs, err := s.routeFor(ctx, tx, reqs, now)
	if err != nil {
		return err
	}
	for i, r := range reqs {
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET queue_id = $2, assignee_id = $3, first_response_due = $4, resolution_due = $5 WHERE id = $1`,
			r.id, rs[i].queue, rs[i].assignee, rs[i].first, rs[i].resolution); err != nil {
			return fmt.Errorf("contactcenter: route request: %w", err)
		}
		if rs[i].assignee != "" {
			if err := s.recordHistory(ctx, tx, r.id, "system", now, [3]string{"assignee_id", "", rs[i].assignee}); err != nil {
				return err
			}
		}
	}
	return nil
}

// newRequestRef is a new request, for routing.
type newRequestRef struct{ id, channel, source, queue string }
