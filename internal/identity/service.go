package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/identity/migrations"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
)

// Service is the identity service.
type Service struct {
	DB              *store.DB
	Argon2          Argon2
	Now             func() time.Time
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	OnCommit        func() // wakes the outbox relay
	dummyHash       string
}

// Config for New.
type Config struct {
	Argon2          Argon2
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	Now             func() time.Time
}

// New migrates the identity database and makes sure the built-in roles exist.
func New(ctx context.Context, db *store.DB, c Config) (*Service, error) {
	if err := db.Migrate(ctx, migrations.FS); err != nil {
		return nil, err
	}
	s := &Service{DB: db, Argon2: c.Argon2, Now: c.Now, SessionIdle: c.SessionIdle, SessionAbsolute: c.SessionAbsolute, OnCommit: func() {}}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Argon2.MemoryKiB == 0 {
		s.Argon2 = DefaultArgon2
	}
	if s.SessionIdle == 0 {
		s.SessionIdle = 2 * time.Hour
	}
	if s.SessionAbsolute == 0 {
		s.SessionAbsolute = 12 * time.Hour
	}
	var err error
	if s.dummyHash, err = s.Argon2.HashPassword("okno-dummy-password-for-timing"); err != nil {
		return nil, err
	}
	if err := s.ensureRoles(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) ensureRoles(ctx context.Context) error {
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, r := range perm.BuiltinRoles {
			perms, _ := json.Marshal(r.Permissions)
			_, err := tx.ExecContext(ctx, `INSERT INTO roles (id, name, permissions, builtin, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
				r.ID, r.Name, string(perms), true, s.Now().UTC())
			if err != nil {
				return fmt.Errorf("identity: seed role %s: %w", r.ID, err)
			}
		}
		return nil
	})
}

// User is a staff member as other services and the UI see them.
type User struct {
	ID          string   `json:"id"`
	Login       string   `json:"login"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	Blocked     bool     `json:"-"`
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Login    string
	Name     string
	Role     string
	Password string
}

func normalizeLogin(l string) string { return strings.ToLower(strings.TrimSpace(l)) }

func validLogin(l string) bool {
	if len(l) < 2 || len(l) > 64 {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '@') {
			return false
		}
	}
	return true
}

// CreateUser adds a staff user.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	login := normalizeLogin(n.Login)
	var fe []problem.FieldError
	if !validLogin(login) {
		fe = append(fe, problem.FieldError{Field: "login", Message: "2–64 characters: latin letters, digits, . _ - @"})
	}
	name := strings.TrimSpace(n.Name)
	if name == "" {
		name = login
	}
	if utf8.RuneCountInString(name) > 200 {
		fe = append(fe, problem.FieldError{Field: "name", Message: "must be at most 200 characters"})
	}
	if err := CheckPasswordPolicy(login, n.Password); err != nil {
		fe = append(fe, problem.FieldError{Field: "password", Message: err.Error()})
	}
	if len(fe) > 0 {
		return User{}, problem.Fields(fe)
	}
	hash, err := s.Argon2.HashPassword(n.Password)
	if err != nil {
		return User{}, err
	}
	now := s.Now().UTC()
	u := User{ID: ids.New(), Login: login, Name: name, Role: n.Role}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var perms string
		if err := tx.QueryRowContext(ctx, `SELECT permissions FROM roles WHERE id = $1`, n.Role).Scan(&perms); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return problem.Field("role", "unknown role")
			}
			return err
		}
		_ = json.Unmarshal([]byte(perms), &u.Permissions)
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, login, name, role_id, password_hash, blocked, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6, $6)`,
			u.ID, u.Login, u.Name, u.Role, hash, now)
		if store.IsUniqueViolation(err) {
			return problem.Field("login", "is already taken")
		}
		if err != nil {
			return fmt.Errorf("identity: insert user: %w", err)
		}
		_, err = events.Add(ctx, tx, "identity.user.created", now, userEvent(u))
		return err
	})
	if err != nil {
		return User{}, err
	}
	s.OnCommit()
	return u, nil
}

// userEvent is what other services learn about staff: a directory entry,
// never credentials.
func userEvent(u User) map[string]any {
	return map[string]any{"user_id": u.ID, "login": u.Login, "name": u.Name, "role": u.Role, "blocked": u.Blocked}
}

// CountUsers tells whether any user exists (first-start demo seeding).
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

const userCols = `u.id, u.login, u.name, u.role_id, u.blocked, u.password_hash, r.permissions`

func scanUser(row interface{ Scan(...any) error }) (User, string, error) {
	var u User
	var hash, perms string
	if err := row.Scan(&u.ID, &u.Login, &u.Name, &u.Role, &u.Blocked, &hash, &perms); err != nil {
		return User{}, "", err
	}
	_ = json.Unmarshal([]byte(perms), &u.Permissions)
	return u, hash, nil
}

// FindUserByLogin returns a user by login.
func (s *Service) FindUserByLogin(ctx context.Context, login string) (User, error) {
	u, _, err := scanUser(s.DB.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u JOIN roles r ON r.id = u.role_id WHERE u.login = $1`, normalizeLogin(login)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, problem.New(problem.NotFound, "no such user")
	}
	return u, err
}

