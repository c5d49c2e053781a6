package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

const testPassword = "Ураган-над-Исетью-2026"

func tryLogin(s *Service, login, password, addr string) error {
	_, _, err := s.Login(context.Background(), LoginInput{Login: login, Password: password, ClientAddr: addr, UserAgent: "test"})
	return err
}

func retryAfter(err error) time.Duration {
	if e, ok := err.(*problem.Error); ok {
		return e.RetryAfter
	}
	return 0
}

// auditRecords returns the audit records identity put in its outbox.
func auditRecords(t *testing.T, s *Service) []auditlog.Record {
	t.Helper()
	rows, err := s.DB.R.Query(`SELECT payload FROM outbox WHERE subject = $1 ORDER BY id`, ServiceName+auditlog.SubjectSuffix)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditlog.Record
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var e events.Envelope
		var r auditlog.Record
		if json.Unmarshal([]byte(raw), &e) != nil || json.Unmarshal(e.Data, &r) != nil {
			t.Fatalf("unreadable audit event %s", raw)
		}
		out = append(out, r)
	}
	return out
}

func countAudit(recs []auditlog.Record, action, detail, value string) int {
	n := 0
	for _, r := range recs {
		if r.Action == action && (detail == "" || r.Details[detail] == value) {
			n++
		}
	}
	return n
}

func TestStoreLoginLockout(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		s := newService(t, b, c)
		if _, err := s.CreateUser(ctx, NewUser{Login: "ivanova", Role: "operator", Password: testPassword}); err != nil {
			t.Fatal(err)
		}

		// An unknown login costs the same argon2 work as a wrong password.
		before := verifications.Load()
		errWrong := tryLogin(s, "ivanova", "wrong-password-0", "10.0.0.1")
		if verifications.Load()-before != 1 {
			t.Fatalf("a wrong password took %d verifications", verifications.Load()-before)
		}
		before = verifications.Load()
		errUnknown := tryLogin(s, "nobody", "wrong-password-0", "10.0.0.2")
		if verifications.Load()-before != 1 {
			t.Fatalf("an unknown login took %d verifications", verifications.Load()-before)
		}
		if !reflect.DeepEqual(problem.BodyOf(errWrong), problem.BodyOf(errUnknown)) || problem.CodeOf(errWrong) != problem.Unauthorized {
			t.Fatalf("wrong password %v, unknown login %v", errWrong, errUnknown)
		}
		// Four more failures each: the fifth locks.
		for i := 1; i < 5; i++ {
			for login, addr := range map[string]string{"ivanova": "10.0.0.1", "nobody": "10.0.0.2"} {
				if err := tryLogin(s, login, fmt.Sprint("wrong-password-", i), addr); problem.CodeOf(err) != problem.Unauthorized {
					t.Fatalf("%s failure %d: %v", login, i+1, err)
				}
			}
		}
		// Locked: the right password of a real user and any password of an
		// unknown login get the same answer, without a password check.
		before = verifications.Load()
		errRight := tryLogin(s, "ivanova", testPassword, "10.0.0.1")
		errUnknown = tryLogin(s, "nobody", testPassword, "10.0.0.2")
		if n := verifications.Load() - before; n != 0 {
			t.Fatalf("locked attempts checked %d passwords", n)
		}
		if problem.CodeOf(errRight) != problem.RateLimited || retryAfter(errRight) != time.Minute {
			t.Fatalf("right password on a locked login: %v (retry after %v)", errRight, retryAfter(errRight))
		}
		if !reflect.DeepEqual(problem.BodyOf(errRight), problem.BodyOf(errUnknown)) || retryAfter(errRight) != retryAfter(errUnknown) {
			t.Fatalf("locked answers differ: %+v / %+v", problem.BodyOf(errRight), problem.BodyOf(errUnknown))
		}
		// The lock lifts after its time, not before.
		c.t = c.t.Add(59 * time.Second)
		if err := tryLogin(s, "ivanova", testPassword, "10.0.0.1"); problem.CodeOf(err) != problem.RateLimited || retryAfter(err) != time.Second {
			t.Fatalf("a second before the lock lifts: %v %v", err, retryAfter(err))
		}
		c.t = c.t.Add(time.Second)
		if err := tryLogin(s, "ivanova", testPassword, "10.0.0.1"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		// The success reset the count: one failure does not lock again.
		if err := tryLogin(s, "ivanova", "wrong-password-x", "10.0.0.1"); problem.CodeOf(err) != problem.Unauthorized {
			t.Fatalf("after a reset: %v", err)
		}
		if err := tryLogin(s, "ivanova", testPassword, "10.0.0.1"); err != nil {
			t.Fatalf("one failure after a reset locked: %v", err)
		}

		// Back-off: each further failure doubles the lock, up to 30 minutes.
		// (Each attempt from its own address, so that only the login counts.)
		addr := 0
		fail := func() error {
			addr++
			return tryLogin(s, "ivanova", "wrong-password-y", fmt.Sprintf("10.1.0.%d", addr))
		}
		for i := 0; i < 4; i++ {
			_ = fail()
		}
		for _, want := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
			if err := fail(); problem.CodeOf(err) != problem.Unauthorized {
				t.Fatalf("a failure after the lock lifted: %v", err)
			}
			err := fail()
			if problem.CodeOf(err) != problem.RateLimited || retryAfter(err) != want*time.Minute {
				t.Fatalf("lock %v, want %v", retryAfter(err), want*time.Minute)
			}
			c.t = c.t.Add(want * time.Minute)
		}

		recs := auditRecords(t, s)
		if countAudit(recs, "login.failed", "reason", "locked") == 0 || countAudit(recs, "login.failed", "reason", "bad_credentials") < 10 ||
			countAudit(recs, "login.succeeded", "", "") != 2 {
			t.Fatalf("audit: %d locked, %d bad credentials, %d succeeded", countAudit(recs, "login.failed", "reason", "locked"),
				countAudit(recs, "login.failed", "reason", "bad_credentials"), countAudit(recs, "login.succeeded", "", ""))
		}
		for _, r := range recs {
			if r.Action == "login.failed" && (r.ActorID != "" || r.ActorLogin == "" || r.ClientAddr == "" || r.Outcome != auditlog.OutcomeFailure) {
				t.Fatalf("failed login recorded as %+v", r)
			}
		}
	})
}

