package contactcenter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// NewRequest is a request a manager opens by hand: from a call they took,
// or for a known contact.
type NewRequest struct {
	CallID    string `json:"call_id"`
	ContactID string `json:"contact_id"`
	Channel   string `json:"channel"`
	Message   string `json:"message"`
}

// CreateRequest stores a manager's request, routed and timed like any
// other, and links the call it came from.
func (s *Service) CreateRequest(ctx context.Context, actorID string, in NewRequest) (string, error) {
	var fe []problem.FieldError
	if in.CallID != "" && !ids.Valid(in.CallID) {
		fe = append(fe, problem.FieldError{Field: "call_id", Message: "not a call id"})
	}
	if in.ContactID != "" && !ids.Valid(in.ContactID) {
		fe = append(fe, problem.FieldError{Field: "contact_id", Message: "not a contact id"})
	}
	if in.CallID == "" && in.ContactID == "" {
		fe = append(fe, problem.FieldError{Field: "contact_id", Message: "a request needs a call_id or a contact_id"})
	}
	if in.Channel == "" {
		in.Channel = ChannelPhone
	}
	if !slices.Contains(Channels, in.Channel) {
		fe = append(fe, problem.FieldError{Field: "channel", Message: fmt.Sprintf("must be one of %s", strings.Join(Channels, ", "))})
	}
	in.Message = strings.TrimSpace(in.Message)
	if len([]rune(in.Message)) > 5000 {
		fe = append(fe, problem.FieldError{Field: "message", Message: "at most 5000 characters"})
	}
	if len(fe) > 0 {
		return "", problem.Fields(fe)
	}
	now := s.Now().UTC()
	id := ids.NewAt(now)
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return "", err
	}
	msg, err := ring.Seal(in.Message, aad("requests", id, "message"))
	if err != nil {
		return "", err
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		queue := ""
		if in.CallID != "" {
			var contact, existing string
			err := tx.QueryRowContext(ctx, `SELECT contact_id, request_id, queue_id FROM calls WHERE id = $1`, in.CallID).Scan(&contact, &existing, &queue)
			if errors.Is(err, sql.ErrNoRows) {
				return problem.Field("call_id", "no such call")
			}
			if err != nil {
				return err
			}
			if existing != "" {
				return problem.New(problem.Conflict, "a request was already opened for this call")
			}
			if contact == "" {
				return problem.Field("call_id", "the call has no caller number to make a contact of")
			}
			in.ContactID, in.Channel = contact, ChannelPhone
		} else {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE id = $1 AND merged_into = ''`, in.ContactID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return problem.Field("contact_id", "no such contact")
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO requests (id, contact_id, channel, status, source, message_sealed, created_at, updated_at, first_response_at)
VALUES ($1, $2, $3, 'new', $4, $5, $6, $6, $6)`, id, in.ContactID, in.Channel, "manual:"+actorID, msg, now); err != nil {
			return fmt.Errorf("contactcenter: create request: %w", err)
		}
		if in.CallID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE calls SET request_id = $2 WHERE id = $1`, in.CallID, id); err != nil {
				return err
			}
		}
		if err := s.routeNewRequests(ctx, tx, []newRequestRef{{id: id, channel: in.Channel, queue: queue}}, now); err != nil {
			return err
		}
		// Whoever opened it works it, unless routing gave it to someone.
		if _, err := tx.ExecContext(ctx, `UPDATE requests SET assignee_id = $2 WHERE id = $1 AND assignee_id = ''`, id, actorID); err != nil {
			return err
		}
		if err := s.recordHistory(ctx, tx, id, actorID, now, [3]string{"created", "", in.Channel}); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, events.Event{Subject: "contactcenter.request.created", Data: RequestCreated{
			RequestID: id, ContactID: in.ContactID, Channel: in.Channel, Status: StatusNew, Source: "manual", CreatedAt: now}})
	})
	if err != nil {
		return "", err
	}
	s.OnCommit()
	return id, nil
}

// TimelineItem is one event in a contact's history with the clinic.
type TimelineItem struct {
	Kind string    `json:"kind"` // call, request, task
	ID   string    `json:"id"`
	At   time.Time `json:"at"`
	// A short, non-personal summary: the channel and status, the call's
	// direction and result, the task's kind and status.
	Channel   string `json:"channel,omitempty"`
	Status    string `json:"status,omitempty"`
	Direction string `json:"direction,omitempty"`
	Result    string `json:"result,omitempty"`
	TaskKind  string `json:"task_kind,omitempty"`
}

// ContactCard is one person with every phone and e-mail and their history.
type ContactCard struct {
	Contact
	Phones     []string       `json:"phones"`
	Emails     []string       `json:"emails"`
	MergedInto string         `json:"merged_into"`
	Timeline   []TimelineItem `json:"timeline"`
}

// ContactCard returns a contact's card, masked for the viewer.
func (s *Service) ContactCard(ctx context.Context, p principal.Principal, id string) (ContactCard, error) {
	c, err := s.FindContactByID(ctx, id)
	if err != nil {
		return ContactCard{}, err
	}
	card := ContactCard{Contact: c, Phones: []string{}, Emails: []string{}, Timeline: []TimelineItem{}}
	if err := s.DB.R.QueryRowContext(ctx, `SELECT merged_into FROM contacts WHERE id = $1`, id).Scan(&card.MergedInto); err != nil {
		return ContactCard{}, err
	}
	if c.Phone != "" {
		card.Phones = append(card.Phones, c.Phone)
	}
	if c.Email != "" {
		card.Emails = append(card.Emails, c.Email)
	}
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return ContactCard{}, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, kind, value_sealed FROM contact_points WHERE contact_id = $1 ORDER BY id`, id)
	if err != nil {
		return ContactCard{}, err
	}
	for rows.Next() {
		var pid, kind, sealed string
		if err := rows.Scan(&pid, &kind, &sealed); err != nil {
			rows.Close()
			return ContactCard{}, err
		}
		v, err := ring.Open(sealed, aad("contact_points", pid, "value"))
		if err != nil {
			rows.Close()
			return ContactCard{}, fmt.Errorf("contact point %s: %w", pid, err)
		}
		if kind == "phone" {
			card.Phones = append(card.Phones, v)
		} else {
			card.Emails = append(card.Emails, v)
		}
	}
	rows.Close()
	if !p.Can(perm.PatientsReadPD) {
		forViewer(p, &card.Contact)
		for i := range card.Phones {
			card.Phones[i] = MaskPhone(card.Phones[i])
		}
		for i := range card.Emails {
			card.Emails[i] = MaskEmail(card.Emails[i])
		}
	}
	reqs, err := s.requestBriefs(ctx, id, false, 100)
	if err != nil {
		return ContactCard{}, err
	}
	for _, r := range reqs {
		card.Timeline = append(card.Timeline, TimelineItem{Kind: "request", ID: r.ID, At: r.CreatedAt, Channel: r.Channel, Status: r.Status})
	}
	calls, err := s.callBriefs(ctx, id, "", 100)
	if err != nil {
		return ContactCard{}, err
	}
	for _, k := range calls {
		card.Timeline = append(card.Timeline, TimelineItem{Kind: "call", ID: k.ID, At: k.StartedAt, Direction: k.Direction, Result: k.Result, Status: k.State})
	}
	trows, err := s.DB.R.QueryContext(ctx, `SELECT id, kind, status, created_at FROM tasks WHERE contact_id = $1 ORDER BY id DESC LIMIT 100`, id)
	if err != nil {
		return ContactCard{}, err
	}
	defer trows.Close()
	for trows.Next() {
		var it TimelineItem
		if err := trows.Scan(&it.ID, &it.TaskKind, &it.Status, &it.At); err != nil {
			return ContactCard{}, err
		}
		it.Kind, it.At = "task", it.At.UTC()
		card.Timeline = append(card.Timeline, it)
	}
	sort.SliceStable(card.Timeline, func(i, j int) bool { return card.Timeline[i].At.After(card.Timeline[j].At) })
	return card, trows.Err()
}

