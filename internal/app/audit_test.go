package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// An operator sees a patient's phone masked; showing it is an explicit
// action that the security officer finds in the audit, together with the
// reads that preceded it. Everything reaches the chain through the outbox.
func TestSystemRevealIsAudited(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		a := startProfile(t, p)
		_, body := postJSON(a.browser(), "site", map[string]any{"name": "Анна", "phone": "8 912 345-67-01", "email": "anna@example.ru", "consent": true}, nil)
		var created struct{ ID string }
		_ = json.Unmarshal(body, &created)

		op := a.browser()
		op.login("operator")
		_, body = op.do("GET", "/api/v1/requests/"+created.ID, "", nil, nil)
		var r struct {
			Contact struct {
				ID, Phone, Email string
				Masked           bool
			}
		}
		_ = json.Unmarshal(body, &r)
		if r.Contact.Phone != "+7 912 ***-**-01" || r.Contact.Email != "a***@example.ru" || !r.Contact.Masked {
			t.Fatalf("operator sees %+v", r.Contact)
		}
		path := "/api/v1/contacts/" + r.Contact.ID + "/reveal"
		if resp, _ := op.do("POST", path, "", nil, nil); resp.StatusCode != 403 {
			t.Fatalf("reveal without CSRF token: %d", resp.StatusCode)
		}
		resp, body := op.do("POST", path, "", nil, map[string]string{"X-CSRF-Token": op.cookie("okno_csrf")})
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"phone":"+79123456701"`) {
			t.Fatalf("reveal: %d %s", resp.StatusCode, body)
		}
		// The security officer cannot read requests, but finds who saw what.
		off := a.browser()
		off.login("officer")
		if resp, _ := off.do("POST", path, "", nil, map[string]string{"X-CSRF-Token": off.cookie("okno_csrf")}); resp.StatusCode != 403 {
			t.Fatalf("security officer revealing: %d", resp.StatusCode)
		}
		if resp, _ := op.do("GET", "/api/v1/audit", "", nil, nil); resp.StatusCode != 403 {
			t.Fatalf("operator reading the audit: %d", resp.StatusCode)
		}
		var seen map[string]bool
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			_, body = off.do("GET", "/api/v1/audit?actor=operator&limit=50", "", nil, nil)
			var page struct {
				Items []struct {
					Action     string `json:"action"`
					ActorLogin string `json:"actor_login"`
					ActorRole  string `json:"actor_role"`
					ObjectID   string `json:"object_id"`
					ClientAddr string `json:"client_addr"`
				} `json:"items"`
			}
			_ = json.Unmarshal(body, &page)
			seen = map[string]bool{}
			for _, it := range page.Items {
				if it.ActorLogin != "operator" || it.ActorRole != "operator" || it.ClientAddr == "" {
					t.Fatalf("audit entry without who/role/where: %+v", it)
				}
				seen[it.Action+" "+it.ObjectID] = true
			}
			if seen["contact.reveal "+r.Contact.ID] && seen["request.read "+created.ID] {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !seen["contact.reveal "+r.Contact.ID] || !seen["request.read "+created.ID] {
			t.Fatalf("audit lacks the read and the reveal: %v", seen)
		}
		if bytesContainAny(body, "+79123456701", "anna@example.ru", "Анна") {
			t.Fatal("the audit repeats personal data")
		}
		checked, broken, err := a.Audit.Verify(t.Context())
		if err != nil || broken != 0 || checked < 2 {
			t.Fatalf("verify: %d checked, broken at %d, %v", checked, broken, err)
		}
	})
}

func bytesContainAny(b []byte, subs ...string) bool {
	for _, s := range subs {
		if strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}
