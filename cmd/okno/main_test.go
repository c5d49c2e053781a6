package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/audit"
	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/bus"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/store"
)

const testPassword = "Ураган-над-Исетью-2026"

func TestUserAndTokenCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OKNO_ARGON2_MEMORY_KIB", "1024")
	var out bytes.Buffer
	err := run([]string{"user", "create", "--data", dir, "--login", "Ivanova", "--role", "operator", "--password-stdin"}, strings.NewReader(testPassword+"\n"), &out)
	if err != nil || !strings.Contains(out.String(), "user ivanova created with role operator") {
		t.Fatalf("user create: %v %q", err, out.String())
	}
	err = run([]string{"user", "create", "--data", dir, "--login", "petrov", "--role", "operator", "--password-stdin"}, strings.NewReader("short\n"), &out)
	if err == nil || !strings.Contains(describe(err), "password") {
		t.Fatalf("weak password accepted: %v", err)
	}
	if err := run([]string{"user", "create", "--data", dir, "--login", "x", "--role", "operator"}, strings.NewReader(""), &out); err == nil {
		t.Fatal("a password must come on standard input")
	}
	out.Reset()
	if err := run([]string{"token", "create", "--data", dir, "--login", "ivanova", "--ttl", "30d"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "okno_") || len(last) < 40 {
		t.Fatalf("last line is not a token: %q", last)
	}
	out.Reset()
	if err := run([]string{"version"}, nil, &out); err != nil || !strings.HasPrefix(out.String(), "okno ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
	if err := run([]string{"migrate", "--data", dir}, nil, &out); err != nil {
		t.Fatal(err)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// oknoProcess is a real okno run, started from the built binary.
type oknoProcess struct {
	cmd *exec.Cmd
	url string
	out *bytes.Buffer
}

func startOkno(t *testing.T, bin, dir, natsURL string, port int) *oknoProcess {
	t.Helper()
	cmd := exec.Command(bin, "run", "--demo", "--addr", "127.0.0.1:"+strconv.Itoa(port), "--data", dir, "--nats", natsURL)
	cmd.Env = append(os.Environ(), "OKNO_ARGON2_MEMORY_KIB=1024", "OKNO_INTAKE_RATE_PER_MIN=0", "OKNO_LOG_LEVEL=warn")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &oknoProcess{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), out: &out}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(p.url + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("okno did not become ready")
	return nil
}

// Kill -9 the real process while web forms pour in: every request it
// answered 201 for is there after the restart, and every stored request is
// announced on the bus exactly once.
func TestBusProcessKilledUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the okno binary: skipped in -short mode")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "okno")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: freePort(t), JetStream: true,
		StoreDir: filepath.Join(tmp, "nats"), SyncAlways: true, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	natsURL := ns.ClientURL()
	dir := filepath.Join(tmp, "data")
	port := freePort(t)
	first := startOkno(t, bin, dir, natsURL, port)
	startedAt := time.Now().UTC()

	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"phone":"+7912%03d%04d","consent":true,"message":"load"}`, w, i)
				r, err := client.Post(first.url+"/api/v1/intake/web-forms/demo", "application/json", strings.NewReader(body))
				if err != nil {
					return // the process is gone
				}
				data, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if r.StatusCode == 201 {
					var x struct{ ID string }
					_ = json.Unmarshal(data, &x)
					mu.Lock()
					acked = append(acked, x.ID)
					mu.Unlock()
				}
			}
		}(w)
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 400 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = first.cmd.Process.Wait()
	close(stop)
	wg.Wait()

	second := startOkno(t, bin, dir, natsURL, port)
	tok := createToken(t, bin, dir)
	stored := listRequestsSince(t, second.url, tok, startedAt)
	for _, id := range acked {
		if !stored[id] {
			t.Fatalf("request %s was answered 201 and is gone after kill -9", id)
		}
	}
	// Every stored request is announced once: the relay resumes after restart.
	js := connectJS(t, natsURL)
	deadline := time.Now().Add(20 * time.Second)
	var got map[string]int
	for {
		got = announcedOnBus(t, js)
		if len(got) >= len(stored) || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	for id := range stored {
		if got[id] != 1 {
			t.Fatalf("request %s announced %d times, want once (%d stored, %d announced)", id, got[id], len(stored), len(got))
		}
	}
	if len(got) != len(stored) {
		t.Fatalf("%d announced, %d stored", len(got), len(stored))
	}
	t.Logf("%d answered before kill -9, %d stored, each announced once", len(acked), len(stored))
}

func createToken(t *testing.T, bin, dir string) string {
	t.Helper()
	out, err := exec.Command(bin, "token", "create", "--data", dir, "--login", "admin").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// listRequestsSince pages through the inbox and returns the ids of requests
// created after since (the demo's history is older and was never announced).
func listRequestsSince(t *testing.T, base, tok string, since time.Time) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	cursor := ""
	for {
		req, _ := http.NewRequest("GET", base+"/api/v1/requests?limit=200&cursor="+cursor, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []struct {
				ID        string    `json:"id"`
				CreatedAt time.Time `json:"created_at"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		err = json.NewDecoder(r.Body).Decode(&page)
		r.Body.Close()
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("list: %d %v", r.StatusCode, err)
		}
		for _, it := range page.Items {
			if !it.CreatedAt.Before(since) {
				ids[it.ID] = true
			}
		}
		if page.NextCursor == nil {
			return ids
		}
		cursor = *page.NextCursor
	}
}

