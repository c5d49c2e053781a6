package mis

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/testenv"
)

const testToken = "internal-token-for-tests"

var admin = principal.Principal{UserID: "0193a000-0000-7000-8000-0000000000cc", Login: "admin", Role: "admin",
	Permissions: []string{perm.MISRead, perm.AppointmentsBook, perm.PatientsLink, perm.PatientsReadPD, perm.MISManage}}

// api calls the service's internal HTTP API the way the gateway does.
type api struct {
	t   testing.TB
	srv *httptest.Server
}

func newAPI(t *testing.T, s *Service) *api {
	srv := httptest.NewServer(s.Handler(testToken))
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object", a.status)
	}
	return m
}

func (a *api) do(p principal.Principal, method, path string, body any) answer {
	var r io.Reader = http.NoBody
	if body != nil {
		if s, ok := body.(string); ok {
			r = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	principal.Set(req.Header, testToken, p)
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// fieldOf is the first refused field of a problem answer.
func fieldOf(t *testing.T, a answer) string {
	t.Helper()
	var b struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	_ = json.Unmarshal(a.body, &b)
	if len(b.Errors) == 0 {
		return ""
	}
	return b.Errors[0].Field
}

func TestStoreMISHTTPEndpoints(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, _, _ := newFakeService(t, b)
		s.Kind, s.BaseURL = "fhir", "https://robot:secret@mis.example/fhir?token=x"
		c := newAPI(t, s)
		day := url.QueryEscape(fakeStart.Format(time.RFC3339))
		nine := url.QueryEscape(fakeStart.Add(9 * 24 * time.Hour).Format(time.RFC3339))
		noPerms := principal.Principal{UserID: "0193a000-0000-7000-8000-0000000000dd", Login: "nobody"}

		for _, sc := range []struct {
			name         string
			who          principal.Principal
			method, path string
			body         any
			status       int
			field        string // the refused field of a 422
			check        func(t *testing.T, a answer)
		}{
			{"services of a specialty", operator, "GET", "/mis/services?specialty=ent", nil, 200, "", func(t *testing.T, a answer) {
				items := a.json(t)["items"].([]any)
				if len(items) != 1 || items[0].(map[string]any)["price"] != "1500.00" || items[0].(map[string]any)["currency"] != "RUB" {
					t.Fatalf("services %s", a.body)
				}
			}},
			{"services: a bad specialty", operator, "GET", "/mis/services?specialty=a%20b", nil, 422, "specialty", nil},
			{"services need mis.read", noPerms, "GET", "/mis/services", nil, 403, "", nil},
			{"schedule of a branch for a day", operator, "GET", "/mis/schedule?branch=b1&from=" + day, nil, 200, "", func(t *testing.T, a answer) {
				items := a.json(t)["items"].([]any)
				first := items[0].(map[string]any)
				if len(items) != 16 || first["status"] != "free" || first["doctor"].(map[string]any)["name"] == "" {
					t.Fatalf("schedule: %d items", len(items))
				}
				if a.header.Get("Cache-Control") != "no-store" {
					t.Fatal("a schedule may be cached")
				}
			}},
			{"schedule needs a filter", operator, "GET", "/mis/schedule", nil, 422, "branch", nil},
			{"schedule of at most 8 days", operator, "GET", "/mis/schedule?doctor=doc-1&from=" + day + "&to=" + nine, nil, 422, "to", nil},
			{"match: the family phone", operator, "POST", "/mis/patients/match", map[string]string{"contact_id": motherContact}, 200, "", func(t *testing.T, a answer) {
				m := a.json(t)
				cands := m["candidates"].([]any)
				first := cands[0].(map[string]any)
				if len(cands) != 2 || first["confidence"].(float64) >= 0.9 || first["linked"] != false || first["patient"].(map[string]any)["masked"] != true ||
					first["patient"].(map[string]any)["family"] != "Ив***" || len(m["linked"].([]any)) != 0 {
					t.Fatal("match answer not as agreed")
				}
			}},
			{"match: not a contact id", operator, "POST", "/mis/patients/match", map[string]string{"contact_id": "42"}, 422, "contact_id", nil},
			{"match: not JSON", operator, "POST", "/mis/patients/match", nil, 415, "", nil},
			{"match: broken JSON", operator, "POST", "/mis/patients/match", "{", 400, "", nil},
			{"link needs patients.link", principal.Principal{UserID: "x", Permissions: []string{perm.MISRead}}, "POST", "/mis/links",
				map[string]string{"contact_id": motherContact, "patient_id": "pat-mother"}, 403, "", nil},
			{"link: a bad patient id", operator, "POST", "/mis/links", map[string]string{"contact_id": motherContact, "patient_id": "a b"}, 422, "patient_id", nil},
			{"link", operator, "POST", "/mis/links", map[string]string{"contact_id": motherContact, "patient_id": "pat-mother"}, 201, "", func(t *testing.T, a answer) {
				m := a.json(t)
				if m["contact_id"] != motherContact || m["patient_id"] != "pat-mother" || m["linked_by"] != operator.UserID || a.header.Get("Location") != "/api/v1/mis/links/"+m["id"].(string) {
					t.Fatalf("link: %s", a.body)
				}
			}},
			{"link again answers the link", operator, "POST", "/mis/links", map[string]string{"contact_id": motherContact, "patient_id": "pat-mother"}, 200, "", nil},
			{"the card", operator, "GET", "/mis/contacts/" + motherContact + "/patients", nil, 200, "", func(t *testing.T, a answer) {
				items := a.json(t)["items"].([]any)
				item := items[0].(map[string]any)
				appts := item["appointments"].(map[string]any)
				if len(items) != 1 || item["link_id"] == "" || item["patient"].(map[string]any)["id"] != "pat-mother" || appts["upcoming"] == nil || appts["past"] == nil {
					t.Fatal("card not as agreed")
				}
			}},
			{"the card of an unknown contact is empty", operator, "GET", "/mis/contacts/0193a000-0000-7000-8000-0000000009ff/patients", nil, 200, "", func(t *testing.T, a answer) {
				if items := a.json(t)["items"].([]any); len(items) != 0 {
					t.Fatal("items")
				}
			}},
			{"contact appointments: a bad id", operator, "GET", "/mis/appointments?contact_id=x", nil, 422, "contact_id", nil},
			{"contact appointments", operator, "GET", "/mis/appointments?contact_id=" + motherContact, nil, 200, "", func(t *testing.T, a answer) {
				if items := a.json(t)["items"].([]any); len(items) != 0 {
					t.Fatal("items")
				}
			}},
			{"register a patient", operator, "POST", "/mis/patients", map[string]string{"contact_id": newContact}, 201, "", func(t *testing.T, a answer) {
				m := a.json(t)
				if m["id"] == "" || m["link_id"] == "" || m["masked"] != true || m["family"] != "Со***" {
					t.Fatal("registered patient not as agreed")
				}
			}},
			{"reschedule: not a slot", operator, "POST", "/mis/appointments/0193a000-0000-7000-8000-0000000009ff/reschedule", map[string]string{"slot_id": ""}, 422, "slot_id", nil},
			{"reschedule: unknown appointment", operator, "POST", "/mis/appointments/0193a000-0000-7000-8000-0000000009ff/reschedule", map[string]string{"slot_id": "slot-doc-1-1"}, 404, "", nil},
			{"health is the administrator's", operator, "GET", "/mis/health", nil, 403, "", nil},
			{"health", admin, "GET", "/mis/health", nil, 200, "", func(t *testing.T, a answer) {
				m := a.json(t)
				counts := m["counts"].(map[string]any)
				feed := m["feed"].(map[string]any)
				if m["kind"] != "fhir" || m["base_url"] != "https://mis.example/fhir" || m["breaker"] != "closed" || m["last_refresh_at"] == nil ||
					counts["doctors"].(float64) != 3 || counts["services"].(float64) != 2 || feed["applied_total"].(float64) != 0 {
					t.Fatalf("health: %s", a.body)
				}
			}},
			{"check", admin, "POST", "/mis/check", nil, 200, "", func(t *testing.T, a answer) {
				if m := a.json(t); m["ok"] != true || m["latency_ms"] == nil {
					t.Fatalf("check: %s", a.body)
				}
			}},
			{"refresh", admin, "POST", "/mis/refresh", nil, 202, "", nil},
			{"refresh is the administrator's", operator, "POST", "/mis/refresh", nil, 403, "", nil},
		} {
			t.Run(sc.name, func(t *testing.T) {
				got := c.do(sc.who, sc.method, sc.path, sc.body)
				if got.status != sc.status {
					t.Fatalf("%s %s: %d, want %d", sc.method, sc.path, got.status, sc.status)
				}
				if got.status >= 400 && !strings.HasPrefix(got.header.Get("Content-Type"), "application/problem+json") {
					t.Fatalf("a refusal as %s", got.header.Get("Content-Type"))
				}
				if sc.field != "" && fieldOf(t, got) != sc.field {
					t.Fatalf("refused field %q, want %q", fieldOf(t, got), sc.field)
				}
				if sc.check != nil {
					sc.check(t, got)
				}
			})
		}
		// Unlinking through the API, then the link is gone; twice is fine.
		links, _ := s.links(context.Background(), motherContact)
		if len(links) != 1 {
			t.Fatalf("%d links", len(links))
		}
		for range 2 {
			if a := c.do(operator, "DELETE", "/mis/links/"+links[0].ID, nil); a.status != 204 {
				t.Fatalf("unlink: %d", a.status)
			}
		}
		if a := c.do(operator, "DELETE", "/mis/links/not-an-id", nil); a.status != 404 {
			t.Fatalf("unlink a bad id: %d", a.status)
		}
		// The MIS down: check says so, health shows the last refresh error.
		f := s.Client.(*fakeMIS)
		f.failAll.Store(true)
		if err := s.Refresh(context.Background()); err == nil {
			t.Fatal("refresh with the MIS down")
		}
		if m := c.do(admin, "POST", "/mis/check", nil).json(t); m["ok"] != false || m["error"] == "" {
			t.Fatalf("check with the MIS down: %v", m)
		}
		if m := c.do(admin, "GET", "/mis/health", nil).json(t); m["last_refresh_error"] == "" {
			t.Fatalf("health with the MIS down: %v", m)
		}
	})
}

// Two managers at once: one moves an appointment into a slot while the
// other books that slot (or moves another appointment into it). Exactly
// one wins; the other gets 409 with fresh alternatives, and the MIS holds
// one appointment in the slot.
func TestStoreMISHTTPRaceForOneSlot(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		for _, mis := range []string{"fake", "demo"} {
			t.Run(mis, func(t *testing.T) {
				var s *Service
				var slots []string
				ctx := context.Background()
				switch mis {
				case "fake":
					s, _, _ = newFakeService(t, b)
					for i := range 8 {
						slots = append(slots, "slot-doc-1-"+string(rune('0'+i)))
					}
				case "demo":
					peer := newDemoPeer(t)
					s = newTestService(t, b, peer.client)
					s.Now = func() time.Time { return demoStart.Add(-time.Hour) }
					if err := s.Refresh(ctx); err != nil {
						t.Fatal(err)
					}
					free, err := s.FreeSlots(ctx, SlotQuery{SpecialtyID: "neurologist", From: demoStart, To: demoStart.AddDate(0, 0, 7), Limit: 8})
					if err != nil || len(free) != 8 {
						t.Fatalf("%d free slots: %v", len(free), err)
					}
					for _, f := range free {
						slots = append(slots, f.ID)
					}
				}
				c := newAPI(t, s)
				contactA, contactB := motherContact, newContact // known to the fake contact center
				book := func(slot, contact string) answer {
					return c.do(operator, "POST", "/mis/appointments", map[string]string{"slot_id": slot, "contact_id": contact})
				}
				// Round 1: reschedule vs. book. Round 2: reschedule vs. reschedule.
				a1 := book(slots[0], contactA)
				a2 := book(slots[1], contactB)
				if a1.status != 201 || a2.status != 201 {
					t.Fatalf("setup bookings: %d %d", a1.status, a2.status)
				}
				id1, id2 := a1.json(t)["id"].(string), a2.json(t)["id"].(string)
				for round, pair := range [][2]func(slot string) answer{
					{func(slot string) answer {
						return c.do(operator, "POST", "/mis/appointments/"+id1+"/reschedule", map[string]string{"slot_id": slot})
					}, func(slot string) answer { return book(slot, contactB) }},
					{func(slot string) answer {
						return c.do(operator, "POST", "/mis/appointments/"+id1+"/reschedule", map[string]string{"slot_id": slot})
					}, func(slot string) answer {
						return c.do(supervisor, "POST", "/mis/appointments/"+id2+"/reschedule", map[string]string{"slot_id": slot})
					}},
				} {
					target := slots[2+round]
					var wg sync.WaitGroup
					results := make([]answer, 2)
					start := make(chan struct{})
					for i, call := range pair {
						wg.Add(1)
						go func() {
							defer wg.Done()
							<-start
							results[i] = call(target)
						}()
					}
					close(start)
					wg.Wait()
					won, lost := 0, 0
					for _, r := range results {
						switch {
						case r.status == 200 || r.status == 201:
							won++
						case r.status == 409:
							lost++
							alts, _ := r.json(t)["alternatives"].([]any)
							if len(alts) == 0 {
								t.Fatalf("round %d: a 409 without alternatives", round)
							}
							for _, alt := range alts {
								if alt.(map[string]any)["id"] == target {
									t.Fatalf("round %d: the taken slot offered as an alternative", round)
								}
							}
						default:
							t.Fatalf("round %d: %d %s", round, r.status, r.body)
						}
					}
					if won != 1 || lost != 1 {
						t.Fatalf("round %d: %d won, %d lost", round, won, lost)
					}
					// Exactly one Okno appointment holds the contested slot.
					var n int
					_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM appointments WHERE slot_id = $1 AND status = 'booked'`, target).Scan(&n)
					if n != 1 {
						t.Fatalf("round %d: %d appointments hold the slot", round, n)
					}
				}
			})
		}
	})
}

// Two bookings of one slot through the HTTP API at once: one 201, one 409.
func TestStoreMISHTTPTwoBookingsOfOneSlot(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, f, _ := newFakeService(t, b)
		c := newAPI(t, s)
		for round := range 5 {
			slot := "slot-doc-2-" + string(rune('0'+round))
			var wg sync.WaitGroup
			codes := make([]int, 2)
			start := make(chan struct{})
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					codes[i] = c.do(operator, "POST", "/mis/appointments", map[string]string{"slot_id": slot,
						"contact_id": []string{motherContact, newContact}[i]}).status
				}()
			}
			close(start)
			wg.Wait()
			if !(codes[0] == 201 && codes[1] == 409) && !(codes[0] == 409 && codes[1] == 201) {
				t.Fatalf("round %d: %v", round, codes)
			}
			if f.slots[slot].Status != "busy" {
				t.Fatalf("round %d: slot not booked in the MIS", round)
			}
		}
	})
}
