package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/okno-crm/okno/internal/identity"
	"github.com/pquerna/otp/totp"
)

// call sends a JSON body with the CSRF token a browser adds.
func (b *browser) call(method, path string, in any, hdr map[string]string) (*http.Response, []byte) {
	b.t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	h := map[string]string{"X-CSRF-Token": b.cookie("okno_csrf")}
	for k, v := range hdr {
		h[k] = v
	}
	return b.do(method, path, "application/json", body, h)
}

type problemDoc struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field string `json:"field"`
	} `json:"errors"`
}

func problemOf(t *testing.T, body []byte) problemDoc {
	t.Helper()
	var p problemDoc
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem: %s", body)
	}
	return p
}

// closedWith reads until the server closes the socket and returns the close
// code; -1 when it stays open longer than within.
func closedWith(c *websocket.Conn, within time.Duration) websocket.StatusCode {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func userID(t *testing.T, a *testApp, login string) string {
	t.Helper()
	u, err := a.Identity.FindUserByLogin(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// An administrator must enroll in two-factor before anything else; then
// manages roles and users without ever granting more than they hold, and a
// blocked user is out at once: their next call is refused and their open
// WebSocket closed.
func TestSystemUsersAndRoles(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		a := startProfile(t, p)
		if _, err := a.Identity.CreateUser(context.Background(), identity.NewUser{Login: "boss", Name: "Главный", Role: "admin", Password: password}); err != nil {
			t.Fatal(err)
		}
		adm := a.browser()
		adm.login("boss")
		resp, body := adm.do("GET", "/api/v1/auth/me", "", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"enrollment_required":true`) || !strings.Contains(string(body), `"permissions":[]`) {
			t.Fatalf("me before enrollment: %d %s", resp.StatusCode, body)
		}
		for _, path := range []string{"/api/v1/users", "/api/v1/requests", "/api/v1/me/sessions", "/api/v1/me/tokens"} {
			resp, body := adm.do("GET", path, "", nil, nil)
			if pd := problemOf(t, body); resp.StatusCode != 403 || pd.Code != "forbidden" || pd.Detail != "two-factor enrollment required" {
				t.Fatalf("%s before enrollment: %d %s", path, resp.StatusCode, body)
			}
		}
		// Enroll: a secret, then a code made from it.
		resp, body = adm.call("POST", "/api/v1/me/2fa/setup", nil, nil)
		var setup struct {
			Secret string `json:"secret"`
			URL    string `json:"otpauth_url"`
		}
		if err := json.Unmarshal(body, &setup); err != nil || resp.StatusCode != 200 || !strings.HasPrefix(setup.URL, "otpauth://totp/") {
			t.Fatalf("setup: %d %s", resp.StatusCode, body)
		}
		e := enroll(a.cfg.Data, "boss", setup.Secret)
		resp, body = adm.call("POST", "/api/v1/me/2fa/enable", map[string]string{"code": e.nextCode(t)}, nil)
		var enabled struct {
			RecoveryCodes []string `json:"recovery_codes"`
		}
		if err := json.Unmarshal(body, &enabled); err != nil || resp.StatusCode != 200 || len(enabled.RecoveryCodes) != 10 {
			t.Fatalf("enable: %d %s", resp.StatusCode, body)
		}
		if resp, body := adm.do("GET", "/api/v1/me/2fa", "", nil, nil); resp.StatusCode != 200 || string(body) != `{"enabled":true,"required":true,"recovery_codes_left":10}`+"\n" {
			t.Fatalf("2fa status: %d %s", resp.StatusCode, body)
		}

		// Roles: nothing the administrator lacks, nothing unknown.
		resp, body = adm.call("POST", "/api/v1/roles", map[string]any{"id": "registrar", "name": "Регистратор", "permissions": []string{"requests.read", "contacts.read"}}, nil)
		if resp.StatusCode != 201 || !strings.Contains(string(body), `"permissions":["requests.read","contacts.read"]`) {
			t.Fatalf("create role: %d %s", resp.StatusCode, body)
		}
		resp, body = adm.call("POST", "/api/v1/roles", map[string]any{"id": "snoop", "name": "Любопытный", "permissions": []string{"requests.read", "audit.read"}}, nil)
		if pd := problemOf(t, body); resp.StatusCode != 403 || pd.Code != "forbidden" || !strings.Contains(pd.Detail, "audit.read") {
			t.Fatalf("a role with a permission the admin lacks: %d %s", resp.StatusCode, body)
		}
		resp, body = adm.call("PATCH", "/api/v1/roles/registrar", map[string]any{"permissions": []string{"requests.read", "audit.read"}}, nil)
		if pd := problemOf(t, body); resp.StatusCode != 403 || !strings.Contains(pd.Detail, "audit.read") {
			t.Fatalf("adding a permission the admin lacks: %d %s", resp.StatusCode, body)
		}
		resp, body = adm.call("POST", "/api/v1/roles", map[string]any{"id": "odd", "name": "Странная", "permissions": []string{"requests.fly"}}, nil)
		if pd := problemOf(t, body); resp.StatusCode != 422 || len(pd.Errors) == 0 || pd.Errors[0].Field != "permissions" {
			t.Fatalf("an unknown permission: %d %s", resp.StatusCode, body)
		}
		resp, body = adm.call("PATCH", "/api/v1/roles/registrar", map[string]any{"name": "Регистратура"}, nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"Регистратура"`) {
			t.Fatalf("rename role: %d %s", resp.StatusCode, body)
		}
		resp, body = adm.do("GET", "/api/v1/roles", "", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"registrar"`) || !strings.Contains(string(body), `"permissions":["requests.read"`) {
			t.Fatalf("list roles: %d %s", resp.StatusCode, body)
		}

		// Users: created with a role within the administrator's reach only.
		resp, body = adm.call("POST", "/api/v1/users", map[string]string{"login": "reg1", "name": "Регина", "role": "registrar", "password": password}, nil)
		if resp.StatusCode != 201 || !strings.Contains(string(body), `"login":"reg1"`) || strings.Contains(string(body), "password") {
			t.Fatalf("create user: %d %s", resp.StatusCode, body)
		}
		resp, body = adm.call("POST", "/api/v1/users", map[string]string{"login": "off2", "role": "security_officer", "password": password}, nil)
		if resp.StatusCode != 403 || !strings.Contains(problemOf(t, body).Detail, "audit.read") {
			t.Fatalf("creating a security officer as admin: %d %s", resp.StatusCode, body)
		}
		opID := userID(t, a, "operator")
		resp, body = adm.call("PATCH", "/api/v1/users/"+opID, map[string]string{"role": "security_officer"}, nil)
		if resp.StatusCode != 403 {
			t.Fatalf("making a security officer as admin: %d %s", resp.StatusCode, body)
		}
		// Nor can the administrator silence the officer who audits them.
		resp, body = adm.call("PATCH", "/api/v1/users/"+userID(t, a, "officer"), map[string]bool{"blocked": true}, nil)
		if resp.StatusCode != 403 {
			t.Fatalf("blocking the security officer as admin: %d %s", resp.StatusCode, body)
		}
		if resp, _ := adm.call("PATCH", "/api/v1/users/01a1fb81-0a4e-7843-816b-a532f5ad9efa", map[string]bool{"blocked": true}, nil); resp.StatusCode != 404 {
			t.Fatalf("blocking an unknown user: %d", resp.StatusCode)
		}
		resp, body = adm.do("GET", "/api/v1/users", "", nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"login":"reg1"`) || !strings.Contains(string(body), `"two_factor_enabled":true`) {
			t.Fatalf("list users: %d %s", resp.StatusCode, body)
		}
		// An operator may not manage users.
		op := a.browser()
		op.login("operator")
		if resp, _ := op.do("GET", "/api/v1/users", "", nil, nil); resp.StatusCode != 403 {
			t.Fatalf("operator listing users: %d", resp.StatusCode)
		}

		// Blocking: the operator's open WebSocket closes with 4401 within a
		// second, and their next call is refused.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws := op.dialWS(ctx)
		defer ws.CloseNow()
		if f := readFrame(t, ctx, ws); f.Type != "hello" {
			t.Fatalf("first frame %q", f.Type)
		}
		resp, body = adm.call("PATCH", "/api/v1/users/"+opID, map[string]bool{"blocked": true}, nil)
		blockedAt := time.Now()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"blocked":true`) {
			t.Fatalf("block: %d %s", resp.StatusCode, body)
		}
		if code := closedWith(ws, time.Second); code != 4401 {
			t.Fatalf("the blocked user's WebSocket: close code %d after %v, want 4401 within a second", code, time.Since(blockedAt))
		}
		if resp, _ := op.do("GET", "/api/v1/requests", "", nil, nil); resp.StatusCode != 401 {
			t.Fatalf("a blocked user's next call: %d", resp.StatusCode)
		}
		again := a.browser()
		resp, _ = again.do("POST", "/api/v1/auth/login", "application/json", []byte(`{"login":"operator","password":"`+password+`"}`), nil)
		if resp.StatusCode != 401 {
			t.Fatalf("a blocked user logging in: %d", resp.StatusCode)
		}

		// The security officer finds it all in the audit.
		off := a.browser()
		off.login("officer")
		want := []string{"2fa.enabled", "role.created", "role.updated", "user.created", "user.blocked"}
		var seen []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			_, body = off.do("GET", "/api/v1/audit?actor=boss&limit=100", "", nil, nil)
			var page struct {
				Items []struct {
					Action   string `json:"action"`
					ObjectID string `json:"object_id"`
				} `json:"items"`
			}
			_ = json.Unmarshal(body, &page)
			seen = seen[:0]
			for _, it := range page.Items {
				seen = append(seen, it.Action)
			}
			if !slices.ContainsFunc(want, func(w string) bool { return !slices.Contains(seen, w) }) {
				break
			}
		}
		for _, w := range want {
			if !slices.Contains(seen, w) {
				t.Fatalf("the audit lacks %s: %v", w, seen)
			}
		}
	})
}

// Sessions: a user lists and ends their own, never someone else's; the
// ended session's WebSocket closes. Tokens: a scoped token does only what
// its scopes allow.
func TestSystemSessionsAndTokens(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	b1, b2 := a.browser(), a.browser()
	b1.login("operator")
	b2.login("operator")
	type session struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	}
	var list struct {
		Items []session `json:"items"`
	}
	resp, body := b1.do("GET", "/api/v1/me/sessions", "", nil, nil)
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Items) != 2 || list.Items[0].Current == list.Items[1].Current {
		t.Fatalf("sessions: %d %s", resp.StatusCode, body)
	}
	other := list.Items[0].ID
	if list.Items[0].Current {
		other = list.Items[1].ID
	}
	sup := a.browser()
	sup.login("supervisor")
	_, body = sup.do("GET", "/api/v1/me/sessions", "", nil, nil)
	var supList struct {
		Items []session `json:"items"`
	}
	_ = json.Unmarshal(body, &supList)
	if resp, body := b1.call("DELETE", "/api/v1/me/sessions/"+supList.Items[0].ID, nil, nil); resp.StatusCode != 404 {
		t.Fatalf("ending another user's session: %d %s", resp.StatusCode, body)
	}
	if resp, _ := sup.do("GET", "/api/v1/auth/me", "", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("the other user's session after a refused revoke: %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := b2.dialWS(ctx)
	defer ws.CloseNow()
	readFrame(t, ctx, ws)
	if resp, body := b1.call("DELETE", "/api/v1/me/sessions/"+other, nil, nil); resp.StatusCode != 204 {
		t.Fatalf("ending my other session: %d %s", resp.StatusCode, body)
	}
	if code := closedWith(ws, time.Second); code != 4401 {
		t.Fatalf("the ended session's WebSocket: close code %d, want 4401", code)
	}
	if resp, _ := b2.do("GET", "/api/v1/auth/me", "", nil, nil); resp.StatusCode != 401 {
		t.Fatalf("an ended session: %d", resp.StatusCode)
	}

	// A token scoped to reading requests reads requests, and nothing else.
	resp, body = b1.call("POST", "/api/v1/me/tokens", map[string]any{"name": "выгрузка", "ttl_days": 30, "scopes": []string{"requests.read"}}, nil)
	var tok struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
		Scopes    []string  `json:"scopes"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || resp.StatusCode != 201 || !strings.HasPrefix(tok.Token, "okno_") || tok.Name != "выгрузка" ||
		!slices.Equal(tok.Scopes, []string{"requests.read"}) || time.Until(tok.ExpiresAt) < 29*24*time.Hour {
		t.Fatalf("create token: %d %s", resp.StatusCode, body)
	}
	bearer := map[string]string{"Authorization": "Bearer " + tok.Token}
	api := a.browser()
	if resp, body := api.do("GET", "/api/v1/requests", "", nil, bearer); resp.StatusCode != 200 {
		t.Fatalf("a token reading requests: %d %s", resp.StatusCode, body)
	}
	if resp, body := api.do("POST", "/api/v1/contacts/01a1fb81-0a4e-7843-816b-a532f5ad9efa/reveal", "", nil, bearer); resp.StatusCode != 403 ||
		!strings.Contains(problemOf(t, body).Detail, "contacts.reveal") {
		t.Fatalf("a requests.read token revealing a contact: %d %s", resp.StatusCode, body)
	}
	if resp, body := api.do("POST", "/api/v1/me/tokens", "application/json", []byte(`{"name":"more","ttl_days":1,"scopes":["requests.read"]}`), bearer); resp.StatusCode != 403 {
		t.Fatalf("a token making a token: %d %s", resp.StatusCode, body)
	}
	// Scopes beyond the user's permissions, or unknown, are refused.
	resp, body = b1.call("POST", "/api/v1/me/tokens", map[string]any{"name": "pd", "ttl_days": 30, "scopes": []string{"patients.read_pd"}}, nil)
	if resp.StatusCode != 403 || !strings.Contains(problemOf(t, body).Detail, "patients.read_pd") {
		t.Fatalf("a scope the user lacks: %d %s", resp.StatusCode, body)
	}
	resp, body = b1.call("POST", "/api/v1/me/tokens", map[string]any{"name": "x", "ttl_days": 0, "scopes": []string{"requests.fly"}}, nil)
	if pd := problemOf(t, body); resp.StatusCode != 422 || len(pd.Errors) != 2 {
		t.Fatalf("a bad token request: %d %s", resp.StatusCode, body)
	}
	resp, body = b1.do("GET", "/api/v1/me/tokens", "", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"`+tok.ID+`"`) || strings.Contains(string(body), tok.Token) {
		t.Fatalf("list tokens: %d %s", resp.StatusCode, body)
	}
	if resp, _ := sup.call("DELETE", "/api/v1/me/tokens/"+tok.ID, nil, nil); resp.StatusCode != 404 {
		t.Fatalf("revoking another user's token: %d", resp.StatusCode)
	}
	if resp, _ := b1.call("DELETE", "/api/v1/me/tokens/"+tok.ID, nil, nil); resp.StatusCode != 204 {
		t.Fatalf("revoke token: %d", resp.StatusCode)
	}
	if resp, _ := api.do("GET", "/api/v1/requests", "", nil, bearer); resp.StatusCode != 401 {
		t.Fatalf("a revoked token: %d", resp.StatusCode)
	}
}

// Brute force over HTTP: five wrong passwords lock a login; the right one
// is then refused exactly like any password for a login that does not
// exist. An enrolled user's password alone asks for the second factor.
func TestSystemLoginLockout(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	b := a.browser()
	login := func(login, pw string) (*http.Response, []byte) {
		body, _ := json.Marshal(map[string]string{"login": login, "password": pw})
		return b.do("POST", "/api/v1/auth/login", "application/json", body, nil)
	}
	for i := 0; i < 5; i++ {
		for _, l := range []string{"operator", "ghost"} {
			if resp, body := login(l, "wrong-password-1234"); resp.StatusCode != 401 {
				t.Fatalf("%s failure %d: %d %s", l, i+1, resp.StatusCode, body)
			}
		}
	}
	r1, b1 := login("operator", password)
	r2, b2 := login("ghost", password)
	if r1.StatusCode != 429 || problemOf(t, b1).Code != "rate_limited" || r1.Header.Get("Retry-After") != "60" {
		t.Fatalf("the right password on a locked login: %d %s Retry-After %q", r1.StatusCode, b1, r1.Header.Get("Retry-After"))
	}
	if r2.StatusCode != r1.StatusCode || string(b1) != string(b2) || r1.Header.Get("Retry-After") != r2.Header.Get("Retry-After") {
		t.Fatalf("locked answers differ: %s (%s) vs %s (%s)", b1, r1.Header.Get("Retry-After"), b2, r2.Header.Get("Retry-After"))
	}
	// Others are not affected.
	b.login("supervisor")

	resp, body := login("officer", password)
	if pd := problemOf(t, body); resp.StatusCode != 401 || pd.Code != "second_factor_required" {
		t.Fatalf("an enrolled user's password alone: %d %s", resp.StatusCode, body)
	}
	e := enrollmentOf(a.cfg.Data, "officer")
	in, _ := json.Marshal(map[string]string{"login": "officer", "password": password, "totp_code": e.nextCode(t)})
	if resp, body := b.do("POST", "/api/v1/auth/login", "application/json", in, nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"enrollment_required":false`) {
		t.Fatalf("with the code: %d %s", resp.StatusCode, body)
	}
	// The same code again (another browser, same step): refused.
	if resp, body := a.browser().do("POST", "/api/v1/auth/login", "application/json", in, nil); resp.StatusCode != 401 || problemOf(t, body).Code != "second_factor_required" {
		t.Fatalf("a code reused: %d %s", resp.StatusCode, body)
	}
	// A code for someone else's secret does not work either.
	other, _ := totp.GenerateCode("JBSWY3DPEHPK3PXP", time.Now())
	in, _ = json.Marshal(map[string]string{"login": "officer", "password": password, "totp_code": other})
	if resp, _ := a.browser().do("POST", "/api/v1/auth/login", "application/json", in, nil); resp.StatusCode != 401 {
		t.Fatalf("a foreign code: %d", resp.StatusCode)
	}
}
