package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/okno-crm/okno/internal/identity"
)

// presenceWatch reads a board.read holder's socket, where every change of
// every operator's presence arrives in the order it was stored.
type presenceWatch struct {
	t       *testing.T
	ctx     context.Context
	conn    *websocket.Conn
	pending []presenceChange
}

type presenceChange struct {
	UserID   string `json:"user_id"`
	Presence string `json:"presence"`
}

// next returns the next presence change of any of users, skipping other
// frames and other users.
func (w *presenceWatch) next(users ...string) presenceChange {
	w.t.Helper()
	for {
		for len(w.pending) > 0 {
			c := w.pending[0]
			w.pending = w.pending[1:]
			for _, u := range users {
				if c.UserID == u {
					return c
				}
			}
		}
		_, data, err := w.conn.Read(w.ctx)
		if err != nil {
			w.t.Fatalf("ws read: %v", err)
		}
		for _, f := range framesOf(w.t, data) {
			if f.Type != "operator.presence" {
				continue
			}
			var c presenceChange
			if err := json.Unmarshal(f.Data, &c); err != nil {
				w.t.Fatal(err)
			}
			w.pending = append(w.pending, c)
		}
	}
}

// An operator who steps away stays away while their windows come and go —
// a socket opening, a page reloaded (its socket closes a moment before the
// new page opens one), a second tab — and goes offline only when every
// window has closed; a window opened then brings them online.
func TestSystemPresenceKeepsAwayAcrossReloads(t *testing.T) {
	forEachProfile(t, func(t *testing.T, pr profile) {
		a := startProfile(t, pr)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		// Another operator marks time: their last socket closes after the
		// operator's reload, so when their going offline is seen, the
		// gateway has decided about the reload's closed socket too.
		if _, err := a.Identity.CreateUser(ctx, identity.NewUser{Login: "sentinel", Role: "operator", Password: password}); err != nil {
			t.Fatal(err)
		}
		sup := a.browser()
		sup.login("supervisor")
		ids := map[string]string{}
		waitUntil(t, "both operators on the roster", func() bool {
			for _, o := range roster(t, sup) {
				ids[o.Login] = o.UserID
			}
			return ids["operator"] != "" && ids["sentinel"] != ""
		})
		opID, sentinelID := ids["operator"], ids["sentinel"]
		boardWS := sup.dialWS(ctx)
		defer boardWS.CloseNow()
		watch := &presenceWatch{t: t, ctx: ctx, conn: boardWS}

		op := a.browser()
		op.login("operator")
		csrf := map[string]string{"X-CSRF-Token": op.cookie("okno_csrf")}
		put := func(body string) (int, map[string]any) {
			t.Helper()
			r, out := op.do("PUT", "/api/v1/presence", "application/json", []byte(body), csrf)
			var m map[string]any
			_ = json.Unmarshal(out, &m)
			return r.StatusCode, m
		}
		if st, m := put(`{"presence":"away"}`); st != 200 || m["presence"] != "away" {
			t.Fatalf("away: %d %v", st, m)
		}
		if c := watch.next(opID); c.Presence != "away" {
			t.Fatalf("presence pushed: %q, want away", c.Presence)
		}
		// The condition the gateway uses for an opened socket: not met while away.
		if st, m := put(`{"presence":"online","if":"offline"}`); st != 200 || m["presence"] != "away" {
			t.Fatalf("online if offline, while away: %d %v", st, m)
		}
		if st, m := put(`{"presence":"online","if":"busy"}`); st != 422 || !namesField(m, "if") {
			t.Fatalf("a condition that is no presence: %d %v", st, m)
		}

		// A window opens, is reloaded, and a second tab opens.
		first := op.dialWS(ctx)
		readFrame(t, ctx, first) // hello
		first.Close(websocket.StatusGoingAway, "reload")
		second := op.dialWS(ctx)
		defer second.CloseNow()
		readFrame(t, ctx, second)

		sentinel := a.browser()
		sentinel.login("sentinel")
		sws := sentinel.dialWS(ctx)
		if c := watch.next(opID, sentinelID); c.UserID != sentinelID || c.Presence != "online" {
			t.Fatalf("while the operator's window came and went: %+v", c)
		}
		sws.Close(websocket.StatusNormalClosure, "")
		if c := watch.next(opID, sentinelID); c.UserID != sentinelID || c.Presence != "offline" {
			t.Fatalf("the operator's presence changed on a reload: %+v", c)
		}
		if p := presenceOf(t, sup, opID); p != "away" {
			t.Fatalf("after the reload: %q, want away", p)
		}

		third := op.dialWS(ctx)
		readFrame(t, ctx, third)
		second.Close(websocket.StatusGoingAway, "")
		third.Close(websocket.StatusGoingAway, "")
		if c := watch.next(opID); c.Presence != "offline" {
			t.Fatalf("every window closed: %q, want offline", c.Presence)
		}
		if p := presenceOf(t, sup, opID); p != "offline" {
			t.Fatalf("every window closed: stored %q", p)
		}

		again := op.dialWS(ctx)
		defer again.CloseNow()
		if c := watch.next(opID); c.Presence != "online" {
			t.Fatalf("a window opened while offline: %q, want online", c.Presence)
		}
	})
}

type rosterEntry struct {
	UserID   string `json:"user_id"`
	Login    string `json:"login"`
	Presence string `json:"presence"`
}

func roster(t *testing.T, b *browser) []rosterEntry {
	t.Helper()
	r, body := b.do("GET", "/api/v1/operators", "", nil, nil)
	if r.StatusCode != 200 {
		t.Fatalf("roster: %d %s", r.StatusCode, body)
	}
	var out struct {
		Items []rosterEntry `json:"items"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Items
}

func presenceOf(t *testing.T, b *browser, userID string) string {
	t.Helper()
	for _, o := range roster(t, b) {
		if o.UserID == userID {
			return o.Presence
		}
	}
	t.Fatalf("%s is not on the roster", userID)
	return ""
}

// namesField tells whether a problem+json body names field among its errors.
func namesField(body map[string]any, field string) bool {
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}

// Okno stopping marks the operators whose windows it closes offline, so
// that after a restart nobody counts as online for assignment until their
// window reconnects.
func TestSystemStopMarksOperatorsOffline(t *testing.T) {
	forEachProfile(t, func(t *testing.T, pr profile) {
		a := startProfile(t, pr)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		sup := a.browser()
		sup.login("supervisor")
		op := a.browser()
		op.login("operator")
		ws := op.dialWS(ctx)
		defer ws.CloseNow()
		readFrame(t, ctx, ws) // hello
		var opID string
		waitUntil(t, "the operator online", func() bool {
			for _, o := range roster(t, sup) {
				if o.Login == "operator" {
					opID = o.UserID
					return o.Presence == "online"
				}
			}
			return false
		})
		a.stop()

		again := boot(t, a.cfg, false)
		sup2 := again.browser()
		sup2.login("supervisor")
		if p := presenceOf(t, sup2, opID); p != "offline" {
			t.Fatalf("after a restart the operator whose window Okno closed is %q, want offline", p)
		}
	})
}
