package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/okno-crm/okno/internal/app"
	"github.com/okno-crm/okno/internal/config"
	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/identity"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/testenv"
	"github.com/pquerna/otp/totp"
)

const password = "Ураган-над-Исетью-2026"

// profile is one way to run Okno: a database and a bus.
type profile struct {
	name string
	db   testenv.Backend
	bus  testenv.BusKind
}

func profiles() []profile {
	b := testenv.Backends()
	k := testenv.BusKinds()
	return []profile{
		{"sqlite-embedded", b[0], k[0]},
		{"postgres-embedded", b[1], k[0]},
		{"postgres-external", b[1], k[1]},
	}
}

func forEachProfile(t *testing.T, f func(t *testing.T, p profile)) {
	for _, p := range profiles() {
		t.Run(p.name, func(t *testing.T) {
			if p.db.Name == "postgres" {
				testenv.RequirePostgres(t)
			}
			if p.bus.Name == "external" {
				testenv.RequireExternalNATS(t)
				testenv.ResetExternalStream(t, p.bus.URL)
			}
			f(t, p)
		})
	}
}

type testApp struct {
	*app.App
	t    *testing.T
	base string
	cfg  config.Config
}

func baseConfig(dir, pg, natsURL string) config.Config {
	return config.Config{
		Addr: "127.0.0.1:0", Data: dir, DB: pg, NATS: natsURL,
		IntakeRatePerMin: 100000, LoginRatePerMin: 1000,
		SessionIdle: time.Hour, SessionAbsolute: 8 * time.Hour,
		Argon2MemoryKiB: 1024, Argon2Time: 1,
	}
}

