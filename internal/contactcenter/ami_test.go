package contactcenter

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/telephony/amitest"
	"github.com/okno-crm/okno/internal/testenv"
)

// eventually polls cond until it holds; the AMI stream is stored
// asynchronously (the reader does not wait for commits), so there is no
// answer to wait on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// amiStoredCall is the call the contact center stores for an AMI Linkedid,
// read through the call log.
func amiStoredCall(t *testing.T, s *Service, p PBXIntegration, linkedid string) (CallView, bool) {
	t.Helper()
	var id string
	err := s.DB.R.QueryRow(`SELECT id FROM calls WHERE integration_id = $1 AND provider_call_id = $2`, p.ID, linkedid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return CallView{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	calls, _, err := s.FindCalls(context.Background(), CallFilter{IDs: []string{id}, Limit: 1})
	if err != nil || len(calls) != 1 {
		t.Fatalf("call log lacks a stored call: %d, %v", len(calls), err)
	}
	return calls[0], true
}

// outboxData is the data of each outbox event with this subject, in order.
func outboxData(t *testing.T, s *Service, subject string) []map[string]string {
	t.Helper()
	rows, err := s.DB.R.Query(`SELECT payload FROM outbox WHERE subject = $1 ORDER BY id`, subject)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]string
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var env events.Envelope
		if err := json.Unmarshal([]byte(payload), &env); err != nil {
			t.Fatal(err)
		}
		var d map[string]string
		if err := json.Unmarshal(env.Data, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The contact center connects to an Asterisk integration's AMI and keeps
// the call log and callbacks from its event stream: an answered call pops
// the card up for the operator whose extension rang; a miss opens a
// callback, a second miss from the number joins it, an answered call from
// it closes it; a connection cut mid-call is resumed (CoreShowChannels
// lists the call) and the call still ends once.
func TestStoreAMICallsEndToEnd(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		// Tuesday 10:00 in Yekaterinburg: within working hours.
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		ctx := context.Background()
		t0 := clock.Now()
		op := ids.New()
		if err := s.SetExtension(ctx, op, "101"); err != nil {
			t.Fatal(err)
		}
		pbx := amitest.New(t, "okno", "ami-secret")
		p, err := s.CreatePBX(ctx, "admin", NewPBX{Kind: PBXAsterisk, Name: "Asterisk", Secret: "ami-secret",
			Settings: PBXSettings{AMIAddr: pbx.Addr(), AMIUsername: "okno"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.WebhookURL != "" {
			t.Fatal("an AMI integration was given a webhook URL: nothing posts to it")
		}
		if err := pbx.WaitListed(15 * time.Second); err != nil {
			t.Fatal(err)
		}
		send := func(blocks ...string) {
			t.Helper()
			if err := pbx.Send(blocks...); err != nil {
				t.Fatal(err)
			}
		}
		ended := func(c amitest.Call) CallView {
			t.Helper()
			var v CallView
			eventually(t, "call "+c.ID+" stored as ended", func() bool {
				var ok bool
				v, ok = amiStoredCall(t, s, p, c.ID)
				return ok && v.State == CallEnded
			})
			return v
		}
		const line = "73432000000"

		// An answered call to the operator at 101.
		a := amitest.Call{ID: "1795496400.10", Caller: "79120000001", Line: line, Extension: "101",
			Start: t0, Answer: t0.Add(8 * time.Second), End: t0.Add(68 * time.Second), CDR: true}
		send(a.Answered()...)
		ca := ended(a)
		if ca.Result != "answered" || ca.Direction != "inbound" || ca.Extension != "101" || ca.OperatorID != op ||
			ca.Caller != "+79120000001" || ca.Line != "+73432000000" || ca.Contact == nil || ca.Duration != 60 {
			t.Fatalf("answered call stored as result %q dir %q ext %q operator %v contact %v duration %d",
				ca.Result, ca.Direction, ca.Extension, ca.OperatorID == op, ca.Contact != nil, ca.Duration)
		}
		if !ca.StartedAt.Equal(t0) || ca.AnsweredAt == nil || !ca.AnsweredAt.Equal(t0.Add(8*time.Second)) || ca.EndedAt == nil || !ca.EndedAt.Equal(t0.Add(68*time.Second)) {
			t.Fatalf("answered call times %v %v %v: not the AMI Timestamps", ca.StartedAt, ca.AnsweredAt, ca.EndedAt)
		}
		ringing := outboxData(t, s, "contactcenter.call.ringing")
		if len(ringing) != 1 || ringing[0]["call_id"] != ca.ID || ringing[0]["operator_id"] != op {
			t.Fatalf("ringing events after the answered call: %v", ringing)
		}
		if n := len(openCallbacks(t, s)); n != 0 {
			t.Fatalf("an answered call opened %d callbacks", n)
		}

		// A miss: the Dial to 101 times out.
		y := "79123456701"
		m1 := amitest.Call{ID: "1795496520.20", Caller: y, Line: line, Extension: "101",
			Start: t0.Add(2 * time.Minute), End: t0.Add(2*time.Minute + 31*time.Second)}
		send(m1.Missed("NOANSWER")...)
		c1 := ended(m1)
		if c1.Result != "missed" || c1.Caller != "+79123456701" || c1.Contact == nil {
			t.Fatalf("missed call stored as %q, contact %v", c1.Result, c1.Contact != nil)
		}
		cbs := openCallbacks(t, s)
		if len(cbs) != 1 || cbs[0].Kind != TaskCallback || cbs[0].Attempts != 1 || cbs[0].CallID != c1.ID ||
			cbs[0].Contact == nil || cbs[0].Contact.ID != c1.Contact.ID {
			t.Fatalf("callbacks after one miss: %+v", cbs)
		}
		if want := m1.End.Add(15 * time.Minute).UTC(); !cbs[0].DueAt.Equal(want) {
			t.Fatalf("callback due %v, want %v (15 minutes after the Hangup)", cbs[0].DueAt, want)
		}
		task := cbs[0].ID

		// A second miss from the same number: the caller hangs up while 101 rings.
		m2 := amitest.Call{ID: "1795496700.30", Caller: y, Line: line, Extension: "101",
			Start: t0.Add(5 * time.Minute), End: t0.Add(5*time.Minute + 12*time.Second)}
		send(m2.Missed("CANCEL")...)
		if c2 := ended(m2); c2.Result != "missed" {
			t.Fatalf("second miss stored as %q", c2.Result)
		}
		eventually(t, "the second miss to join the callback", func() bool {
			cbs = openCallbacks(t, s)
			return len(cbs) == 1 && cbs[0].Attempts == 2
		})
		if cbs[0].ID != task {
			t.Fatal("the second miss opened another callback")
		}

		// The patient calls again and 101 answers: the callback is done.
		d := amitest.Call{ID: "1795497000.40", Caller: y, Line: line, Extension: "101",
			Start: t0.Add(10 * time.Minute), Answer: t0.Add(10*time.Minute + 4*time.Second), End: t0.Add(12 * time.Minute)}
		send(d.Answered()...)
		if cd := ended(d); cd.Result != "answered" || cd.OperatorID != op {
			t.Fatalf("returning call stored as %q", cd.Result)
		}
		if n := len(openCallbacks(t, s)); n != 0 {
			t.Fatalf("a call that reached the patient left %d callbacks open", n)
		}
		done, _, err := s.FindTasks(ctx, TaskFilter{Kind: TaskCallback, Status: TaskDone, Limit: 10})
		if err != nil || len(done) != 1 || done[0].ID != task || done[0].CloseReason != "reached" {
			t.Fatalf("callback not closed as reached: %+v, %v", done, err)
		}

		// Cut off mid-call: the call is answered, the connection drops, the
		// contact center reconnects and lists the call in progress, then
		// the call hangs up.
		e := amitest.Call{ID: "1795497600.50", Caller: "79120000005", Line: line, Extension: "101",
			Start: t0.Add(20 * time.Minute), Answer: t0.Add(20*time.Minute + 6*time.Second), End: t0.Add(25 * time.Minute)}
		send(e.Arrive()...)
		send(e.Dial()...)
		send(e.Pickup()...)
		eventually(t, "the call cut off to be stored as answered", func() bool {
			v, ok := amiStoredCall(t, s, p, e.ID)
			return ok && v.State == CallAnswered
		})
		pbx.SetChannels(e.Channels(t0.Add(21 * time.Minute))...)
		pbx.Drop()
		if err := pbx.WaitListed(15 * time.Second); err != nil {
			t.Fatal(err)
		}
		if n := pbx.LoginCount(); n != 2 {
			t.Fatalf("%d logins, want 2: a reconnect", n)
		}
		send(e.HangUp()...)
		ce := ended(e)
		if ce.Result != "answered" || ce.EndedAt == nil || !ce.EndedAt.Equal(e.End) || ce.Duration != int64(e.End.Sub(e.Answer)/time.Second) {
			t.Fatalf("call across the reconnect stored as %q ended %v duration %d", ce.Result, ce.EndedAt, ce.Duration)
		}
		var rows int
		if err := s.DB.R.QueryRow(`SELECT COUNT(*) FROM calls WHERE provider_call_id = $1`, e.ID).Scan(&rows); err != nil || rows != 1 {
			t.Fatalf("%d calls stored for one Linkedid (%v)", rows, err)
		}
		endings := 0
		for _, u := range outboxData(t, s, "contactcenter.call.updated") {
			if u["call_id"] == ce.ID && u["state"] == CallEnded {
				endings++
			}
		}
		if endings != 1 {
			t.Fatalf("the call across the reconnect ended %d times", endings)
		}

		// Every call rang 101 once: one card each, all for the operator.
		ringing = outboxData(t, s, "contactcenter.call.ringing")
		if len(ringing) != 5 {
			t.Fatalf("%d ringing events, want 5", len(ringing))
		}
		for _, r := range ringing {
			if r["operator_id"] != op {
				t.Fatalf("a ringing event not for the operator at 101: %v", r)
			}
		}

		// The call log API shows the five calls, newest first.
		req, _ := http.NewRequest("GET", srv.URL+"/calls?limit=10", nil)
		req.Header.Set(principal.HeaderUserID, op)
		req.Header.Set(principal.HeaderPermissions, perm.CallsRead)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var page struct {
			Items []CallView `json:"items"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET /calls: %d, %v", resp.StatusCode, err)
		}
		var results []string
		for _, c := range page.Items {
			results = append(results, c.Result)
			if !c.Masked {
				t.Fatal("the call log showed a number unmasked to a viewer without patients.read_pd")
			}
		}
		if got, want := len(results), 5; got != want || results[0] != "answered" || results[1] != "answered" ||
			results[2] != "missed" || results[3] != "missed" || results[4] != "answered" {
			t.Fatalf("call log results %v", results)
		}
	})
}
