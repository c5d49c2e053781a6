package contactcenter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/telephony"
	"github.com/okno-crm/okno/internal/testenv"
)

// testClock is a settable clock for the service.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var yekt = time.FixedZone("YEKT", 5*3600)

// newClockedService is a contact center on the test clock, with its HTTP
// API served (webhooks are public; the rest needs principal headers).
func newClockedService(t *testing.T, b testenv.Backend, clock *testClock) (*Service, *httptest.Server) {
	t.Helper()
	s := newService(t, b)
	s.Now = clock.Now
	s.PublicURL = "https://okno.clinic.test"
	// As the gateway passes it on: with the internal token, no user.
	h := s.Handler("internal-test-token")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set(principal.HeaderToken, "internal-test-token")
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return s, srv
}

func genericPBX(t *testing.T, s *Service) PBXIntegration {
	t.Helper()
	p, err := s.CreatePBX(context.Background(), "admin", NewPBX{Kind: PBXGeneric, Name: "Офисная АТС"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Secret, "whsec_") || !strings.HasPrefix(p.WebhookURL, "https://okno.clinic.test/api/v1/telephony/webhooks/") {
		t.Fatalf("integration answer lacks its secret or webhook URL")
	}
	return p
}

func webhookPath(p PBXIntegration) string {
	return strings.TrimPrefix(p.WebhookURL, "https://okno.clinic.test/api/v1")
}

// postGeneric delivers a generic event signed as Standard Webhooks says.
func postGeneric(t *testing.T, srv *httptest.Server, p PBXIntegration, secret, id string, ts time.Time, ev map[string]string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(ev)
	req, _ := http.NewRequest("POST", srv.URL+webhookPath(p), strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		sig, err := telephony.SignStandardWebhook(secret, id, ts.Unix(), body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(telephony.HeaderWebhookID, id)
		req.Header.Set(telephony.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
		req.Header.Set(telephony.HeaderWebhookSignature, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func genericEvent(typ, callID, from string, at time.Time, kv ...string) map[string]string {
	ev := map[string]string{"type": typ, "call_id": callID, "direction": "inbound", "from": from, "to": "+73432000000", "at": at.Format(time.RFC3339)}
	for i := 0; i < len(kv); i += 2 {
		ev[kv[i]] = kv[i+1]
	}
	return ev
}

func outboxSubjects(t *testing.T, s *Service, prefix string) []string {
	t.Helper()
	rows, err := s.DB.R.Query(`SELECT subject FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sub string
		if err := rows.Scan(&sub); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(sub, prefix) {
			out = append(out, sub)
		}
	}
	return out
}

func openCallbacks(t *testing.T, s *Service) []Task {
	t.Helper()
	ts, _, err := s.FindTasks(context.Background(), TaskFilter{Kind: TaskCallback, Status: TaskOpen, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// A missed call becomes a callback due within 15 working minutes; a second
// miss from the same number joins it; a call that reaches the patient
// closes it. Unsigned, wrongly signed and replayed deliveries change
// nothing.
func TestStoreGenericWebhookCallsAndCallbacks(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		// Tuesday 10:00 in Yekaterinburg: within working hours.
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		ctx := context.Background()
		p := genericPBX(t, s)
		now := clock.Now()
		caller := "8 (912) 345-67-01"

		status, _ := postGeneric(t, srv, p, "", "msg_1", now, genericEvent("call.started", "c1", caller, now))
		if status != http.StatusUnauthorized {
			t.Fatalf("unsigned delivery: %d, want 401", status)
		}
		status, _ = postGeneric(t, srv, p, "whsec_"+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "msg_1", now, genericEvent("call.started", "c1", caller, now))
		if status != http.StatusUnauthorized {
			t.Fatalf("delivery signed with another secret: %d, want 401", status)
		}
		if n := count(t, s, "calls") + count(t, s, "pbx_deliveries"); n != 0 {
			t.Fatalf("refused deliveries stored %d rows", n)
		}

		for i, ev := range []map[string]string{
			genericEvent("call.started", "c1", caller, now),
			genericEvent("call.ringing", "c1", caller, now.Add(time.Second), "extension", "101"),
			genericEvent("call.ended", "c1", caller, now.Add(30*time.Second), "result", "missed"),
		} {
			if status, out := postGeneric(t, srv, p, p.Secret, fmt.Sprintf("msg_c1_%d", i), now, ev); status != 200 || out["stored"] != true {
				t.Fatalf("event %d: %d %v", i, status, out)
			}
		}
		// The provider retries the last delivery days later: nothing changes.
		clock.Add(3 * 24 * time.Hour)
		if status, out := postGeneric(t, srv, p, p.Secret, "msg_c1_2", clock.Now(), genericEvent("call.ended", "c1", caller, now.Add(30*time.Second), "result", "missed")); status != 200 || out["duplicate"] != true {
			t.Fatalf("replay: %d %v", status, out)
		}
		clock.Set(now)
		calls, _, err := s.FindCalls(ctx, CallFilter{Limit: 10})
		if err != nil || len(calls) != 1 {
			t.Fatalf("calls: %v %d", err, len(calls))
		}
		c := calls[0]
		if c.Result != "missed" || c.State != CallEnded || c.Caller != "+79123456701" || c.Line != "+73432000000" || c.Contact == nil || c.Extension != "101" {
			t.Fatalf("call stored wrong: result %q state %q ext %q contact %v", c.Result, c.State, c.Extension, c.Contact != nil)
		}
		cbs := openCallbacks(t, s)
		if len(cbs) != 1 || cbs[0].Attempts != 1 || cbs[0].Contact == nil || cbs[0].Contact.ID != c.Contact.ID {
			t.Fatalf("callbacks after one miss: %+v", cbs)
		}
		if want := now.Add(30 * time.Second).Add(15 * time.Minute).UTC(); !cbs[0].DueAt.Equal(want) {
			t.Fatalf("callback due %v, want %v", cbs[0].DueAt, want)
		}

		// The same person misses again from the same number written otherwise.
		for i, ev := range []map[string]string{
			genericEvent("call.started", "c2", "+7 912 345 67 01", now.Add(time.Minute)),
			genericEvent("call.ended", "c2", "+7 912 345 67 01", now.Add(2*time.Minute), "result", "abandoned"),
		} {
			if status, _ := postGeneric(t, srv, p, p.Secret, fmt.Sprintf("msg_c2_%d", i), now, ev); status != 200 {
				t.Fatalf("second miss event %d: %d", i, status)
			}
		}
		cbs = openCallbacks(t, s)
		if len(cbs) != 1 || cbs[0].Attempts != 2 {
			t.Fatalf("repeated misses did not merge into one callback: %d tasks", len(cbs))
		}
		if got := outboxSubjects(t, s, "contactcenter.task."); strings.Join(got, ",") != "contactcenter.task.created,contactcenter.task.updated" {
			t.Fatalf("task events: %v", got)
		}

		// The operator calls back and the patient answers.
		for i, ev := range []map[string]string{
			{"type": "call.started", "call_id": "c3", "direction": "outbound", "from": "101", "to": "89123456701", "at": now.Add(5 * time.Minute).Format(time.RFC3339)},
			{"type": "call.answered", "call_id": "c3", "direction": "outbound", "from": "101", "to": "89123456701", "extension": "101", "at": now.Add(6 * time.Minute).Format(time.RFC3339)},
		} {
			if status, _ := postGeneric(t, srv, p, p.Secret, fmt.Sprintf("msg_c3_%d", i), now, ev); status != 200 {
				t.Fatalf("callback call event %d: %d", i, status)
			}
		}
		if cbs := openCallbacks(t, s); len(cbs) != 0 {
			t.Fatalf("a call that reached the patient left %d callbacks open", len(cbs))
		}
		done, _, _ := s.FindTasks(ctx, TaskFilter{Kind: TaskCallback, Status: TaskDone, Limit: 10})
		if len(done) != 1 || done[0].CloseReason != "reached" {
			t.Fatalf("callback not closed as reached: %+v", done)
		}
		// All three calls belong to one contact.
		var contacts int
		if err := s.DB.R.QueryRow(`SELECT COUNT(DISTINCT contact_id) FROM calls`).Scan(&contacts); err != nil || contacts != 1 {
			t.Fatalf("calls spread over %d contacts (%v)", contacts, err)
		}
	})
}

// Callback due times follow the queue's working hours and the Russian
// production calendar; an overdue task escalates once.
func TestStoreCallbackSLAWorkingHoursAndEscalation(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		// Friday 19:55: the clinic closes at 20:00 (default hours).
		clock := &testClock{t: time.Date(2026, 11, 27, 19, 55, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		ctx := context.Background()
		p := genericPBX(t, s)
		now := clock.Now()
		postGeneric(t, srv, p, p.Secret, "e1", now, genericEvent("call.started", "late", "+79120000001", now))
		postGeneric(t, srv, p, p.Secret, "e2", now, genericEvent("call.ended", "late", "+79120000001", now, "result", "missed"))
		cbs := openCallbacks(t, s)
		if len(cbs) != 1 {
			t.Fatalf("%d callbacks", len(cbs))
		}
		// 5 minutes on Friday, 10 more when Saturday opens at 09:00.
		if want := time.Date(2026, 11, 28, 9, 10, 0, 0, yekt); !cbs[0].DueAt.Equal(want) {
			t.Fatalf("due %v, want %v", cbs[0].DueAt.In(yekt), want)
		}
		clock.Set(time.Date(2026, 11, 28, 9, 9, 0, 0, yekt))
		if err := s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := outboxSubjects(t, s, "contactcenter.task.escalated"); len(got) != 0 {
			t.Fatal("escalated before it was due")
		}
		clock.Set(time.Date(2026, 11, 28, 9, 11, 0, 0, yekt))
		for range 2 {
			if err := s.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := outboxSubjects(t, s, "contactcenter.task.escalated"); len(got) != 1 {
			t.Fatalf("escalations: %d, want exactly 1", len(got))
		}
		overdue, _, _ := s.FindTasks(ctx, TaskFilter{Overdue: true, Limit: 10})
		if len(overdue) != 1 || !overdue[0].Overdue || overdue[0].EscalatedAt == nil {
			t.Fatalf("overdue filter: %+v", overdue)
		}

		// A miss on New Year's Eve night is due after the holidays.
		clock.Set(time.Date(2026, 12, 31, 22, 0, 0, 0, yekt))
		now = clock.Now()
		postGeneric(t, srv, p, p.Secret, "ny1", now, genericEvent("call.started", "ny", "+79120000002", now))
		postGeneric(t, srv, p, p.Secret, "ny2", now, genericEvent("call.ended", "ny", "+79120000002", now, "result", "missed"))
		var due time.Time
		for _, c := range openCallbacks(t, s) {
			if c.Contact != nil && c.Contact.Phone == "+79120000002" {
				due = c.DueAt
			}
		}
		if due.In(yekt).Before(time.Date(2027, 1, 9, 0, 0, 0, 0, yekt)) {
			t.Fatalf("a callback fell due during the New Year holidays: %v", due.In(yekt))
		}
	})
}

func mangoDelivery(t *testing.T, srv *httptest.Server, p PBXIntegration, salt, kind, js string) int {
	t.Helper()
	form := url.Values{"vpbx_api_key": {p.Settings.MangoAPIKey}, "sign": {telephony.MangoSign(p.Settings.MangoAPIKey, js, salt)}, "json": {js}}
	resp, err := http.Post(srv.URL+webhookPath(p)+"/events/"+kind, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Mango posts events/call with a seq per leg; a lower seq arriving late is
// stale. events/summary closes the call.
func TestStoreMangoWebhook(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		ctx := context.Background()
		if err := s.SetExtension(ctx, ids.New(), "101"); err != nil {
			t.Fatal(err)
		}
		p, err := s.CreatePBX(ctx, "admin", NewPBX{Kind: PBXMango, Name: "Mango", Secret: "salt-1", Settings: PBXSettings{MangoAPIKey: "vpbx-key"}})
		if err != nil {
			t.Fatal(err)
		}
		ts := clock.Now().Unix()
		appeared := fmt.Sprintf(`{"entry_id":"E1","call_id":"L1","timestamp":%d,"seq":1,"call_state":"Appeared","location":"abonent","from":{"number":"79123456701"},"to":{"extension":"101","number":"73432000000"}}`, ts)
		connected := fmt.Sprintf(`{"entry_id":"E1","call_id":"L1","timestamp":%d,"seq":2,"call_state":"Connected","location":"abonent","from":{"number":"79123456701"},"to":{"extension":"101","number":"73432000000"}}`, ts+5)
		if st := mangoDelivery(t, srv, p, "wrong-salt", "call", appeared); st != 401 {
			t.Fatalf("wrong sign: %d", st)
		}
		// Out of order: Connected (seq 2) arrives before Appeared (seq 1).
		if st := mangoDelivery(t, srv, p, "salt-1", "call", connected); st != 200 {
			t.Fatalf("connected: %d", st)
		}
		if st := mangoDelivery(t, srv, p, "salt-1", "call", appeared); st != 200 {
			t.Fatalf("appeared: %d", st)
		}
		calls, _, _ := s.FindCalls(ctx, CallFilter{Limit: 10})
		if len(calls) != 1 || calls[0].State != CallAnswered || calls[0].AnsweredAt == nil {
			t.Fatalf("the stale Appeared overrode Connected: %+v", calls)
		}
		summary := fmt.Sprintf(`{"entry_id":"E1","call_direction":1,"from":{"number":"79123456701"},"to":{"extension":"101","number":"73432000000"},"create_time":%d,"forward_time":%d,"talk_time":%d,"end_time":%d,"entry_result":1,"disconnect_reason":1110}`, ts, ts+1, ts+5, ts+65)
		if st := mangoDelivery(t, srv, p, "salt-1", "summary", summary); st != 200 {
			t.Fatalf("summary: %d", st)
		}
		calls, _, _ = s.FindCalls(ctx, CallFilter{Limit: 10})
		if calls[0].State != CallEnded || calls[0].Result != "answered" || calls[0].Duration != 60 {
			t.Fatalf("after summary: state %s result %s duration %d", calls[0].State, calls[0].Result, calls[0].Duration)
		}
		if n := len(openCallbacks(t, s)); n != 0 {
			t.Fatalf("an answered call made %d callbacks", n)
		}
	})
}

// Zadarma's NOTIFY_START / NOTIFY_END with their documented signature; the
// zd_echo check of a new address.
func TestStoreZadarmaWebhook(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		ctx := context.Background()
		p, err := s.CreatePBX(ctx, "admin", NewPBX{Kind: PBXZadarma, Name: "Zadarma", Secret: "zd-secret"})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(srv.URL + webhookPath(p) + "?zd_echo=abc123")
		if err != nil {
			t.Fatal(err)
		}
		echo, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(echo) != "abc123" {
			t.Fatalf("zd_echo: %d %q", resp.StatusCode, echo)
		}
		post := func(secret string, form url.Values) int {
			data, _ := telephony.ZadarmaSignedString(form)
			req, _ := http.NewRequest("POST", srv.URL+webhookPath(p), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Signature", telephony.ZadarmaSign(secret, data))
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			return r.StatusCode
		}
		start := url.Values{"event": {"NOTIFY_START"}, "call_start": {"2026-11-24 08:00:00"}, "pbx_call_id": {"in_1"}, "caller_id": {"79123456701"}, "called_did": {"73432000000"}}
		if st := post("other", start); st != 401 {
			t.Fatalf("wrong signature: %d", st)
		}
		if st := post("zd-secret", start); st != 200 {
			t.Fatalf("start: %d", st)
		}
		end := url.Values{"event": {"NOTIFY_END"}, "call_start": {"2026-11-24 08:00:00"}, "pbx_call_id": {"in_1"}, "caller_id": {"79123456701"},
			"called_did": {"73432000000"}, "disposition": {"no answer"}, "duration": {"0"}, "status_code": {"16"}, "is_recorded": {"0"}, "internal": {""}}
		if st := post("zd-secret", end); st != 200 {
			t.Fatalf("end: %d", st)
		}
		if st := post("zd-secret", end); st != 200 {
			t.Fatalf("replayed end: %d", st)
		}
		calls, _, _ := s.FindCalls(ctx, CallFilter{Limit: 10})
		if len(calls) != 1 || calls[0].Result != "missed" {
			t.Fatalf("zadarma call: %+v", calls)
		}
		if cbs := openCallbacks(t, s); len(cbs) != 1 || cbs[0].Attempts != 1 {
			t.Fatalf("a replayed NOTIFY_END changed the callback: %+v", cbs)
		}
	})
}

// An integration's events go nowhere once it is deactivated; an
// integration whose secret was emptied refuses everything.
func TestStorePBXIntegrationValidation(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, _ := newClockedService(t, b, clock)
		ctx := context.Background()
		for name, in := range map[string]NewPBX{
			"kind":          {Kind: "skype", Name: "x"},
			"name":          {Kind: PBXGeneric},
			"mango key":     {Kind: PBXMango, Name: "m", Secret: "s"},
			"mango salt":    {Kind: PBXMango, Name: "m", Settings: PBXSettings{MangoAPIKey: "k"}},
			"zadarma":       {Kind: PBXZadarma, Name: "z"},
			"asterisk addr": {Kind: PBXAsterisk, Name: "a", Secret: "s", Settings: PBXSettings{AMIUsername: "okno"}},
			"bad whsec":     {Kind: PBXGeneric, Name: "g", Secret: "not-a-secret"},
		} {
			if _, err := s.CreatePBX(ctx, "admin", in); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		if n := count(t, s, "pbx_integrations"); n != 0 {
			t.Fatalf("refused integrations stored: %d", n)
		}
		list, _ := s.ListPBX(ctx)
		if len(list) != 0 {
			t.Fatal("list not empty")
		}
		p := genericPBX(t, s)
		list, _ = s.ListPBX(ctx)
		if len(list) != 1 || list[0].Secret != "" || !list[0].HasSecret {
			t.Fatal("the list shows the secret or hides that one is set")
		}
		off := false
		if _, err := s.UpdatePBX(ctx, p.ID, PBXPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PBXByWebhookKey(ctx, p.webhookKey); err == nil {
			t.Fatal("a deactivated integration still takes deliveries")
		}
	})
}

// Events an operator's screen needs: the ringing call for the pop-up goes
// to the operator whose extension rings.
func TestStoreRingingCallTargetsTheOperator(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		ctx := context.Background()
		op := ids.New()
		if err := s.SetExtension(ctx, op, "102"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetExtension(ctx, ids.New(), "102"); err == nil {
			t.Fatal("one extension given to two operators")
		}
		p := genericPBX(t, s)
		now := clock.Now()
		postGeneric(t, srv, p, p.Secret, "r1", now, genericEvent("call.started", "rc", "+79123450000", now))
		postGeneric(t, srv, p, p.Secret, "r2", now, genericEvent("call.ringing", "rc", "+79123450000", now, "extension", "102"))
		rows, err := s.DB.R.Query(`SELECT subject, payload FROM outbox WHERE subject = 'contactcenter.call.ringing'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var sub, payload string
			if err := rows.Scan(&sub, &payload); err != nil {
				t.Fatal(err)
			}
			var env events.Envelope
			if err := json.Unmarshal([]byte(payload), &env); err != nil {
				t.Fatal(err)
			}
			var d map[string]string
			_ = json.Unmarshal(env.Data, &d)
			if d["operator_id"] != op || d["call_id"] == "" {
				t.Fatalf("ringing event not for the operator: %v", d)
			}
			n++
		}
		if n != 1 {
			t.Fatalf("%d ringing events", n)
		}
	})
}

// The MIS service reads a contact unmasked through the internal route,
// for an operator who may not see phones themselves, and the read is
// audited under that operator with its purpose.
func TestStoreInternalContactForMatching(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		p := genericPBX(t, s)
		now := clock.Now()
		postGeneric(t, srv, p, p.Secret, "x1", now, genericEvent("call.started", "x", "+79123450011", now))
		calls, _, _ := s.FindCalls(context.Background(), CallFilter{Limit: 1})
		if len(calls) != 1 || calls[0].Contact == nil {
			t.Fatal("no contact from the call")
		}
		get := func(purpose string) (int, map[string]any) {
			req, _ := http.NewRequest("GET", srv.URL+"/internal/contacts/"+calls[0].Contact.ID+"?purpose="+purpose, nil)
			req.Header.Set(principal.HeaderUserID, "op-1")
			req.Header.Set(principal.HeaderPermissions, "contacts.read")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			return resp.StatusCode, out
		}
		if st, _ := get("curiosity"); st != 422 {
			t.Fatalf("a read without a known purpose: %d", st)
		}
		st, out := get("patient_match")
		phones, _ := out["phones"].([]any)
		if st != 200 || len(phones) != 1 || phones[0] != "+79123450011" {
			t.Fatalf("internal contact: %d, %d phones", st, len(phones))
		}
		var n int
		if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM outbox WHERE subject = 'contactcenter.audit.recorded' AND payload LIKE '%patient_match%'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audit records of the read: %d (%v)", n, err)
		}
	})
}

// A contact merged into another is answered to the MIS service with where
// it went and nothing of its own, whatever the purpose; linking and booking
// get ids only, even for a contact that stands. Each read is audited with
// its purpose.
func TestStoreInternalContactMerged(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		ctx := context.Background()
		p := genericPBX(t, s)
		now := clock.Now()
		postGeneric(t, srv, p, p.Secret, "m1", now, genericEvent("call.started", "m1", "+79123450021", now))
		postGeneric(t, srv, p, p.Secret, "m2", now, genericEvent("call.started", "m2", "+79123450022", now))
		calls, _, _ := s.FindCalls(ctx, CallFilter{Limit: 2})
		if len(calls) != 2 || calls[0].Contact == nil || calls[1].Contact == nil || calls[0].Contact.ID == calls[1].Contact.ID {
			t.Fatal("no two contacts from the calls")
		}
		survivor, merged := calls[0].Contact.ID, calls[1].Contact.ID
		if err := s.MergeContacts(ctx, "sup", merged, survivor); err != nil {
			t.Fatal(err)
		}
		get := func(id, purpose string) (int, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest("GET", srv.URL+"/internal/contacts/"+id+"?purpose="+purpose, nil)
			req.Header.Set(principal.HeaderUserID, "op-1")
			req.Header.Set(principal.HeaderPermissions, "contacts.read")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&out)
			return resp.StatusCode, out
		}
		idsOnly := func(out map[string]any) bool {
			_, hasName := out["name"]
			_, hasPhones := out["phones"]
			return len(out) == 2 && !hasName && !hasPhones
		}
		for _, purpose := range []string{"patient_match", "patient_register", "patient_link", "appointment_book"} {
			st, out := get(merged, purpose)
			if st != 200 || out["id"] != merged || out["merged_into"] != survivor || !idsOnly(out) {
				t.Fatalf("the merged contact for %s: %d, keys %d, merged_into %v", purpose, st, len(out), out["merged_into"])
			}
		}
		for _, purpose := range []string{"patient_link", "appointment_book"} {
			st, out := get(survivor, purpose)
			if st != 200 || out["id"] != survivor || out["merged_into"] != "" || !idsOnly(out) {
				t.Fatalf("the survivor for %s: %d, keys %d", purpose, st, len(out))
			}
		}
		// Matching the survivor reads its data: both numbers now.
		st, out := get(survivor, "patient_match")
		phones, _ := out["phones"].([]any)
		if st != 200 || len(phones) != 2 || out["merged_into"] != nil && out["merged_into"] != "" {
			t.Fatalf("the survivor for matching: %d, %d phones", st, len(phones))
		}
		if st, out := get(ids.New(), "patient_link"); st != 404 || out["code"] == nil {
			t.Fatalf("an unknown contact: %d", st)
		}
		if st, _ := get(merged, "merge_check"); st != 422 {
			t.Fatalf("an unknown purpose: %d", st)
		}

		// The audit: one record per read, with its purpose; the merged
		// contact's reads name no field and say where it went.
		rows, err := s.DB.R.Query(`SELECT payload FROM outbox WHERE subject = 'contactcenter.audit.recorded' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		perPurpose := map[string]int{}
		for rows.Next() {
			var payload string
			if err := rows.Scan(&payload); err != nil {
				t.Fatal(err)
			}
			var env events.Envelope
			if err := json.Unmarshal([]byte(payload), &env); err != nil {
				t.Fatal(err)
			}
			var r auditlog.Record
			if err := json.Unmarshal(env.Data, &r); err != nil {
				t.Fatal(err)
			}
			if r.Action != "contact.read" || r.Details["by_service"] != "mis" {
				continue
			}
			if r.ActorID != "op-1" {
				t.Fatalf("read audited under %q", r.ActorID)
			}
			perPurpose[r.Details["purpose"]]++
			if r.ObjectID == merged && (len(r.Fields) != 0 || r.Details["merged_into"] != survivor) {
				t.Fatalf("audit of a merged contact's read: fields %v, details %v", r.Fields, r.Details)
			}
			if r.ObjectID == survivor && r.Details["purpose"] == "patient_link" && len(r.Fields) != 0 {
				t.Fatalf("an ids-only read audited as seeing %v", r.Fields)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"patient_match": 2, "patient_register": 1, "patient_link": 2, "appointment_book": 2}
		if fmt.Sprint(perPurpose) != fmt.Sprint(want) {
			t.Fatalf("audited reads per purpose: %v, want %v", perPurpose, want)
		}
	})
}