// boot opens, seeds and starts Okno; it is closed when the test ends.
func boot(t *testing.T, cfg config.Config, noRelay bool) *testApp {
	t.Helper()
	a, err := app.Open(context.Background(), cfg, app.All, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.NoRelay = noRelay
	ctx := context.Background()
	if err := a.CC.SaveWebForm(ctx, contactcenter.WebForm{Key: "site", Name: "Сайт клиники", ConsentText: "Согласие", ConsentVersion: "v7", SuccessURL: "/thanks/", Active: true}); err != nil {
		t.Fatal(err)
	}
	for _, u := range [][2]string{{"operator", "operator"}, {"supervisor", "supervisor"}, {"officer", "security_officer"}} {
		if _, err := a.Identity.FindUserByLogin(ctx, u[0]); err == nil {
			continue
		}
		created, err := a.Identity.CreateUser(ctx, identity.NewUser{Login: u[0], Role: u[1], Password: password})
		if err != nil {
			t.Fatal(err)
		}
		// The security officer's role requires two-factor: enrolled here,
		// so that tests log in with a code as the officer would.
		if u[1] == "security_officer" {
			setup, err := a.Identity.SetupTOTP(ctx, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			e := enroll(cfg.Data, u[0], setup.Secret)
			if _, err := a.Identity.EnableTOTP(ctx, created.ID, "", e.nextCode(t)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	ta := &testApp{App: a, t: t, base: "http://" + a.Addr(), cfg: cfg}
	t.Cleanup(func() { ta.stop() })
	return ta
}

func (a *testApp) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = a.Close(ctx)
}

func startProfile(t *testing.T, p profile) *testApp {
	dir, pg := testenv.Storage(t, p.db)
	return boot(t, baseConfig(dir, pg, p.bus.URL), false)
}

// enrollment is a seeded user's TOTP secret and the last time step a test
// used, so that no login in a test reuses a code (identity refuses that).
type enrollment struct {
	mu     sync.Mutex
	secret string
	last   int64
}

// enrolled holds enrollments by data directory and login: a restarted
// Okno on the same data keeps its users.
var enrolled sync.Map

func enroll(dataDir, login, secret string) *enrollment {
	e := &enrollment{secret: secret}
	enrolled.Store(dataDir+"\x00"+login, e)
	return e
}

func enrollmentOf(dataDir, login string) *enrollment {
	e, _ := enrolled.Load(dataDir + "\x00" + login)
	en, _ := e.(*enrollment)
	return en
}

// nextCode returns a code for the current or the next step not used yet,
// waiting for the clock when both are spent.
func (e *enrollment) nextCode(t *testing.T) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		cur := time.Now().Unix() / 30
		step := max(cur, e.last+1)
		if step <= cur+1 {
			e.last = step
			c, err := totp.GenerateCode(e.secret, time.Unix(step*30, 0))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		time.Sleep(time.Until(time.Unix((cur+1)*30, 0)) + 10*time.Millisecond)
	}
}

type browser struct {
	t    *testing.T
	base string
	data string // the app's data directory, for enrollments
	c    *http.Client
}

func (a *testApp) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: a.t, base: a.base, data: a.cfg.Data, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path, ct string, body []byte, hdr map[string]string) (*http.Response, []byte) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// login logs in with the password, and a TOTP code for enrolled users.
func (b *browser) login(login string) {
	b.t.Helper()
	in := map[string]string{"login": login, "password": password}
	if e := enrollmentOf(b.data, login); e != nil {
		in["totp_code"] = e.nextCode(b.t)
	}
	body, _ := json.Marshal(in)
	resp, out := b.do("POST", "/api/v1/auth/login", "application/json", body, nil)
	if resp.StatusCode != 200 {
		b.t.Fatalf("login %s: %d %s", login, resp.StatusCode, out)
	}
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func postJSON(b *browser, key string, v any, hdr map[string]string) (*http.Response, []byte) {
	body, _ := json.Marshal(v)
	return b.do("POST", "/api/v1/intake/web-forms/"+key, "application/json", body, hdr)
}

func (b *browser) dialWS(ctx context.Context) *websocket.Conn {
	b.t.Helper()
	u, _ := url.Parse(b.base)
	hdr := http.Header{}
	for _, c := range b.c.Jar.Cookies(u) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	conn, resp, err := websocket.Dial(ctx, "ws://"+u.Host+"/api/v1/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		b.t.Fatalf("ws dial: %v (status %d)", err, status)
	}
	return conn
}

type frame struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// framesOf reads a WebSocket message: one frame, or a JSON array of frames
// the gateway sent together.
func framesOf(t *testing.T, data []byte) []frame {
	t.Helper()
	var fs []frame
	var err error
	if len(data) > 0 && data[0] == '[' {
		err = json.Unmarshal(data, &fs)
	} else {
		var f frame
		err = json.Unmarshal(data, &f)
		fs = []frame{f}
	}
	if err != nil {
		t.Fatalf("not a frame nor an array of frames: %v", err)
	}
	return fs
}

// pendingFrames holds, per socket, the frames of a message not yet read:
// the gateway sends several frames as one JSON array when they are ready
// together.
var (
	pendingMu     sync.Mutex
	pendingFrames = map[*websocket.Conn][]frame{}
)

// readFrame reads the next frame, passing over operators' presence
// changes: they come whenever any manager's socket opens or closes, which
// the tests' own managers do.
func readFrame(t *testing.T, ctx context.Context, c *websocket.Conn) frame {
	t.Helper()
	for {
		pendingMu.Lock()
		if q := pendingFrames[c]; len(q) > 0 {
			f := q[0]
			pendingFrames[c] = q[1:]
			pendingMu.Unlock()
			if f.Type != "operator.presence" {
				return f
			}
			continue
		}
		pendingMu.Unlock()
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("ws read: %v", err)
		}
		fs := framesOf(t, data)
		pendingMu.Lock()
		pendingFrames[c] = append(pendingFrames[c], fs...)
		pendingMu.Unlock()
	}
}

// The first flow: a patient submits the website form; the request is
// stored and reaches every connected manager over the WebSocket.
func TestSystemWebFormReachesManagersLive(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		a := startProfile(t, p)
		managers := []*browser{a.browser(), a.browser()}
		logins := []string{"supervisor", "operator"}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		var conns []*websocket.Conn
		for i, m := range managers {
			m.login(logins[i])
			c := m.dialWS(ctx)
			defer c.CloseNow()
			if f := readFrame(t, ctx, c); f.Type != "hello" {
				t.Fatalf("first frame %q, want hello", f.Type)
			}
			conns = append(conns, c)
		}
		patient := a.browser()
		sent := time.Now()
		resp, body := postJSON(patient, "site", map[string]any{
			"name": "Ёлкина Алёна 🌸", "phone": "8 (343) 222-33-44", "email": "alena@example.ru",
			"message": `<img src=x onerror=alert(1)> '; DROP TABLE requests; --`, "consent": true,
		}, nil)
		if resp.StatusCode != 201 {
			t.Fatalf("intake: %d %s", resp.StatusCode, body)
		}
		var created struct{ ID string }
		_ = json.Unmarshal(body, &created)
		for i, c := range conns {
			f := readFrame(t, ctx, c)
			if f.Type != "request.created" {
				t.Fatalf("manager %d got %q", i, f.Type)
			}
			var r contactcenter.Request
			_ = json.Unmarshal(f.Data, &r)
			// A supervisor sees the phone; an operator sees it masked.
			wantPhone, wantMasked := "+73432223344", false
			if logins[i] == "operator" {
				wantPhone, wantMasked = "+7 343 ***-**-44", true
			}
			if r.ID != created.ID || r.Contact.Phone != wantPhone || r.Contact.Masked != wantMasked || r.Status != "new" || r.Channel != "web_form" {
				t.Fatalf("%s was pushed %+v", logins[i], r)
			}
			if d := time.Since(sent); d > time.Second {
				t.Errorf("manager %d saw the request after %v, want within a second", i, d)
			}
		}
		// The inbox lists it first; its page shows the text verbatim.
		resp, body = managers[0].do("GET", "/api/v1/requests?limit=5", "", nil, nil)
		var list contactcenter.ListResponse
		if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Items) == 0 || list.Items[0].ID != created.ID {
			t.Fatalf("list: %d %s", resp.StatusCode, body)
		}
		resp, body = managers[0].do("GET", "/api/v1/requests/"+created.ID, "", nil, nil)
		var r contactcenter.Request
		_ = json.Unmarshal(body, &r)
		if resp.StatusCode != 200 || r.Message != `<img src=x onerror=alert(1)> '; DROP TABLE requests; --` || r.Contact.Name != "Ёлкина Алёна 🌸" {
			t.Fatalf("detail: %d %s", resp.StatusCode, body)
		}
		if r.Consent == nil || r.Consent.TextVersion != "v7" {
			t.Fatalf("consent not stored with its text version: %+v", r.Consent)
		}
		// A second form from the same phone joins the same contact.
		_, body = postJSON(patient, "site", map[string]any{"phone": "+7 343 222 33 44", "consent": true}, nil)
		var second struct{ ID string }
		_ = json.Unmarshal(body, &second)
		_, body = managers[0].do("GET", "/api/v1/requests/"+second.ID, "", nil, nil)
		var r2 contactcenter.Request
		_ = json.Unmarshal(body, &r2)
		if r2.Contact.ID != r.Contact.ID {
			t.Fatal("the same phone made a second contact")
		}
	})
}

