package identity

import (
	"encoding/json"
	"net/http"

	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// Handler is the identity service's internal HTTP API, called by the
// gateway (in-process under okno run, over the network under okno serve).
func (s *Service) Handler(internalToken string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/login", s.handleLogin)
	mux.HandleFunc("POST /auth/authenticate", s.handleAuthenticate)
	mux.HandleFunc("POST /auth/logout", s.handleLogout)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.DB.Ping(r.Context()); err != nil {
			problem.Write(w, r, problem.New(problem.Unavailable, "identity database unavailable"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return principal.Middleware(internalToken, mux)
}

// LoginRequest is the gateway's call to log a user in.
type LoginRequest struct {
	Login     string `json:"login"`
	Password  string `json:"password"`
	UserAgent string `json:"user_agent"`
}

// LoginResponse carries the new session back to the gateway, which turns it
// into cookies and never shows the token in a body.
type LoginResponse struct {
	User    User    `json:"user"`
	Session Session `json:"session"`
}

// TokenRequest carries a session or API token to check or revoke.
type TokenRequest struct {
	Token string `json:"token"`
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		if problem.CodeOf(err) == problem.TooLarge {
			problem.Write(w, r, err)
		} else {
			problem.Write(w, r, problem.New(problem.Malformed, "the body must be a JSON object"))
		}
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in LoginRequest
	if !decode(w, r, &in) {
		return
	}
	u, sess, err := s.Login(r.Context(), in.Login, in.Password, principal.From(r.Context()).ClientAddr, in.UserAgent)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, LoginResponse{User: u, Session: sess})
}

func (s *Service) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	var in TokenRequest
	if !decode(w, r, &in) {
		return
	}
	u, err := s.Authenticate(r.Context(), in.Token)
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]User{"user": u})
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	var in TokenRequest
	if !decode(w, r, &in) {
		return
	}
	if err := s.Logout(r.Context(), in.Token); err != nil {
		problem.Write(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