func connectJS(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	b, err := bus.Open(context.Background(), bus.Options{URL: url, Name: "okno-test-reader"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.JS
}

func announcedOnBus(t *testing.T, js jetstream.JetStream) map[string]int {
	t.Helper()
	cons, err := js.OrderedConsumer(context.Background(), bus.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"contactcenter.request.created"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for {
		m, err := cons.Next(jetstream.FetchMaxWait(700 * time.Millisecond))
		if err != nil {
			return got
		}
		var e events.Envelope
		var d struct {
			RequestID string `json:"request_id"`
		}
		if json.Unmarshal(m.Data(), &e) != nil || json.Unmarshal(e.Data, &d) != nil {
			t.Fatalf("unreadable event")
		}
		got[d.RequestID]++
	}
}

func TestKeysRotateCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OKNO_ARGON2_MEMORY_KIB", "1024")
	var out bytes.Buffer
	if err := run([]string{"migrate", "--data", dir}, nil, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"keys", "rotate", "--data", dir, "--settle", "0s"}, nil, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "data key v2 active") {
		t.Fatalf("rotate said %q", out.String())
	}
}

// Tamper with one audit record directly in the database: okno audit verify
// fails and names it.
func TestAuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Service: "audit", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := audit.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		rec := auditlog.Record{At: time.Now(), ActorID: "u1", ActorLogin: "ivanova", Action: "request.read", ObjectType: "request", ObjectID: fmt.Sprint("r", i), Outcome: auditlog.OutcomeSuccess}
		raw, _ := json.Marshal(rec)
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := events.MarkHandled(ctx, tx, fmt.Sprint("e", i), time.Now()); err != nil {
				return err
			}
			return svc.Apply(ctx, tx, events.Envelope{ID: fmt.Sprint("e", i), Type: "contactcenter.audit.recorded", At: time.Now(), Data: raw})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := run([]string{"audit", "verify", "--data", dir}, nil, &out); err != nil || !strings.Contains(out.String(), "intact: 5 records") {
		t.Fatalf("intact chain: %v %q", err, out.String())
	}
	if _, err := db.W.Exec(`UPDATE audit_records SET actor_login = 'someone-else' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	err = run([]string{"audit", "verify", "--data", dir}, nil, &out)
	if err == nil || !strings.Contains(err.Error(), "broken at record 3") {
		t.Fatalf("tampered chain: %v", err)
	}
}
