package contactcenter

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/phone"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
	"github.com/okno-crm/okno/internal/telephony"
	"github.com/okno-crm/okno/internal/vault"
)

// Call states, in the order a call goes through them.
const (
	CallRinging  = "ringing"
	CallAnswered = "answered"
	CallEnded    = "ended"
)

func callStateRank(s string) int {
	switch s {
	case CallRinging:
		return 1
	case CallAnswered:
		return 2
	case CallEnded:
		return 3
	}
	return 0
}

// DeliveryKeep is how long a delivery's id is remembered: providers retry
// failed deliveries for days, and a replay must change nothing.
const DeliveryKeep = 8 * 24 * time.Hour

// callJob is one PBX event waiting for the call writer. done is nil for
// events from a stream (AMI) whose reader must not wait.
type callJob struct {
	pbx  PBXIntegration
	ev   telephony.Event
	done chan callResult
}

type callResult struct {
	duplicate bool
	err       error
}

// callWriter stores PBX events by group commit, like the web-form intake:
// a burst of events shares one durable transaction, and a webhook is
// answered only once its event is stored. On PostgreSQL, where every
// statement is a round trip, calls are spread over several lanes by call
// id, each committing on its own connection; the events of one call
// always take the same lane, so they are applied in order. SQLite has one
// writer, so one lane.
type callWriter struct {
	s     *Service
	lanes []*callLane
}

type callLane struct {
	jobs    chan *callJob
	stopped chan struct{}
}

func newCallWriter(s *Service) *callWriter {
	n := 1
	if s.DB.Dialect == store.Postgres {
		n = 4
	}
	w := &callWriter{s: s}
	for i := 0; i < n; i++ {
		w.lanes = append(w.lanes, &callLane{jobs: make(chan *callJob, 8192), stopped: make(chan struct{})})
	}
	return w
}

// lane is where the events of one call are stored.
func (w *callWriter) lane(p PBXIntegration, ev telephony.Event) *callLane {
	if len(w.lanes) == 1 {
		return w.lanes[0]
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(p.ID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(ev.CallID))
	return w.lanes[h.Sum32()%uint32(len(w.lanes))]
}

// IngestCallEvent stores one PBX event and returns once it is durable.
// duplicate reports a delivery seen before, which changed nothing.
func (s *Service) IngestCallEvent(ctx context.Context, p PBXIntegration, ev telephony.Event) (duplicate bool, err error) {
	j := &callJob{pbx: p, ev: ev, done: make(chan callResult, 1)}
	l := s.calls.lane(p, ev)
	select {
	case l.jobs <- j:
	case <-l.stopped:
		return false, problem.New(problem.Unavailable, "shutting down, please retry")
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case r := <-j.done:
		return r.duplicate, r.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// enqueueCallEvent queues an event from a stream (AMI) without waiting for
// its commit: the stream's reader must keep reading.
func (s *Service) enqueueCallEvent(p PBXIntegration, ev telephony.Event) {
	l := s.calls.lane(p, ev)
	select {
	case l.jobs <- &callJob{pbx: p, ev: ev}:
	case <-l.stopped:
	}
}

func (w *callWriter) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, l := range w.lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			groupCommit(ctx, l.jobs, l.stopped, 512, w.process)
		}()
	}
	wg.Wait()
}

func (w *callWriter) process(batch []*callJob) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results := make([]callResult, len(batch))
	store := func(jobs []*callJob, out []callResult) error {
		joined := func(error) {}
		err := w.s.DB.InTx(ctx, func(tx *sql.Tx) error {
			ring, err := w.s.keys.Ring(ctx)
			if err != nil {
				return err
			}
			now := w.s.Now().UTC()
			var evs []events.Event
			for i, j := range jobs {
				dup, err := w.s.applyCallEvent(ctx, tx, ring, j.pbx, j.ev, now, &evs)
				if err != nil {
					return err
				}
				out[i] = callResult{duplicate: dup}
			}
			// One multi-row insert for the batch's call events.
			if err := w.s.emit(ctx, tx, now, evs...); err != nil {
				return err
			}
			joined = w.s.auditor.Join(ctx, tx)
			return nil
		})
		joined(err)
		return err
	}
	if err := store(batch, results); err != nil {
		// One bad event must not cost the others: store each on its own.
		slog.Warn("call events batch failed, storing one by one", "size", len(batch), "err", err)
		for i, j := range batch {
			if err := store([]*callJob{j}, results[i:i+1]); err != nil {
				slog.Error("call event not stored", "provider", j.ev.Provider, "type", j.ev.Type, "err", err)
				results[i] = callResult{err: problem.New(problem.Unavailable, "the call event could not be stored, please retry")}
			}
		}
	}
	w.s.OnCommit()
	for i, j := range batch {
		if j.done != nil {
			j.done <- results[i]
		}
	}
}

