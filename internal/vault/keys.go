package vault

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/store"
)

// Keys manages one service's data keys, stored wrapped in its own database
// (table data_keys), and hands out the current Keyring. A running service
// re-reads the table now and then, so that `okno keys rotate` run from the
// command line takes effect online.
type Keys struct {
	db      *store.DB
	master  []byte
	service string
	now     func() time.Time

	mu      sync.RWMutex
	ring    *Keyring
	checked time.Time
}

// RefreshEvery is how often a running service looks for a rotated key.
const RefreshEvery = 5 * time.Second

// OpenKeys loads a service's data keys, creating the first one if none exist.
func OpenKeys(ctx context.Context, db *store.DB, master []byte, now func() time.Time) (*Keys, error) {
	if now == nil {
		now = time.Now
	}
	k := &Keys{db: db, master: master, service: db.Service, now: now}
	var n int
	if err := db.W.QueryRowContext(ctx, `SELECT COUNT(*) FROM data_keys`).Scan(&n); err != nil {
		return nil, fmt.Errorf("vault: %s data keys: %w", db.Service, err)
	}
	if n == 0 {
		if _, err := k.AddVersion(ctx); err != nil {
			return nil, err
		}
	}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Keys) aad(version int) string {
	return "okno data key " + k.service + " v" + strconv.Itoa(version)
}

// AddVersion creates a new data key and makes it the active one.
func (k *Keys) AddVersion(ctx context.Context) (int, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return 0, err
	}
	var v int
	err := k.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM data_keys`).Scan(&v); err != nil {
			return err
		}
		w, err := wrap(k.master, key, k.aad(v))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO data_keys (version, wrapped, created_at) VALUES ($1, $2, $3)`, v, w, k.now().UTC())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("vault: add data key: %w", err)
	}
	return v, nil
}

// Retire deletes the wrapped copies of every data key older than keep:
// after re-encryption they are no longer needed, and a stolen backup of the
// database alone opens nothing either way.
func (k *Keys) Retire(ctx context.Context, keep int) error {
	_, err := k.db.W.ExecContext(ctx, `DELETE FROM data_keys WHERE version < $1`, keep)
	if err != nil {
		return fmt.Errorf("vault: retire keys: %w", err)
	}
	return k.reload(ctx)
}

func (k *Keys) reload(ctx context.Context) error {
	rows, err := k.db.R.QueryContext(ctx, `SELECT version, wrapped FROM data_keys ORDER BY version`)
	if err != nil {
		return fmt.Errorf("vault: read data keys: %w", err)
	}
	defer rows.Close()
	keys := map[int][]byte{}
	active := 0
	for rows.Next() {
		var v int
		var w string
		if err := rows.Scan(&v, &w); err != nil {
			return err
		}
		key, err := unwrap(k.master, w, k.aad(v))
		if err != nil {
			return err
		}
		keys[v] = key
		active = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if active == 0 {
		return errors.New("vault: no data key")
	}
	ring, err := NewKeyring(keys, active, deriveIndexKey(k.master, k.service))
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.ring, k.checked = ring, k.now()
	k.mu.Unlock()
	return nil
}

// Ring returns the current keyring, re-reading the key table when the last
// look is older than RefreshEvery.
func (k *Keys) Ring(ctx context.Context) (*Keyring, error) {
	k.mu.RLock()
	ring, checked := k.ring, k.checked
	k.mu.RUnlock()
	if k.now().Sub(checked) < RefreshEvery {
		return ring, nil
	}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.ring, nil
}

// Reload forces a re-read of the key table (after a rotation in-process).
func (k *Keys) Reload(ctx context.Context) error { return k.reload(ctx) }
