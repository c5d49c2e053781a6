package contactcenter

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/idempotency"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
)

// Submission is one accepted web-form post waiting to be stored.
type Submission struct {
	Form        WebForm
	Input       IntakeInput
	IdemKey     string // optional Idempotency-Key
	Fingerprint string
}

// SubmitResult is the answer to give the client.
type SubmitResult struct {
	Status      int
	ContentType string
	Body        []byte
	RequestID   string
	Replayed    bool
}

type job struct {
	sub  Submission
	done chan jobResult
}

type jobResult struct {
	res SubmitResult
	err error
}

// batcher stores web-form submissions by group commit: submissions that
// arrive while a transaction is being made durable share the next one, and
// each is answered only after its own batch is committed. One fsync then
// carries hundreds of requests, without weakening durability.
type batcher struct {
	s        *Service
	jobs     chan *job
	stopped  chan struct{}
	maxBatch int
}

func newBatcher(s *Service) *batcher {
	return &batcher{s: s, jobs: make(chan *job, 4096), stopped: make(chan struct{}), maxBatch: 256}
}

// Submit stores a submission and returns the answer. It waits for the batch.
func (s *Service) Submit(ctx context.Context, sub Submission) (SubmitResult, error) {
	j := &job{sub: sub, done: make(chan jobResult, 1)}
	select {
	case s.intake.jobs <- j:
	case <-s.intake.stopped:
		return SubmitResult{}, problem.New(problem.Unavailable, "Okno is shutting down, please retry")
	case <-ctx.Done():
		return SubmitResult{}, ctx.Err()
	}
	// Once queued the submission is stored even if the client goes away.
	r := <-j.done
	return r.res, r.err
}

func (b *batcher) run(ctx context.Context) {
	groupCommit(ctx, b.jobs, b.stopped, b.maxBatch, b.process)
}

// groupCommit hands process batches of up to most jobs — all that queued
// while the previous batch was being made durable — until ctx ends, then
// closes stopped and processes whatever was queued before the stop.
func groupCommit[J any](ctx context.Context, jobs chan J, stopped chan struct{}, most int, process func([]J)) {
	collect := func(first J) []J {
		batch := []J{first}
		for len(batch) < most {
			select {
			case j := <-jobs:
				batch = append(batch, j)
			default:
				return batch
			}
		}
		return batch
	}
	for {
		select {
		case j := <-jobs:
			process(collect(j))
		case <-ctx.Done():
			close(stopped)
			for {
				select {
				case j := <-jobs:
					process(collect(j))
				default:
					return
				}
			}
		}
	}
}

func (b *batcher) process(batch []*job) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var results []jobResult
	joined := func(error) {}
	err := b.s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if results, err = b.s.storeBatch(ctx, tx, batch, b.s.Now().UTC()); err != nil {
			return err
		}
		joined = b.s.auditor.Join(ctx, tx)
		return nil
	})
	joined(err)
	if err != nil && len(batch) > 1 {
		// Something in the batch broke the shared transaction: store each
		// submission on its own so one bad apple costs only itself.
		slog.Warn("intake batch failed, storing one by one", "size", len(batch), "err", err)
		results = make([]jobResult, len(batch))
		for i, j := range batch {
			var one []jobResult
			err := b.s.DB.InTx(ctx, func(tx *sql.Tx) error {
				var err error
				one, err = b.s.storeBatch(ctx, tx, []*job{j}, b.s.Now().UTC())
				return err
			})
			if err != nil {
				slog.Error("intake submission not stored", "err", err)
				results[i] = jobResult{err: problem.New(problem.Unavailable, "the request could not be stored, please retry")}
				continue
			}
			results[i] = one[0]
		}
	} else if err != nil {
		slog.Error("intake submission not stored", "err", err)
		results = []jobResult{{err: problem.New(problem.Unavailable, "the request could not be stored, please retry")}}
	}
	b.s.OnCommit()
	for i, j := range batch {
		j.done <- results[i]
	}
}

