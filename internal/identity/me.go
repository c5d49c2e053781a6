package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// SessionInfo is one of a user's open sessions, as they see it.
type SessionInfo struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ClientAddr string    `json:"client_addr"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// ListSessions returns a user's live sessions, newest first; current marks
// the one asking.
func (s *Service) ListSessions(ctx context.Context, userID, currentID string) ([]SessionInfo, error) {
	now := s.Now().UTC()
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, created_at, last_seen_at, client_addr, user_agent FROM sessions
WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY id DESC`, userID, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []SessionInfo{}
	for rows.Next() {
		var si SessionInfo
		if err := rows.Scan(&si.ID, &si.CreatedAt, &si.LastSeenAt, &si.ClientAddr, &si.UserAgent); err != nil {
			return nil, err
		}
		if now.Sub(si.LastSeenAt) > s.SessionIdle {
			continue
		}
		si.Current = si.ID == currentID
		out = append(out, si)
	}
	return out, rows.Err()
}

var errNoSession = problem.New(problem.NotFound, "no such session")

// RevokeSession ends one of a user's own sessions. Someone else's session
// is "not found", exactly like an unknown id.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID string) error {
	now := s.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, sessionID, userID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errNoSession
		}
		return s.sessionRevoked(ctx, tx, now, "session.revoked", userID, sessionID)
	})
	if err != nil {
		return err
	}
	s.OnCommit()
	return nil
}

// TokenInfo describes a personal API token; the token itself is never
// shown again after it was issued.
type TokenInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"` // null: all of the user's permissions (okno token create)
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// NewToken asks for a personal API token.
type NewToken struct {
	Name    string   `json:"name"`
	TTLDays int      `json:"ttl_days"`
	Scopes  []string `json:"scopes"`
}

// IssuedToken is a new token with its secret, shown once.
type IssuedToken struct {
	TokenInfo
	Token string `json:"token"`
}

