package mistest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/mis"
	"github.com/okno-crm/okno/internal/mis/demofhir"
	"github.com/okno-crm/okno/internal/mis/fhir"
)

func TestDemoFHIRContract(t *testing.T) {
	// A Monday, so that the demo clinic's two weeks start with a working day.
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, demofhir.Yekaterinburg)
	srv := httptest.NewServer(http.StripPrefix("/fhir", demofhir.New(demofhir.Options{Start: start})))
	t.Cleanup(srv.Close)
	RunFHIRContract(t, srv.URL+"/fhir", Window(start, start.AddDate(0, 0, 14)))
}

// medplumDir holds the Node peer: @medplum/fhir-router behind server.mjs.
const medplumDir = "../fhirtest/medplum"

// TestMedplumFHIRContract runs the contract against medplum's FHIR router (in memory), started
// as a Node process; `make medplum-deps` installs it. Without it the test is skipped, unless
// OKNO_TEST_REQUIRE_MEDPLUM=1 (CI), where it fails.
func TestMedplumFHIRContract(t *testing.T) {
	base := startMedplum(t)
	ctx := context.Background()
	post := func(r fhir.Resource) string {
		t.Helper()
		body, _ := json.Marshal(r)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+r.ResourceTypeName(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var got fhir.ResourceBase
		if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != http.StatusCreated || got.ID == "" {
			t.Fatalf("seeding a %s: status %d: %s", r.ResourceTypeName(), resp.StatusCode, data)
		}
		return got.ID
	}

	// What the official examples lack, created as any client would: a branch, a role of the
	// example practitioner with a specialty there, its schedule, and free slots tomorrow and on.
	specialty := fhir.CodeableConcept{Coding: []fhir.Coding{{System: demofhir.SpecialtySystem, Code: "therapist", Display: "Терапевт"}}, Text: "Терапевт"}
	loc := post(&fhir.Location{Status: "active", Name: "Окно-Клиника на Малышева", Mode: "instance",
		Address: &fhir.Address{Text: "г. Екатеринбург, ул. Малышева, 51", City: "Екатеринбург", Country: "RU"}})
	role := post(&fhir.PractitionerRole{Active: fhir.Bool(true), Practitioner: &fhir.Reference{Reference: "Practitioner/example"},
		Specialty: []fhir.CodeableConcept{specialty}, Location: []fhir.Reference{fhir.Ref("Location", loc)}})
	sched := post(&fhir.Schedule{Active: fhir.Bool(true), Specialty: []fhir.CodeableConcept{specialty},
		Actor: []fhir.Reference{fhir.Ref("PractitionerRole", role), fhir.Ref("Practitioner", "example"), fhir.Ref("Location", loc)}})
	y, m, d := time.Now().In(demofhir.Yekaterinburg).AddDate(0, 0, 1).Date()
	first := time.Date(y, m, d, 9, 0, 0, 0, demofhir.Yekaterinburg)
	const slots = 10
	for i := range slots {
		at := first.Add(time.Duration(i) * 30 * time.Minute)
		post(&fhir.Slot{Specialty: []fhir.CodeableConcept{specialty}, Schedule: fhir.Ref("Schedule", sched), Status: fhir.SlotFree,
			Start: fhir.DateTime(at.UTC()), End: fhir.DateTime(at.Add(30 * time.Minute).UTC())})
	}

	RunFHIRContract(t, base,
		Window(first, first.Add(slots*30*time.Minute)),
		// The official Patient/example (phones in Australian notation stay as sent).
		KnownPatient(mis.Identifier{System: "urn:oid:1.2.36.146.595.217.0.1", Value: "12345"}, mis.Patient{
			ID: "example", Family: "Chalmers", Given: "Peter", Middle: "James", BirthDate: "1974-12-25", Gender: "male",
			Phones: []string{"(03) 5555 6473", "(03) 3410 5613"}, Emails: []string{},
			Identifiers: []mis.Identifier{{System: "urn:oid:1.2.36.146.595.217.0.1", Value: "12345"}},
		}),
		// The official Appointment/example: doctor and branch from its Practitioner and Location
		// participants, the specialty from the appointment itself.
		KnownAppointment(time.Date(2013, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC), mis.MISAppointment{
			MISID: "example", Status: mis.ApptBooked, PatientID: "example",
			Start: time.Date(2013, 12, 10, 9, 0, 0, 0, time.UTC), End: time.Date(2013, 12, 10, 11, 0, 0, 0, time.UTC),
			DoctorID: "example", BranchID: "1", SpecialtyID: "394814009",
		}),
	)
}

// startMedplum starts server.mjs on a free port and returns its FHIR base; the process is
// killed when the test ends (and exits by itself if this process dies: its stdin closes).
func startMedplum(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(medplumDir, "node_modules", "@medplum", "fhir-router")); err != nil {
		reason := "medplum's FHIR router is not installed (run `make medplum-deps`)"
		if os.Getenv("OKNO_TEST_REQUIRE_MEDPLUM") == "1" {
			t.Fatal(reason + ", and OKNO_TEST_REQUIRE_MEDPLUM=1")
		}
		t.Skip(reason)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("OKNO_TEST_REQUIRE_MEDPLUM") == "1" {
			t.Fatal("node is not on PATH, and OKNO_TEST_REQUIRE_MEDPLUM=1")
		}
		t.Skip("node is not on PATH")
	}
	cmd := exec.Command(node, "--experimental-websocket", "server.mjs", "--exit-with-stdin")
	cmd.Dir = medplumDir
	cmd.Env = append(os.Environ(), "PORT=0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	port := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		port <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var p string
	select {
	case p = <-port:
	case <-time.After(60 * time.Second):
		t.Fatalf("medplum did not start in 60 s: %s", stderr.String())
	}
	if n, err := strconv.Atoi(p); err != nil || n <= 0 {
		t.Fatalf("medplum did not print its port (%q): %s", p, stderr.String())
	}
	base := fmt.Sprintf("http://127.0.0.1:%s/fhir", p)
	resp, err := http.Get(base + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("medplum metadata: status %d", resp.StatusCode)
	}
	return base
}

// lockedBuffer is stderr written by exec's copier and read by the test on failure.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