func requestCount(t *testing.T, a *testApp) int {
	t.Helper()
	n, err := a.CC.CountRequests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Every refusal is a problem+json naming the field, and creates nothing.
func TestSystemIntakeRefusals(t *testing.T) {
	dir := t.TempDir()
	a := boot(t, baseConfig(dir, "", ""), false)
	b := a.browser()
	huge := strings.Repeat("щ", 3000)
	cases := []struct {
		name   string
		path   string
		ct     string
		body   []byte
		status int
		field  string
	}{
		{"unknown form", "/api/v1/intake/web-forms/nope", "application/json", []byte(`{"phone":"89123456701","consent":true}`), 404, ""},
		{"no consent", "", "application/json", []byte(`{"phone":"89123456701"}`), 422, "consent"},
		{"consent refused", "", "application/x-www-form-urlencoded", []byte(`phone=89123456701&consent=false`), 422, "consent"},
		{"bad phone", "", "application/json", []byte(`{"phone":"12","consent":true}`), 422, "phone"},
		{"bad email", "", "application/json", []byte(`{"email":"@@","consent":true}`), 422, "email"},
		{"huge name", "", "application/json", []byte(`{"name":"` + huge + `","phone":"89123456701","consent":true}`), 422, "name"},
		{"control characters", "", "application/json", []byte(`{"name":"a\u0001b","phone":"89123456701","consent":true}`), 422, "name"},
		{"malformed json", "", "application/json", []byte(`{"phone":`), 400, ""},
		{"empty body", "", "application/json", nil, 400, ""},
		{"wrong content type", "", "text/plain", []byte(`hello`), 415, ""},
		{"over 1 MB", "", "application/json", append(append([]byte(`{"message":"`), bytes.Repeat([]byte("a"), 1<<20)...), []byte(`"}`)...), 413, ""},
		{"bad idempotency key", "", "application/json", []byte(`{"phone":"89123456701","consent":true}`), 422, "Idempotency-Key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := requestCount(t, a)
			path := c.path
			if path == "" {
				path = "/api/v1/intake/web-forms/site"
			}
			hdr := map[string]string{}
			if c.name == "bad idempotency key" {
				hdr["Idempotency-Key"] = "ключ"
			}
			resp, body := b.do("POST", path, c.ct, c.body, hdr)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			var pb struct {
				Status int
				Title  string
				Errors []struct{ Field string }
			}
			if err := json.Unmarshal(body, &pb); err != nil || pb.Status != c.status || pb.Title == "" {
				t.Fatalf("not a problem document: %s", body)
			}
			if c.field != "" && (len(pb.Errors) == 0 || pb.Errors[0].Field != c.field) {
				t.Fatalf("problem does not name %q: %s", c.field, body)
			}
			if bytes.Contains(body, []byte("89123456701")) || bytes.Contains(body, []byte("щщщ")) {
				t.Fatal("the problem echoes submitted personal data")
			}
			if after := requestCount(t, a); after != before {
				t.Fatalf("a refused request created %d requests", after-before)
			}
		})
	}

	t.Run("plain HTML form is redirected to the site's thank-you page", func(t *testing.T) {
		before := requestCount(t, a)
		resp, _ := b.do("POST", "/api/v1/intake/web-forms/site", "application/x-www-form-urlencoded",
			[]byte("name=%D0%98%D0%B2%D0%B0%D0%BD&phone=8+(343)+222-33-45&consent=on"), map[string]string{"Accept": "text/html,application/xhtml+xml"})
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/thanks/" {
			t.Fatalf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if requestCount(t, a) != before+1 {
			t.Fatal("the form was not stored")
		}
	})
}

