package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
)

// Brute-force lockout. Failures are counted per login (whether or not the
// user exists, so that a lock reveals nothing) and per client address
// (against one address trying many logins), in the database, so that a
// restart or a second identity process does not reset them.
const (
	loginLockAfter = 5                // consecutive failures of one login
	loginLockFirst = time.Minute      // then locked this long, doubling per further failure
	loginLockMost  = 30 * time.Minute //   up to this
	addrWindow     = 10 * time.Minute // failures from one address in this window
	addrLockAfter  = 20               //   this many lock the address
	addrLock       = 10 * time.Minute //   for this long
	// failureMemory: a login's failure count is forgotten after a quiet day.
	failureMemory = 24 * time.Hour
)

// LoginInput is one login attempt.
type LoginInput struct {
	Login        string `json:"login"`
	Password     string `json:"password"`
	TOTPCode     string `json:"totp_code,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
	UserAgent    string `json:"user_agent"`
	ClientAddr   string `json:"-"` // the principal's, never the client's say
}

var (
	errBadCredentials      = problem.New(problem.Unauthorized, "wrong login or password")
	errSecondFactorMissing = problem.New(problem.SecondFactor, "enter the code from your authenticator app or a recovery code")
	errSecondFactorWrong   = problem.New(problem.SecondFactor, "the code is wrong, expired or already used")
)

// errLocked is the one answer to every attempt on a locked login or from a
// locked address: the same for existing and unknown logins, right and wrong
// passwords, and given before any password is checked.
func errLocked(wait time.Duration) error {
	return &problem.Error{Code: problem.RateLimited, Message: "too many failed logins; try again later", RetryAfter: wait}
}

type attempt struct {
	login string // normalized, at most 64 bytes
	addr  string
	at    time.Time
}

// printable makes an attempted login safe to store as a lockout key and in
// the audit: whatever a client typed, no control characters (PostgreSQL
// refuses NUL in text) and valid UTF-8. Real logins never contain either.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

func clip(s string, most int) string {
	if len(s) <= most {
		return s
	}
	s = s[:most]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Login checks a password (and, when the user has enabled two-factor, a
// TOTP or recovery code) and opens a session. Unknown logins and wrong
// passwords get the same answer after the same argon2 work.
func (s *Service) Login(ctx context.Context, in LoginInput) (User, Session, error) {
	now := s.Now().UTC()
	login := normalizeLogin(in.Login)
	a := attempt{login: clip(printable(login), 64), addr: in.ClientAddr, at: now}
	wait, failureID, err := s.reserve(ctx, a)
	if err != nil {
		return User{}, Session{}, err
	}
	if wait > 0 {
		s.OnCommit()
		return User{}, Session{}, errLocked(wait)
	}

	var u User
	var hash string
	var secret sql.NullString
	var lastStep sql.NullInt64
	var enabled sql.NullTime
	found := false
	if validLogin(login) { // anything else cannot be a user (and may not be valid text)
		u, err = scanUser(s.DB.R.QueryRowContext(ctx, `SELECT `+userCols+`, u.password_hash, t.secret, t.last_step, t.enabled_at FROM users u JOIN roles r ON r.id = u.role_id LEFT JOIN totp t ON t.user_id = u.id WHERE u.login = $1`, login),
			&hash, &secret, &lastStep, &enabled)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, sql.ErrNoRows):
			return User{}, Session{}, err
		}
	}
	ok := false
	if len(in.Password) <= 256 {
		if found {
			if ok, err = VerifyPassword(hash, in.Password); err != nil {
				return User{}, Session{}, err
			}
		} else {
			_, _ = VerifyPassword(s.dummyHash, in.Password)
		}
	}
	if !ok || u.Blocked {
		return User{}, Session{}, s.failed(ctx, a, u.ID, "bad_credentials", nil, errBadCredentials)
	}

	// The password is right. A user who enabled two-factor must add a code;
	// the claim (the TOTP step, or the recovery code) is made in the same
	// transaction as the session, so a code races no one into two sessions.
	factor := "none"
	var claim func(tx *sql.Tx) error
	if enabled.Valid {
		switch {
		case strings.TrimSpace(in.TOTPCode) != "":
			factor = "totp"
			step, err := s.matchTOTP(u.ID, secret.String, in.TOTPCode, lastStep.Int64, now)
			if err != nil {
				return User{}, Session{}, err
			}
			if step == 0 {
				return User{}, Session{}, s.failed(ctx, a, u.ID, "second_factor", map[string]string{"factor": factor}, errSecondFactorWrong)
			}
			claim = func(tx *sql.Tx) error { return claimStep(ctx, tx, u.ID, step) }
		case strings.TrimSpace(in.RecoveryCode) != "":
			factor = "recovery_code"
			claim = func(tx *sql.Tx) error { return s.useRecoveryCode(ctx, tx, u, a, in.RecoveryCode) }
		default:
			return User{}, Session{}, s.failed(ctx, a, u.ID, "second_factor", map[string]string{"factor": "missing"}, errSecondFactorMissing)
		}
	}
	u.TwoFactorEnabled = enabled.Valid
	if requiresTwoFactor(u.Role, u.Permissions) && factor == "none" {
		u.EnrollmentRequired = true
		u.Permissions = []string{}
	}

	userAgent := strings.ToValidUTF8(clip(in.UserAgent, 300), "")
	sess := Session{ID: ids.New(), Token: newSecret(), ExpiresAt: now.Add(s.SessionAbsolute)}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if claim != nil {
			if err := claim(tx); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_lockouts WHERE subject = $1`, "login:"+a.login); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE id = $1`, failureID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, user_id, client_addr, user_agent, created_at, last_seen_at, expires_at, second_factor) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)`,
			sess.ID, hashToken(sess.Token), u.ID, a.addr, userAgent, now, sess.ExpiresAt, factor != "none")
		if err != nil {
			return fmt.Errorf("identity: insert session: %w", err)
		}
		details := map[string]string{"second_factor": factor}
		if u.EnrollmentRequired {
			details["enrollment_required"] = "true"
		}
		if err := s.emit(ctx, tx, auditlog.Record{At: now, ActorID: u.ID, ActorLogin: u.Login, ActorRole: u.Role, ClientAddr: a.addr,
			Action: "login.succeeded", ObjectType: "session", ObjectID: sess.ID, Outcome: auditlog.OutcomeSuccess, Details: details}); err != nil {
			return err
		}
		_, err = events.Add(ctx, tx, "identity.user.logged_in", now, map[string]any{"user_id": u.ID})
		return err
	})
	if errors.Is(err, errSecondFactorWrong) {
		return User{}, Session{}, s.failed(ctx, a, u.ID, "second_factor", map[string]string{"factor": factor}, errSecondFactorWrong)
	}
	if err != nil {
		return User{}, Session{}, err
	}
	s.OnCommit()
	return u, sess, nil
}