// MergeContacts folds one contact card into another: requests, calls,
// tasks and consents move to the survivor, the merged card's phone and
// e-mail become the survivor's further ones, and the merged card is left
// as a pointer. contactcenter.contact.merged tells the other services.
func (s *Service) MergeContacts(ctx context.Context, actorID, fromID, intoID string) error {
	if !ids.Valid(intoID) {
		return problem.Field("into", "not a contact id")
	}
	if fromID == intoID {
		return problem.Field("into", "a contact cannot be merged into itself")
	}
	from, err := s.FindContactByID(ctx, fromID)
	if err != nil {
		return err
	}
	into, err := s.FindContactByID(ctx, intoID)
	if problem.CodeOf(err) == problem.NotFound {
		return problem.Field("into", "no such contact")
	}
	if err != nil {
		return err
	}
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var merged1, merged2 string
		if err := tx.QueryRowContext(ctx, `SELECT merged_into FROM contacts WHERE id = $1`, fromID).Scan(&merged1); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT merged_into FROM contacts WHERE id = $1`, intoID).Scan(&merged2); err != nil {
			return err
		}
		if merged1 != "" || merged2 != "" {
			return problem.New(problem.Conflict, "one of the contacts was already merged")
		}
		for _, q := range []string{
			`UPDATE requests SET contact_id = $2 WHERE contact_id = $1`,
			`UPDATE calls SET contact_id = $2 WHERE contact_id = $1`,
			`UPDATE tasks SET contact_id = $2 WHERE contact_id = $1`,
			`UPDATE consents SET contact_id = $2 WHERE contact_id = $1`,
			`UPDATE contact_points SET contact_id = $2 WHERE contact_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, fromID, intoID); err != nil {
				return fmt.Errorf("contactcenter: merge contacts: %w", err)
			}
		}
		// The merged card's own phone and e-mail become further points of
		// the survivor (unless it has them already); the merged card lets
		// go of its indexes so that the numbers find the survivor.
		for _, pt := range []struct{ kind, value string }{{"phone", from.Phone}, {"email", from.Email}} {
			if pt.value == "" || pt.value == into.Phone || pt.value == into.Email {
				continue
			}
			pid := ids.NewAt(now)
			sealed, err := ring.Seal(pt.value, aad("contact_points", pid, "value"))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO contact_points (id, contact_id, kind, value_sealed, value_index, created_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (kind, value_index) DO NOTHING`, pid, intoID, pt.kind, sealed, ring.Index(pt.kind, pt.value), now); err != nil {
				return fmt.Errorf("contactcenter: merge contact points: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET merged_into = $2, phone_index = '', email_index = '', updated_at = $3 WHERE id = $1`, fromID, intoID, now); err != nil {
			return err
		}
		if into.Name == "" && from.Name != "" {
			if err := s.fillContact(ctx, tx, ring, intoID, from.Name, "", now); err != nil {
				return err
			}
		}
		return s.emit(ctx, tx, now, events.Event{Subject: "contactcenter.contact.merged",
			Data: map[string]string{"contact_id": intoID, "merged_contact_id": fromID, "actor_id": actorID}})
	})
	if err == nil {
		s.OnCommit()
	}
	return err
}

