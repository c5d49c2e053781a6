// Package gateway is Okno's only public HTTP edge: the REST API under
// /api/v1, the WebSocket /api/v1/ws and the web UI. It authenticates every
// call, checks the permission its route declares, and passes the caller on
// to the owning service. It owns no database.
package gateway

import (
	"cmp"
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultWebhookRatePerMin is the PBX deliveries allowed per address and
// minute when not configured (OKNO_WEBHOOK_RATE_PER_MIN).
const DefaultWebhookRatePerMin = 300000

// Route access levels besides a permission name.
const (
	Public        = "public"        // no login: the website's forms
	Authenticated = "authenticated" // any logged-in user
	// Enrolling: any logged-in user, including one whose session is
	// restricted until they enroll in two-factor authentication.
	Enrolling = "enrolling"
)

// MaxBody is the largest request body any route accepts.
const MaxBody = 1 << 20

// Config wires the gateway.
type Config struct {
	InternalToken    string
	Identity         Upstream
	ContactCenter    Upstream
	Audit            Upstream
	MIS              Upstream
	JS               jetstream.JetStream // events to push; nil disables the push
	IntakeRatePerMin int
	// WebhookRatePerMin bounds PBX deliveries per address: a PBX sends a
	// burst of events per call, so this is far above the intake's.
	WebhookRatePerMin int
	LoginRatePerMin   int
	APIRatePerMin     int // per signed-in user, every authenticated route; 0 = off
	SecureCookies     bool
	TrustedProxies    []*net.IPNet
	UI                fs.FS                   // the built web UI; nil serves a notice
	Extra             map[string]http.Handler // more routes outside /api/v1 (demo pages)
	Ready             func(context.Context) error
	Registry          *prometheus.Registry
	Now               func() time.Time
}

// Gateway is the HTTP edge.
type Gateway struct {
	cfg      Config
	identity *client
	cc       *client
	audit    *client
	mis      *client
	hub      *hub
	intake   *limiter
	webhook  *limiter
	popups   chan struct{} // bounds the incoming-call cards fetched at once
	api      *limiter
	login    *limiter
	routes   []Route
	handler  http.Handler
	metrics  *metrics
	static   *static
	started  time.Time     // events published since are followed
	stopping chan struct{} // closed when Run's context ends
	// presencePending counts operators being marked offline.
	presencePending atomic.Int64
}

// Route is one line of the route table: every /api/v1 route names the
// permission it needs (or Public / Authenticated).
type Route struct {
	Pattern string
	Perm    string
	Handler http.Handler
}

// New builds the gateway.
func New(cfg Config) *Gateway {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LoginRatePerMin == 0 {
		cfg.LoginRatePerMin = 20
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	g := &Gateway{
		cfg:      cfg,
		identity: newClient(cfg.Identity, cfg.InternalToken),
		cc:       newClient(cfg.ContactCenter, cfg.InternalToken),
		audit:    newClient(cfg.Audit, cfg.InternalToken),
		mis:      newClient(cfg.MIS, cfg.InternalToken),
		intake:   newLimiter(cfg.IntakeRatePerMin),
		popups:   make(chan struct{}, 64),
		webhook:  newLimiter(cmp.Or(cfg.WebhookRatePerMin, DefaultWebhookRatePerMin)),
		api:      newLimiter(cfg.APIRatePerMin),
		login:    newLimiter(cfg.LoginRatePerMin),
		metrics:  newMetrics(cfg.Registry),
		started:  time.Now(),
		stopping: make(chan struct{}),
	}
	g.hub = newHub(g.metrics)
	g.static = newStatic(cfg.UI)
	cc := g.proxy(cfg.ContactCenter)
	audit := g.proxy(cfg.Audit)
	id := g.proxy(cfg.Identity)
	mis := g.proxy(cfg.MIS)
	g.routes = []Route{
		{"POST /api/v1/auth/login", Public, http.HandlerFunc(g.handleLogin)},
		{"POST /api/v1/auth/logout", Enrolling, http.HandlerFunc(g.handleLogout)},
		{"GET /api/v1/auth/me", Enrolling, http.HandlerFunc(g.handleMe)},
		{"GET /api/v1/me/2fa", Enrolling, id},
		{"POST /api/v1/me/2fa/setup", Enrolling, id},
		{"POST /api/v1/me/2fa/enable", Enrolling, id},
		{"POST /api/v1/me/2fa/disable", Enrolling, id},
		{"GET /api/v1/me/sessions", Authenticated, id},
		{"DELETE /api/v1/me/sessions/{id}", Authenticated, id},
		{"GET /api/v1/me/tokens", Authenticated, id},
		{"POST /api/v1/me/tokens", Authenticated, id},
		{"DELETE /api/v1/me/tokens/{id}", Authenticated, id},
		{"GET /api/v1/users", perm.UsersManage, id},
		{"POST /api/v1/users", perm.UsersManage, id},
		{"PATCH /api/v1/users/{id}", perm.UsersManage, id},
		{"GET /api/v1/roles", perm.RolesManage, id},
		{"POST /api/v1/roles", perm.RolesManage, id},
		{"PATCH /api/v1/roles/{id}", perm.RolesManage, id},
		{"POST /api/v1/intake/web-forms/{key}", Public, g.rateLimited(g.intake, cc)},
		{"OPTIONS /api/v1/intake/web-forms/{key}", Public, cc},
		{"GET /api/v1/requests", perm.RequestsRead, cc},
		{"GET /api/v1/requests/{id}", perm.RequestsRead, cc},
		{"POST /api/v1/contacts/{id}/reveal", perm.ContactsReveal, cc},
		{"POST /api/v1/contacts/search", perm.ContactsRead, cc},
		{"GET /api/v1/contacts/{id}/consents", perm.ContactsRead, cc},
		{"POST /api/v1/contacts/{id}/consents/{consent}/withdraw", perm.ConsentsManage, cc},
		{"GET /api/v1/contacts/{id}/subject-report", perm.SubjectsManage, cc},
		{"POST /api/v1/contacts/{id}/anonymize", perm.SubjectsManage, cc},
		{"GET /api/v1/audit", perm.AuditRead, audit},
		{"GET /api/v1/audit/export.csv", perm.AuditRead, audit},
		{"GET /api/v1/mis/branches", perm.MISRead, mis},
		{"GET /api/v1/mis/specialties", perm.MISRead, mis},
		{"GET /api/v1/mis/doctors", perm.MISRead, mis},
		{"GET /api/v1/mis/slots", perm.MISRead, mis},
		{"POST /api/v1/mis/appointments", perm.AppointmentsBook, mis},
		{"DELETE /api/v1/mis/appointments/{id}", perm.AppointmentsBook, mis},
		{"POST /api/v1/mis/appointments/{id}/reschedule", perm.AppointmentsBook, mis},
		{"GET /api/v1/mis/appointments", perm.MISRead, mis},
		{"GET /api/v1/mis/services", perm.MISRead, mis},
		{"GET /api/v1/mis/schedule", perm.MISRead, mis},
		{"POST /api/v1/mis/patients/match", perm.MISRead, mis},
		{"POST /api/v1/mis/patients", perm.PatientsLink, mis},
		{"POST /api/v1/mis/links", perm.PatientsLink, mis},
		{"DELETE /api/v1/mis/links/{id}", perm.PatientsLink, mis},
		{"GET /api/v1/mis/contacts/{id}/patients", perm.MISRead, mis},
		{"GET /api/v1/mis/health", perm.MISManage, mis},
		{"POST /api/v1/mis/refresh", perm.MISManage, mis},
		{"POST /api/v1/mis/check", perm.MISManage, mis},
		{"POST /api/v1/telephony/webhooks/{key}", Public, g.rateLimited(g.webhook, cc)},
		{"POST /api/v1/telephony/webhooks/{key}/{rest...}", Public, g.rateLimited(g.webhook, cc)},
		{"GET /api/v1/telephony/webhooks/{key}", Public, g.rateLimited(g.webhook, cc)},
		{"GET /api/v1/telephony/integrations", perm.TelephonyManage, cc},
		{"POST /api/v1/telephony/integrations", perm.TelephonyManage, cc},
		{"PATCH /api/v1/telephony/integrations/{id}", perm.TelephonyManage, cc},
		{"GET /api/v1/calls", perm.CallsRead, cc},
		{"GET /api/v1/calls/{id}/popup", perm.CallsRead, cc},
		{"POST /api/v1/calls/dial", perm.CallsDial, cc},
		{"GET /api/v1/tasks", perm.TasksRead, cc},
		{"POST /api/v1/tasks", perm.TasksManage, cc},
		{"PATCH /api/v1/tasks/{id}", perm.TasksManage, cc},
		{"GET /api/v1/operators", perm.RequestsRead, cc},
		{"PUT /api/v1/presence", perm.RequestsRead, cc},
		{"PUT /api/v1/operators/{id}/extension", perm.QueuesManage, cc},
		{"GET /api/v1/queues", perm.RequestsRead, cc},
		{"POST /api/v1/queues", perm.QueuesManage, cc},
		{"PUT /api/v1/queues/{id}", perm.QueuesManage, cc},
		{"GET /api/v1/routing-rules", perm.QueuesManage, cc},
		{"PUT /api/v1/routing-rules", perm.QueuesManage, cc},
		{"GET /api/v1/lost-reasons", perm.RequestsRead, cc},
		{"PUT /api/v1/lost-reasons", perm.QueuesManage, cc},
		{"POST /api/v1/requests", perm.RequestsUpdate, cc},
		{"PATCH /api/v1/requests/{id}", perm.RequestsUpdate, cc},
		{"GET /api/v1/requests/{id}/trail", perm.RequestsRead, cc},
		{"POST /api/v1/requests/{id}/comments", perm.RequestsUpdate, cc},
		{"POST /api/v1/requests/{id}/merge", perm.RequestsUpdate, cc},
		{"GET /api/v1/contacts/{id}", perm.ContactsRead, cc},
		{"GET /api/v1/contacts/{id}/card", perm.ContactsRead, cc},
		{"POST /api/v1/contacts/{id}/merge", perm.ContactsMerge, cc},
		{"GET /api/v1/board", perm.BoardRead, cc},
		{"GET /api/v1/ws", perm.RequestsRead, http.HandlerFunc(g.handleWS)},
	}
	mux := http.NewServeMux()
	for _, rt := range g.routes {
		mux.Handle(rt.Pattern, g.guard(rt))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, problem.New(problem.NotFound, "no such API route"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", g.handleReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	for p, h := range cfg.Extra {
		mux.Handle(p, h)
	}
	mux.Handle("/", g.static)
	g.handler = g.securityHeaders(g.observe(mux))
	return g
}

// Routes returns the route table (for the authorization tests).
func (g *Gateway) Routes() []Route { return g.routes }

// ServeHTTP serves the edge.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// Run pushes events to WebSocket clients until ctx ends.
func (g *Gateway) Run(ctx context.Context) {
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				g.intake.sweep(now)
				g.webhook.sweep(now)
				g.login.sweep(now)
				g.api.sweep(now)
			}
		}
	}()
	if g.cfg.JS != nil {
		go g.followIdentity(ctx)
		g.pushEvents(ctx)
	}
	<-ctx.Done()
	close(g.stopping)
	g.hub.closeAll()
	// Operators whose sockets just closed are marked offline before the
	// services stop: after a restart nobody is left online who is not.
	deadline := time.Now().Add(5 * time.Second)
	for (g.hub.size() > 0 || g.presencePending.Load() > 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// guard authenticates and authorizes a route, limits its body and strips
// any identity headers a client tried to forge.
func (g *Gateway) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		principal.Strip(r.Header)
		if r.ContentLength > MaxBody {
			problem.Write(w, r, problem.New(problem.TooLarge, "the request body exceeds 1 MB"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		p := principal.Principal{ClientAddr: clientAddr(r, g.cfg.TrustedProxies)}
		if rt.Perm != Public {
			c, viaCookie, err := g.authenticate(r)
			if err != nil {
				problem.Write(w, r, err)
				return
			}
			u := c.User
			if viaCookie && !safeMethod(r.Method) && !g.csrfOK(r) {
				problem.Write(w, r, problem.New(problem.Forbidden, "missing or wrong X-CSRF-Token"))
				return
			}
			if u.EnrollmentRequired && rt.Perm != Enrolling {
				problem.Write(w, r, problem.New(problem.Forbidden, "two-factor enrollment required"))
				return
			}
			if rt.Perm != Authenticated && rt.Perm != Enrolling && !contains(u.Permissions, rt.Perm) {
				problem.Write(w, r, problem.Newf(problem.Forbidden, "this action needs the permission %s", rt.Perm))
				return
			}
			if !g.api.Allow(u.ID, g.cfg.Now()) {
				w.Header().Set("Retry-After", "60")
				problem.Write(w, r, problem.New(problem.RateLimited, "too many requests from this account, try again in a minute"))
				return
			}
			p.UserID, p.Login, p.Role = u.ID, u.Login, u.Role
			p.Permissions = u.Permissions
			p.SessionID = c.SessionID
			r = r.WithContext(withCaller(r.Context(), c))
		}
		rt.Handler.ServeHTTP(w, r.WithContext(principal.With(r.Context(), p)))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (g *Gateway) rateLimited(l *limiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !l.Allow(principal.From(r.Context()).ClientAddr, g.cfg.Now()) {
			w.Header().Set("Retry-After", "60")
			problem.Write(w, r, problem.New(problem.RateLimited, "too many requests from this address, try again in a minute"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// proxy passes a call to a service under the same path without /api/v1,
// carrying the principal instead of the client's credentials.
func (g *Gateway) proxy(up Upstream) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Path = strings.TrimPrefix(pr.In.URL.Path, "/api/v1")
			pr.Out.URL.RawPath = ""
			pr.SetURL(up.URL)
			pr.Out.Header.Del("Cookie")
			pr.Out.Header.Del("Authorization")
			principal.Strip(pr.Out.Header)
			principal.Set(pr.Out.Header, g.cfg.InternalToken, principal.From(pr.In.Context()))
		},
		Transport: up.Transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if problem.CodeOf(err) == problem.TooLarge {
				problem.Write(w, r, err)
				return
			}
			slog.Warn("upstream failed", "service", up.Name, "err", err)
			problem.Write(w, r, problem.Newf(problem.Unavailable, "%s is unavailable", up.Name))
		},
	}
}

func (g *Gateway) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if g.cfg.Ready != nil {
		if err := g.cfg.Ready(ctx); err != nil {
			slog.Warn("not ready", "err", err)
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready\n"))
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ready\n"))
}

// securityHeaders sets the headers every answer carries. Pages get their
// own Content-Security-Policy from the static handler.
func (g *Gateway) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int)        { s.status = code; s.ResponseWriter.WriteHeader(code) }
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe counts and times requests by route pattern — never by URL, which
// may carry ids — and logs failures without personal data.
func (g *Gateway) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		g.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		g.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
		if sw.status >= 500 {
			slog.Warn("http", "route", route, "status", sw.status, "ms", d.Milliseconds())
		} else {
			slog.Debug("http", "route", route, "status", sw.status, "ms", d.Milliseconds())
		}
	})
}

// UpstreamsReady checks that every service behind the gateway answers.
func (g *Gateway) UpstreamsReady(ctx context.Context) error {
	for _, c := range []*client{g.identity, g.cc, g.audit, g.mis} {
		if err := c.call(ctx, http.MethodGet, "/readyz", principal.System(), nil, nil); err != nil {
			return err
		}
	}
	return nil
}
