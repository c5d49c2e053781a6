package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/telephony"
)

// signedWebhook posts one generic PBX event through the gateway, signed as
// Standard Webhooks says.
func signedWebhook(t *testing.T, a *testApp, p contactcenter.PBXIntegration, id string, ev map[string]string) int {
	t.Helper()
	body, _ := json.Marshal(ev)
	ts := time.Now().Unix()
	sig, err := telephony.SignStandardWebhook(p.Secret, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	path := p.WebhookURL[strings.Index(p.WebhookURL, "/api/v1/"):]
	resp, _ := a.browser().do("POST", path, "application/json", body, map[string]string{
		telephony.HeaderWebhookID: id, telephony.HeaderWebhookTimestamp: strconv.FormatInt(ts, 10), telephony.HeaderWebhookSignature: sig})
	return resp.StatusCode
}

// An incoming call pops up, before it is answered, on the screen of the
// operator whose extension rings — masked as that operator may see it; the
// operator opens a request from it. A missed call becomes a callback task,
// pushed live and counted on the supervisor's board.
func TestSystemIncomingCallPopUpAndCallback(t *testing.T) {
	forEachProfile(t, func(t *testing.T, pr profile) {
		a := startProfile(t, pr)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		pbx, err := a.CC.CreatePBX(ctx, "setup", contactcenter.NewPBX{Kind: contactcenter.PBXGeneric, Name: "АТС"})
		if err != nil {
			t.Fatal(err)
		}
		sup := a.browser()
		sup.login("supervisor")
		supCSRF := map[string]string{"X-CSRF-Token": sup.cookie("okno_csrf")}
		var opID string
		waitUntil(t, "the operator on the roster", func() bool {
			r, body := sup.do("GET", "/api/v1/operators", "", nil, nil)
			if r.StatusCode != 200 {
				t.Fatalf("roster: %d %s", r.StatusCode, body)
			}
			var roster struct {
				Items []struct {
					UserID string `json:"user_id"`
					Login  string
				} `json:"items"`
			}
			_ = json.Unmarshal(body, &roster)
			for _, o := range roster.Items {
				if o.Login == "operator" {
					opID = o.UserID
				}
			}
			return opID != ""
		})
		if r, body := sup.do("PUT", "/api/v1/operators/"+opID+"/extension", "application/json", []byte(`{"extension":"101"}`), supCSRF); r.StatusCode != 200 {
			t.Fatalf("extension: %d %s", r.StatusCode, body)
		}

		op := a.browser()
		op.login("operator")
		opCSRF := map[string]string{"X-CSRF-Token": op.cookie("okno_csrf")}
		if r, _ := op.do("POST", "/api/v1/telephony/integrations", "application/json", []byte(`{"kind":"generic","name":"x"}`), opCSRF); r.StatusCode != 403 {
			t.Fatalf("an operator added a PBX: %d", r.StatusCode)
		}
		ws := op.dialWS(ctx)
		defer ws.CloseNow()
		readFrame(t, ctx, ws) // hello

		now := time.Now().UTC().Format(time.RFC3339)
		ev := func(typ, call, from string, kv ...string) map[string]string {
			m := map[string]string{"type": typ, "call_id": call, "direction": "inbound", "from": from, "to": "+73432000000", "at": now}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			return m
		}
		if st := signedWebhook(t, a, pbx, "d1", ev("call.started", "sys-1", "89123456701")); st != 200 {
			t.Fatalf("call.started: %d", st)
		}
		if st := signedWebhook(t, a, pbx, "d2", ev("call.ringing", "sys-1", "89123456701", "extension", "101")); st != 200 {
			t.Fatalf("call.ringing: %d", st)
		}
		var pop struct {
			Call struct {
				ID, Caller, State string
				Masked            bool
				Contact           struct{ ID string }
			}
			OpenRequests []struct{ ID string } `json:"open_requests"`
		}
		for {
			f := readFrame(t, ctx, ws)
			if f.Type == "call.ringing" {
				if err := json.Unmarshal(f.Data, &pop); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		if pop.Call.State != "ringing" || pop.Call.Contact.ID == "" || !pop.Call.Masked || pop.Call.Caller != "+7 912 ***-**-01" {
			t.Fatalf("pop-up: state %q contact %v masked %v", pop.Call.State, pop.Call.Contact.ID != "", pop.Call.Masked)
		}
		r, body := op.do("POST", "/api/v1/requests", "application/json", []byte(fmt.Sprintf(`{"call_id":%q,"message":"Запись к терапевту"}`, pop.Call.ID)), opCSRF)
		if r.StatusCode != 201 {
			t.Fatalf("request from the call: %d %s", r.StatusCode, body)
		}
		var req struct {
			ID, Channel, Status string
			AssigneeID          string `json:"assignee_id"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Channel != "phone" || req.Status != "new" || req.AssigneeID != opID {
			t.Fatalf("request from a call: %+v", req)
		}

		// A caller gives up before anyone answers.
		signedWebhook(t, a, pbx, "m1", ev("call.started", "sys-2", "+79120000077"))
		signedWebhook(t, a, pbx, "m2", ev("call.ended", "sys-2", "+79120000077", "result", "abandoned"))
		for {
			f := readFrame(t, ctx, ws)
			if f.Type == "task.created" {
				var task struct{ Kind, Status string }
				_ = json.Unmarshal(f.Data, &task)
				if task.Kind != "callback" || task.Status != "open" {
					t.Fatalf("pushed task: %+v", task)
				}
				break
			}
		}
		_, body = op.do("GET", "/api/v1/tasks?kind=callback&status=open", "", nil, nil)
		var tasks struct {
			Items []struct {
				Attempts int
				Contact  struct{ Phone string }
			} `json:"items"`
		}
		_ = json.Unmarshal(body, &tasks)
		if len(tasks.Items) != 1 || tasks.Items[0].Attempts != 1 || tasks.Items[0].Contact.Phone != "+7 912 ***-**-77" {
			t.Fatalf("callback tasks as the operator sees them: %s", body)
		}
		_, body = sup.do("GET", "/api/v1/board", "", nil, nil)
		var board struct {
			Queues []struct {
				OpenCallbacks int `json:"open_callbacks"`
			}
			Operators []struct {
				Login, Presence, Extension string
			}
		}
		_ = json.Unmarshal(body, &board)
		callbacks, online := 0, false
		for _, q := range board.Queues {
			callbacks += q.OpenCallbacks
		}
		for _, o := range board.Operators {
			online = online || (o.Login == "operator" && o.Presence == "online" && o.Extension == "101")
		}
		if callbacks != 1 || !online {
			t.Fatalf("board: %s", body)
		}
		_, body = op.do("GET", "/api/v1/calls", "", nil, nil)
		var calls struct {
			Items []struct{ Result, Caller string } `json:"items"`
		}
		_ = json.Unmarshal(body, &calls)
		results := map[string]bool{}
		for _, c := range calls.Items {
			results[c.Result] = true
		}
		if len(calls.Items) != 2 || !results["abandoned"] || !results[""] || strings.Contains(string(body), "9120000077") {
			t.Fatalf("call log for an operator: %d calls, results %v, unmasked number shown: %v", len(calls.Items), results, strings.Contains(string(body), "9120000077"))
		}
		if r, _ := op.do("GET", "/api/v1/board", "", nil, nil); r.StatusCode != http.StatusForbidden {
			t.Fatalf("an operator opened the supervisor's board: %d", r.StatusCode)
		}
	})
}