// claimStep records a TOTP step as used; a step at or before the last one
// used is refused, so a code works once even when two requests race.
func claimStep(ctx context.Context, tx *sql.Tx, userID string, step int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE totp SET last_step = $2 WHERE user_id = $1 AND last_step < $2 AND enabled_at IS NOT NULL`, userID, step)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errSecondFactorWrong
	}
	return nil
}

// reserve looks at the locks and, when there is none, counts the attempt as
// a failure before the password is checked: concurrent guesses cannot all
// slip in under the limit, and a success takes its count back. It returns
// how long the attempt must wait (zero when it may go on) and the id of the
// address failure to take back.
func (s *Service) reserve(ctx context.Context, a attempt) (time.Duration, string, error) {
	var wait time.Duration
	failureID := ids.New()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		wait = 0
		// Touching the rows first makes PostgreSQL lock them until commit,
		// so attempts on the same login or address take turns.
		failures, loginUntil, err := touchLockout(ctx, tx, "login:"+a.login, a.at)
		if err != nil {
			return err
		}
		_, addrUntil, err := touchLockout(ctx, tx, "addr:"+a.addr, a.at)
		if err != nil {
			return err
		}
		scope := ""
		if loginUntil.Valid && loginUntil.Time.After(a.at) {
			wait, scope = loginUntil.Time.Sub(a.at), "login"
		}
		if addrUntil.Valid && addrUntil.Time.Sub(a.at) > wait {
			wait, scope = addrUntil.Time.Sub(a.at), "address"
		}
		if wait > 0 {
			return s.emit(ctx, tx, failedRecord(a, "", "locked", map[string]string{"scope": scope}))
		}
		failures++
		var until any
		if failures >= loginLockAfter {
			d := loginLockFirst
			for i := int64(loginLockAfter); i < failures && d < loginLockMost; i++ {
				d *= 2
			}
			until = a.at.Add(min(d, loginLockMost))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE login_lockouts SET failures = $2, locked_until = $3 WHERE subject = $1`, "login:"+a.login, failures, until); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (id, client_addr, at) VALUES ($1, $2, $3)`, failureID, a.addr, a.at); err != nil {
			return err
		}
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_failures WHERE client_addr = $1 AND at > $2`, a.addr, a.at.Add(-addrWindow)).Scan(&recent); err != nil {
			return err
		}
		if recent >= addrLockAfter {
			if _, err := tx.ExecContext(ctx, `UPDATE login_lockouts SET locked_until = $2 WHERE subject = $1`, "addr:"+a.addr, a.at.Add(addrLock)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, "", fmt.Errorf("identity: login lockout: %w", err)
	}
	return wait, failureID, nil
}

