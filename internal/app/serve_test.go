package app_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/app"
	"github.com/okno-crm/okno/internal/audit"
	"github.com/okno-crm/okno/internal/config"
	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/identity"
	"github.com/okno-crm/okno/internal/testenv"
)

// okno serve: one service per process, found by configuration, sharing a
// PostgreSQL server and a NATS. The same flow works across them.
func TestSystemServeApart(t *testing.T) {
	testenv.RequirePostgres(t)
	ns := startNATS(t, 0, filepath.Join(t.TempDir(), "nats"))
	pg := testenv.NewPostgresDB(t)
	base := func() config.Config {
		c := baseConfig(t.TempDir(), pg, ns.url())
		c.InternalToken = "shared-internal-secret-for-the-test"
		return c
	}
	start := func(only string, cfg config.Config) *app.App {
		a, err := app.Open(context.Background(), cfg, only, nil)
		if err != nil {
			t.Fatalf("%s: %v", only, err)
		}
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Close(ctx)
		})
		return a
	}
	id := start(app.Identity, base())
	cc := start(app.ContactCenter, base())
	au := start(app.Audit, base())
	misCfg := base()
	misCfg.Demo = true // the demo MIS in-process, as okno serve mis --demo
	ms := start(app.MIS, misCfg)
	gwCfg := base()
	gwCfg.IdentityURL = "http://" + id.Addr()
	gwCfg.ContactCenterURL = "http://" + cc.Addr()
	gwCfg.AuditURL = "http://" + au.Addr()
	gwCfg.MISURL = "http://" + ms.Addr()
	gw := start(app.Gateway, gwCfg)
	if gw.Identity != nil || gw.CC != nil || id.Gateway != nil {
		t.Fatal("a serve process runs more than its service")
	}

	ctx := context.Background()
	if _, err := id.Identity.CreateUser(ctx, identity.NewUser{Login: "operator", Role: "operator", Password: password}); err != nil {
		t.Fatal(err)
	}
	if err := cc.CC.SaveWebForm(ctx, contactcenter.WebForm{Key: "site", Name: "Сайт", ConsentVersion: "v1", ConsentText: "Согласие", Active: true}); err != nil {
		t.Fatal(err)
	}
	ta := &testApp{App: gw, t: t, base: "http://" + gw.Addr()}
	m := ta.browser()
	if r, _ := m.do("GET", "/readyz", "", nil, nil); r.StatusCode != 200 {
		t.Fatalf("gateway not ready: %d", r.StatusCode)
	}
	m.login("operator")
	// The mis process filled its cache from the MIS and answers through the gateway.
	var specs struct{ Items []struct{ ID string } }
	for deadline := time.Now().Add(10 * time.Second); len(specs.Items) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r, body := m.do("GET", "/api/v1/mis/specialties", "", nil, nil); r.StatusCode == 200 {
			_ = json.Unmarshal(body, &specs)
		}
	}
	if len(specs.Items) != 15 {
		t.Fatalf("specialties through a separate mis process: %+v", specs)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ws := m.dialWS(wctx)
	defer ws.CloseNow()
	readFrame(t, wctx, ws)
	resp, body := postJSON(ta.browser(), "site", map[string]any{"phone": "89123456701", "consent": true}, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("intake through the gateway: %d %s", resp.StatusCode, body)
	}
	var created struct{ ID string }
	_ = json.Unmarshal(body, &created)
	f := readFrame(t, wctx, ws)
	var r contactcenter.Request
	_ = json.Unmarshal(f.Data, &r)
	if f.Type != "request.created" || r.ID != created.ID {
		t.Fatalf("pushed %s %+v", f.Type, r)
	}
	// The contact center learned of the new operator from identity's events.
	waitUntil(t, "the operator roster to follow identity", func() bool {
		ops, err := cc.CC.FindOperators(ctx)
		return err == nil && len(ops) == 1 && ops[0].Login == "operator"
	})
	// The audit service, in its own process, filed the contact center's
	// record of the push.
	waitUntil(t, "the audit service to file the contact center's records", func() bool {
		items, _, err := au.Audit.Find(ctx, audit.Filter{Action: "request.push", Limit: 10})
		return err == nil && len(items) > 0
	})
	// A service refuses calls without the internal token.
	direct := &browser{t: t, base: "http://" + cc.Addr(), c: m.c}
	if r, _ := direct.do("GET", "/requests", "", nil, nil); r.StatusCode != 401 {
		t.Fatalf("contact center answered a call without the internal token: %d", r.StatusCode)
	}
}
