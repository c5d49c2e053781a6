// Package app wires Okno's services into a running program: every service
// in one process (okno run) or one service per process (okno serve). Tests
// boot the real thing through it on a free port with a temporary data dir.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/okno-crm/okno/internal/audit"
	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/bus"
	"github.com/okno-crm/okno/internal/config"
	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/gateway"
	"github.com/okno-crm/okno/internal/idempotency"
	"github.com/okno-crm/okno/internal/identity"
	"github.com/okno-crm/okno/internal/inproc"
	"github.com/okno-crm/okno/internal/mis"
	"github.com/okno-crm/okno/internal/mis/demofhir"
	"github.com/okno-crm/okno/internal/mis/renovatio"
	"github.com/okno-crm/okno/internal/store"
	"github.com/okno-crm/okno/internal/vault"
	"github.com/okno-crm/okno/internal/webui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Service names for okno serve.
const (
	All           = "all"
	Gateway       = "gateway"
	Identity      = "identity"
	ContactCenter = "contactcenter"
	Audit         = "audit"
	MIS           = "mis"
)

// App is a running Okno (all services, or one).
type App struct {
	Cfg      config.Config
	Only     string
	Bus      *bus.Bus
	Identity *identity.Service
	CC       *contactcenter.Service
	Audit    *audit.Service
	MIS      *mis.Service
	Gateway  *gateway.Gateway
	Registry *prometheus.Registry

	dbs      []*store.DB
	relays   []*events.Relay
	handler  http.Handler
	server   *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	// Hooks for tests of crash safety: a relay that never runs leaves
	// events in the outbox exactly as a crash right after commit would.
	NoRelay bool
}

// MasterKey loads (or, in the data directory, creates) the master key that
// wraps every service's data keys.
func MasterKey(cfg config.Config) ([]byte, error) {
	path, create := cfg.MasterKeyPath()
	return vault.LoadMasterKey(path, create)
}

// OpenDB opens a service's database from the configuration (for the CLI too).
func OpenDB(ctx context.Context, cfg config.Config, service string) (*store.DB, error) {
	return store.Open(ctx, store.Options{Service: service, DataDir: cfg.Data, PostgresURL: cfg.DB})
}

