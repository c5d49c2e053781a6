package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/okno-crm/okno/internal/problem"
)

func FuzzParseLogin(f *testing.F) {
	f.Add(`{"login":"ivanova","password":"Ураган-над-Исетью-2026"}`)
	f.Add(`{"login":"a","password":"b","totp_code":"123456"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		in, err := parseLogin(strings.NewReader(body))
		if err == nil && (strings.TrimSpace(in.Login) == "" || in.Password == "") {
			t.Fatal("accepted a login without login or password")
		}
		if err != nil && problem.CodeOf(err) == problem.Internal {
			t.Fatalf("internal error for outside input: %v", err)
		}
	})
}

func FuzzCredential(f *testing.F) {
	f.Add("Bearer okno_abc", "")
	f.Add("", "session-token")
	f.Add("Basic Zm9vOmJhcg==", "x")
	f.Fuzz(func(t *testing.T, authz, cookie string) {
		r, _ := http.NewRequest("GET", "http://okno.test/api/v1/requests", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if cookie != "" {
			r.Header.Set("Cookie", SessionCookie+"="+cookie)
		}
		tok, viaCookie := credential(r)
		if authz != "" && viaCookie {
			t.Fatal("an Authorization header fell back to the cookie")
		}
		if authz != "" && !strings.HasPrefix(authz, "Bearer ") && tok != "" {
			t.Fatalf("a non-Bearer Authorization yielded a token")
		}
	})
}