func TestSystemIdempotencyKey(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	b := a.browser()
	form := map[string]any{"phone": "89123456709", "consent": true, "message": "повтор"}
	hdr := map[string]string{"Idempotency-Key": "2f1c9a52-retry"}
	r1, b1 := postJSON(b, "site", form, hdr)
	r2, b2 := postJSON(b, "site", form, hdr)
	if r1.StatusCode != 201 || r2.StatusCode != 201 || !bytes.Equal(b1, b2) {
		t.Fatalf("first %d %s, retry %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
	}
	if r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("retry not marked as replayed")
	}
	if n := requestCount(t, a); n != 1 {
		t.Fatalf("%d requests after a retry, want 1", n)
	}
	form["message"] = "другое"
	if r, _ := postJSON(b, "site", form, hdr); r.StatusCode != 422 {
		t.Fatalf("key reused for another body: %d", r.StatusCode)
	}
}

func TestSystemIntakeRateLimit(t *testing.T) {
	cfg := baseConfig(t.TempDir(), "", "")
	cfg.IntakeRatePerMin = 3
	a := boot(t, cfg, false)
	b := a.browser()
	for i := 0; i < 3; i++ {
		if r, body := postJSON(b, "site", map[string]any{"phone": fmt.Sprintf("8912345670%d", i), "consent": true}, nil); r.StatusCode != 201 {
			t.Fatalf("request %d: %d %s", i, r.StatusCode, body)
		}
	}
	r, body := postJSON(b, "site", map[string]any{"phone": "89123456709", "consent": true}, nil)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "rate_limited") {
		t.Fatalf("fourth: %d %s", r.StatusCode, body)
	}
	if n := requestCount(t, a); n != 3 {
		t.Fatalf("%d stored, want 3", n)
	}
}

