package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// Booking from the window moves the request to "booked" — pushed live to
// the managers — and cancelling the appointment moves it back to "in
// progress": the MIS service announces, the contact center applies.
func TestSystemBookingMovesTheRequest(t *testing.T) {
	cfg := baseConfig(t.TempDir(), "", "")
	cfg.Demo = true
	a := boot(t, cfg, false)
	_, body := postJSON(a.browser(), "site", map[string]any{"name": "Анна", "phone": "8 912 345-67-09", "consent": true}, nil)
	var created struct{ ID string }
	_ = json.Unmarshal(body, &created)

	op := a.browser()
	op.login("operator")
	csrf := map[string]string{"X-CSRF-Token": op.cookie("okno_csrf")}
	_, body = op.do("GET", "/api/v1/requests/"+created.ID, "", nil, nil)
	var req struct {
		Status  string
		Contact struct{ ID string }
	}
	_ = json.Unmarshal(body, &req)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws := op.dialWS(ctx)
	defer ws.CloseNow()
	readFrame(t, ctx, ws) // hello

	var slots struct {
		Items []struct{ ID string } `json:"items"`
	}
	from := time.Now().UTC().Truncate(time.Second)
	q := url.Values{"specialty": {"therapist"}, "from": {from.Format(time.RFC3339)}, "to": {from.Add(14 * 24 * time.Hour).Format(time.RFC3339)}, "limit": {"1"}}
	waitUntil(t, "free slots from the demo MIS", func() bool {
		_, body := op.do("GET", "/api/v1/mis/slots?"+q.Encode(), "", nil, nil)
		_ = json.Unmarshal(body, &slots)
		return len(slots.Items) == 1
	})
	book, _ := json.Marshal(map[string]string{"slot_id": slots.Items[0].ID, "contact_id": req.Contact.ID, "request_id": created.ID})
	r, body := op.do("POST", "/api/v1/mis/appointments", "application/json", book, csrf)
	if r.StatusCode != 201 {
		t.Fatalf("book: %d %s", r.StatusCode, body)
	}
	var appt struct{ ID string }
	_ = json.Unmarshal(body, &appt)

	// The live push: request.updated with the new status.
	for {
		f := readFrame(t, ctx, ws)
		if f.Type != "request.updated" {
			continue
		}
		var pushed struct{ ID, Status string }
		_ = json.Unmarshal(f.Data, &pushed)
		if pushed.ID == created.ID && pushed.Status == "booked" {
			break
		}
	}
	statusOf := func() string {
		_, body := op.do("GET", "/api/v1/requests/"+created.ID, "", nil, nil)
		var r struct{ Status string }
		_ = json.Unmarshal(body, &r)
		return r.Status
	}
	if s := statusOf(); s != "booked" {
		t.Fatalf("request after booking: %s", s)
	}
	if r, body := op.do("DELETE", "/api/v1/mis/appointments/"+appt.ID, "", nil, csrf); r.StatusCode != 200 {
		t.Fatalf("cancel: %d %s", r.StatusCode, body)
	}
	waitUntil(t, "the request back in progress", func() bool { return statusOf() == "in_progress" })
}
