// Package principal carries the caller's identity from the gateway to the
// services. The gateway authenticates; it passes who the caller is and what
// they may do in headers that only it can set (they are stripped from what
// clients send, and the services require the internal token), and each
// service checks the permissions it owns again.
package principal

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/okno-crm/okno/internal/problem"
)

// Headers the gateway sets on calls to services.
const (
	HeaderToken       = "X-Okno-Internal-Token"
	HeaderUserID      = "X-Okno-User-Id"
	HeaderUserLogin   = "X-Okno-User-Login"
	HeaderUserRole    = "X-Okno-User-Role"
	HeaderPermissions = "X-Okno-Permissions"
	HeaderClientAddr  = "X-Okno-Client-Addr"
	HeaderSessionID   = "X-Okno-Session-Id"
)

// Principal is who is calling and what they may do.
type Principal struct {
	UserID      string
	Login       string
	Role        string
	Permissions []string
	ClientAddr  string
	// SessionID is the caller's login session; empty for API tokens and
	// system calls, which identity uses to keep credential management
	// (two-factor, new tokens) to people who logged in.
	SessionID string
}

// Can reports whether the principal holds perm.
func (p Principal) Can(perm string) bool { return slices.Contains(p.Permissions, perm) }

// System is the principal services use when they call each other on their
// own behalf (the gateway fetching what it pushes).
func System(perms ...string) Principal { return Principal{UserID: "system", Permissions: perms} }

type ctxKey struct{}

// From returns the principal of a request context.
func From(ctx context.Context) Principal {
	p, _ := ctx.Value(ctxKey{}).(Principal)
	return p
}

// With stores p in ctx.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// Set writes p onto an outgoing request to a service.
func Set(h http.Header, token string, p Principal) {
	h.Set(HeaderToken, token)
	if p.UserID != "" {
		h.Set(HeaderUserID, p.UserID)
	}
	if p.Login != "" {
		h.Set(HeaderUserLogin, p.Login)
	}
	if p.Role != "" {
		h.Set(HeaderUserRole, p.Role)
	}
	if len(p.Permissions) > 0 {
		h.Set(HeaderPermissions, strings.Join(p.Permissions, ","))
	}
	if p.ClientAddr != "" {
		h.Set(HeaderClientAddr, p.ClientAddr)
	}
	if p.SessionID != "" {
		h.Set(HeaderSessionID, p.SessionID)
	}
}

// Strip removes principal headers a client may have forged.
func Strip(h http.Header) {
	for _, k := range []string{HeaderToken, HeaderUserID, HeaderUserLogin, HeaderUserRole, HeaderPermissions, HeaderClientAddr, HeaderSessionID} {
		h.Del(k)
	}
}

// Middleware admits only calls carrying the internal token and puts their
// principal into the request context.
func Middleware(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(HeaderToken)
		if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			problem.Write(w, r, problem.New(problem.Unauthorized, "internal calls need the internal token"))
			return
		}
		p := Principal{UserID: r.Header.Get(HeaderUserID), Login: r.Header.Get(HeaderUserLogin), Role: r.Header.Get(HeaderUserRole),
			ClientAddr: r.Header.Get(HeaderClientAddr), SessionID: r.Header.Get(HeaderSessionID)}
		if s := r.Header.Get(HeaderPermissions); s != "" {
			p.Permissions = strings.Split(s, ",")
		}
		next.ServeHTTP(w, r.WithContext(With(r.Context(), p)))
	})
}

// Require answers 403 unless the caller holds perm.
func Require(perm string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !From(r.Context()).Can(perm) {
			problem.Write(w, r, problem.Newf(problem.Forbidden, "this action needs the permission %s", perm))
			return
		}
		next(w, r)
	}
}