// Open prepares the services named by only (All for okno run); extra adds
// pages outside the API (the demo's website form).
func Open(ctx context.Context, cfg config.Config, only string, extra map[string]http.Handler) (a *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a = &App{Cfg: cfg, Only: only, Registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.closeResources()
		}
	}()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.InternalToken == "" {
		if only != All {
			return nil, errors.New("okno serve needs OKNO_INTERNAL_TOKEN (or _FILE), the same for every service")
		}
		a.Cfg.InternalToken = randomToken()
	}
	if only != All && cfg.NATS == "" {
		return nil, errors.New("okno serve needs OKNO_NATS: services in separate processes share an external NATS")
	}
	if cfg.DB == "" {
		if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	}
	a.Bus, err = bus.Open(ctx, bus.Options{URL: cfg.NATS, DataDir: cfg.Data, Name: "okno-" + only})
	if err != nil {
		return nil, err
	}
	var handlers = map[string]http.Handler{}
	if only == All || only == Identity {
		db, err := a.openDB(ctx, Identity)
		if err != nil {
			return nil, err
		}
		master, err := MasterKey(cfg)
		if err != nil {
			return nil, err
		}
		a.Identity, err = identity.New(ctx, db, master, identity.Config{
			Argon2:          identity.Argon2{MemoryKiB: cfg.Argon2MemoryKiB, Time: cfg.Argon2Time, Threads: 2},
			SessionIdle:     cfg.SessionIdle,
			SessionAbsolute: cfg.SessionAbsolute,
		})
		if err != nil {
			return nil, err
		}
		r := a.addRelay(db)
		a.Identity.OnCommit = r.Wake
		handlers[Identity] = a.Identity.Handler(a.Cfg.InternalToken)
	}
	if only == All || only == ContactCenter {
		db, err := a.openDB(ctx, ContactCenter)
		if err != nil {
			return nil, err
		}
		master, err := MasterKey(cfg)
		if err != nil {
			return nil, err
		}
		a.CC, err = contactcenter.New(ctx, db, master, nil)
		if err != nil {
			return nil, err
		}
		r := a.addRelay(db)
		a.CC.OnCommit = r.Wake
		a.CC.PublicURL = cfg.PublicBase()
		handlers[ContactCenter] = a.CC.Handler(a.Cfg.InternalToken)
	}
	if only == All || only == Audit {
		db, err := a.openDB(ctx, Audit)
		if err != nil {
			return nil, err
		}
		a.Audit, err = audit.New(ctx, db, nil)
		if err != nil {
			return nil, err
		}
		a.addRelay(db)
		handlers[Audit] = a.Audit.Handler(a.Cfg.InternalToken)
	}
	if only == All || only == MIS {
		db, err := a.openDB(ctx, MIS)
		if err != nil {
			return nil, err
		}
		client, err := misClient(cfg, extra)
		if err != nil {
			return nil, err
		}
		a.MIS, err = mis.New(ctx, db, client, nil)
		if err != nil {
			return nil, err
		}
		r := a.addRelay(db)
		a.MIS.OnCommit = r.Wake
		a.MIS.FeedEvery = cfg.MISFeedEvery
		if client != nil {
			a.MIS.Kind, a.MIS.BaseURL = misDescription(cfg)
		}
		// The contact center's contact lookup: in-process under okno run,
		// over HTTP (OKNO_CONTACTCENTER_URL) under okno serve mis.
		if h, ok := handlers[ContactCenter]; ok {
			a.MIS.Contacts = &mis.HTTPContactReader{BaseURL: &url.URL{Scheme: "http", Host: ContactCenter + ".inproc"}, Token: a.Cfg.InternalToken,
				HTTP: &http.Client{Transport: inproc.Transport{Handler: h}, Timeout: 5 * time.Second}}
		} else if u, err := url.Parse(cfg.ContactCenterURL); err == nil && u.Host != "" {
			a.MIS.Contacts = &mis.HTTPContactReader{BaseURL: u, Token: a.Cfg.InternalToken}
		}
		handlers[MIS] = a.MIS.Handler(a.Cfg.InternalToken)
	}
	if only == All || only == Gateway {
		up := func(name, rawURL string) (gateway.Upstream, error) {
			if h, ok := handlers[name]; ok {
				return gateway.Upstream{Name: name, URL: &url.URL{Scheme: "http", Host: name + ".inproc"}, Transport: inproc.Transport{Handler: h}}, nil
			}
			u, err := url.Parse(rawURL)
			if err != nil || u.Host == "" {
				return gateway.Upstream{}, fmt.Errorf("okno serve gateway needs OKNO_%s_URL", strings.ToUpper(name))
			}
			return gateway.Upstream{Name: name, URL: u, Transport: http.DefaultTransport}, nil
		}
		idUp, err := up(Identity, cfg.IdentityURL)
		if err != nil {
			return nil, err
		}
		ccUp, err := up(ContactCenter, cfg.ContactCenterURL)
		if err != nil {
			return nil, err
		}
		auditUp, err := up(Audit, cfg.AuditURL)
		if err != nil {
			return nil, err
		}
		misUp, err := up(MIS, cfg.MISURL)
		if err != nil {
			return nil, err
		}
		proxies, _ := cfg.Proxies()
		var ui fs.FS
		if cfg.WebDir != "" {
			ui = os.DirFS(cfg.WebDir)
		} else {
			ui = webui.FS()
		}
		a.Gateway = gateway.New(gateway.Config{
			InternalToken:     a.Cfg.InternalToken,
			Identity:          idUp,
			ContactCenter:     ccUp,
			Audit:             auditUp,
			MIS:               misUp,
			JS:                a.Bus.JS,
			IntakeRatePerMin:  cfg.IntakeRatePerMin,
			WebhookRatePerMin: cfg.WebhookRatePerMin,
			LoginRatePerMin:   cfg.LoginRatePerMin,
			APIRatePerMin:     cfg.APIRatePerMin,
			SecureCookies:     cfg.TLSCert != "" || cfg.BehindTLSProxy,
			TrustedProxies:    proxies,
			UI:                ui,
			Extra:             extra,
			Ready:             a.ready,
			Registry:          a.Registry,
		})
		a.handler = a.Gateway
	} else {
		a.handler = a.serviceHandler(handlers[only])
	}
	a.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "okno_outbox_backlog", Help: "Events stored but not yet relayed to the bus.",
	}, func() float64 {
		var n int64
		for _, r := range a.relays {
			n += r.Backlog()
		}
		return float64(n)
	}))
	return a, nil
}

