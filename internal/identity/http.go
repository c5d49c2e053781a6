package identity

import (
	"encoding/json"
	"net/http"

	"github.com/okno-crm/okno/internal/httpapi"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// Handler is the identity service's internal HTTP API, called by the
// gateway (in-process under okno run, over the network under okno serve).
// The gateway's route table decides who reaches which path; the handlers
// check the caller again.
func (s *Service) Handler(internalToken string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/login", s.handleLogin)
	mux.HandleFunc("POST /auth/authenticate", s.handleAuthenticate)
	mux.HandleFunc("POST /auth/logout", s.handleLogout)

	mux.HandleFunc("GET /me/2fa", me(s.handleTwoFactor))
	mux.HandleFunc("POST /me/2fa/setup", loggedIn(s.handleTOTPSetup))
	mux.HandleFunc("POST /me/2fa/enable", loggedIn(s.handleTOTPEnable))
	mux.HandleFunc("POST /me/2fa/disable", loggedIn(s.handleTOTPDisable))
	mux.HandleFunc("GET /me/sessions", me(s.handleListSessions))
	mux.HandleFunc("DELETE /me/sessions/{id}", me(s.handleRevokeSession))
	mux.HandleFunc("GET /me/tokens", me(s.handleListTokens))
	mux.HandleFunc("POST /me/tokens", me(s.handleIssueToken))
	mux.HandleFunc("DELETE /me/tokens/{id}", me(s.handleRevokeToken))

	mux.HandleFunc("GET /users", principal.Require(perm.UsersManage, s.handleListUsers))
	mux.HandleFunc("POST /users", principal.Require(perm.UsersManage, s.handleAddUser))
	mux.HandleFunc("PATCH /users/{id}", principal.Require(perm.UsersManage, s.handleUpdateUser))
	mux.HandleFunc("GET /roles", principal.Require(perm.RolesManage, s.handleListRoles))
	mux.HandleFunc("POST /roles", principal.Require(perm.RolesManage, s.handleCreateRole))
	mux.HandleFunc("PATCH /roles/{id}", principal.Require(perm.RolesManage, s.handleUpdateRole))

	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.DB.Ping(r.Context()); err != nil {
			problem.Write(w, r, problem.New(problem.Unavailable, "identity database unavailable"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return principal.Middleware(internalToken, mux)
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

// answer writes v with status, or err as a problem.
func answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		problem.Write(w, r, err)
		return
	}
	if v == nil {
		w.WriteHeader(status)
		return
	}
	httpapi.WriteJSON(w, status, v)
}

type items[T any] struct {
	Items []T `json:"items"`
}

// me admits calls made by a signed-in user (session or token).
func me(next func(http.ResponseWriter, *http.Request, principal.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principal.From(r.Context())
		if p.UserID == "" || p.UserID == "system" {
			problem.Write(w, r, problem.New(problem.Unauthorized, "log in first"))
			return
		}
		next(w, r, p)
	}
}

// loggedIn admits only a login session: two-factor settings are changed by
// the person at the keyboard, never by an API token.
func loggedIn(next func(http.ResponseWriter, *http.Request, principal.Principal)) http.HandlerFunc {
	return me(func(w http.ResponseWriter, r *http.Request, p principal.Principal) {
		if p.SessionID == "" {
			problem.Write(w, r, problem.New(problem.Forbidden, "two-factor settings need a login session, not an API token"))
			return
		}
		next(w, r, p)
	})
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	var in LoginInput
	if !decode(w, r, &in) {
		return
	}
	in.ClientAddr = principal.From(r.Context()).ClientAddr
	u, sess, err := s.Login(r.Context(), in)
	answer(w, r, http.StatusOK, LoginResponse{User: u, Session: sess}, err)
}

func (s *Service) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	var in TokenRequest
	if !decode(w, r, &in) {
		return
	}
	c, err := s.Authenticate(r.Context(), in.Token)
	answer(w, r, http.StatusOK, c, err)
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	var in TokenRequest
	if !decode(w, r, &in) {
		return
	}
	answer(w, r, http.StatusNoContent, nil, s.Logout(r.Context(), in.Token))
}

func (s *Service) handleTwoFactor(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	st, err := s.TwoFactor(r.Context(), p.UserID)
	answer(w, r, http.StatusOK, st, err)
}

func (s *Service) handleTOTPSetup(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	setup, err := s.SetupTOTP(r.Context(), p.UserID)
	answer(w, r, http.StatusOK, setup, err)
}

func (s *Service) handleTOTPEnable(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	var in struct {
		Code string `json:"code"`
	}
	if !decode(w, r, &in) {
		return
	}
	codes, err := s.EnableTOTP(r.Context(), p.UserID, p.SessionID, in.Code)
	answer(w, r, http.StatusOK, map[string][]string{"recovery_codes": codes}, err)
}

func (s *Service) handleTOTPDisable(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	var in struct {
		Code         string `json:"code"`
		RecoveryCode string `json:"recovery_code"`
	}
	if !decode(w, r, &in) {
		return
	}
	answer(w, r, http.StatusNoContent, nil, s.DisableTOTP(r.Context(), p.UserID, in.Code, in.RecoveryCode))
}

func (s *Service) handleListSessions(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	list, err := s.ListSessions(r.Context(), p.UserID, p.SessionID)
	answer(w, r, http.StatusOK, items[SessionInfo]{list}, err)
}

func (s *Service) handleRevokeSession(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	answer(w, r, http.StatusNoContent, nil, s.RevokeSession(r.Context(), p.UserID, r.PathValue("id")))
}

func (s *Service) handleListTokens(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	list, err := s.ListTokens(r.Context(), p.UserID)
	answer(w, r, http.StatusOK, items[TokenInfo]{list}, err)
}

// handleIssueToken is not replayed by Idempotency-Key: the answer holds the
// token, which must never be stored.
func (s *Service) handleIssueToken(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	var in NewToken
	if !decode(w, r, &in) {
		return
	}
	tok, err := s.IssueToken(r.Context(), p, in)
	answer(w, r, http.StatusCreated, tok, err)
}

func (s *Service) handleRevokeToken(w http.ResponseWriter, r *http.Request, p principal.Principal) {
	answer(w, r, http.StatusNoContent, nil, s.RevokeToken(r.Context(), p.UserID, r.PathValue("id")))
}

func (s *Service) handleListUsers(w http.ResponseWriter, r *http.Request) {
	list, err := s.ListUsers(r.Context())
	answer(w, r, http.StatusOK, items[UserInfo]{list}, err)
}

func (s *Service) handleAddUser(w http.ResponseWriter, r *http.Request) {
	var in NewUser
	if !decode(w, r, &in) {
		return
	}
	u, err := s.AddUser(r.Context(), principal.From(r.Context()), in)
	answer(w, r, http.StatusCreated, u, err)
}

func (s *Service) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	var in UserPatch
	if !decode(w, r, &in) {
		return
	}
	u, err := s.UpdateUser(r.Context(), principal.From(r.Context()), r.PathValue("id"), in)
	answer(w, r, http.StatusOK, u, err)
}

func (s *Service) handleListRoles(w http.ResponseWriter, r *http.Request) {
	list, err := s.ListRoles(r.Context())
	// The known permissions come along, for the role editor's checklist.
	answer(w, r, http.StatusOK, map[string]any{"items": list, "permissions": perm.AllPermissions}, err)
}

func (s *Service) handleCreateRole(w http.ResponseWriter, r *http.Request) {
	var in RoleInput
	if !decode(w, r, &in) {
		return
	}
	role, err := s.CreateRole(r.Context(), principal.From(r.Context()), in)
	answer(w, r, http.StatusCreated, role, err)
}

func (s *Service) handleUpdateRole(w http.ResponseWriter, r *http.Request) {
	var in RolePatch
	if !decode(w, r, &in) {
		return
	}
	role, err := s.UpdateRole(r.Context(), principal.From(r.Context()), r.PathValue("id"), in)
	answer(w, r, http.StatusOK, role, err)
}
