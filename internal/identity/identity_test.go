package identity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

// cheap keeps tests fast; production costs are in DefaultArgon2.
var cheap = Argon2{MemoryKiB: 1024, Time: 1, Threads: 1}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// testMaster is a master key for tests.
var testMaster = []byte("0123456789abcdef0123456789abcdef")

func newService(t *testing.T, b testenv.Backend, c *clock) *Service {
	t.Helper()
	db := testenv.OpenDB(t, b, "identity")
	s, err := New(context.Background(), db, testMaster, Config{Argon2: cheap, Now: c.now, SessionIdle: time.Hour, SessionAbsolute: 8 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPasswordPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short":                  false,
		"123456789012":           false,
		"ivanova-secret-1":       false, // contains the login
		"Ураган-над-Исетью-2026": true,
		"correct horse battery":  true,
		"qwerty123456":           false,
	} {
		err := CheckPasswordPolicy("ivanova", pw)
		if (err == nil) != ok {
			t.Errorf("policy(%q) = %v, want ok=%v", pw, err, ok)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := cheap.HashPassword("Ураган-над-Исетью-2026")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash format %q", h)
	}
	if ok, _ := VerifyPassword(h, "Ураган-над-Исетью-2026"); !ok {
		t.Fatal("right password refused")
	}
	if ok, _ := VerifyPassword(h, "Ураган-над-Исетью-2027"); ok {
		t.Fatal("wrong password accepted")
	}
}

func TestStoreUsersAndSessions(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		s := newService(t, b, c)
		const pw = "Ураган-над-Исетью-2026"
		u, err := s.CreateUser(ctx, NewUser{Login: "Ivanova", Name: "Мария Иванова", Role: "operator", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if u.Login != "ivanova" || len(u.Permissions) == 0 {
			t.Fatalf("user %+v", u)
		}
		if _, err := s.CreateUser(ctx, NewUser{Login: "ivanova", Role: "operator", Password: pw}); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("duplicate login: %v", err)
		}
		if _, err := s.CreateUser(ctx, NewUser{Login: "petrov", Role: "tsar", Password: pw}); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("unknown role: %v", err)
		}
		if _, err := s.CreateUser(ctx, NewUser{Login: "petrov", Role: "operator", Password: "short"}); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("weak password: %v", err)
		}

		// Wrong password and unknown login answer alike.
		_, _, errWrong := s.Login(ctx, LoginInput{Login: "ivanova", Password: "not-the-password-at-all", ClientAddr: "127.0.0.1", UserAgent: "test"})
		_, _, errUnknown := s.Login(ctx, LoginInput{Login: "nobody", Password: pw, ClientAddr: "127.0.0.1", UserAgent: "test"})
		if problem.CodeOf(errWrong) != problem.Unauthorized || errWrong.Error() != errUnknown.Error() {
			t.Fatalf("wrong password %v vs unknown login %v", errWrong, errUnknown)
		}

		_, sess, err := s.Login(ctx, LoginInput{Login: "IVANOVA", Password: pw, ClientAddr: "127.0.0.1", UserAgent: "test"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Authenticate(ctx, sess.Token)
		if err != nil || got.User.ID != u.ID || got.SessionID != sess.ID || got.User.EnrollmentRequired {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		if _, err := s.Authenticate(ctx, sess.Token+"x"); problem.CodeOf(err) != problem.Unauthorized {
			t.Fatalf("forged token: %v", err)
		}
		// Idle longer than the idle timeout: the session is over.
		c.t = c.t.Add(61 * time.Minute)
		if _, err := s.Authenticate(ctx, sess.Token); problem.CodeOf(err) != problem.Unauthorized {
			t.Fatalf("idle session still valid: %v", err)
		}
		// A fresh session kept busy still ends at the absolute timeout.
		_, sess2, _ := s.Login(ctx, LoginInput{Login: "ivanova", Password: pw, ClientAddr: "127.0.0.1", UserAgent: "test"})
		for i := 0; i < 9; i++ {
			c.t = c.t.Add(55 * time.Minute)
			_, err := s.Authenticate(ctx, sess2.Token)
			if i < 8 && err != nil {
				t.Fatalf("active session refused after %d steps: %v", i+1, err)
			}
			if i == 8 && err == nil {
				t.Fatal("session outlived its absolute timeout")
			}
		}
		_, sess3, _ := s.Login(ctx, LoginInput{Login: "ivanova", Password: pw, ClientAddr: "127.0.0.1", UserAgent: "test"})
		if err := s.Logout(ctx, sess3.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, sess3.Token); err == nil {
			t.Fatal("logged-out session still valid")
		}

		tok, exp, err := s.CreateToken(ctx, "ivanova", "integration", 24*time.Hour)
		if err != nil || !strings.HasPrefix(tok, TokenPrefix) || !exp.After(c.t) {
			t.Fatalf("token %q %v %v", tok, exp, err)
		}
		if got, err := s.Authenticate(ctx, tok); err != nil || got.User.ID != u.ID || got.TokenID == "" || len(got.User.Permissions) != len(u.Permissions) {
			t.Fatalf("token auth: %v", err)
		}
		var stored int
		_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1`, tok).Scan(&stored)
		if stored != 0 {
			t.Fatal("the token itself is stored")
		}
		c.t = c.t.Add(25 * time.Hour)
		if _, err := s.Authenticate(ctx, tok); err == nil {
			t.Fatal("expired token accepted")
		}
	})
}