// deliveryID is what a delivery is de-duplicated by.
func deliveryID(ev telephony.Event) string {
	if ev.ID != "" && len(ev.ID) <= 200 {
		return ev.ID
	}
	h := sha256.Sum256([]byte(strings.Join([]string{ev.Provider, ev.ID, ev.CallID, ev.Leg, ev.Type, strconv.FormatInt(ev.Seq, 10),
		ev.At.UTC().Format(time.RFC3339Nano), ev.Extension}, "\x00")))
	return "h:" + hex.EncodeToString(h[:])
}

// callRow is the stored state of a call.
type callRow struct {
	id, direction, phoneIndex, contactID, extension, operatorID, queueID, state, result, requestID string
	answeredAt, endedAt                                                                            sql.NullTime
	startedAt                                                                                      time.Time
	duration                                                                                       int64
	recording                                                                                      string
	fromSealed, toSealed                                                                           string // set for a call not yet stored
}

// applyCallEvent folds one event into its call, inside the writer's
// transaction: de-duplication by delivery id, stale legs by sequence, the
// call's state, the contact by the outside number, and the tasks that
// follow (a callback for a miss; closing it when the patient is reached).
// The call's own events are appended to out, for the writer to store with
// the rest of its batch.
func (s *Service) applyCallEvent(ctx context.Context, tx *sql.Tx, ring *vault.Keyring, p PBXIntegration, ev telephony.Event, now time.Time, out *[]events.Event) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO pbx_deliveries (integration_id, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT (integration_id, event_id) DO NOTHING`,
		p.ID, deliveryID(ev), now)
	if err != nil {
		return false, fmt.Errorf("contactcenter: record delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return true, nil
	}
	if ev.Seq > 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO call_legs (call_id, leg, seq) VALUES ($1, $2, $3)
ON CONFLICT (call_id, leg) DO UPDATE SET seq = excluded.seq WHERE call_legs.seq < excluded.seq`, p.ID+":"+ev.CallID, ev.Leg, ev.Seq)
		if err != nil {
			return false, fmt.Errorf("contactcenter: call leg order: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, nil // an older event of this leg, arriving late: stale
		}
	}
	c, found, err := s.findCall(ctx, tx, p.ID, ev.CallID)
	if err != nil {
		return false, err
	}
	if !found {
		c, err = s.newCall(ctx, tx, ring, p, ev, now)
		if err != nil {
			return false, err
		}
	}
	prevState, prevOperator, prevAnswered := c.state, c.operatorID, c.answeredAt.Valid
	at := ev.At.UTC()
	if ev.Extension != "" && (ev.Type == telephony.TypeRinging || ev.Type == telephony.TypeAnswered || c.extension == "") {
		c.extension = ev.Extension
		c.operatorID, err = s.operatorByExtension(ctx, ev.Extension)
		if err != nil {
			return false, err
		}
	}
	switch ev.Type {
	case telephony.TypeStarted:
		if at.Before(c.startedAt) {
			c.startedAt = at
		}
	case telephony.TypeRinging:
	case telephony.TypeAnswered:
		if !c.answeredAt.Valid {
			c.answeredAt = sql.NullTime{Time: at, Valid: true}
		}
		if callStateRank(c.state) < callStateRank(CallAnswered) {
			c.state = CallAnswered
		}
	case telephony.TypeEnded:
		c.state, c.result = CallEnded, ev.Result
		c.endedAt = sql.NullTime{Time: at, Valid: true}
		if ev.Result == telephony.ResultAnswered && !c.answeredAt.Valid && ev.Duration > 0 {
			c.answeredAt = sql.NullTime{Time: at.Add(-ev.Duration), Valid: true}
		}
		switch {
		case ev.Duration > 0:
			c.duration = int64(ev.Duration / time.Second)
		case c.answeredAt.Valid && at.After(c.answeredAt.Time):
			c.duration = int64(at.Sub(c.answeredAt.Time) / time.Second)
		}
	case telephony.TypeRecordingReady:
		rec := ev.RecordingURL
		if rec == "" {
			rec = "id:" + ev.RecordingID
		}
		if c.recording, err = ring.Seal(rec, aad("calls", c.id, "recording")); err != nil {
			return false, err
		}
	}
	if !found {
		if err := s.insertCall(ctx, tx, p, ev, c, now); err != nil {
			return false, err
		}
	} else if _, err := tx.ExecContext(ctx, `UPDATE calls SET extension = $2, operator_id = $3, state = $4, result = $5, started_at = $6, answered_at = $7,
  ended_at = $8, duration_seconds = $9, recording_sealed = $10, updated_at = $11 WHERE id = $1`,
		c.id, c.extension, c.operatorID, c.state, c.result, c.startedAt, c.answeredAt, c.endedAt, c.duration, c.recording, now); err != nil {
		return false, fmt.Errorf("contactcenter: update call: %w", err)
	}
	var evs []events.Event
	data := map[string]string{"call_id": c.id, "state": c.state, "result": c.result, "contact_id": c.contactID,
		"operator_id": c.operatorID, "direction": c.direction, "queue_id": c.queueID}
	// The card pops up for whoever's phone rings with the caller: first
	// the operator the call was routed to, then anyone it is transferred to.
	if ev.Type == telephony.TypeRinging && c.state != CallEnded && c.direction == telephony.Inbound &&
		c.operatorID != "" && (c.operatorID != prevOperator || !found) {
		evs = append(evs, events.Event{Subject: "contactcenter.call.ringing", Data: data})
	}
	if !found || c.state != prevState || ev.Type == telephony.TypeRecordingReady || c.operatorID != prevOperator {
		evs = append(evs, events.Event{Subject: "contactcenter.call.updated", Data: data})
	}
	*out = append(*out, evs...)
	// What the call means for the patient's callbacks.
	if c.phoneIndex != "" {
		// Reached the moment it is first answered (or known answered only
		// from its end, as a CDR-style summary says).
		reached := c.answeredAt.Valid && !prevAnswered
		switch {
		case reached:
			if err := s.closeCallbacks(ctx, tx, c.phoneIndex, c.id, now); err != nil {
				return false, err
			}
		case ev.Type == telephony.TypeEnded && c.direction == telephony.Inbound &&
			(c.result == telephony.ResultMissed || c.result == telephony.ResultAbandoned):
			if err := s.callbackForMiss(ctx, tx, c, now); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

func (s *Service) findCall(ctx context.Context, tx *sql.Tx, pbxID, providerCallID string) (callRow, bool, error) {
	var c callRow
	err := tx.QueryRowContext(ctx, `SELECT id, direction, phone_index, contact_id, extension, operator_id, queue_id, state, result, request_id,
  started_at, answered_at, ended_at, duration_seconds, recording_sealed FROM calls WHERE integration_id = $1 AND provider_call_id = $2`, pbxID, providerCallID).
		Scan(&c.id, &c.direction, &c.phoneIndex, &c.contactID, &c.extension, &c.operatorID, &c.queueID, &c.state, &c.result, &c.requestID,
			&c.startedAt, &c.answeredAt, &c.endedAt, &c.duration, &c.recording)
	if errors.Is(err, sql.ErrNoRows) {
		return callRow{}, false, nil
	}
	if err != nil {
		return callRow{}, false, fmt.Errorf("contactcenter: find call: %w", err)
	}
	c.startedAt = c.startedAt.UTC()
	return c, true, nil
}

// newCall stores a call first heard of: the outside party's number is
// normalized and the call joined to that person's contact (created when
// the number is new, so that a miss from a stranger is still called back).
func (s *Service) newCall(ctx context.Context, tx *sql.Tx, ring *vault.Keyring, p PBXIntegration, ev telephony.Event, now time.Time) (callRow, error) {
	c := callRow{id: ids.NewAt(ev.At), direction: ev.Direction, state: CallRinging, startedAt: ev.At.UTC()}
	if c.direction == "" {
		c.direction = telephony.Inbound
	}
	outside, line := ev.From, ev.To
	if c.direction == telephony.Outbound {
		outside, line = ev.To, ev.From
	}
	if e164, err := phone.Normalize(outside); err == nil {
		outside = e164
		c.phoneIndex = ring.Index("phone", e164)
		id, err := s.contactForPhone(ctx, tx, ring, e164, now)
		if err != nil {
			return callRow{}, err
		}
		c.contactID = id
	}
	if e164, err := phone.Normalize(line); err == nil {
		line = e164
	}
	var err error
	c.queueID, err = s.routeQueue(ctx, RouteInput{Channel: ChannelPhone, Line: line}, p.QueueID)
	if err != nil {
		return callRow{}, err
	}
	if c.fromSealed, err = ring.Seal(outside, aad("calls", c.id, "from")); err != nil {
		return callRow{}, err
	}
	if c.toSealed, err = ring.Seal(line, aad("calls", c.id, "to")); err != nil {
		return callRow{}, err
	}
	return c, nil
}

// insertCall stores a call first heard of, with the state its first event
// gave it.
func (s *Service) insertCall(ctx context.Context, tx *sql.Tx, p PBXIntegration, ev telephony.Event, c callRow, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO calls (id, integration_id, provider_call_id, direction, from_sealed, to_sealed, phone_index, contact_id,
  extension, operator_id, queue_id, state, result, started_at, answered_at, ended_at, duration_seconds, recording_sealed, request_id, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, '', $19)`,
		c.id, p.ID, ev.CallID, c.direction, c.fromSealed, c.toSealed, c.phoneIndex, c.contactID, c.extension, c.operatorID, c.queueID,
		c.state, c.result, c.startedAt, c.answeredAt, c.endedAt, c.duration, c.recording, now)
	if err != nil {
		return fmt.Errorf("contactcenter: insert call: %w", err)
	}
	return nil
}

// contactForPhone finds the contact a phone belongs to — its own phone or
// one of its further numbers — or creates one with just that phone.
func (s *Service) contactForPhone(ctx context.Context, tx *sql.Tx, ring *vault.Keyring, e164 string, now time.Time) (string, error) {
	byPhone, _, err := s.upsertContactsByPhone(ctx, tx, ring, []contactRow{{id: ids.New(), phone: e164}}, now)
	if err != nil {
		return "", err
	}
	return byPhone[e164], nil
}

// operatorByExtension is the operator whose phone has this extension, from
// a map of all extensions (every ringing phone asks).
func (s *Service) operatorByExtension(ctx context.Context, ext string) (string, error) {
	byExt, err := s.exts.get(s.Now(), func() (map[string]string, error) {
		rows, err := s.DB.R.QueryContext(ctx, `SELECT extension, user_id FROM operator_state WHERE extension <> ''`)
		if err != nil {
			return nil, fmt.Errorf("contactcenter: operators by extension: %w", err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var e, id string
			if err := rows.Scan(&e, &id); err != nil {
				return nil, err
			}
			m[e] = id
		}
		return m, rows.Err()
	})
	return byExt[ext], err
}

// querier is a transaction or a pool.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// PurgeDeliveries forgets delivery ids older than DeliveryKeep.
func (s *Service) PurgeDeliveries(ctx context.Context) error {
	_, err := s.DB.W.ExecContext(ctx, `DELETE FROM pbx_deliveries WHERE received_at < $1`, s.Now().UTC().Add(-DeliveryKeep))
	return err
}
