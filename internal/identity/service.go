package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/identity/migrations"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/store"
	"github.com/okno-crm/okno/internal/vault"
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
	secrets         *vault.Keyring // seals TOTP secrets
	recoveryKey     []byte         // keys the hashes of recovery codes
}

// Config for New.
type Config struct {
	Argon2          Argon2
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	Now             func() time.Time
}

// New migrates the identity database and makes sure the built-in roles
// exist. masterKey (vault.LoadMasterKey) is the root of the keys that seal
// TOTP secrets and hash recovery codes: a stolen database alone yields
// neither.
func New(ctx context.Context, db *store.DB, masterKey []byte, c Config) (*Service, error) {
	if len(masterKey) != vault.MasterKeySize {
		return nil, errors.New("identity: the master key must be 256 bits")
	}
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
	// A single fixed key, not the vault's rotating data keys: TOTP secrets
	// are few and re-made by re-enrolling, and identity keeps no key table.
	if s.secrets, err = vault.NewKeyring(map[int][]byte{1: derive(masterKey, "okno identity totp v1")}, 1, nil); err != nil {
		return nil, err
	}
	s.recoveryKey = derive(masterKey, "okno identity recovery codes v1")
	if s.dummyHash, err = s.Argon2.HashPassword("okno-dummy-password-for-timing"); err != nil {
		return nil, err
	}
	if err := s.ensureRoles(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func derive(master []byte, label string) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(label))
	return m.Sum(nil)
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
		return s.applyGrants(ctx, tx)
	})
}

// applyGrants gives each permission of perm.Added, once, to the built-in
// roles it is meant for, so an installation seeded before the permission
// existed gets it too.
func (s *Service) applyGrants(ctx context.Context, tx *sql.Tx) error {
	for _, g := range perm.Added {
		res, err := tx.ExecContext(ctx, `INSERT INTO permission_grants (permission, applied_at) VALUES ($1, $2) ON CONFLICT (permission) DO NOTHING`, g.Permission, s.Now().UTC())
		if err != nil {
			return fmt.Errorf("identity: grant %s: %w", g.Permission, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		for _, role := range g.Roles {
			var raw string
			err := tx.QueryRowContext(ctx, `SELECT permissions FROM roles WHERE id = $1`, role).Scan(&raw)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("identity: grant %s: %w", g.Permission, err)
			}
			var perms []string
			if err := json.Unmarshal([]byte(raw), &perms); err != nil {
				return fmt.Errorf("identity: role %s permissions: %w", role, err)
			}
			if slices.Contains(perms, g.Permission) {
				continue
			}
			out, _ := json.Marshal(append(perms, g.Permission))
			if _, err := tx.ExecContext(ctx, `UPDATE roles SET permissions = $2, updated_at = $3 WHERE id = $1`, role, string(out), s.Now().UTC()); err != nil {
				return fmt.Errorf("identity: grant %s to %s: %w", g.Permission, role, err)
			}
		}
	}
	return nil
}

// User is a staff member as other services and the UI see them.
type User struct {
	ID          string   `json:"id"`
	Login       string   `json:"login"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	// EnrollmentRequired marks a session of a user whose role requires
	// two-factor authentication, opened without it: it may only enroll
	// (and log out) and carries no permissions until then.
	EnrollmentRequired bool `json:"enrollment_required"`
	TwoFactorEnabled   bool `json:"two_factor_enabled"`
	Blocked            bool `json:"-"`
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Login    string `json:"login"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
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

// requiresTwoFactor says whether a role must log in with a second factor:
// the built-in roles that hold the keys to everyone else's access, and any
// role given the same powers (else renaming a role would dodge the rule).
func requiresTwoFactor(role string, perms []string) bool {
	if role == "admin" || role == "security_officer" {
		return true
	}
	for _, p := range perms {
		switch p {
		case perm.UsersManage, perm.RolesManage, perm.AuditRead, perm.SubjectsManage:
			return true
		}
	}
	return false
}

// CreateUser adds a staff user on the operator's own authority (the command
// line, the demo): no grant check.
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	return s.createUser(ctx, n, nil)
}

// createUser adds a user; with a grantor, only with a role whose
// permissions the grantor holds.
func (s *Service) createUser(ctx context.Context, n NewUser, grantor *principal.Principal) (User, error) {
	login := normalizeLogin(n.Login)
	var fe []problem.FieldError
	if !validLogin(login) {
		fe = append(fe, problem.FieldError{Field: "login", Message: "2–64 characters: latin letters, digits, . _ - @"})
	}
	name := strings.TrimSpace(n.Name)
	if name == "" {
		name = login
	}
	if msg := checkName(name, 200); msg != "" {
		fe = append(fe, problem.FieldError{Field: "name", Message: msg})
	}
	if strings.TrimSpace(n.Role) == "" {
		fe = append(fe, problem.FieldError{Field: "role", Message: "is required"})
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
		perms, err := rolePermissions(ctx, tx, n.Role)
		if err != nil {
			return err
		}
		if grantor != nil {
			if err := checkGrant(*grantor, perms); err != nil {
				return err
			}
		}
		u.Permissions = perms
		_, err = tx.ExecContext(ctx, `INSERT INTO users (id, login, name, role_id, password_hash, blocked, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6, $6)`,
			u.ID, u.Login, u.Name, u.Role, hash, now)
		if store.IsUniqueViolation(err) {
			return problem.Field("login", "is already taken")
		}
		if err != nil {
			return fmt.Errorf("identity: insert user: %w", err)
		}
		if _, err = events.Add(ctx, tx, "identity.user.created", now, userEvent(u)); err != nil {
			return err
		}
		return s.emit(ctx, tx, s.record(ctx, now, "user.created", "user", u.ID, []string{"login", "name", "role"}, map[string]string{"role": u.Role}))
	})
	if err != nil {
		return User{}, err
	}
	s.OnCommit()
	return u, nil
}

