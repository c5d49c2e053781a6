package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/bus"
	"github.com/okno-crm/okno/internal/contactcenter"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/testenv"
)

// announced reads every request.created event in the stream and counts the
// announcements per request id.
func announced(t *testing.T, js jetstream.JetStream) map[string]int {
	t.Helper()
	ctx := context.Background()
	cons, err := js.OrderedConsumer(ctx, bus.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"contactcenter.request.created"}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(700 * time.Millisecond))
		if err != nil {
			return out
		}
		var e events.Envelope
		var d contactcenter.RequestCreated
		if json.Unmarshal(m.Data(), &e) != nil || json.Unmarshal(e.Data, &d) != nil {
			t.Fatalf("unreadable event %s", m.Data())
		}
		out[d.RequestID]++
	}
}

func outboxLen(t *testing.T, a *testApp) int {
	t.Helper()
	var n int
	if err := a.CC.DB.R.QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func postMany(t *testing.T, a *testApp, n, from int) []string {
	t.Helper()
	b := a.browser()
	var ids []string
	for i := 0; i < n; i++ {
		resp, body := postJSON(b, "site", map[string]any{"phone": fmt.Sprintf("+7912%07d", from+i), "consent": true}, nil)
		if resp.StatusCode != 201 {
			t.Fatalf("intake %d: %d %s", i, resp.StatusCode, body)
		}
		var r struct{ ID string }
		_ = json.Unmarshal(body, &r)
		ids = append(ids, r.ID)
	}
	return ids
}

func checkAnnouncedOnce(t *testing.T, got map[string]int, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d requests announced, want %d", len(got), len(want))
	}
	for _, id := range want {
		if got[id] != 1 {
			t.Fatalf("request %s announced %d times, want once", id, got[id])
		}
	}
}

// A crash between the commit of a request and the publication of its event
// (here: the relay never ran before the process went away) loses nothing:
// after a restart the request is there and its event is delivered once.
func TestBusCrashBetweenCommitAndPublish(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		dir, pg := testenv.Storage(t, p.db)
		cfg := baseConfig(dir, pg, p.bus.URL)

		first := boot(t, cfg, true)
		ids := postMany(t, first, 20, 0)
		if n := outboxLen(t, first); n != 40 { // 20 contacts + 20 requests
			t.Fatalf("outbox holds %d events before the crash, want 40", n)
		}
		first.stop()

		second := boot(t, cfg, false)
		waitUntil(t, "the outbox to drain", func() bool { return outboxLen(t, second) == 0 })
		for _, id := range ids {
			if _, err := second.CC.FindRequestByID(context.Background(), id); err != nil {
				t.Fatalf("request %s lost: %v", id, err)
			}
		}
		checkAnnouncedOnce(t, announced(t, second.Bus.JS), ids)
		second.stop()

		// Starting again announces nothing twice.
		third := boot(t, cfg, false)
		checkAnnouncedOnce(t, announced(t, third.Bus.JS), ids)
	})
}

// natsServer is an external NATS the test can stop and start again on the
// same port and store, as an outage of the clinic's NATS cluster.
type natsServer struct {
	t    *testing.T
	port int
	dir  string
	srv  *server.Server
}

func startNATS(t *testing.T, port int, dir string) *natsServer {
	t.Helper()
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir,
		SyncAlways: true, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("test NATS did not start")
	}
	n := &natsServer{t: t, port: port, dir: dir, srv: s}
	t.Cleanup(n.stop)
	return n
}

func (n *natsServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(n.port) }
func (n *natsServer) stop() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}

// While the bus is down, web forms are still accepted and stored; when it
// comes back every one of them is announced, once.
func TestBusOutageKeepsIntakeGoing(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ns := startNATS(t, 0, filepath.Join(t.TempDir(), "nats"))
		dir, pg := testenv.Storage(t, b)
		a := boot(t, baseConfig(dir, pg, ns.url()), false)

		ids := postMany(t, a, 5, 0)
		waitUntil(t, "the outbox to drain", func() bool { return outboxLen(t, a) == 0 })

		ns.stop()
		during := postMany(t, a, 5, 100)
		time.Sleep(300 * time.Millisecond)
		if n := outboxLen(t, a); n != 10 {
			t.Fatalf("outbox holds %d events during the outage, want 10", n)
		}

		ns2 := startNATS(t, ns.port, ns.dir)
		_ = ns2
		waitUntil(t, "the outbox to drain after the outage", func() bool { return outboxLen(t, a) == 0 })
		checkAnnouncedOnce(t, announced(t, a.Bus.JS), append(ids, during...))
	})
}