func TestStoreAddressLockout(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		s := newService(t, b, c)
		if _, err := s.CreateUser(ctx, NewUser{Login: "ivanova", Role: "operator", Password: testPassword}); err != nil {
			t.Fatal(err)
		}
		// Twenty failures over ten minutes from one address, each on another
		// login (so that no login is locked).
		for i := 0; i < 20; i++ {
			if err := tryLogin(s, fmt.Sprintf("guess%02d", i), "wrong-password-0", "203.0.113.9"); problem.CodeOf(err) != problem.Unauthorized {
				t.Fatalf("failure %d: %v", i+1, err)
			}
			c.t = c.t.Add(29 * time.Second)
		}
		err := tryLogin(s, "ivanova", testPassword, "203.0.113.9")
		if problem.CodeOf(err) != problem.RateLimited || retryAfter(err) != 10*time.Minute-29*time.Second {
			t.Fatalf("the right password from a locked address: %v (retry after %v)", err, retryAfter(err))
		}
		if err := tryLogin(s, "ivanova", testPassword, "203.0.113.10"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		c.t = c.t.Add(10 * time.Minute)
		if err := tryLogin(s, "ivanova", testPassword, "203.0.113.9"); err != nil {
			t.Fatalf("after the address lock: %v", err)
		}
		// Failures spread wider than the window never lock the address.
		for i := 0; i < 30; i++ {
			c.t = c.t.Add(32 * time.Second)
			if err := tryLogin(s, fmt.Sprintf("slow%02d", i), "wrong-password-0", "203.0.113.11"); problem.CodeOf(err) != problem.Unauthorized {
				t.Fatalf("slow failure %d: %v", i+1, err)
			}
		}
		if err := tryLogin(s, "ivanova", testPassword, "203.0.113.11"); err != nil {
			t.Fatalf("failures spread over more than ten minutes locked the address: %v", err)
		}
		// Whatever is typed as a login is counted and recorded safely.
		for _, odd := range []string{"a\x00b", "\xff\xfe", strings.Repeat("щ", 100)} {
			if err := tryLogin(s, odd, "wrong-password-0", "203.0.113.12"); problem.CodeOf(err) != problem.Unauthorized {
				t.Fatalf("login %q: %v", odd, err)
			}
		}
		recs := auditRecords(t, s)
		if countAudit(recs, "login.failed", "scope", "address") != 1 {
			t.Fatalf("%d locked-address records, want 1", countAudit(recs, "login.failed", "scope", "address"))
		}
		if err := s.PurgeLoginFailures(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