// demoFHIRPath is where okno run --demo serves the demo MIS.
const demoFHIRPath = "/demo/fhir/"

// misClient is the MIS adapter the configuration names: Renovatio under
// OKNO_MIS_KIND=renovatio, the FHIR server at OKNO_MIS_FHIR_URL, or under
// --demo without it the demo MIS in-process (the very handler served at
// /demo/fhir, so the demo's pages and the window see the same bookings), or
// none.
func misClient(cfg config.Config, extra map[string]http.Handler) (mis.Client, error) {
	if cfg.MISKind == "renovatio" {
		loc, err := cfg.MISLocation()
		if err != nil {
			return nil, err
		}
		c, err := renovatio.New(renovatio.Config{BaseURL: cfg.RenovatioURL, APIKey: cfg.RenovatioKey, Location: loc})
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	if cfg.MISFHIRURL != "" {
		return mis.NewFHIRClient(mis.FHIRConfig{BaseURL: cfg.MISFHIRURL})
	}
	if !cfg.Demo {
		return nil, nil
	}
	h, ok := extra[demoFHIRPath]
	if !ok {
		h = http.StripPrefix(strings.TrimSuffix(demoFHIRPath, "/"), demofhir.New(demofhir.Options{}))
	}
	return mis.NewFHIRClient(mis.FHIRConfig{
		BaseURL: "http://demo-mis.inproc" + strings.TrimSuffix(demoFHIRPath, "/"),
		HTTP:    &http.Client{Transport: inproc.Transport{Handler: h}},
	})
}

// misDescription names the configured MIS for the health page.
func misDescription(cfg config.Config) (kind, baseURL string) {
	switch {
	case cfg.MISKind == "renovatio":
		u := cfg.RenovatioURL
		if u == "" {
			u = "https://app.rnova.org/api/public"
		}
		return "renovatio", u
	case cfg.MISFHIRURL != "":
		return "fhir", cfg.MISFHIRURL
	}
	return "fhir", strings.TrimSuffix(demoFHIRPath, "/") // the built-in demo MIS
}

func (a *App) openDB(ctx context.Context, service string) (*store.DB, error) {
	db, err := OpenDB(ctx, a.Cfg, service)
	if err != nil {
		return nil, err
	}
	a.dbs = append(a.dbs, db)
	return db, nil
}

func (a *App) addRelay(db *store.DB) *events.Relay {
	r := events.NewRelay(db, a.Bus.JS)
	a.relays = append(a.relays, r)
	return r
}

// serviceHandler is what a single service serves under okno serve: its
// internal API plus health and metrics.
func (a *App) serviceHandler(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := a.ready(r.Context()); err != nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

// ready is true only when every service in this process, its database and
// the bus answer.
func (a *App) ready(ctx context.Context) error {
	if err := a.Bus.Ready(ctx); err != nil {
		return err
	}
	for _, db := range a.dbs {
		if err := db.Ping(ctx); err != nil {
			return fmt.Errorf("%s database: %w", db.Service, err)
		}
	}
	if a.Gateway != nil {
		return a.Gateway.UpstreamsReady(ctx)
	}
	return nil
}

// Start listens on cfg.Addr and starts the background work.
func (a *App) Start() error {
	if !a.Cfg.PlainHTTPAllowed() {
		return fmt.Errorf("refusing plain HTTP on %s: set OKNO_TLS_CERT/OKNO_TLS_KEY, or OKNO_BEHIND_TLS_PROXY=true behind a TLS proxy", a.Cfg.Addr)
	}
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Cfg.Addr, err)
	}
	a.listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.startBackground(ctx)
	a.server = &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go func() {
		var err error
		if a.Cfg.TLSCert != "" {
			err = a.server.ServeTLS(ln, a.Cfg.TLSCert, a.Cfg.TLSKey)
		} else {
			err = a.server.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

func (a *App) startBackground(ctx context.Context) {
	goRun := func(f func(context.Context)) {
		a.wg.Add(1)
		go func() { defer a.wg.Done(); f(ctx) }()
	}
	if !a.NoRelay {
		for _, r := range a.relays {
			goRun(r.Run)
		}
	}
	if a.CC != nil {
		goRun(a.CC.Run)
		for _, c := range []*events.Consumer{
			{DB: a.CC.DB, JS: a.Bus.JS, Stream: bus.Stream, Durable: "contactcenter-identity",
				Filters: []string{"identity.user.>"}, Handle: a.CC.ApplyIdentityEvent},
			{DB: a.CC.DB, JS: a.Bus.JS, Stream: bus.Stream, Durable: "contactcenter-mis",
				Filters: []string{"mis.appointment.>"}, Handle: a.CC.ApplyMISEvent, OnCommit: func() { a.CC.OnCommit() }},
		} {
			goRun(func(ctx context.Context) {
				if err := c.Run(ctx); err != nil {
					slog.Error("consumer stopped", "consumer", c.Durable, "err", err)
				}
			})
		}
	}
	if a.Audit != nil {
		// One durable consumer per emitting service: a filter spanning
		// several stream subjects ("*.audit.recorded") needs NATS 2.10, and
		// clinics run older servers too. The chain stays linear: appends are
		// serialized by the audit database.
		for _, svc := range bus.Services {
			c := &events.Consumer{DB: a.Audit.DB, JS: a.Bus.JS, Stream: bus.Stream, Durable: "audit-" + svc,
				Filters: []string{svc + auditlog.SubjectSuffix}, Handle: a.Audit.Apply}
			goRun(func(ctx context.Context) {
				if err := c.Run(ctx); err != nil {
					slog.Error("consumer stopped", "consumer", c.Durable, "err", err)
				}
			})
		}
	}
	if a.MIS != nil {
		goRun(a.MIS.Run)
		// A merge of contact cards moves the merged card's patient links to
		// the survivor (and announces the moves: OnCommit wakes the relay).
		c := &events.Consumer{DB: a.MIS.DB, JS: a.Bus.JS, Stream: bus.Stream, Durable: "mis-contactcenter",
			Filters: []string{mis.SubjectContactMerged}, Handle: a.MIS.ApplyContactEvent, OnCommit: a.MIS.OnCommit}
		goRun(func(ctx context.Context) {
			if err := c.Run(ctx); err != nil {
				slog.Error("consumer stopped", "consumer", c.Durable, "err", err)
			}
		})
	}
	if a.Gateway != nil {
		goRun(a.Gateway.Run)
	}
	goRun(a.janitor)
}

// janitor forgets expired idempotency keys and old login failures.
func (a *App) janitor(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		for _, db := range a.dbs {
			if err := idempotency.Purge(ctx, db, time.Now()); err != nil && ctx.Err() == nil {
				slog.Warn("idempotency purge failed", "service", db.Service, "err", err)
			}
		}
		if a.Identity != nil {
			if err := a.Identity.PurgeLoginFailures(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("login failures purge failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Addr is the address the server listens on (useful with port 0).
func (a *App) Addr() string { return a.listener.Addr().String() }

// Close shuts down gracefully: stop taking requests, let running ones
// finish, store what the intake queue holds, relay what the outbox holds,
// then close the bus and the databases.
func (a *App) Close(ctx context.Context) error {
	var err error
	if a.server != nil {
		err = a.server.Shutdown(ctx)
	}
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	a.closeResources()
	return err
}

func (a *App) closeResources() {
	if a.Bus != nil {
		a.Bus.Close()
	}
	for _, db := range a.dbs {
		_ = db.Close()
	}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