func touchLockout(ctx context.Context, tx *sql.Tx, subject string, at time.Time) (int64, sql.NullTime, error) {
	var failures int64
	var until sql.NullTime
	err := tx.QueryRowContext(ctx, `INSERT INTO login_lockouts (subject, failures, updated_at) VALUES ($1, 0, $2)
ON CONFLICT (subject) DO UPDATE SET updated_at = excluded.updated_at RETURNING failures, locked_until`, subject, at).Scan(&failures, &until)
	return failures, until, err
}

// failedRecord audits a failed attempt. The actor is anonymous: whoever
// tried has not proved to be anyone; the attempted login is kept (clipped)
// so that the security officer sees what was tried.
func failedRecord(a attempt, userID, reason string, details map[string]string) auditlog.Record {
	d := map[string]string{"reason": reason}
	for k, v := range details {
		d[k] = v
	}
	return auditlog.Record{At: a.at, ActorLogin: a.login, ClientAddr: a.addr, Action: "login.failed",
		ObjectType: "user", ObjectID: userID, Outcome: auditlog.OutcomeFailure, Details: d}
}

// failed audits a failed attempt (already counted by reserve) and returns
// answer.
func (s *Service) failed(ctx context.Context, a attempt, userID, reason string, details map[string]string, answer error) error {
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return s.emit(ctx, tx, failedRecord(a, userID, reason, details))
	})
	if err != nil {
		return err
	}
	s.OnCommit()
	return answer
}

// PurgeLoginFailures forgets address failures outside the window and the
// counts of logins quiet for a day (called by the janitor).
func (s *Service) PurgeLoginFailures(ctx context.Context) error {
	now := s.Now().UTC()
	if _, err := s.DB.W.ExecContext(ctx, `DELETE FROM login_failures WHERE at <= $1`, now.Add(-addrWindow)); err != nil {
		return err
	}
	_, err := s.DB.W.ExecContext(ctx, `DELETE FROM login_lockouts WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $2)`, now.Add(-failureMemory), now)
	return err
}
