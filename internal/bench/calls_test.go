package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/identity"
	"github.com/okno-crm/okno/internal/telephony"
	"github.com/okno-crm/okno/internal/telephony/amitest"
	"github.com/okno-crm/okno/internal/testenv"
)

// BenchmarkCallEvents drives PBX call events at about 1,000 a second (250
// calls a second, each started → ringing → answered → ended), half of the
// calls as signed webhooks and half over an Asterisk Manager Interface
// connection, for OKNO_BENCH_CALL_SECONDS (60 by default) while 200
// WebSockets are connected (50 operators with an extension each, four
// sockets each). It measures, for every call, the time from the PBX's
// ringing event leaving to the incoming-call card arriving on the ringing
// operator's sockets, and checks that no event is lost: every call is
// stored as ended and every card arrives.
func BenchmarkCallEvents(b *testing.B) {
	seconds := 60
	if v, err := strconv.Atoi(os.Getenv("OKNO_BENCH_CALL_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	const operators, socketsEach, callsPerSecond = 50, 4, 250
	backends(b, func(b *testing.B, be testenv.Backend) {
		for i := 0; i < b.N; i++ {
			a, base := boot(b, be)
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second+3*time.Minute)
			pbx, err := a.CC.CreatePBX(ctx, "bench", contactcenter.NewPBX{Kind: contactcenter.PBXGeneric, Name: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			ami := amitest.New(b, "okno", "bench-ami-secret")
			if _, err := a.CC.CreatePBX(ctx, "bench", contactcenter.NewPBX{Kind: contactcenter.PBXAsterisk, Name: "bench-ami",
				Secret: "bench-ami-secret", Settings: contactcenter.PBXSettings{AMIAddr: ami.Addr(), AMIUsername: "okno"}}); err != nil {
				b.Fatal(err)
			}
			if err := ami.WaitListed(30 * time.Second); err != nil {
				b.Fatal(err)
			}
			// Supervisors see numbers unmasked: the card names the caller,
			// which tells the benchmark which call it is.
			sessions := make([]string, operators)
			for o := 0; o < operators; o++ {
				login := fmt.Sprintf("op%02d", o)
				u, err := a.Identity.CreateUser(ctx, identity.NewUser{Login: login, Role: "supervisor", Password: password})
				if err != nil {
					b.Fatal(err)
				}
				if err := a.CC.SetExtension(ctx, u.ID, strconv.Itoa(200+o)); err != nil {
					b.Fatal(err)
				}
				r, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"login":"`+login+`","password":"`+password+`"}`))
				if err != nil || r.StatusCode != 200 {
					b.Fatalf("login %s: %v", login, err)
				}
				for _, c := range r.Cookies() {
					if c.Name == "okno_session" {
						sessions[o] = c.Value
					}
				}
				r.Body.Close()
			}
			var sentMu sync.Mutex
			sent := map[string]time.Time{} // caller number → ringing sent
			var latMu sync.Mutex
			var lats []time.Duration
			seen := map[string]bool{}
			var popups, failed atomic.Int64
			for o := 0; o < operators; o++ {
				for k := 0; k < socketsEach; k++ {
					hdr := http.Header{"Cookie": {"okno_session=" + sessions[o]}}
					ws, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/api/v1/ws", &websocket.DialOptions{HTTPHeader: hdr})
					if err != nil {
						b.Fatal(err)
					}
					ws.SetReadLimit(1 << 20)
					defer ws.CloseNow()
					go func() {
						for {
							_, data, err := ws.Read(ctx)
							if err != nil {
								return
							}
							if !bytes.Contains(data, []byte(`{"type":"call.ringing"`)) {
								continue
							}
							at := time.Now()
							// A message carries one frame or an array of them.
							type frame struct {
								Type string `json:"type"`
								Data struct {
									Call struct{ Caller string } `json:"call"`
								} `json:"data"`
							}
							var fs []frame
							if data[0] == '[' {
								_ = json.Unmarshal(data, &fs)
							} else {
								var f frame
								_ = json.Unmarshal(data, &f)
								fs = []frame{f}
							}
							latMu.Lock()
							for _, f := range fs {
								if f.Type != "call.ringing" {
									continue
								}
								sentMu.Lock()
								t0, ok := sent[f.Data.Call.Caller]
								sentMu.Unlock()
								if ok && !seen[f.Data.Call.Caller] {
									seen[f.Data.Call.Caller] = true
									lats = append(lats, at.Sub(t0))
									popups.Add(1)
								}
							}
							latMu.Unlock()
						}
					}()
				}
			}
			tr := &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512}
			client := &http.Client{Transport: tr, Timeout: time.Minute}
			// lastSent is when the last event left, in ns since start: the
			// rate is the events over the time it took to send them.
			var lastSent atomic.Int64
			var start time.Time
			markSent := func() {
				t := int64(time.Since(start))
				for {
					old := lastSent.Load()
					if t <= old || lastSent.CompareAndSwap(old, t) {
						return
					}
				}
			}
			post := func(id string, ev map[string]string) {
				body, _ := json.Marshal(ev)
				ts := time.Now().Unix()
				sig, _ := telephony.SignStandardWebhook(pbx.SigningSecret(), id, ts, body)
				req, _ := http.NewRequest("POST", base+pbx.WebhookPath(), bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(telephony.HeaderWebhookID, id)
				req.Header.Set(telephony.HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
				req.Header.Set(telephony.HeaderWebhookSignature, sig)
				markSent()
				r, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					return
				}
				r.Body.Close()
				if r.StatusCode != 200 {
					failed.Add(1)
				}
			}
			total := seconds * callsPerSecond
			var wg sync.WaitGroup
			var amiFrames atomic.Int64
			sendAMI := func(blocks []string) {
				if err := ami.Send(blocks...); err != nil {
					failed.Add(1)
				}
				amiFrames.Add(int64(len(blocks)))
				markSent()
			}
			b.ResetTimer()
			start = time.Now()
			// Calls start on a fixed schedule: one that starts late (the
			// AMI connection pushing back) is followed by the next at once,
			// so the offered rate holds over the run.
			for n := 0; n < total; n++ {
				time.Sleep(time.Until(start.Add(time.Duration(n) * time.Second / callsPerSecond)))
				ext := strconv.Itoa(200 + n%operators)
				if n%2 == 1 {
					// Over AMI: the events of one connection are read in
					// order, so the PBX writes them without waiting.
					c := amitest.Call{ID: fmt.Sprintf("1800000000.%d", n*10), Caller: fmt.Sprintf("7913%07d", n), Line: "73432000000", Extension: ext}
					sendAMI(c.Arrive())
					sentMu.Lock()
					sent["+"+c.Caller] = time.Now()
					sentMu.Unlock()
					sendAMI(c.Dial())
					sendAMI(c.Pickup())
					sendAMI(c.HangUp())
					continue
				}
				wg.Add(1)
				go func(n int) {
					defer wg.Done()
					callID, from := fmt.Sprintf("bench-%d", n), fmt.Sprintf("+7912%07d", n)
					at := time.Now().UTC().Format(time.RFC3339Nano)
					ev := func(typ string, kv ...string) map[string]string {
						m := map[string]string{"type": typ, "call_id": callID, "direction": "inbound", "from": from, "to": "+73432000000", "at": at}
						for i := 0; i < len(kv); i += 2 {
							m[kv[i]] = kv[i+1]
						}
						return m
					}
					post(callID+":s", ev("call.started"))
					sentMu.Lock()
					sent[from] = time.Now()
					sentMu.Unlock()
					post(callID+":r", ev("call.ringing", "extension", ext))
					post(callID+":a", ev("call.answered", "extension", ext))
					post(callID+":e", ev("call.ended", "result", "answered", "extension", ext))
				}(n)
			}
			wg.Wait()
			sendTime := time.Duration(lastSent.Load())
			deadline := time.Now().Add(2 * time.Minute)
			for popups.Load() < int64(total) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			b.StopTimer()
			var ended int
			if err := a.CC.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM calls WHERE state = 'ended'`).Scan(&ended); err != nil {
				b.Fatal(err)
			}
			cancel()
			if failed.Load() > 0 || ended != total || popups.Load() != int64(total) {
				b.Fatalf("lost: %d webhooks failed, %d of %d calls ended, %d of %d cards arrived", failed.Load(), ended, total, popups.Load(), total)
			}
			latMu.Lock()
			sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
			p50, p99, worst := lats[len(lats)/2], lats[len(lats)*99/100], lats[len(lats)-1]
			latMu.Unlock()
			rate := float64(total*4) / sendTime.Seconds()
			b.ReportMetric(rate, "events/s")
			b.ReportMetric(float64(p50.Microseconds())/1000, "popup-p50-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, "popup-p99-ms")
			record("| PBX call events → incoming-call card on the socket | %s | %.0f events/s for %d s (%d calls × 4 events; half as webhooks, half over AMI: %d AMI messages), 200 WebSockets; card p50 %.1f ms, p99 %.1f ms, worst %.1f ms; nothing lost | generic webhooks + Asterisk AMI, 50 operators × 4 sockets |",
				be.Name, rate, seconds, total, amiFrames.Load(), float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000, float64(worst.Microseconds())/1000)
		}
	})
}
