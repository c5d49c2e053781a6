package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP as authenticator apps expect it (RFC 6238 defaults).
const (
	totpPeriod    = 30
	totpIssuer    = "Okno"
	recoveryCount = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func totpAAD(userID string) string { return "okno identity totp " + userID }

// TwoFactorStatus is what a user sees of their own two-factor settings.
type TwoFactorStatus struct {
	Enabled           bool `json:"enabled"`
	Required          bool `json:"required"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
}

// TwoFactor returns a user's two-factor status.
func (s *Service) TwoFactor(ctx context.Context, userID string) (TwoFactorStatus, error) {
	var st TwoFactorStatus
	var role, perms string
	var enabled sql.NullTime
	err := s.DB.R.QueryRowContext(ctx, `SELECT u.role_id, r.permissions, t.enabled_at FROM users u JOIN roles r ON r.id = u.role_id LEFT JOIN totp t ON t.user_id = u.id WHERE u.id = $1`, userID).
		Scan(&role, &perms, &enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return st, problem.New(problem.NotFound, "no such user")
	}
	if err != nil {
		return st, err
	}
	u := User{Role: role}
	_ = json.Unmarshal([]byte(perms), &u.Permissions)
	st.Enabled, st.Required = enabled.Valid, requiresTwoFactor(u.Role, u.Permissions)
	if st.Enabled {
		err = s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&st.RecoveryCodesLeft)
	}
	return st, err
}

// TOTPSetup is a new secret to put into an authenticator app.
type TOTPSetup struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// SetupTOTP makes a new TOTP secret for a user who has not enabled
// two-factor yet (replacing an unfinished setup). It takes effect only once
// EnableTOTP sees a code made from it.
func (s *Service) SetupTOTP(ctx context.Context, userID string) (TOTPSetup, error) {
	var login string
	if err := s.DB.R.QueryRowContext(ctx, `SELECT login FROM users WHERE id = $1`, userID).Scan(&login); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return TOTPSetup{}, problem.New(problem.NotFound, "no such user")
		}
		return TOTPSetup{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: login, Period: totpPeriod, SecretSize: 20,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPSetup{}, err
	}
	sealed, err := s.secrets.Seal(key.Secret(), totpAAD(userID))
	if err != nil {
		return TOTPSetup{}, err
	}
	res, err := s.DB.W.ExecContext(ctx, `INSERT INTO totp (user_id, secret, last_step, created_at) VALUES ($1, $2, 0, $3)
ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at WHERE totp.enabled_at IS NULL`,
		userID, sealed, s.Now().UTC())
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("identity: totp setup: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return TOTPSetup{}, problem.New(problem.Conflict, "two-factor authentication is already enabled; disable it first to change the authenticator")
	}
	return TOTPSetup{Secret: key.Secret(), URL: key.URL()}, nil
}

// matchTOTP returns the time step whose code matches (the current one, or
// one step either side for clock skew), provided it is later than lastStep;
// 0 when none does.
func (s *Service) matchTOTP(userID, sealed, code string, lastStep int64, now time.Time) (int64, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, nil
	}
	if _, err := strconv.Atoi(code); err != nil {
		return 0, nil
	}
	secret, err := s.secrets.Open(sealed, totpAAD(userID))
	if err != nil {
		return 0, fmt.Errorf("identity: totp secret: %w", err)
	}
	cur := now.Unix() / totpPeriod
	for step := cur - 1; step <= cur+1; step++ {
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, nil
		}
	}
	return 0, nil
}

// EnableTOTP turns two-factor on when code matches the secret from setup,
// and returns fresh recovery codes, shown this once. The session it is
// called from has now proved a second factor and is no longer restricted;
// the user's other password-only sessions end.
func (s *Service) EnableTOTP(ctx context.Context, userID, sessionID, code string) ([]string, error) {
	now := s.Now().UTC()
	var codes []string
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var sealed string
		var enabled sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT secret, enabled_at FROM totp WHERE user_id = $1`, userID).Scan(&sealed, &enabled)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.Conflict, "start with the setup")
		}
		if err != nil {
			return err
		}
		if enabled.Valid {
			return problem.New(problem.Conflict, "two-factor authentication is already enabled")
		}
		step, err := s.matchTOTP(userID, sealed, code, 0, now)
		if err != nil {
			return err
		}
		if step == 0 {
			return problem.Field("code", "is wrong or expired")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE totp SET enabled_at = $2, last_step = $3 WHERE user_id = $1`, userID, now, step); err != nil {
			return err
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, userID, now); err != nil {
			return err
		}
		if sessionID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET second_factor = TRUE WHERE id = $1 AND user_id = $2`, sessionID, userID); err != nil {
				return err
			}
		}
		// Other sessions opened with the password alone end: whoever holds
		// them logs in again with a code (perhaps someone who had learned
		// the password before the user enrolled).
		if err := s.endPasswordOnlySessions(ctx, tx, userID, sessionID, now); err != nil {
			return err
		}
		return s.emit(ctx, tx, s.record(ctx, now, "2fa.enabled", "user", userID, nil, map[string]string{"method": "totp"}))
	})
	if err != nil {
		return nil, err
	}
	s.OnCommit()
	return codes, nil
}

