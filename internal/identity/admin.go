package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
)

// UserInfo is a staff user as administrators see them.
type UserInfo struct {
	ID               string    `json:"id"`
	Login            string    `json:"login"`
	Name             string    `json:"name"`
	Role             string    `json:"role"`
	Blocked          bool      `json:"blocked"`
	TwoFactorEnabled bool      `json:"two_factor_enabled"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

const userInfoSelect = `SELECT u.id, u.login, u.name, u.role_id, u.blocked, t.enabled_at, u.created_at, u.updated_at FROM users u LEFT JOIN totp t ON t.user_id = u.id`

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func scanUserInfo(row interface{ Scan(...any) error }) (UserInfo, error) {
	var u UserInfo
	var enabled sql.NullTime
	err := row.Scan(&u.ID, &u.Login, &u.Name, &u.Role, &u.Blocked, &enabled, &u.CreatedAt, &u.UpdatedAt)
	u.TwoFactorEnabled = enabled.Valid
	return u, err
}

// ListUsers returns every staff user by login.
func (s *Service) ListUsers(ctx context.Context) ([]UserInfo, error) {
	rows, err := s.DB.R.QueryContext(ctx, userInfoSelect+` ORDER BY u.login`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []UserInfo{}
	for rows.Next() {
		u, err := scanUserInfo(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

var errNoUser = problem.New(problem.NotFound, "no such user")

func findUserInfo(ctx context.Context, q querier, id string) (UserInfo, error) {
	u, err := scanUserInfo(q.QueryRowContext(ctx, userInfoSelect+` WHERE u.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return UserInfo{}, errNoUser
	}
	return u, err
}

// AddUser creates a user on behalf of an administrator, who may only give
// a role whose permissions they hold themselves.
func (s *Service) AddUser(ctx context.Context, grantor principal.Principal, n NewUser) (UserInfo, error) {
	u, err := s.createUser(ctx, n, &grantor)
	if err != nil {
		return UserInfo{}, err
	}
	return findUserInfo(ctx, s.DB.R, u.ID)
}

// UserPatch changes some of a user's attributes; absent ones stay.
type UserPatch struct {
	Name    *string `json:"name"`
	Role    *string `json:"role"`
	Blocked *bool   `json:"blocked"`
}

// UpdateUser renames, re-roles, blocks or unblocks a user whose role holds
// nothing the grantor lacks, giving only a role within the grantor's
// permissions. Blocking revokes
// every session and token of the user in the same transaction, and is
// announced so that the gateway drops their live connections at once.
func (s *Service) UpdateUser(ctx context.Context, grantor principal.Principal, id string, p UserPatch) (UserInfo, error) {
	now := s.Now().UTC()
	var out UserInfo
	changed := false
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := findUserInfo(ctx, tx, id)
		if err != nil {
			return err
		}
		held, err := rolePermissions(ctx, tx, cur.Role)
		if err != nil {
			return err
		}
		if err := checkReach(grantor, held, "you cannot change a user holding permissions you do not hold: %s"); err != nil {
			return err
		}
		next := cur
		var fields []string
		details := map[string]string{}
		if p.Name != nil {
			name := strings.TrimSpace(*p.Name)
			if msg := checkName(name, 200); msg != "" {
				return problem.Field("name", msg)
			}
			if name != cur.Name {
				next.Name, fields = name, append(fields, "name")
			}
		}
		if p.Role != nil && *p.Role != cur.Role {
			perms, err := rolePermissions(ctx, tx, *p.Role)
			if err != nil {
				return err
			}
			if err := checkGrant(grantor, perms); err != nil {
				return err
			}
			next.Role, fields = *p.Role, append(fields, "role")
			details["role_from"], details["role_to"] = cur.Role, next.Role
		}
		blocking := p.Blocked != nil && *p.Blocked && !cur.Blocked
		if p.Blocked != nil && *p.Blocked != cur.Blocked {
			if *p.Blocked && id == grantor.UserID {
				return problem.Field("blocked", "you cannot block yourself")
			}
			next.Blocked = *p.Blocked
			if !blocking {
				fields = append(fields, "blocked")
				details["blocked"] = "false"
			}
		}
		if len(fields) == 0 && !blocking {
			out = cur
			return nil
		}
		changed = true
		next.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = $2, role_id = $3, blocked = $4, updated_at = $5 WHERE id = $1`,
			id, next.Name, next.Role, next.Blocked, now); err != nil {
			return fmt.Errorf("identity: update user: %w", err)
		}
		if _, err := events.Add(ctx, tx, "identity.user.updated", now, userEvent(User{ID: id, Login: next.Login, Name: next.Name, Role: next.Role, Blocked: next.Blocked})); err != nil {
			return err
		}
		if len(fields) > 0 {
			if err := s.emit(ctx, tx, s.record(ctx, now, "user.updated", "user", id, fields, details)); err != nil {
				return err
			}
		}
		if blocking {
			if err := s.revokeAll(ctx, tx, id, now); err != nil {
				return err
			}
		}
		out = next
		return nil
	})
	if err != nil {
		return UserInfo{}, err
	}
	if changed {
		s.OnCommit()
	}
	return out, nil
}

// revokeAll ends a blocked user's sessions and tokens and says so.
func (s *Service) revokeAll(ctx context.Context, tx *sql.Tx, userID string, now time.Time) error {
	sres, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, now)
	if err != nil {
		return err
	}
	tres, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, now)
	if err != nil {
		return err
	}
	ns, _ := sres.RowsAffected()
	nt, _ := tres.RowsAffected()
	if _, err := events.Add(ctx, tx, "identity.user.blocked", now, map[string]any{"user_id": userID}); err != nil {
		return err
	}
	return s.emit(ctx, tx, s.record(ctx, now, "user.blocked", "user", userID, []string{"blocked"},
		map[string]string{"sessions_revoked": strconv.FormatInt(ns, 10), "tokens_revoked": strconv.FormatInt(nt, 10)}))
}

// ListRoles returns every role by id.
func (s *Service) ListRoles(ctx context.Context) ([]perm.Role, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, permissions, builtin FROM roles ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []perm.Role{}
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanRole(row interface{ Scan(...any) error }) (perm.Role, error) {
	var r perm.Role
	var raw string
	if err := row.Scan(&r.ID, &r.Name, &raw, &r.Builtin); err != nil {
		return r, err
	}
	_ = json.Unmarshal([]byte(raw), &r.Permissions)
	if r.Permissions == nil {
		r.Permissions = []string{}
	}
	return r, nil
}

// RoleInput creates a role.
type RoleInput struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

// RolePatch changes a role; absent attributes stay.
type RolePatch struct {
	Name        *string   `json:"name"`
	Permissions *[]string `json:"permissions"`
}

var roleID = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

// CreateRole adds a role holding only permissions the grantor holds.
func (s *Service) CreateRole(ctx context.Context, grantor principal.Principal, in RoleInput) (perm.Role, error) {
	var fe []problem.FieldError
	if !roleID.MatchString(in.ID) {
		fe = append(fe, problem.FieldError{Field: "id", Message: "2–32 characters: lower-case latin letters, digits and _, starting with a letter"})
	}
	name := strings.TrimSpace(in.Name)
	if msg := checkName(name, 100); msg != "" {
		fe = append(fe, problem.FieldError{Field: "name", Message: msg})
	}
	perms, err := checkPermissions("permissions", in.Permissions)
	if err != nil {
		fe = append(fe, err.(*problem.Error).Fields...)
	}
	if len(fe) > 0 {
		return perm.Role{}, problem.Fields(fe)
	}
	if err := checkGrant(grantor, perms); err != nil {
		return perm.Role{}, err
	}
	now := s.Now().UTC()
	r := perm.Role{ID: in.ID, Name: name, Permissions: perms}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		raw, _ := json.Marshal(perms)
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (id, name, permissions, builtin, updated_at) VALUES ($1, $2, $3, FALSE, $4)`, r.ID, r.Name, string(raw), now)
		if store.IsUniqueViolation(err) {
			return problem.Field("id", "is already taken")
		}
		if err != nil {
			return fmt.Errorf("identity: insert role: %w", err)
		}
		if _, err := events.Add(ctx, tx, "identity.role.created", now, map[string]any{"role_id": r.ID, "permissions": perms}); err != nil {
			return err
		}
		return s.emit(ctx, tx, s.record(ctx, now, "role.created", "role", r.ID, []string{"name", "permissions"},
			map[string]string{"added": strings.Join(perms, ",")}))
	})
	if err != nil {
		return perm.Role{}, err
	}
	s.OnCommit()
	return r, nil
}

