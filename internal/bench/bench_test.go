// Package bench measures Okno end to end through its public HTTP API, on
// SQLite and on PostgreSQL: web-form intake throughput (stored and pushed
// to a manager's WebSocket) and the inbox list latency with 100,000
// requests stored. Run with `make bench`; figures go to docs/benchmarks.md.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/okno-crm/okno/internal/app"
	"github.com/okno-crm/okno/internal/config"
	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/identity"
	"github.com/okno-crm/okno/internal/testenv"
)

const password = "Ураган-над-Исетью-2026"

var (
	resultsMu sync.Mutex
	results   []string
)

func record(format string, args ...any) {
	resultsMu.Lock()
	results = append(results, fmt.Sprintf(format, args...))
	resultsMu.Unlock()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if len(results) > 0 {
		fmt.Println()
		fmt.Println("| measure | database | result | setting |")
		fmt.Println("|---|---|---|---|")
		for _, r := range results {
			fmt.Println(r)
		}
	}
	os.Exit(code)
}

func boot(b *testing.B, be testenv.Backend) (*app.App, string) {
	return bootWith(b, be, 1024, 1)
}

// bootWith starts Okno with the given argon2id cost; rate limits are off
// (OKNO_INTAKE_RATE_PER_MIN=0, OKNO_API_RATE_PER_MIN=0) so that they do not
// throttle the load.
func bootWith(b *testing.B, be testenv.Backend, argonKiB, argonTime uint32) (*app.App, string) {
	b.Helper()
	dir, pg := testenv.Storage(b, be)
	cfg := config.Config{Addr: "127.0.0.1:0", Data: dir, DB: pg, IntakeRatePerMin: 0, LoginRatePerMin: 1_000_000, APIRatePerMin: 0,
		SessionIdle: time.Hour, SessionAbsolute: 8 * time.Hour, Argon2MemoryKiB: argonKiB, Argon2Time: argonTime}
	a, err := app.Open(context.Background(), cfg, app.All, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := a.CC.SaveWebForm(ctx, contactcenter.WebForm{Key: "site", Name: "Сайт", ConsentText: "Согласие", ConsentVersion: "v1", Active: true}); err != nil {
		b.Fatal(err)
	}
	if _, err := a.Identity.CreateUser(ctx, identity.NewUser{Login: "operator", Role: "operator", Password: password}); err != nil {
		b.Fatal(err)
	}
	if err := a.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = a.Close(ctx)
	})
	return a, "http://" + a.Addr()
}

