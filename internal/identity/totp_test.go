package identity

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
	"github.com/pquerna/otp/totp"
)

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStoreTwoFactor(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 10, 0, time.UTC)}
		s := newService(t, b, c)
		admin, err := s.CreateUser(ctx, NewUser{Login: "boss", Role: "admin", Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		login := func(in LoginInput) (User, Session, error) {
			in.Login, in.Password, in.ClientAddr = "boss", testPassword, "10.0.0.1"
			return s.Login(ctx, in)
		}

		// An administrator without two-factor gets a restricted session:
		// no permissions until they enroll.
		u, sess, err := login(LoginInput{})
		if err != nil || !u.EnrollmentRequired || len(u.Permissions) != 0 {
			t.Fatalf("admin without 2FA: %+v %v", u, err)
		}
		caller, err := s.Authenticate(ctx, sess.Token)
		if err != nil || !caller.User.EnrollmentRequired || len(caller.User.Permissions) != 0 {
			t.Fatalf("restricted session authenticates as %+v %v", caller.User, err)
		}
		_, other, _ := login(LoginInput{}) // another device, password only
		if st, _ := s.TwoFactor(ctx, admin.ID); st.Enabled || !st.Required {
			t.Fatalf("status before enrollment %+v", st)
		}

		setup, err := s.SetupTOTP(ctx, admin.ID)
		if err != nil || !strings.HasPrefix(setup.URL, "otpauth://totp/Okno:boss?") || !strings.Contains(setup.URL, "secret="+setup.Secret) {
			t.Fatalf("setup %+v %v", setup, err)
		}
		var stored string
		_ = s.DB.R.QueryRow(`SELECT secret FROM totp WHERE user_id = $1`, admin.ID).Scan(&stored)
		if stored == "" || strings.Contains(stored, setup.Secret) {
			t.Fatalf("the TOTP secret is stored as %q", stored)
		}
		if _, err := s.EnableTOTP(ctx, admin.ID, sess.ID, "000000"); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("enable with a wrong code: %v", err)
		}
		enableCode := code(t, setup.Secret, c.t)
		recovery, err := s.EnableTOTP(ctx, admin.ID, sess.ID, enableCode)
		if err != nil || len(recovery) != 10 || len(slices.Compact(slices.Sorted(slices.Values(recovery)))) != 10 {
			t.Fatalf("enable: %v %v", recovery, err)
		}
		if _, err := s.SetupTOTP(ctx, admin.ID); problem.CodeOf(err) != problem.Conflict {
			t.Fatalf("setup over an enabled 2FA: %v", err)
		}
		// The session that enrolled has proved a second factor.
		caller, err = s.Authenticate(ctx, sess.Token)
		if err != nil || caller.User.EnrollmentRequired || !slices.Contains(caller.User.Permissions, perm.UsersManage) {
			t.Fatalf("after enrollment: %+v %v", caller.User, err)
		}
		if _, err := s.Authenticate(ctx, other.Token); problem.CodeOf(err) != problem.Unauthorized {
			t.Fatalf("a password-only session survived enrollment: %v", err)
		}
		rows, _ := s.DB.R.Query(`SELECT code_hash FROM recovery_codes WHERE user_id = $1`, admin.ID)
		for rows.Next() {
			var h string
			_ = rows.Scan(&h)
			for _, rc := range recovery {
				if strings.Contains(h, rc) || strings.Contains(h, strings.ReplaceAll(rc, "-", "")) {
					t.Fatal("a recovery code is stored as it is")
				}
			}
		}
		rows.Close()

		// The password alone is no longer enough.
		if _, _, err := login(LoginInput{}); problem.CodeOf(err) != problem.SecondFactor {
			t.Fatalf("password only: %v", err)
		}
		// The code used to enable cannot be used again.
		if _, _, err := login(LoginInput{TOTPCode: enableCode}); problem.CodeOf(err) != problem.SecondFactor {
			t.Fatalf("the enabling code reused: %v", err)
		}
		c.t = c.t.Add(30 * time.Second)
		now := code(t, setup.Secret, c.t)
		u, sess2, err := login(LoginInput{TOTPCode: now})
		if err != nil || u.EnrollmentRequired || len(u.Permissions) == 0 {
			t.Fatalf("login with a code: %+v %v", u, err)
		}
		if _, _, err := login(LoginInput{TOTPCode: now}); problem.CodeOf(err) != problem.SecondFactor {
			t.Fatalf("the same code twice: %v", err)
		}
		if caller, _ := s.Authenticate(ctx, sess2.Token); caller.User.EnrollmentRequired {
			t.Fatal("a session opened with a code is restricted")
		}
		// One step of clock skew either way is accepted (once).
		c.t = c.t.Add(60 * time.Second)
		if _, _, err := login(LoginInput{TOTPCode: code(t, setup.Secret, c.t.Add(-30*time.Second))}); err != nil {
			t.Fatalf("a code from the previous step: %v", err)
		}
		if _, _, err := login(LoginInput{TOTPCode: code(t, setup.Secret, c.t.Add(30*time.Second))}); err != nil {
			t.Fatalf("a code from the next step: %v", err)
		}
		c.t = c.t.Add(5 * time.Minute)
		if _, _, err := login(LoginInput{TOTPCode: code(t, setup.Secret, c.t.Add(-90*time.Second))}); problem.CodeOf(err) != problem.SecondFactor {
			t.Fatalf("a code three steps old: %v", err)
		}

		// A recovery code works once, in any case and with or without its dash.
		rc := strings.ToUpper(strings.ReplaceAll(recovery[3], "-", ""))
		if _, _, err := login(LoginInput{RecoveryCode: rc}); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		if _, _, err := login(LoginInput{RecoveryCode: recovery[3]}); problem.CodeOf(err) != problem.SecondFactor {
			t.Fatalf("a recovery code used twice: %v", err)
		}
		if st, _ := s.TwoFactor(ctx, admin.ID); !st.Enabled || st.RecoveryCodesLeft != 9 {
			t.Fatalf("status %+v", st)
		}

		// Wrong codes count as failed logins: five lock the login, and then
		// even the right code is refused.
		c.t = c.t.Add(time.Minute)
		if _, _, err := login(LoginInput{TOTPCode: code(t, setup.Secret, c.t)}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if _, _, err := login(LoginInput{TOTPCode: "123456"}); problem.CodeOf(err) != problem.SecondFactor {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		c.t = c.t.Add(30 * time.Second)
		if _, _, err := login(LoginInput{TOTPCode: code(t, setup.Secret, c.t)}); problem.CodeOf(err) != problem.RateLimited {
			t.Fatalf("the right code after five wrong ones: %v", err)
		}

		recs := auditRecords(t, s)
		if countAudit(recs, "2fa.enabled", "", "") != 1 || countAudit(recs, "recovery_code.used", "", "") != 1 ||
			countAudit(recs, "login.failed", "reason", "second_factor") < 8 {
			t.Fatalf("audit: %d enabled, %d recovery used, %d second-factor failures", countAudit(recs, "2fa.enabled", "", ""),
				countAudit(recs, "recovery_code.used", "", ""), countAudit(recs, "login.failed", "reason", "second_factor"))
		}

		// Disabling needs a code; an administrator is restricted again.
		c.t = c.t.Add(time.Hour)
		_, sess3, err := login(LoginInput{RecoveryCode: recovery[0]})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DisableTOTP(ctx, admin.ID, "000000", ""); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("disable with a wrong code: %v", err)
		}
		if err := s.DisableTOTP(ctx, admin.ID, code(t, setup.Secret, c.t), ""); err != nil {
			t.Fatal(err)
		}
		if caller, err := s.Authenticate(ctx, sess3.Token); err != nil || !caller.User.EnrollmentRequired {
			t.Fatalf("after disabling: %+v %v", caller.User, err)
		}
		if u, _, err := login(LoginInput{}); err != nil || !u.EnrollmentRequired {
			t.Fatalf("login after disabling: %+v %v", u, err)
		}
	})
}

// Two-factor is optional for roles that do not manage access: an operator
// logs in with a password alone, or enrolls and then needs a code.
func TestStoreTwoFactorOptional(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 10, 0, time.UTC)}
		s := newService(t, b, c)
		op, err := s.CreateUser(ctx, NewUser{Login: "ivanova", Role: "operator", Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		u, sess, err := s.Login(ctx, LoginInput{Login: "ivanova", Password: testPassword})
		if err != nil || u.EnrollmentRequired || !slices.Contains(u.Permissions, perm.RequestsRead) {
			t.Fatalf("operator login: %+v %v", u, err)
		}
		setup, _ := s.SetupTOTP(ctx, op.ID)
		if _, err := s.EnableTOTP(ctx, op.ID, sess.ID, code(t, setup.Secret, c.t)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Login(ctx, LoginInput{Login: "ivanova", Password: testPassword}); problem.CodeOf(err) != problem.SecondFactor {
			t.Fatalf("enrolled operator without a code: %v", err)
		}
	})
}
