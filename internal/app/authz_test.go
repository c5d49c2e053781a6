package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/identity"
	"github.com/okno-crm/okno/internal/perm"
)

// tokensMayNot are routes a personal API token is refused on whatever its
// user's role: a stolen token must not mint tokens or change 2FA.
var tokensMayNot = map[string]bool{
	"POST /api/v1/me/tokens":      true,
	"POST /api/v1/me/2fa/setup":   true,
	"POST /api/v1/me/2fa/enable":  true,
	"POST /api/v1/me/2fa/disable": true,
}

// The authorization matrix: every /api/v1 route × every built-in role,
// checked against the permission the route table declares. A role holding
// the permission is never refused (401/403); one without it always is (403).
func TestSystemAuthorizationMatrix(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	ctx := context.Background()
	tokens := map[string]string{}
	for _, role := range perm.BuiltinRoles {
		login := "matrix." + role.ID
		if _, err := a.Identity.CreateUser(ctx, identity.NewUser{Login: login, Role: role.ID, Password: password}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Identity.CreateToken(ctx, login, "matrix", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tokens[role.ID] = tok
	}
	b := a.browser()
	unknown := "01a1fb81-0a4e-7843-816b-a532f5ad9efa"
	checked := 0
	for _, rt := range a.Gateway.Routes() {
		if rt.Perm == "public" {
			continue
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.NewReplacer("{id}", unknown, "{consent}", unknown, "{key}", "site").Replace(path)
		for _, role := range perm.BuiltinRoles {
			holds := rt.Perm == "authenticated" || rt.Perm == "enrolling" || slices.Contains(role.Permissions, rt.Perm)
			if tokensMayNot[rt.Pattern] {
				holds = false
			}
			resp, body := b.do(method, path, "application/json", []byte(`{}`), map[string]string{"Authorization": "Bearer " + tokens[role.ID]})
			refused := resp.StatusCode == 401 || resp.StatusCode == 403
			if holds && refused {
				t.Errorf("%s refused to %s, which holds %s: %d %s", rt.Pattern, role.ID, rt.Perm, resp.StatusCode, body)
			}
			if !holds && resp.StatusCode != 403 {
				t.Errorf("%s answered %d to %s, which lacks %s", rt.Pattern, resp.StatusCode, role.ID, rt.Perm)
			}
			checked++
		}
	}
	if checked < 4*20 {
		t.Fatalf("only %d route × role cases checked", checked)
	}
}

// Object-level checks: an id that belongs to someone else answers exactly
// as one that does not exist, so ids cannot be probed.
func TestSystemObjectLevelChecks(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	ctx := context.Background()
	if _, err := a.Identity.CreateUser(ctx, identity.NewUser{Login: "operator.b", Role: "operator", Password: password}); err != nil {
		t.Fatal(err)
	}
	opA, opB := a.browser(), a.browser()
	opA.login("operator")
	opB.login("operator.b")
	_, body := opB.do("GET", "/api/v1/me/sessions", "", nil, nil)
	var sessions struct {
		Items []struct{ ID string } `json:"items"`
	}
	_ = json.Unmarshal(body, &sessions)
	if len(sessions.Items) != 1 {
		t.Fatalf("B's sessions: %s", body)
	}
	csrf := map[string]string{"X-CSRF-Token": opA.cookie("okno_csrf")}
	someoneElses, b1 := opA.do("DELETE", "/api/v1/me/sessions/"+sessions.Items[0].ID, "", nil, csrf)
	nobodys, b2 := opA.do("DELETE", "/api/v1/me/sessions/01a1fb81-0a4e-7843-816b-a532f5ad9efa", "", nil, csrf)
	if someoneElses.StatusCode != 404 || nobodys.StatusCode != 404 || !sameProblem(b1, b2) {
		t.Fatalf("revoking another's session: %d %s; an unknown one: %d %s", someoneElses.StatusCode, b1, nobodys.StatusCode, b2)
	}
	if r, _ := opB.do("GET", "/api/v1/auth/me", "", nil, nil); r.StatusCode != 200 {
		t.Fatal("B's session was revoked by A")
	}
	// Tokens likewise.
	tok, _, err := a.Identity.CreateToken(ctx, "operator.b", "b", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct{ ID string } `json:"items"`
	}
	_, body = opB.do("GET", "/api/v1/me/tokens", "", nil, nil)
	_ = json.Unmarshal(body, &list)
	if len(list.Items) != 1 {
		t.Fatalf("B's tokens: %s", body)
	}
	r1, b1 := opA.do("DELETE", "/api/v1/me/tokens/"+list.Items[0].ID, "", nil, csrf)
	r2, b2 := opA.do("DELETE", "/api/v1/me/tokens/01a1fb81-0a4e-7843-816b-a532f5ad9efa", "", nil, csrf)
	if r1.StatusCode != 404 || r2.StatusCode != 404 || !sameProblem(b1, b2) {
		t.Fatalf("revoking another's token: %d %s; an unknown one: %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
	}
	api := a.browser()
	if r, _ := api.do("GET", "/api/v1/requests", "", nil, map[string]string{"Authorization": "Bearer " + tok}); r.StatusCode != http.StatusOK {
		t.Fatalf("B's token stopped working after A's attempt: %d", r.StatusCode)
	}
	// A contact or request id that does not exist and one that is malformed
	// answer alike.
	r1, b1 = opA.do("GET", "/api/v1/requests/"+"01a1fb81-0a4e-7843-816b-a532f5ad9efa", "", nil, nil)
	r2, b2 = opA.do("GET", "/api/v1/requests/"+"not-an-id", "", nil, nil)
	if r1.StatusCode != 404 || r2.StatusCode != 404 || !sameProblem(b1, b2) {
		t.Fatal(fmt.Sprintf("unknown vs malformed request id: %d %s / %d %s", r1.StatusCode, b1, r2.StatusCode, b2))
	}
}

func sameProblem(a, b []byte) bool {
	var x, y map[string]any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	return x["status"] == y["status"] && x["detail"] == y["detail"] && x["code"] == y["code"]
}