var errNoRole = problem.New(problem.NotFound, "no such role")

// UpdateRole renames a role or changes its permissions, if the role holds
// nothing the grantor lacks; adding a permission is granting it, so only one
// the grantor holds.
// Every holder of the role gains or loses the permissions with their next
// call; the gateway drops their WebSockets so that pushes follow suit.
func (s *Service) UpdateRole(ctx context.Context, grantor principal.Principal, id string, p RolePatch) (perm.Role, error) {
	now := s.Now().UTC()
	var out perm.Role
	changed := false
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanRole(tx.QueryRowContext(ctx, `SELECT id, name, permissions, builtin FROM roles WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errNoRole
		}
		if err != nil {
			return err
		}
		if err := checkReach(grantor, cur.Permissions, "you cannot change a role holding permissions you do not hold: %s"); err != nil {
			return err
		}
		next := cur
		var fields []string
		details := map[string]string{}
		if p.Name != nil {
			name := strings.TrimSpace(*p.Name)
			if msg := checkName(name, 100); msg != "" {
				return problem.Field("name", msg)
			}
			if name != cur.Name {
				next.Name, fields = name, append(fields, "name")
			}
		}
		if p.Permissions != nil {
			perms, err := checkPermissions("permissions", *p.Permissions)
			if err != nil {
				return err
			}
			var added, removed []string
			for _, x := range perms {
				if !slices.Contains(cur.Permissions, x) {
					added = append(added, x)
				}
			}
			for _, x := range cur.Permissions {
				if !slices.Contains(perms, x) {
					removed = append(removed, x)
				}
			}
			if err := checkGrant(grantor, added); err != nil {
				return err
			}
			if len(added)+len(removed) > 0 {
				next.Permissions, fields = perms, append(fields, "permissions")
				details["added"], details["removed"] = strings.Join(added, ","), strings.Join(removed, ",")
			}
		}
		out = next
		if len(fields) == 0 {
			return nil
		}
		changed = true
		raw, _ := json.Marshal(next.Permissions)
		if _, err := tx.ExecContext(ctx, `UPDATE roles SET name = $2, permissions = $3, updated_at = $4 WHERE id = $1`, id, next.Name, string(raw), now); err != nil {
			return fmt.Errorf("identity: update role: %w", err)
		}
		if _, err := events.Add(ctx, tx, "identity.role.updated", now, map[string]any{"role_id": id, "permissions": next.Permissions}); err != nil {
			return err
		}
		return s.emit(ctx, tx, s.record(ctx, now, "role.updated", "role", id, fields, details))
	})
	if err != nil {
		return perm.Role{}, err
	}
	if changed {
		s.OnCommit()
	}
	return out, nil
}
