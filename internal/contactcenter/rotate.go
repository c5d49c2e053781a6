package contactcenter

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/principal"
)

// RotateResult says what a key rotation did.
type RotateResult struct {
	Version    int // the new active data key
	Contacts   int // contacts re-sealed
	Requests   int // requests re-sealed
	RetiredKey bool
}

// sealedColumns are the sealed fields, by table.
var sealedColumns = []struct {
	table  string
	fields []string // column name without _sealed
}{
	{"contacts", []string{"name", "phone", "email"}},
	{"requests", []string{"message"}},
}

// RotateKeys makes a new data key, re-seals every value under it while the
// service keeps running, and then deletes the old keys. settle is how long
// to wait for running servers to pick up the new key before the last pass
// (vault.RefreshEvery and a margin; zero when nothing else is running).
func (s *Service) RotateKeys(ctx context.Context, settle time.Duration) (RotateResult, error) {
	v, err := s.keys.AddVersion(ctx)
	if err != nil {
		return RotateResult{}, err
	}
	if err := s.keys.Reload(ctx); err != nil {
		return RotateResult{}, err
	}
	res := RotateResult{Version: v}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	for _, tc := range sealedColumns {
		n, err := s.reseal(ctx, tc.table, tc.fields, v)
		if err != nil {
			return res, err
		}
		if tc.table == "contacts" {
			res.Contacts = n
		} else {
			res.Requests = n
		}
	}
	if err := s.keys.Retire(ctx, v); err != nil {
		return res, err
	}
	res.RetiredKey = true
	now := s.Now().UTC()
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return auditlog.Emit(ctx, tx, "contactcenter", auditRecord(principal.System(), now, "keys.rotated", "data_key", strconv.Itoa(v), nil,
			map[string]string{"contacts_resealed": strconv.Itoa(res.Contacts), "requests_resealed": strconv.Itoa(res.Requests)}))
	})
	if err == nil {
		s.OnCommit()
	}
	return res, err
}

// reseal re-encrypts, in batches, every row of table holding a value sealed
// under a key older than v.
func (s *Service) reseal(ctx context.Context, table string, fields []string, v int) (int, error) {
	prefix := "v" + strconv.Itoa(v) + ".%"
	cols := ""
	stale := ""
	for i, f := range fields {
		if i > 0 {
			cols += ", "
			stale += " OR "
		}
		cols += f + "_sealed"
		stale += fmt.Sprintf("(%s_sealed <> '' AND %s_sealed NOT LIKE $1)", f, f)
	}
	total := 0
	for {
		ring, err := s.keys.Ring(ctx)
		if err != nil {
			return total, err
		}
		n := 0
		err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id, `+cols+` FROM `+table+` WHERE `+stale+` ORDER BY id LIMIT 500`, prefix)
			if err != nil {
				return err
			}
			type row struct {
				id   string
				vals []string
			}
			var batch []row
			for rows.Next() {
				r := row{vals: make([]string, len(fields))}
				dst := []any{&r.id}
				for i := range r.vals {
					dst = append(dst, &r.vals[i])
				}
				if err := rows.Scan(dst...); err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range batch {
				set := ""
				args := []any{r.id}
				for i, f := range fields {
					pt, err := ring.Open(r.vals[i], aad(table, r.id, f))
					if err != nil {
						return fmt.Errorf("contactcenter: re-seal %s %s: %w", table, r.id, err)
					}
					sealed, err := ring.Seal(pt, aad(table, r.id, f))
					if err != nil {
						return err
					}
					if i > 0 {
						set += ", "
					}
					args = append(args, sealed)
					set += fmt.Sprintf("%s_sealed = $%d", f, len(args))
				}
				if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET `+set+` WHERE id = $1`, args...); err != nil {
					return fmt.Errorf("contactcenter: re-seal %s: %w", table, err)
				}
			}
			n = len(batch)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// KeyVersions lists the data-key versions present (for tests and status).
func (s *Service) KeyVersions(ctx context.Context) ([]int, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT version FROM data_keys ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