// storeBatch writes a batch of submissions with a handful of multi-row
// statements: contacts (joined by phone), requests, consents, outbox events
// and idempotency records. A submission whose Idempotency-Key was seen
// before gets the stored answer instead.
func (s *Service) storeBatch(ctx context.Context, tx *sql.Tx, batch []*job, now time.Time) ([]jobResult, error) {
	results := make([]jobResult, len(batch))
	seenKey := map[string]int{}
	dupOf := map[int]int{}
	var fresh []int
	for i, j := range batch {
		sub := j.sub
		if sub.IdemKey != "" {
			k := sub.Form.Key + "\x00" + sub.IdemKey
			if first, ok := seenKey[k]; ok {
				dupOf[i] = first
				continue
			}
			seenKey[k] = i
			saved, err := idempotency.Lookup(ctx, tx, "web_form:"+sub.Form.Key, sub.IdemKey)
			if err != nil {
				return nil, err
			}
			if saved != nil {
				results[i] = replayResult(saved, sub.Fingerprint)
				continue
			}
		}
		fresh = append(fresh, i)
	}

	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return nil, err
	}
	// Contacts: one upsert for every distinct phone; e-mail-only ones singly.
	contactOf := make(map[int]string, len(fresh))
	var evs []events.Event
	phoneIdx := map[string]int{} // phone → position in rows
	var rows []contactRow
	for _, i := range fresh {
		in := batch[i].sub.Input
		if in.Phone == "" {
			id, created, err := s.upsertContact(ctx, tx, ring, in, now)
			if err != nil {
				return nil, err
			}
			contactOf[i] = id
			if created {
				evs = append(evs, events.Event{Subject: "contactcenter.contact.created", Data: map[string]string{"contact_id": id}})
			}
			continue
		}
		if p, ok := phoneIdx[in.Phone]; ok {
			if rows[p].name == "" {
				rows[p].name = in.Name
			}
			if rows[p].email == "" {
				rows[p].email = in.Email
			}
			continue
		}
		phoneIdx[in.Phone] = len(rows)
		rows = append(rows, contactRow{id: ids.New(), name: in.Name, phone: in.Phone, email: in.Email})
	}
	if len(rows) > 0 {
		byPhone, created, err := s.upsertContactsByPhone(ctx, tx, ring, rows, now)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if created[r.phone] {
				evs = append(evs, events.Event{Subject: "contactcenter.contact.created", Data: map[string]string{"contact_id": byPhone[r.phone]}})
			}
		}
		for _, i := range fresh {
			if p := batch[i].sub.Input.Phone; p != "" {
				contactOf[i] = byPhone[p]
			}
		}
	}

	if len(fresh) > 0 {
		refs := make([]newRequestRef, len(fresh))
		for k, i := range fresh {
			refs[k] = newRequestRef{channel: ChannelWebForm, source: batch[i].sub.Form.Key}
		}
		routes, err := s.routeFor(ctx, tx, refs, now)
		if err != nil {
			return nil, err
		}
		reqArgs := make([]any, 0, len(fresh)*12)
		var assigned [][2]string
		conArgs := make([]any, 0, len(fresh)*7)
		var idemArgs []any
		for k, i := range fresh {
			sub := batch[i].sub
			reqID := ids.New()
			rt := routes[k]
			if rt.assignee != "" {
				assigned = append(assigned, [2]string{reqID, rt.assignee})
			}
			msg, err := ring.Seal(sub.Input.Message, aad("requests", reqID, "message"))
			if err != nil {
				return nil, err
			}
			reqArgs = append(reqArgs, reqID, contactOf[i], ChannelWebForm, StatusNew, sub.Form.Key, msg, now, now, rt.queue, rt.assignee, rt.first, rt.resolution)
			conArgs = append(conArgs, ids.New(), contactOf[i], reqID, "personal_data_processing", sub.Form.ConsentVersion, ChannelWebForm, now)
			evs = append(evs, events.Event{Subject: "contactcenter.request.created", Data: RequestCreated{
				RequestID: reqID, ContactID: contactOf[i], Channel: ChannelWebForm, Status: StatusNew, Source: sub.Form.Key, CreatedAt: now,
			}})
			body, _ := json.Marshal(map[string]string{"id": reqID})
			results[i] = jobResult{res: SubmitResult{Status: 201, ContentType: "application/json", Body: body, RequestID: reqID}}
			if sub.IdemKey != "" {
				idemArgs = append(idemArgs, "web_form:"+sub.Form.Key, sub.IdemKey, sub.Fingerprint, 201, "application/json", string(body), now)
			}
		}
		if err := s.DB.InsertRows(ctx, tx, `INSERT INTO requests (id, contact_id, channel, status, source, message_sealed, created_at, updated_at, queue_id, assignee_id, first_response_due, resolution_due)`, 12, reqArgs, "", nil); err != nil {
			return nil, fmt.Errorf("contactcenter: insert requests: %w", err)
		}
		for _, a := range assigned {
			if err := s.recordHistory(ctx, tx, a[0], "system", now, [3]string{"assignee_id", "", a[1]}); err != nil {
				return nil, err
			}
		}
		if err := s.DB.InsertRows(ctx, tx, `INSERT INTO consents (id, contact_id, request_id, purpose, text_version, channel, given_at)`, 7, conArgs, "", nil); err != nil {
			return nil, fmt.Errorf("contactcenter: insert consents: %w", err)
		}
		if len(idemArgs) > 0 {
			if err := s.DB.InsertRows(ctx, tx, `INSERT INTO idempotency_keys (scope, idem_key, fingerprint, status, content_type, body, created_at)`, 7, idemArgs, "", nil); err != nil {
				return nil, fmt.Errorf("contactcenter: insert idempotency keys: %w", err)
			}
		}
	}
	if err := events.AddMany(ctx, s.DB, tx, now, evs); err != nil {
		return nil, err
	}
	for i, first := range dupOf {
		if batch[i].sub.Fingerprint != batch[first].sub.Fingerprint {
			results[i] = jobResult{err: problem.Field(idempotency.Header, "this key was already used for a different request")}
			continue
		}
		r := results[first]
		r.res.Replayed = true
		results[i] = r
	}
	return results, nil
}

func replayResult(saved *idempotency.Saved, fingerprint string) jobResult {
	if saved.Fingerprint != fingerprint {
		return jobResult{err: problem.Field(idempotency.Header, "this key was already used for a different request")}
	}
	return jobResult{res: SubmitResult{Status: saved.Status, ContentType: saved.ContentType, Body: saved.Body, Replayed: true}}
}
