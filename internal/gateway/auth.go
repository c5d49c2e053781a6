package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/httpapi"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// Cookie names.
const (
	SessionCookie = "okno_session"
	CSRFCookie    = "okno_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

// User is the signed-in staff member, as identity describes them.
type User struct {
	ID          string   `json:"id"`
	Login       string   `json:"login"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	// EnrollmentRequired: the session may only enroll in two-factor (routes
	// declared Enrolling) until the user has done so.
	EnrollmentRequired bool `json:"enrollment_required"`
	TwoFactorEnabled   bool `json:"two_factor_enabled"`
}

// caller is who holds a request's credential, as identity says.
type caller struct {
	User      User   `json:"user"`
	SessionID string `json:"session_id"`
	TokenID   string `json:"token_id"`
}

type callerKey struct{}

func withCaller(ctx context.Context, c caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}
func callerFrom(ctx context.Context) caller { c, _ := ctx.Value(callerKey{}).(caller); return c }
func userFrom(ctx context.Context) User     { return callerFrom(ctx).User }

// credential returns the session cookie or the Bearer token of a request.
func credential(r *http.Request) (token string, viaCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value, true
	}
	return "", false
}

// authenticate asks identity who holds the request's credential.
func (g *Gateway) authenticate(r *http.Request) (caller, bool, error) {
	tok, viaCookie := credential(r)
	if tok == "" {
		return caller{}, false, problem.New(problem.Unauthorized, "log in or send an API token")
	}
	var out caller
	err := g.identity.call(r.Context(), http.MethodPost, "/auth/authenticate", principal.System(), map[string]string{"token": tok}, &out)
	if err != nil {
		return caller{}, false, err
	}
	return out, viaCookie, nil
}

// csrfToken is bound to the session: a site that cannot read our cookies
// cannot produce it.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte("okno-csrf"))
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (g *Gateway) csrfOK(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	got := r.Header.Get(CSRFHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(c.Value))) == 1
}

func (g *Gateway) setSessionCookies(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: g.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: CSRFCookie, Value: csrfToken(token), Path: "/", Expires: expires,
		HttpOnly: false, Secure: g.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (g *Gateway) clearSessionCookies(w http.ResponseWriter) {
	for _, n := range []string{SessionCookie, CSRFCookie} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, HttpOnly: n == SessionCookie,
			Secure: g.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	}
}

func (g *Gateway) handleLogin(w http.ResponseWriter, r *http.Request) {
	p := principal.From(r.Context())
	if !g.login.Allow(p.ClientAddr, g.cfg.Now()) {
		w.Header().Set("Retry-After", "60")
		problem.Write(w, r, problem.New(problem.RateLimited, "too many login attempts from this address, try again in a minute"))
		return
	}
	in, err := parseLogin(r.Body)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	var out struct {
		User    User `json:"user"`
		Session struct {
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expires_at"`
		} `json:"session"`
	}
	err = g.identity.call(r.Context(), http.MethodPost, "/auth/login", p,
		map[string]string{"login": in.Login, "password": in.Password, "totp_code": in.TOTPCode,
			"recovery_code": in.RecoveryCode, "user_agent": r.UserAgent()}, &out)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	g.setSessionCookies(w, out.Session.Token, out.Session.ExpiresAt)
	httpapi.WriteJSON(w, http.StatusOK, map[string]User{"user": out.User})
}

func (g *Gateway) handleLogout(w http.ResponseWriter, r *http.Request) {
	tok, _ := credential(r)
	if err := g.identity.call(r.Context(), http.MethodPost, "/auth/logout", principal.From(r.Context()), map[string]string{"token": tok}, nil); err != nil {
		problem.Write(w, r, err)
		return
	}
	g.clearSessionCookies(w)
	w.WriteHeader(http.StatusNoContent)
}

func (g *Gateway) handleMe(w http.ResponseWriter, r *http.Request) {
	httpapi.WriteJSON(w, http.StatusOK, map[string]User{"user": userFrom(r.Context())})
}

// loginInput is what a login form sends.
type loginInput struct {
	Login        string `json:"login"`
	Password     string `json:"password"`
	TOTPCode     string `json:"totp_code"`
	RecoveryCode string `json:"recovery_code"`
}

// parseLogin reads a login body: one JSON object with login and password.
func parseLogin(body io.Reader) (loginInput, error) {
	var in loginInput
	if err := json.NewDecoder(body).Decode(&in); err != nil {
		if problem.CodeOf(err) == problem.TooLarge {
			return in, err
		}
		return in, problem.New(problem.Malformed, "the body must be a JSON object with login and password")
	}
	var fe []problem.FieldError
	if strings.TrimSpace(in.Login) == "" {
		fe = append(fe, problem.FieldError{Field: "login", Message: "is required"})
	}
	if in.Password == "" {
		fe = append(fe, problem.FieldError{Field: "password", Message: "is required"})
	}
	if len(fe) > 0 {
		return in, problem.Fields(fe)
	}
	return in, nil
}