// checkName refuses empty, over-long and control-character names; the
// message never repeats the value.
func checkName(name string, most int) string {
	switch {
	case name == "":
		return "is required"
	case !utf8.ValidString(name):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(name) > most:
		return fmt.Sprintf("must be at most %d characters", most)
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f {
			return "must not contain control characters"
		}
	}
	return ""
}

func rolePermissions(ctx context.Context, tx *sql.Tx, role string) ([]string, error) {
	var raw string
	if err := tx.QueryRowContext(ctx, `SELECT permissions FROM roles WHERE id = $1`, role).Scan(&raw); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, problem.Field("role", "unknown role")
		}
		return nil, err
	}
	var perms []string
	_ = json.Unmarshal([]byte(raw), &perms)
	return perms, nil
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

const userCols = `u.id, u.login, u.name, u.role_id, u.blocked, r.permissions`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	var perms string
	if err := row.Scan(append([]any{&u.ID, &u.Login, &u.Name, &u.Role, &u.Blocked, &perms}, extra...)...); err != nil {
		return User{}, err
	}
	_ = json.Unmarshal([]byte(perms), &u.Permissions)
	return u, nil
}

// FindUserByLogin returns a user by login.
func (s *Service) FindUserByLogin(ctx context.Context, login string) (User, error) {
	u, err := scanUser(s.DB.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u JOIN roles r ON r.id = u.role_id WHERE u.login = $1`, normalizeLogin(login)))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, problem.New(problem.NotFound, "no such user")
	}
	return u, err
}

// Session is what a successful login hands to the gateway.
type Session struct {
	ID        string    `json:"id"`
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

// TokenPrefix marks personal API tokens so they are told apart from sessions.
const TokenPrefix = "okno_"

// Caller is who holds a credential: the user as they may act now, and which
// session or token it is (the gateway closes WebSockets by them).
type Caller struct {
	User      User   `json:"user"`
	SessionID string `json:"session_id,omitempty"`
	TokenID   string `json:"token_id,omitempty"`
}

// Authenticate resolves a session token or an API token to its caller.
func (s *Service) Authenticate(ctx context.Context, token string) (Caller, error) {
	unauth := problem.New(problem.Unauthorized, "session expired or unknown")
	if token == "" || len(token) > 200 {
		return Caller{}, unauth
	}
	now := s.Now().UTC()
	h := hashToken(token)
	if strings.HasPrefix(token, TokenPrefix) {
		var tokID string
		var expires time.Time
		var revoked, lastUsed sql.NullTime
		var scopes sql.NullString
		var enabled sql.NullTime
		u, err := scanUser(s.DB.R.QueryRowContext(ctx, `SELECT `+userCols+`, k.id, k.expires_at, k.revoked_at, k.last_used_at, k.scopes, t.enabled_at FROM api_tokens k JOIN users u ON u.id = k.user_id JOIN roles r ON r.id = u.role_id LEFT JOIN totp t ON t.user_id = u.id WHERE k.token_hash = $1`, h),
			&tokID, &expires, &revoked, &lastUsed, &scopes, &enabled)
		if errors.Is(err, sql.ErrNoRows) {
			return Caller{}, unauth
		}
		if err != nil {
			return Caller{}, err
		}
		if revoked.Valid || !now.Before(expires) || u.Blocked {
			return Caller{}, unauth
		}
		u.TwoFactorEnabled = enabled.Valid
		// A token acts with what its user may do now, narrowed to its
		// scopes: a demoted user's tokens are demoted with them.
		if scopes.Valid {
			var sc []string
			_ = json.Unmarshal([]byte(scopes.String), &sc)
			u.Permissions = intersect(u.Permissions, sc)
		}
		if !lastUsed.Valid || now.Sub(lastUsed.Time) > time.Minute {
			if _, err := s.DB.W.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, tokID, now); err != nil {
				return Caller{}, fmt.Errorf("identity: touch token: %w", err)
			}
		}
		return Caller{User: u, TokenID: tokID}, nil
	}
	var sessID string
	var lastSeen, expires time.Time
	var revoked, enabled sql.NullTime
	var secondFactor bool
	u, err := scanUser(s.DB.R.QueryRowContext(ctx, `SELECT `+userCols+`, s.id, s.last_seen_at, s.expires_at, s.revoked_at, s.second_factor, t.enabled_at FROM sessions s JOIN users u ON u.id = s.user_id JOIN roles r ON r.id = u.role_id LEFT JOIN totp t ON t.user_id = u.id WHERE s.token_hash = $1`, h),
		&sessID, &lastSeen, &expires, &revoked, &secondFactor, &enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return Caller{}, unauth
	}
	if err != nil {
		return Caller{}, err
	}
	if revoked.Valid || u.Blocked || !now.Before(expires) || now.Sub(lastSeen) > s.SessionIdle {
		return Caller{}, unauth
	}
	u.TwoFactorEnabled = enabled.Valid
	if requiresTwoFactor(u.Role, u.Permissions) && !(enabled.Valid && secondFactor) {
		u.EnrollmentRequired = true
		u.Permissions = []string{}
	}
	// Touch at most once a minute: a write per API call would serialize
	// every request behind an fsync.
	if now.Sub(lastSeen) > time.Minute {
		if _, err := s.DB.W.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, sessID, now); err != nil {
			return Caller{}, fmt.Errorf("identity: touch session: %w", err)
		}
	}
	return Caller{User: u, SessionID: sessID}, nil
}

func intersect(a, b []string) []string {
	out := []string{}
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// Logout revokes the session a token belongs to.
func (s *Service) Logout(ctx context.Context, token string) error {
	now := s.Now().UTC()
	revoked := false
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var id, userID string
		err := tx.QueryRowContext(ctx, `SELECT id, user_id FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL`, hashToken(token)).Scan(&id, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE id = $1`, id, now); err != nil {
			return err
		}
		revoked = true
		return s.sessionRevoked(ctx, tx, now, "logout", userID, id)
	})
	if err == nil && revoked {
		s.OnCommit()
	}
	return err
}

// sessionRevoked announces a revoked session (the gateway closes its
// WebSockets) and audits it.
func (s *Service) sessionRevoked(ctx context.Context, tx *sql.Tx, now time.Time, action, userID, sessionID string) error {
	if _, err := events.Add(ctx, tx, "identity.session.revoked", now, map[string]any{"user_id": userID, "session_id": sessionID}); err != nil {
		return err
	}
	return s.emit(ctx, tx, s.record(ctx, now, action, "session", sessionID, nil, map[string]string{"user_id": userID}))
}