// ListTokens returns a user's live tokens, newest first.
func (s *Service) ListTokens(ctx context.Context, userID string) ([]TokenInfo, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, scopes, created_at, expires_at, last_used_at FROM api_tokens
WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY id DESC`, userID, s.Now().UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TokenInfo{}
	for rows.Next() {
		var ti TokenInfo
		var scopes sql.NullString
		var used sql.NullTime
		if err := rows.Scan(&ti.ID, &ti.Name, &scopes, &ti.CreatedAt, &ti.ExpiresAt, &used); err != nil {
			return nil, err
		}
		if scopes.Valid {
			_ = json.Unmarshal([]byte(scopes.String), &ti.Scopes)
		}
		if used.Valid {
			ti.LastUsedAt = &used.Time
		}
		out = append(out, ti)
	}
	return out, rows.Err()
}

// permissionName is what a permission looks like; anything else is not
// repeated in an error message.
var permissionName = regexp.MustCompile(`^[a-z_]{1,32}\.[a-z_]{1,32}$`)

// checkPermissions refuses unknown names and returns the list de-duplicated
// in the canonical order.
func checkPermissions(field string, list []string) ([]string, error) {
	for _, p := range list {
		if !slices.Contains(perm.AllPermissions, p) {
			if permissionName.MatchString(p) {
				return nil, problem.Fieldf(field, "unknown permission %s", p)
			}
			return nil, problem.Field(field, "unknown permission")
		}
	}
	out := []string{}
	for _, p := range perm.AllPermissions {
		if slices.Contains(list, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// IssueToken makes a personal API token for the caller. It acts with its
// scopes, never beyond what its user may do at the time of each call; and
// no one scopes a token to a permission they do not hold. Only a login
// session may make one: a token does not breed tokens.
func (s *Service) IssueToken(ctx context.Context, p principal.Principal, n NewToken) (IssuedToken, error) {
	if p.SessionID == "" {
		return IssuedToken{}, problem.New(problem.Forbidden, "tokens are made from a login session, not with another token")
	}
	var fe []problem.FieldError
	name := strings.TrimSpace(n.Name)
	if msg := checkName(name, 100); msg != "" {
		fe = append(fe, problem.FieldError{Field: "name", Message: msg})
	}
	if n.TTLDays < 1 || n.TTLDays > 365 {
		fe = append(fe, problem.FieldError{Field: "ttl_days", Message: "must be between 1 and 365"})
	}
	scopes, err := checkPermissions("scopes", n.Scopes)
	if err != nil {
		fe = append(fe, err.(*problem.Error).Fields...)
	} else if len(scopes) == 0 {
		fe = append(fe, problem.FieldError{Field: "scopes", Message: "must name at least one permission"})
	}
	if len(fe) > 0 {
		return IssuedToken{}, problem.Fields(fe)
	}
	if err := checkGrant(p, scopes); err != nil {
		return IssuedToken{}, err
	}
	now := s.Now().UTC()
	it := IssuedToken{TokenInfo: TokenInfo{ID: ids.New(), Name: name, Scopes: scopes, CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(n.TTLDays) * 24 * time.Hour)}, Token: TokenPrefix + newSecret()}
	raw, _ := json.Marshal(scopes)
	if err := s.insertToken(ctx, p.UserID, it, sql.NullString{String: string(raw), Valid: true}); err != nil {
		return IssuedToken{}, err
	}
	return it, nil
}

func (s *Service) insertToken(ctx context.Context, userID string, it IssuedToken, scopes sql.NullString) error {
	details := map[string]string{"ttl_days": strconv.Itoa(int(it.ExpiresAt.Sub(it.CreatedAt).Hours() / 24))}
	if scopes.Valid {
		details["scopes"] = strings.Join(it.Scopes, ",")
	} else {
		details["scopes"] = "all"
	}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, token_hash, user_id, name, created_at, expires_at, scopes) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			it.ID, hashToken(it.Token), userID, it.Name, it.CreatedAt, it.ExpiresAt, scopes)
		if err != nil {
			return fmt.Errorf("identity: insert token: %w", err)
		}
		if _, err = events.Add(ctx, tx, "identity.token.created", it.CreatedAt, map[string]any{"user_id": userID, "token_id": it.ID}); err != nil {
			return err
		}
		details["user_id"] = userID
		return s.emit(ctx, tx, s.record(ctx, it.CreatedAt, "token.created", "token", it.ID, nil, details))
	})
	if err != nil {
		return err
	}
	s.OnCommit()
	return nil
}

// CreateToken issues a token acting with all of a user's permissions, on
// the operator's own authority (okno token create). Only its hash is kept:
// the token is shown once.
func (s *Service) CreateToken(ctx context.Context, login, name string, ttl time.Duration) (string, time.Time, error) {
	u, err := s.FindUserByLogin(ctx, login)
	if err != nil {
		return "", time.Time{}, err
	}
	if ttl <= 0 || ttl > 5*365*24*time.Hour {
		return "", time.Time{}, problem.Field("ttl", "must be between 1 second and 5 years")
	}
	if name == "" {
		name = "api"
	}
	now := s.Now().UTC()
	it := IssuedToken{TokenInfo: TokenInfo{ID: ids.New(), Name: name, CreatedAt: now, ExpiresAt: now.Add(ttl)}, Token: TokenPrefix + newSecret()}
	if err := s.insertToken(ctx, u.ID, it, sql.NullString{}); err != nil {
		return "", time.Time{}, err
	}
	return it.Token, it.ExpiresAt, nil
}

var errNoToken = problem.New(problem.NotFound, "no such token")

// RevokeToken revokes one of a user's own tokens; someone else's is "not
// found", like an unknown id.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID string) error {
	now := s.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, tokenID, userID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errNoToken
		}
		if _, err := events.Add(ctx, tx, "identity.token.revoked", now, map[string]any{"user_id": userID, "token_id": tokenID}); err != nil {
			return err
		}
		return s.emit(ctx, tx, s.record(ctx, now, "token.revoked", "token", tokenID, nil, map[string]string{"user_id": userID}))
	})
	if err != nil {
		return err
	}
	s.OnCommit()
	return nil
}