func TestSystemAuthentication(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	anon := a.browser()
	for _, path := range []string{"/api/v1/requests", "/api/v1/requests/01a1fb81-0a4e-7843-816b-a532f5ad9efa", "/api/v1/auth/me", "/api/v1/ws"} {
		if r, body := anon.do("GET", path, "", nil, nil); r.StatusCode != 401 || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s without a session: %d %s", path, r.StatusCode, body)
		}
	}
	// Forged identity headers are stripped at the edge.
	if r, _ := anon.do("GET", "/api/v1/requests", "", nil, map[string]string{"X-Okno-User-Id": "x", "X-Okno-Permissions": "requests.read", "X-Okno-Internal-Token": "guess"}); r.StatusCode != 401 {
		t.Fatalf("forged headers: %d", r.StatusCode)
	}
	if r, _ := anon.do("POST", "/api/v1/auth/login", "application/json", []byte(`{"login":"operator","password":"wrong-password-123"}`), nil); r.StatusCode != 401 {
		t.Fatalf("wrong password: %d", r.StatusCode)
	}

	op := a.browser()
	op.login("operator")
	if r, body := op.do("GET", "/api/v1/auth/me", "", nil, nil); r.StatusCode != 200 || !strings.Contains(string(body), `"login":"operator"`) {
		t.Fatalf("me: %d %s", r.StatusCode, body)
	}
	// The session cookie is HttpOnly and SameSite; the CSRF one is readable.
	resp, _ := a.browser().do("POST", "/api/v1/auth/login", "application/json", []byte(`{"login":"operator","password":"`+password+`"}`), nil)
	var sawSession bool
	for _, c := range resp.Cookies() {
		if c.Name == "okno_session" {
			sawSession = true
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Fatalf("session cookie %+v", c)
			}
		}
	}
	if !sawSession {
		t.Fatal("no session cookie")
	}
	// A cookie session must prove it is us: no CSRF token, no logout.
	if r, _ := op.do("POST", "/api/v1/auth/logout", "", nil, nil); r.StatusCode != 403 {
		t.Fatalf("logout without CSRF token: %d", r.StatusCode)
	}
	if r, _ := op.do("POST", "/api/v1/auth/logout", "", nil, map[string]string{"X-CSRF-Token": op.cookie("okno_csrf")}); r.StatusCode != 204 {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	if r, _ := op.do("GET", "/api/v1/requests", "", nil, nil); r.StatusCode != 401 {
		t.Fatalf("after logout: %d", r.StatusCode)
	}

	// A role without requests.read is refused.
	off := a.browser()
	off.login("officer")
	if r, _ := off.do("GET", "/api/v1/requests", "", nil, nil); r.StatusCode != 403 {
		t.Fatalf("security officer reading requests: %d", r.StatusCode)
	}

	// A personal API token works as a Bearer credential, without CSRF.
	tok, _, err := a.Identity.CreateToken(context.Background(), "operator", "crm-export", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	api := a.browser()
	if r, body := api.do("GET", "/api/v1/requests", "", nil, map[string]string{"Authorization": "Bearer " + tok}); r.StatusCode != 200 {
		t.Fatalf("bearer: %d %s", r.StatusCode, body)
	}
	if r, _ := api.do("GET", "/api/v1/requests", "", nil, map[string]string{"Authorization": "Bearer okno_forged"}); r.StatusCode != 401 {
		t.Fatalf("forged bearer: %d", r.StatusCode)
	}
}

// Every /api/v1 route declares its permission; a protected one refuses
// anonymous callers.
func TestRouteTableDeclaresPermissions(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	known := map[string]bool{"public": true, "authenticated": true, "enrolling": true}
	for _, p := range perm.AllPermissions {
		known[p] = true
	}
	b := a.browser()
	for _, rt := range a.Gateway.Routes() {
		if rt.Perm == "" || !known[rt.Perm] {
			t.Errorf("route %q declares no known permission (%q)", rt.Pattern, rt.Perm)
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if !strings.HasPrefix(path, "/api/v1/") {
			t.Errorf("route %q is outside /api/v1", rt.Pattern)
		}
		if rt.Perm == "public" {
			continue
		}
		path = strings.ReplaceAll(path, "{id}", "01a1fb81-0a4e-7843-816b-a532f5ad9efa")
		if r, _ := b.do(method, path, "application/json", []byte(`{}`), nil); r.StatusCode != 401 {
			t.Errorf("%s without a session: %d, want 401", rt.Pattern, r.StatusCode)
		}
	}
}

func TestSystemHealthAndHeaders(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	b := a.browser()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/": 200, "/api/v1/nothing": 404} {
		r, _ := b.do("GET", path, "", nil, nil)
		if r.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, r.StatusCode, want)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Content-Security-Policy") == "" && path != "/healthz" && path != "/readyz" && path != "/metrics" {
			t.Errorf("%s: security headers missing: %v", path, r.Header)
		}
	}
	_, metrics := b.do("GET", "/metrics", "", nil, nil)
	if !bytes.Contains(metrics, []byte("okno_http_requests_total")) || !bytes.Contains(metrics, []byte("okno_outbox_backlog")) {
		t.Fatal("metrics missing Okno's own series")
	}
}