// Session is what a successful login hands to the gateway.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

var errBadCredentials = problem.New(problem.Unauthorized, "wrong login or password")

// Login checks a password and opens a session. The answer is the same for
// an unknown login and a wrong password, and takes the same time.
func (s *Service) Login(ctx context.Context, login, password, clientAddr, userAgent string) (User, Session, error) {
	if len(password) > 256 || len(login) > 64 {
		return User{}, Session{}, errBadCredentials
	}
	u, hash, err := scanUser(s.DB.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u JOIN roles r ON r.id = u.role_id WHERE u.login = $1`, normalizeLogin(login)))
	if errors.Is(err, sql.ErrNoRows) {
		_, _ = VerifyPassword(s.dummyHash, password)
		return User{}, Session{}, errBadCredentials
	}
	if err != nil {
		return User{}, Session{}, err
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return User{}, Session{}, err
	}
	if !ok || u.Blocked {
		return User{}, Session{}, errBadCredentials
	}
	now := s.Now().UTC()
	sess := Session{Token: newSecret(), ExpiresAt: now.Add(s.SessionAbsolute)}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, user_id, client_addr, user_agent, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
			ids.New(), hashToken(sess.Token), u.ID, clientAddr, strings.ToValidUTF8(userAgent, ""), now, sess.ExpiresAt)
		if err != nil {
			return fmt.Errorf("identity: insert session: %w", err)
		}
		_, err = events.Add(ctx, tx, "identity.user.logged_in", now, map[string]any{"user_id": u.ID})
		return err
	})
	if err != nil {
		return User{}, Session{}, err
	}
	s.OnCommit()
	return u, sess, nil
}

// TokenPrefix marks personal API tokens so they are told apart from sessions.
const TokenPrefix = "okno_"

// Authenticate resolves a session token or an API token to its user.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	unauth := problem.New(problem.Unauthorized, "session expired or unknown")
	if token == "" || len(token) > 200 {
		return User{}, unauth
	}
	now := s.Now().UTC()
	h := hashToken(token)
	if strings.HasPrefix(token, TokenPrefix) {
		var expires time.Time
		var revoked sql.NullTime
		var tokID string
		row := s.DB.R.QueryRowContext(ctx, `SELECT `+userCols+`, t.id, t.expires_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN roles r ON r.id = u.role_id WHERE t.token_hash = $1`, h)
		var u User
		var hash, perms string
		err := row.Scan(&u.ID, &u.Login, &u.Name, &u.Role, &u.Blocked, &hash, &perms, &tokID, &expires, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, unauth
		}
		if err != nil {
			return User{}, err
		}
		_ = json.Unmarshal([]byte(perms), &u.Permissions)
		if revoked.Valid || !now.Before(expires) || u.Blocked {
			return User{}, unauth
		}
		return u, nil
	}
	var u User
	var hash, perms, sessID string
	var lastSeen, expires time.Time
	var revoked sql.NullTime
	err := s.DB.R.QueryRowContext(ctx, `SELECT `+userCols+`, s.id, s.last_seen_at, s.expires_at, s.revoked_at FROM sessions s JOIN users u ON u.id = s.user_id JOIN roles r ON r.id = u.role_id WHERE s.token_hash = $1`, h).
		Scan(&u.ID, &u.Login, &u.Name, &u.Role, &u.Blocked, &hash, &perms, &sessID, &lastSeen, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, unauth
	}
	if err != nil {
		return User{}, err
	}
	_ = json.Unmarshal([]byte(perms), &u.Permissions)
	if revoked.Valid || u.Blocked || !now.Before(expires) || now.Sub(lastSeen) > s.SessionIdle {
		return User{}, unauth
	}
	// Touch at most once a minute: a write per API call would serialize
	// every request behind an fsync.
	if now.Sub(lastSeen) > time.Minute {
		if _, err := s.DB.W.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, sessID, now); err != nil {
			return User{}, fmt.Errorf("identity: touch session: %w", err)
		}
	}
	return u, nil
}

// Logout revokes a session.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.DB.W.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, hashToken(token), s.Now().UTC())
	return err
}

// CreateToken issues a personal API token for a user. Only its hash is kept:
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
	tok := TokenPrefix + newSecret()
	exp := now.Add(ttl)
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, token_hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			ids.New(), hashToken(tok), u.ID, name, now, exp)
		if err != nil {
			return fmt.Errorf("identity: insert token: %w", err)
		}
		_, err = events.Add(ctx, tx, "identity.token.created", now, map[string]any{"user_id": u.ID})
		return err
	})
	if err != nil {
		return "", time.Time{}, err
	}
	s.OnCommit()
	return tok, exp, nil
}
