package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/audit"
	"github.com/okno-crm/okno/internal/ids"
)

type slotJSON struct {
	ID        string    `json:"id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Specialty struct{ ID, Name string }
	Doctor    struct{ ID, Name string }
	Branch    struct{ ID, Name string }
}

// An operator books a free slot of the demo MIS through the gateway: the
// specialties come from the cache, the slots fresh from the MIS, a second
// booking of the same slot is a 409 with alternatives, and cancelling
// frees it; bookings and cancellations reach the audit trail.
func TestSystemMISBooking(t *testing.T) {
	cfg := baseConfig(t.TempDir(), "", "")
	cfg.Demo = true // no OKNO_MIS_FHIR_URL: the demo MIS in-process
	a := boot(t, cfg, false)
	op := a.browser()
	op.login("operator")
	csrf := map[string]string{"X-CSRF-Token": op.cookie("okno_csrf")}

	var specs struct {
		Items []struct{ ID, Name string }
	}
	for deadline := time.Now().Add(10 * time.Second); len(specs.Items) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r, body := op.do("GET", "/api/v1/mis/specialties", "", nil, nil)
		if r.StatusCode != 200 {
			t.Fatalf("specialties: %d %s", r.StatusCode, body)
		}
		_ = json.Unmarshal(body, &specs)
	}
	if len(specs.Items) != 15 || !slices.ContainsFunc(specs.Items, func(s struct{ ID, Name string }) bool { return s.ID == "therapist" && s.Name == "Терапевт" }) {
		t.Fatalf("specialties: %+v", specs)
	}
	from := time.Now().UTC().Truncate(time.Second)
	q := url.Values{"specialty": {"therapist"}, "from": {from.Format(time.RFC3339)}, "to": {from.Add(14 * 24 * time.Hour).Format(time.RFC3339)}, "limit": {"3"}}
	r, body := op.do("GET", "/api/v1/mis/slots?"+q.Encode(), "", nil, nil)
	var slots struct{ Items []slotJSON }
	_ = json.Unmarshal(body, &slots)
	if r.StatusCode != 200 || len(slots.Items) != 3 || slots.Items[0].Doctor.Name == "" || slots.Items[0].Branch.Name == "" {
		t.Fatalf("slots: %d %s", r.StatusCode, body)
	}
	q.Set("to", from.Add(15*24*time.Hour).Format(time.RFC3339))
	r, body = op.do("GET", "/api/v1/mis/slots?"+q.Encode(), "", nil, nil)
	var prob struct {
		Errors []struct{ Field string }
	}
	_ = json.Unmarshal(body, &prob)
	if r.StatusCode != 422 || len(prob.Errors) != 1 || prob.Errors[0].Field != "to" {
		t.Fatalf("15 days of slots: %d %s", r.StatusCode, body)
	}

	slot := slots.Items[0]
	// Bookings are for contacts the contact center knows (it tells merged ones).
	contact := formContact(t, a, op, "8 912 345-67-31")
	book, _ := json.Marshal(map[string]string{"slot_id": slot.ID, "contact_id": contact, "request_id": ids.New()})
	r, body = op.do("POST", "/api/v1/mis/appointments", "application/json", book, csrf)
	var appt struct {
		ID     string    `json:"id"`
		SlotID string    `json:"slot_id"`
		Status string    `json:"status"`
		Start  time.Time `json:"start"`
		End    time.Time `json:"end"`
		Doctor struct{ ID, Name string }
		Branch struct{ ID, Name string }
	}
	_ = json.Unmarshal(body, &appt)
	if r.StatusCode != 201 || appt.ID == "" || appt.Status != "booked" || !appt.Start.Equal(slot.Start) || !appt.End.Equal(slot.End) ||
		appt.Doctor.ID != slot.Doctor.ID || appt.Branch.Name != slot.Branch.Name {
		t.Fatalf("book: %d %s", r.StatusCode, body)
	}
	if appt.SlotID != slot.ID {
		t.Fatalf("booked slot %q, want %q", appt.SlotID, slot.ID)
	}

	r, body = op.do("POST", "/api/v1/mis/appointments", "application/json", book, csrf)
	var conflict struct {
		Code         string
		Alternatives []slotJSON
	}
	_ = json.Unmarshal(body, &conflict)
	if r.StatusCode != 409 || conflict.Code != "conflict" || len(conflict.Alternatives) == 0 {
		t.Fatalf("booking a taken slot: %d %s", r.StatusCode, body)
	}
	for _, alt := range conflict.Alternatives {
		if alt.ID == slot.ID || alt.Specialty.ID != "therapist" {
			t.Fatalf("alternative %+v", alt)
		}
	}

	r, body = op.do("DELETE", "/api/v1/mis/appointments/"+appt.ID, "", nil, csrf)
	var cancelled struct{ Status string }
	_ = json.Unmarshal(body, &cancelled)
	if r.StatusCode != 200 || cancelled.Status != "cancelled" {
		t.Fatalf("cancel: %d %s", r.StatusCode, body)
	}
	r, body = op.do("GET", "/api/v1/mis/slots?"+url.Values{"specialty": {"therapist"}, "from": {slot.Start.Format(time.RFC3339)}, "limit": {"1"}}.Encode(), "", nil, nil)
	_ = json.Unmarshal(body, &slots)
	if r.StatusCode != 200 || len(slots.Items) != 1 || slots.Items[0].ID != slot.ID {
		t.Fatalf("the cancelled slot is not free again: %s", body)
	}

	// A booking retried with the same Idempotency-Key gets the first answer,
	// not a "taken"; the key with another body is refused.
	key := map[string]string{"X-CSRF-Token": csrf["X-CSRF-Token"], "Idempotency-Key": "booking-" + ids.New()}
	again, _ := json.Marshal(map[string]string{"slot_id": slot.ID, "contact_id": contact})
	r1, b1 := op.do("POST", "/api/v1/mis/appointments", "application/json", again, key)
	r2, b2 := op.do("POST", "/api/v1/mis/appointments", "application/json", again, key)
	if r1.StatusCode != 201 || r2.StatusCode != 201 || r2.Header.Get("Idempotent-Replayed") != "true" || string(b1) != string(b2) {
		t.Fatalf("retried booking: %d %s / %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
	}
	other, _ := json.Marshal(map[string]string{"slot_id": slot.ID, "contact_id": contact, "request_id": ids.New()})
	r, body = op.do("POST", "/api/v1/mis/appointments", "application/json", other, key)
	_ = json.Unmarshal(body, &prob)
	if r.StatusCode != 422 || len(prob.Errors) != 1 || prob.Errors[0].Field != "Idempotency-Key" {
		t.Fatalf("a reused key: %d %s", r.StatusCode, body)
	}

	// Both actions reach the audit trail through the mis outbox.
	ctx := context.Background()
	for _, action := range []string{"appointment.booked", "appointment.cancelled"} {
		var found []audit.Entry
		for deadline := time.Now().Add(10 * time.Second); len(found) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			found, _, _ = a.Audit.Find(ctx, audit.Filter{Action: action, ObjectID: appt.ID, Limit: 5})
		}
		if len(found) != 1 || found[0].Service != "mis" || found[0].ActorLogin != "operator" {
			t.Fatalf("audit of %s: %+v", action, found)
		}
	}
}

// The MIS answers 500s: the window's lists still answer from the cache,
// slot searches and bookings get a plain 503, and after five failures the
// breaker stops calling the MIS and says when to try again.
func TestSystemMISOutage(t *testing.T) {
	var hits atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer down.Close()
	cfg := baseConfig(t.TempDir(), "", "")
	cfg.MISFHIRURL = down.URL + "/fhir"
	a := boot(t, cfg, false)
	op := a.browser()
	op.login("operator")
	if r, body := op.do("GET", "/api/v1/mis/specialties", "", nil, nil); r.StatusCode != 200 {
		t.Fatalf("specialties while the MIS is down: %d %s", r.StatusCode, body)
	}
	var last *http.Response
	var lastBody []byte
	for range 7 {
		last, lastBody = op.do("GET", "/api/v1/mis/slots?specialty=therapist", "", nil, nil)
		if last.StatusCode != 503 {
			t.Fatalf("slots while the MIS is down: %d %s", last.StatusCode, lastBody)
		}
	}
	if hits.Load() > 5 || last.Header.Get("Retry-After") == "" || !strings.Contains(string(lastBody), "MIS is unavailable") {
		t.Fatalf("breaker: %d calls reached the MIS; last answer %v %s", hits.Load(), last.Header, lastBody)
	}
	book, _ := json.Marshal(map[string]string{"slot_id": "slot-1", "contact_id": formContact(t, a, op, "8 912 345-67-32")})
	if r, body := op.do("POST", "/api/v1/mis/appointments", "application/json", book, map[string]string{"X-CSRF-Token": op.cookie("okno_csrf")}); r.StatusCode != 503 {
		t.Fatalf("booking while the MIS is down: %d %s", r.StatusCode, body)
	}
}