// The clinic's own website may post from the browser; other origins get no
// CORS permission.
func TestSystemIntakeCORS(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	if err := a.CC.SaveWebForm(context.Background(), contactcenter.WebForm{Key: "site", Name: "Сайт", ConsentVersion: "v7", ConsentText: "Согласие",
		AllowedOrigins: []string{"https://clinic.example"}, Active: true}); err != nil {
		t.Fatal(err)
	}
	b := a.browser()
	for origin, allowed := range map[string]bool{"https://clinic.example": true, "https://evil.example": false} {
		r, _ := b.do("OPTIONS", "/api/v1/intake/web-forms/site", "", nil, map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
		got := r.Header.Get("Access-Control-Allow-Origin")
		if (got == origin) != allowed || r.StatusCode != 204 {
			t.Fatalf("preflight from %s: %d, allow-origin %q", origin, r.StatusCode, got)
		}
		r, _ = postJSON(b, "site", map[string]any{"phone": "89123456701", "consent": true}, map[string]string{"Origin": origin})
		if got := r.Header.Get("Access-Control-Allow-Origin"); (got == origin) != allowed {
			t.Fatalf("post from %s: allow-origin %q", origin, got)
		}
	}
}

func TestSystemAPIRateLimit(t *testing.T) {
	cfg := baseConfig(t.TempDir(), "", "")
	cfg.APIRatePerMin = 5
	a := boot(t, cfg, false)
	b := a.browser()
	b.login("supervisor")
	codes := map[int]int{}
	for i := 0; i < 7; i++ {
		r, _ := b.do("GET", "/api/v1/requests", "", nil, nil)
		codes[r.StatusCode]++
	}
	if codes[200] != 5 || codes[429] != 2 {
		t.Fatalf("answers %v, want 5×200 then 2×429", codes)
	}
}