func login(b *testing.B, base string) string {
	r, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"login":"operator","password":"`+password+`"}`))
	if err != nil || r.StatusCode != 200 {
		b.Fatalf("login: %v", err)
	}
	defer r.Body.Close()
	for _, c := range r.Cookies() {
		if c.Name == "okno_session" {
			return c.Value
		}
	}
	b.Fatal("no session cookie")
	return ""
}

func backends(b *testing.B, f func(b *testing.B, be testenv.Backend)) {
	for _, be := range testenv.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			if be.Name == "postgres" {
				testenv.RequirePostgres(b)
			}
			f(b, be)
		})
	}
}

// BenchmarkIntake posts web forms from many concurrent clients and stops
// the clock when every one is stored (answered 201) and pushed to a
// connected manager's WebSocket.
func BenchmarkIntake(b *testing.B) {
	const total, clients = 20000, 64
	backends(b, func(b *testing.B, be testenv.Backend) {
		for i := 0; i < b.N; i++ {
			_, base := boot(b, be)
			session := login(b, base)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			hdr := http.Header{"Cookie": {"okno_session=" + session}}
			ws, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/api/v1/ws", &websocket.DialOptions{HTTPHeader: hdr})
			if err != nil {
				b.Fatal(err)
			}
			ws.SetReadLimit(1 << 20)
			var pushed atomic.Int64
			allPushed := make(chan struct{})
			wsGone := make(chan struct{})
			go func() {
				defer close(wsGone)
				for {
					_, data, err := ws.Read(ctx)
					if err != nil {
						return
					}
					// A message carries one frame or an array of them.
					if n := bytes.Count(data, []byte(`{"type":"request.created"`)); n > 0 && pushed.Add(int64(n)) == total {
						close(allPushed)
					}
				}
			}()
			tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
			client := &http.Client{Transport: tr, Timeout: time.Minute}
			var next atomic.Int64
			var failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n := next.Add(1)
						if n > total {
							return
						}
						body := fmt.Sprintf(`{"name":"Пациент %d","phone":"+7912%07d","message":"Запись к терапевту","consent":true}`, n, n)
						r, err := client.Post(base+"/api/v1/intake/web-forms/site", "application/json", strings.NewReader(body))
						if err != nil {
							failed.Add(1)
							continue
						}
						_, _ = io.Copy(io.Discard, r.Body)
						r.Body.Close()
						if r.StatusCode != 201 {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			stored := time.Since(start)
			select {
			case <-allPushed:
			case <-wsGone:
				b.Fatalf("the manager's WebSocket closed after %d of %d pushes", pushed.Load(), total)
			case <-ctx.Done():
				b.Fatalf("only %d of %d pushed", pushed.Load(), total)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			ws.CloseNow()
			if failed.Load() > 0 {
				b.Fatalf("%d intakes failed", failed.Load())
			}
			rate := float64(total) / elapsed.Seconds()
			b.ReportMetric(rate, "intakes/s")
			b.ReportMetric(float64(total)/stored.Seconds(), "stored/s")
			record("| web-form intake, stored and pushed | %s | %.0f intakes/s (%d forms, %d clients; all stored after %.2f s, all pushed after %.2f s) | OKNO_INTAKE_RATE_PER_MIN=0 (limit off) |",
				be.Name, rate, total, clients, stored.Seconds(), elapsed.Seconds())
		}
	})
}

// BenchmarkListRequests measures GET /api/v1/requests with 100,000
// requests stored: first pages, status filters and deep cursors.
func BenchmarkListRequests(b *testing.B) {
	const stored, calls, clients = 100_000, 4000, 4
	backends(b, func(b *testing.B, be testenv.Backend) {
		for i := 0; i < b.N; i++ {
			a, base := boot(b, be)
			ctx := context.Background()
			statuses := contactcenter.Statuses
			channels := contactcenter.Channels
			startAt := time.Now().Add(-90 * 24 * time.Hour)
			var cursors []string
			for chunk := 0; chunk < stored/5000; chunk++ {
				batch := make([]contactcenter.HistoricRequest, 5000)
				for j := range batch {
					n := chunk*5000 + j
					batch[j] = contactcenter.HistoricRequest{Name: fmt.Sprint("Пациент ", n), Phone: fmt.Sprintf("+7912%07d", n%60000),
						Message: "Запись", Channel: channels[n%len(channels)], Status: statuses[n%len(statuses)], Source: "site",
						At: startAt.Add(time.Duration(n) * 77 * time.Second)}
				}
				if err := a.CC.ImportRequests(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			// A bulk load outruns PostgreSQL's autovacuum; give both databases
			// the statistics they would have a minute later.
			if _, err := a.CC.DB.W.ExecContext(ctx, "ANALYZE"); err != nil {
				b.Fatal(err)
			}
			// Cursors deep in the list, as a manager scrolling back would send.
			items, _, _ := a.CC.FindRequests(ctx, contactcenter.RequestFilter{Limit: 200})
			for _, it := range items {
				cursors = append(cursors, it.ID)
			}
			session := login(b, base)
			queries := []string{"limit=50", "limit=50&status=new", "limit=50&channel=phone", "limit=50&status=booked&channel=web_form"}
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			client := &http.Client{Transport: tr}
			durs := make([]time.Duration, calls)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						n := int(next.Add(1)) - 1
						if n >= calls {
							return
						}
						q := queries[n%len(queries)]
						if n%3 == 0 {
							q += "&cursor=" + cursors[n%len(cursors)]
						}
						req, _ := http.NewRequest("GET", base+"/api/v1/requests?"+q, nil)
						req.Header.Set("Cookie", "okno_session="+session)
						t0 := time.Now()
						r, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						var page contactcenter.ListResponse
						err = json.NewDecoder(r.Body).Decode(&page)
						r.Body.Close()
						durs[n] = time.Since(t0)
						if err != nil || r.StatusCode != 200 || len(page.Items) == 0 {
							b.Errorf("list %s: %d %v", q, r.StatusCode, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
			p50, p99 := durs[len(durs)/2], durs[len(durs)*99/100]
			b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
			record("| GET /api/v1/requests (50 a page, filters, cursors; fields sealed, every call audited) | %s | p50 %.2f ms, p99 %.2f ms (%d calls, %d clients, %d requests stored) | OKNO_API_RATE_PER_MIN=0 |",
				be.Name, float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000, calls, clients, stored)
		}
	})
}

// BenchmarkLogin measures a password login end to end with the production
// argon2id cost (m = 64 MiB, t = 2, p = 2), one login at a time.
func BenchmarkLogin(b *testing.B) {
	const logins = 30
	be := testenv.Backend{Name: "sqlite"}
	_, base := bootWith(b, be, 64*1024, 2)
	durs := make([]time.Duration, logins)
	b.ResetTimer()
	for i := 0; i < logins; i++ {
		t0 := time.Now()
		r, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"login":"operator","password":"`+password+`"}`))
		if err != nil || r.StatusCode != 200 {
			b.Fatalf("login: %v", err)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		durs[i] = time.Since(t0)
	}
	b.StopTimer()
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	p50, p99 := durs[len(durs)/2], durs[len(durs)-1]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	record("| POST /api/v1/auth/login (argon2id m=64 MiB t=2 p=2) | sqlite | p50 %.0f ms, max %.0f ms (%d logins, one at a time) | — |",
		float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000, logins)
}