func (s *Service) endPasswordOnlySessions(ctx context.Context, tx *sql.Tx, userID, keep string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sessions WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL AND second_factor = FALSE AND expires_at > $3`, userID, keep, now)
	if err != nil {
		return err
	}
	var ended []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ended = append(ended, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ended {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2 WHERE id = $1`, id, now); err != nil {
			return err
		}
		if err := s.sessionRevoked(ctx, tx, now, "session.revoked", userID, id); err != nil {
			return err
		}
	}
	return nil
}

// DisableTOTP turns two-factor off, given a current TOTP code or a recovery
// code. A user whose role requires two-factor is restricted again until
// they enroll anew (how an administrator moves to a new phone).
func (s *Service) DisableTOTP(ctx context.Context, userID, code, recoveryCode string) error {
	now := s.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var sealed string
		var lastStep int64
		var enabled sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT secret, last_step, enabled_at FROM totp WHERE user_id = $1`, userID).Scan(&sealed, &lastStep, &enabled)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !enabled.Valid {
			return problem.New(problem.Conflict, "two-factor authentication is not enabled")
		}
		if err != nil {
			return err
		}
		switch {
		case strings.TrimSpace(code) != "":
			step, err := s.matchTOTP(userID, sealed, code, lastStep, now)
			if err != nil {
				return err
			}
			if step == 0 {
				return problem.Field("code", "is wrong, expired or already used")
			}
		case strings.TrimSpace(recoveryCode) != "":
			res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
				userID, s.recoveryHash(userID, recoveryCode), now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return problem.Field("recovery_code", "is wrong or already used")
			}
		default:
			return problem.Field("code", "is required (or a recovery_code)")
		}
		for _, q := range []string{`DELETE FROM recovery_codes WHERE user_id = $1`, `DELETE FROM totp WHERE user_id = $1`,
			`UPDATE sessions SET second_factor = FALSE WHERE user_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return err
			}
		}
		// The gateway closes the user's WebSockets: a session that needs
		// enrollment again must not keep receiving pushes.
		if _, err := events.Add(ctx, tx, "identity.user.two_factor_disabled", now, map[string]any{"user_id": userID}); err != nil {
			return err
		}
		return s.emit(ctx, tx, s.record(ctx, now, "2fa.disabled", "user", userID, nil, nil))
	})
	if err != nil {
		return err
	}
	s.OnCommit()
	return nil
}

// Recovery codes: ten characters from an alphabet without look-alikes
// (about 49 bits each), written as two groups of five.
const recoveryAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

func newRecoveryCode() string {
	b := make([]byte, 0, 11)
	for i := 0; i < 10; i++ {
		if i == 5 {
			b = append(b, '-')
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(recoveryAlphabet))))
		b = append(b, recoveryAlphabet[n.Int64()])
	}
	return string(b)
}

// recoveryHash is keyed by the master key: a stolen database does not let
// anyone test guesses offline.
func (s *Service) recoveryHash(userID, code string) string {
	norm := strings.NewReplacer("-", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(code)))
	m := hmac.New(sha256.New, s.recoveryKey)
	m.Write([]byte(userID + ":" + norm))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Service) newRecoveryCodes(ctx context.Context, tx *sql.Tx, userID string, now time.Time) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)`,
			ids.New(), userID, s.recoveryHash(userID, codes[i]), now); err != nil {
			return nil, fmt.Errorf("identity: recovery code: %w", err)
		}
	}
	return codes, nil
}

// useRecoveryCode spends a recovery code at login, once.
func (s *Service) useRecoveryCode(ctx context.Context, tx *sql.Tx, u User, a attempt, code string) error {
	res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
		u.ID, s.recoveryHash(u.ID, code), a.at)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errSecondFactorWrong
	}
	var left int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, u.ID).Scan(&left); err != nil {
		return err
	}
	return s.emit(ctx, tx, auditlog.Record{At: a.at, ActorID: u.ID, ActorLogin: u.Login, ActorRole: u.Role, ClientAddr: a.addr,
		Action: "recovery_code.used", ObjectType: "user", ObjectID: u.ID, Outcome: auditlog.OutcomeSuccess,
		Details: map[string]string{"left": strconv.Itoa(left)}})
}