// QueueLoad is one queue on the supervisor's board.
type QueueLoad struct {
	QueueID         string `json:"queue_id"`
	Name            string `json:"name"`
	Waiting         int64  `json:"waiting"` // open requests nobody is assigned to
	Open            int64  `json:"open"`
	OpenCallbacks   int64  `json:"open_callbacks"`
	OverdueTasks    int64  `json:"overdue_tasks"`
	BreachedSLA     int64  `json:"breached_sla"`
	OnlineOperators int64  `json:"online_operators"`
}

// Board is the supervisor's live picture: queues, operators and what is
// late.
type Board struct {
	Queues    []QueueLoad    `json:"queues"`
	Operators []OperatorView `json:"operators"`
	Overdue   []string       `json:"overdue_task_ids"`
	Breached  []string       `json:"breached_request_ids"`
}

// Board assembles the supervisor's board.
func (s *Service) Board(ctx context.Context) (Board, error) {
	now := s.Now().UTC()
	b := Board{Queues: []QueueLoad{}, Overdue: []string{}, Breached: []string{}}
	queues, err := s.Queues(ctx)
	if err != nil {
		return b, err
	}
	online := map[string]bool{}
	if b.Operators, err = s.Roster(ctx); err != nil {
		return b, err
	}
	for _, o := range b.Operators {
		online[o.UserID] = o.Presence == PresenceOnline
	}
	all := append([]Queue{{ID: "", Name: ""}}, queues...)
	for _, q := range all {
		l := QueueLoad{QueueID: q.ID, Name: q.Name}
		err := s.DB.R.QueryRowContext(ctx, `SELECT
  (SELECT COUNT(*) FROM requests WHERE queue_id = $1 AND merged_into = '' AND status IN ('new', 'in_progress') AND assignee_id = ''),
  (SELECT COUNT(*) FROM requests WHERE queue_id = $1 AND merged_into = '' AND status IN ('new', 'in_progress')),
  (SELECT COUNT(*) FROM tasks WHERE queue_id = $1 AND kind = 'callback' AND status = 'open'),
  (SELECT COUNT(*) FROM tasks WHERE queue_id = $1 AND status = 'open' AND due_at < $2),
  (SELECT COUNT(*) FROM requests WHERE queue_id = $1 AND breached <> '' AND status IN ('new', 'in_progress'))`, q.ID, now).
			Scan(&l.Waiting, &l.Open, &l.OpenCallbacks, &l.OverdueTasks, &l.BreachedSLA)
		if err != nil {
			return b, fmt.Errorf("contactcenter: board: %w", err)
		}
		for _, m := range q.Members {
			if online[m] {
				l.OnlineOperators++
			}
		}
		if q.ID == "" && l.Open == 0 && l.OpenCallbacks == 0 && l.OverdueTasks == 0 {
			continue // nothing waits outside the queues
		}
		b.Queues = append(b.Queues, l)
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id FROM tasks WHERE status = 'open' AND due_at < $1 ORDER BY due_at LIMIT 100`, now)
	if err != nil {
		return b, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return b, err
		}
		b.Overdue = append(b.Overdue, id)
	}
	rows.Close()
	rows, err = s.DB.R.QueryContext(ctx, `SELECT id FROM requests WHERE breached <> '' AND status IN ('new', 'in_progress') AND merged_into = '' ORDER BY id DESC LIMIT 100`)
	if err != nil {
		return b, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return b, err
		}
		b.Breached = append(b.Breached, id)
	}
	return b, rows.Err()
}
