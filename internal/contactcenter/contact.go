package contactcenter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/vault"
)

// aad binds a sealed value to its table, record and field, so that a value
// copied into another row or column does not open.
func aad(table, id, field string) string { return "contactcenter/" + table + "/" + id + "/" + field }

// contactRow is one person to store: plaintext here, sealed on the way in.
type contactRow struct{ id, name, phone, email string }

// upsertContactsByPhone stores contacts joined by phone (through the blind
// index) and returns each phone's contact id and whether it was created. A
// known contact keeps its name and e-mail; an empty one is filled in.
func (s *Service) upsertContactsByPhone(ctx context.Context, tx *sql.Tx, ring *vault.Keyring, rows []contactRow, now time.Time) (map[string]string, map[string]bool, error) {
	// A number a merge moved onto another card finds that card.
	merged := map[string]string{}
	if len(rows) > 0 {
		byIndex := make(map[string]string, len(rows))
		args := make([]any, 0, len(rows))
		for _, r := range rows {
			idx := ring.Index("phone", r.phone)
			byIndex[idx] = r.phone
			args = append(args, idx)
		}
		found, err := tx.QueryContext(ctx, `SELECT value_index, contact_id FROM contact_points WHERE kind = 'phone' AND value_index IN (`+s.DB.Params(1, len(args))+`)`, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("contactcenter: find merged numbers: %w", err)
		}
		for found.Next() {
			var idx, id string
			if err := found.Scan(&idx, &id); err != nil {
				found.Close()
				return nil, nil, err
			}
			merged[byIndex[idx]] = id
		}
		found.Close()
		if err := found.Err(); err != nil {
			return nil, nil, err
		}
	}
	kept := rows[:0:0]
	for _, r := range rows {
		if _, ok := merged[r.phone]; !ok {
			kept = append(kept, r)
		}
	}
	rows = kept
	if len(rows) == 0 {
		return merged, map[string]bool{}, nil
	}
	args := make([]any, 0, len(rows)*8)
	byIndex := make(map[string]contactRow, len(rows))
	for _, r := range rows {
		sealed, err := sealContact(ring, r)
		if err != nil {
			return nil, nil, err
		}
		pi := ring.Index("phone", r.phone)
		byIndex[pi] = r
		args = append(args, r.id, sealed[0], sealed[1], sealed[2], pi, ring.Index("email", r.email), now, now)
	}
	type existing struct{ id, name, email string }
	var fill []existing
	ids := make(map[string]string, len(rows)+len(merged))
	created := make(map[string]bool, len(rows))
	for p, id := range merged {
		ids[p] = id
	}
	err := s.DB.InsertRows(ctx, tx, `INSERT INTO contacts (id, name_sealed, phone_sealed, email_sealed, phone_index, email_index, created_at, updated_at)`, 8, args, `
ON CONFLICT (phone_index) WHERE phone_index <> '' DO UPDATE SET updated_at = excluded.updated_at
RETURNING id, phone_index, name_sealed, email_sealed`, func(res *sql.Rows) error {
		var id, pi, name, email string
		if err := res.Scan(&id, &pi, &name, &email); err != nil {
			return err
		}
		r := byIndex[pi]
		ids[r.phone] = id
		created[r.phone] = id == r.id
		if id != r.id && (name == "" && r.name != "" || email == "" && r.email != "") {
			e := existing{id: id}
			if name == "" {
				e.name = r.name
			}
			if email == "" {
				e.email = r.email
			}
			fill = append(fill, e)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("contactcenter: upsert contacts: %w", err)
	}
	for _, e := range fill {
		if err := s.fillContact(ctx, tx, ring, e.id, e.name, e.email, now); err != nil {
			return nil, nil, err
		}
	}
	return ids, created, nil
}

// fillContact sets a known contact's empty name or e-mail.
func (s *Service) fillContact(ctx context.Context, tx *sql.Tx, ring *vault.Keyring, id, name, email string, now time.Time) error {
	if name != "" {
		sn, err := ring.Seal(name, aad("contacts", id, "name"))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET name_sealed = $2, updated_at = $3 WHERE id = $1 AND name_sealed = ''`, id, sn, now); err != nil {
			return fmt.Errorf("contactcenter: fill contact name: %w", err)
		}
	}
	if email != "" {
		se, err := ring.Seal(email, aad("contacts", id, "email"))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET email_sealed = $2, email_index = $3, updated_at = $4 WHERE id = $1 AND email_sealed = ''`,
			id, se, ring.Index("email", email), now); err != nil {
			return fmt.Errorf("contactcenter: fill contact e-mail: %w", err)
		}
	}
	return nil
}

func sealContact(ring *vault.Keyring, r contactRow) ([3]string, error) {
	var out [3]string
	for i, f := range [3][2]string{{"name", r.name}, {"phone", r.phone}, {"email", r.email}} {
		v, err := ring.Seal(f[1], aad("contacts", r.id, f[0]))
		if err != nil {
			return out, err
		}
		out[i] = v
	}
	return out, nil
}

// upsertContact stores one person: joined by phone, else by e-mail.
func (s *Service) upsertContact(ctx context.Context, tx *sql.Tx, ring *vault.Keyring, in IntakeInput, now time.Time) (string, bool, error) {
	if in.Phone != "" {
		byPhone, created, err := s.upsertContactsByPhone(ctx, tx, ring, []contactRow{{id: ids.New(), name: in.Name, phone: in.Phone, email: in.Email}}, now)
		if err != nil {
			return "", false, err
		}
		return byPhone[in.Phone], created[in.Phone], nil
	}
	var id, name string
	err := tx.QueryRowContext(ctx, `SELECT id, name_sealed FROM contacts WHERE email_index = $1 ORDER BY id LIMIT 1`, ring.Index("email", in.Email)).Scan(&id, &name)
	switch {
	case err == nil:
		if name == "" && in.Name != "" {
			if err := s.fillContact(ctx, tx, ring, id, in.Name, "", now); err != nil {
				return "", false, err
			}
		}
		return id, false, nil
	case errors.Is(err, sql.ErrNoRows):
		r := contactRow{id: ids.New(), name: in.Name, email: in.Email}
		sealed, err := sealContact(ring, r)
		if err != nil {
			return "", false, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, name_sealed, phone_sealed, email_sealed, phone_index, email_index, created_at, updated_at) VALUES ($1, $2, '', $3, '', $4, $5, $5)`,
			r.id, sealed[0], sealed[2], ring.Index("email", in.Email), now); err != nil {
			return "", false, fmt.Errorf("contactcenter: insert contact: %w", err)
		}
		return r.id, true, nil
	default:
		return "", false, fmt.Errorf("contactcenter: find contact by e-mail: %w", err)
	}
}
