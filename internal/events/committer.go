package events

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/okno-crm/okno/internal/store"
)

// Committer writes events that stand on their own — chiefly audit records of
// reads — by group commit: callers arriving while one transaction is being
// made durable share the next one, and each returns only once its events
// are committed. A read of personal data thus costs a share of one fsync,
// not one of its own, and is still refused when its audit cannot be stored.
type Committer struct {
	db       *store.DB
	onCommit func()
	reqs     chan *commitReq
	stopped  chan struct{}
}

type commitReq struct {
	evs  []Event
	at   time.Time
	done chan error
}

// ErrStopped is returned after the committer stopped.
var ErrStopped = errors.New("events: committer stopped")

// NewCommitter makes a committer; onCommit wakes the relay.
func NewCommitter(db *store.DB, onCommit func()) *Committer {
	if onCommit == nil {
		onCommit = func() {}
	}
	return &Committer{db: db, onCommit: onCommit, reqs: make(chan *commitReq, 1024), stopped: make(chan struct{})}
}

// Add stores evs and returns when they are durable.
func (c *Committer) Add(ctx context.Context, at time.Time, evs ...Event) error {
	r := &commitReq{evs: evs, at: at, done: make(chan error, 1)}
	select {
	case c.reqs <- r:
	case <-c.stopped:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

// Run commits until ctx ends, then commits what is queued.
func (c *Committer) Run(ctx context.Context) {
	for {
		select {
		case r := <-c.reqs:
			c.commit(c.collect(r))
		case <-ctx.Done():
			close(c.stopped)
			for {
				select {
				case r := <-c.reqs:
					c.commit(c.collect(r))
				default:
					return
				}
			}
		}
	}
}

func (c *Committer) collect(first *commitReq) []*commitReq {
	batch := []*commitReq{first}
	for len(batch) < 256 {
		select {
		case r := <-c.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// Waiting is how many callers wait for their records to be committed.
func (c *Committer) Waiting() int { return len(c.reqs) }

// Join writes the records waiting for a commit into tx, another writer's
// transaction that is about to commit, and returns what to call with that
// commit's outcome. On SQLite every transaction waits for the one writer
// connection and an fsync; audit records of reads made while call events
// or web forms are being stored then share their commit instead of queueing
// for a commit of their own. If tx fails, the records are committed on
// their own as usual.
func (c *Committer) Join(ctx context.Context, tx *sql.Tx) (done func(err error)) {
	var batch []*commitReq
	for len(batch) < 256 {
		select {
		case r := <-c.reqs:
			batch = append(batch, r)
			continue
		default:
		}
		break
	}
	if len(batch) == 0 {
		return func(error) {}
	}
	// A savepoint keeps a bad record from failing the host transaction.
	if _, err := tx.ExecContext(ctx, "SAVEPOINT joined_events"); err != nil {
		return func(error) { c.commit(batch) }
	}
	for _, r := range batch {
		if err := AddMany(ctx, c.db, tx, r.at, r.evs); err != nil {
			// Should the rollback fail too, the host transaction fails
			// and the records are still committed on their own.
			_, _ = tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT joined_events")
			return func(error) { c.commit(batch) }
		}
	}
	return func(err error) {
		if err != nil {
			c.commit(batch)
			return
		}
		for _, r := range batch {
			r.done <- nil
		}
	}
}

func (c *Committer) commit(batch []*commitReq) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, r := range batch {
			if err := AddMany(ctx, c.db, tx, r.at, r.evs); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		c.onCommit()
	}
	for _, r := range batch {
		r.done <- err
	}
}
