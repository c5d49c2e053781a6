package identity

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

func outboxSubjects(t *testing.T, s *Service) []string {
	t.Helper()
	rows, err := s.DB.R.Query(`SELECT subject FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var subj string
		_ = rows.Scan(&subj)
		out = append(out, subj)
	}
	return out
}

func TestStoreSessionsAndTokens(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		s := newService(t, b, c)
		op, _ := s.CreateUser(ctx, NewUser{Login: "ivanova", Role: "operator", Password: testPassword})
		other, _ := s.CreateUser(ctx, NewUser{Login: "petrov", Role: "operator", Password: testPassword})
		_, s1, _ := s.Login(ctx, LoginInput{Login: "ivanova", Password: testPassword, ClientAddr: "10.0.0.1", UserAgent: "Firefox"})
		c.t = c.t.Add(time.Second)
		_, s2, _ := s.Login(ctx, LoginInput{Login: "ivanova", Password: testPassword, ClientAddr: "10.0.0.2", UserAgent: "Chrome"})
		_, sOther, _ := s.Login(ctx, LoginInput{Login: "petrov", Password: testPassword, ClientAddr: "10.0.0.3"})

		list, err := s.ListSessions(ctx, op.ID, s1.ID)
		if err != nil || len(list) != 2 || list[0].ID != s2.ID || list[0].Current || !list[1].Current || list[1].UserAgent != "Firefox" || list[1].ClientAddr != "10.0.0.1" {
			t.Fatalf("sessions %+v %v", list, err)
		}
		// Someone else's session is as unknown as a made-up id.
		if err := s.RevokeSession(ctx, op.ID, sOther.ID); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("revoking another user's session: %v", err)
		}
		if err := s.RevokeSession(ctx, op.ID, "01a1fb81-0a4e-7843-816b-a532f5ad9efa"); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("revoking an unknown session: %v", err)
		}
		if _, err := s.Authenticate(ctx, sOther.Token); err != nil {
			t.Fatal("another user's session was revoked")
		}
		if err := s.RevokeSession(ctx, op.ID, s2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, s2.Token); problem.CodeOf(err) != problem.Unauthorized {
			t.Fatalf("a revoked session: %v", err)
		}
		if list, _ := s.ListSessions(ctx, op.ID, s1.ID); len(list) != 1 {
			t.Fatalf("after revoking: %+v", list)
		}

		// Tokens act with their scopes, within what the user may do.
		p := principal.Principal{UserID: op.ID, Login: op.Login, Role: op.Role, Permissions: op.Permissions, SessionID: s1.ID}
		pctx := principal.With(ctx, p)
		tok, err := s.IssueToken(pctx, p, NewToken{Name: "export", TTLDays: 30, Scopes: []string{perm.RequestsRead, perm.RequestsRead}})
		if err != nil || !strings.HasPrefix(tok.Token, TokenPrefix) || !slices.Equal(tok.Scopes, []string{perm.RequestsRead}) || !tok.ExpiresAt.Equal(c.t.Add(30*24*time.Hour)) {
			t.Fatalf("token %+v %v", tok, err)
		}
		caller, err := s.Authenticate(ctx, tok.Token)
		if err != nil || !slices.Equal(caller.User.Permissions, []string{perm.RequestsRead}) || caller.TokenID != tok.ID || caller.SessionID != "" {
			t.Fatalf("token caller %+v %v", caller, err)
		}
		for _, bad := range []struct {
			in   NewToken
			code problem.Code
		}{
			{NewToken{Name: "pd", TTLDays: 30, Scopes: []string{perm.PatientsReadPD}}, problem.Forbidden},
			{NewToken{Name: "x", TTLDays: 30, Scopes: []string{"requests.everything"}}, problem.Invalid},
			{NewToken{Name: "x", TTLDays: 30}, problem.Invalid},
			{NewToken{Name: "", TTLDays: 30, Scopes: []string{perm.RequestsRead}}, problem.Invalid},
			{NewToken{Name: "x", TTLDays: 366, Scopes: []string{perm.RequestsRead}}, problem.Invalid},
		} {
			if _, err := s.IssueToken(pctx, p, bad.in); problem.CodeOf(err) != bad.code {
				t.Fatalf("token %+v: %v, want %s", bad.in, err, bad.code)
			}
		}
		// A token does not make tokens.
		viaToken := p
		viaToken.SessionID = ""
		if _, err := s.IssueToken(pctx, viaToken, NewToken{Name: "x", TTLDays: 1, Scopes: []string{perm.RequestsRead}}); problem.CodeOf(err) != problem.Forbidden {
			t.Fatalf("a token making a token: %v", err)
		}
		if list, _ := s.ListTokens(ctx, op.ID); len(list) != 1 || list[0].ID != tok.ID || list[0].LastUsedAt == nil {
			t.Fatalf("tokens %+v", list)
		}
		// The user loses requests.read: so does the token.
		admin := principal.Principal{UserID: "admin-id", Permissions: perm.AllPermissions}
		if _, err := s.UpdateRole(ctx, admin, "operator", RolePatch{Permissions: &[]string{perm.ContactsRead}}); err != nil {
			t.Fatal(err)
		}
		if caller, _ := s.Authenticate(ctx, tok.Token); len(caller.User.Permissions) != 0 {
			t.Fatalf("a token outlived its user's permission: %v", caller.User.Permissions)
		}
		if err := s.RevokeToken(ctx, other.ID, tok.ID); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("revoking another user's token: %v", err)
		}
		if err := s.RevokeToken(ctx, op.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, tok.Token); problem.CodeOf(err) != problem.Unauthorized {
			t.Fatalf("a revoked token: %v", err)
		}
		recs := auditRecords(t, s)
		if countAudit(recs, "session.revoked", "", "") != 1 || countAudit(recs, "token.created", "", "") != 1 || countAudit(recs, "token.revoked", "", "") != 1 {
			t.Fatalf("audit %+v", recs)
		}
		for _, r := range recs {
			if r.Action == "token.created" && (r.ActorID != op.ID || r.Details["scopes"] != perm.RequestsRead) {
				t.Fatalf("token.created recorded as %+v", r)
			}
		}
		subjects := outboxSubjects(t, s)
		if !slices.Contains(subjects, "identity.session.revoked") || !slices.Contains(subjects, "identity.token.revoked") {
			t.Fatalf("events %v", subjects)
		}
	})
}

func TestStoreUsersAndRolesAdmin(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
		s := newService(t, b, c)
		boss, _ := s.CreateUser(ctx, NewUser{Login: "boss", Role: "admin", Password: testPassword})
		admin := principal.Principal{UserID: boss.ID, Login: "boss", Role: "admin", Permissions: boss.Permissions}
		actx := principal.With(ctx, admin)

		// Nobody grants more than they hold.
		if _, err := s.CreateRole(actx, admin, RoleInput{ID: "registrar", Name: "Регистратор", Permissions: []string{perm.RequestsRead, perm.AuditRead}}); problem.CodeOf(err) != problem.Forbidden ||
			!strings.Contains(problem.BodyOf(err).Detail, perm.AuditRead) {
			t.Fatalf("a role with a permission the admin lacks: %v", err)
		}
		if _, err := s.CreateRole(actx, admin, RoleInput{ID: "registrar", Name: "Регистратор", Permissions: []string{"patients.everything"}}); problem.CodeOf(err) != problem.Invalid ||
			problem.BodyOf(err).Errors[0].Field != "permissions" {
			t.Fatalf("an unknown permission: %v", err)
		}
		if _, err := s.CreateRole(actx, admin, RoleInput{ID: "Bad Id", Name: "x", Permissions: nil}); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("a bad role id: %v", err)
		}
		role, err := s.CreateRole(actx, admin, RoleInput{ID: "registrar", Name: "Регистратор", Permissions: []string{perm.RequestsUpdate, perm.RequestsRead}})
		if err != nil || !slices.Equal(role.Permissions, []string{perm.RequestsRead, perm.RequestsUpdate}) || role.Builtin {
			t.Fatalf("role %+v %v", role, err)
		}
		if _, err := s.CreateRole(actx, admin, RoleInput{ID: "registrar", Name: "Дубль"}); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("a duplicate role: %v", err)
		}
		if _, err := s.UpdateRole(actx, admin, "registrar", RolePatch{Permissions: &[]string{perm.RequestsRead, perm.AuditRead}}); problem.CodeOf(err) != problem.Forbidden {
			t.Fatalf("adding a permission the admin lacks: %v", err)
		}
		// A role holding what the admin lacks is out of their reach, even to
		// take permissions away: the security officer keeps the audit.
		officerName := "Наблюдатель"
		if _, err := s.UpdateRole(actx, admin, "security_officer", RolePatch{Name: &officerName}); problem.CodeOf(err) != problem.Forbidden {
			t.Fatalf("renaming the security officer's role: %v", err)
		}
		if _, err := s.UpdateRole(actx, admin, "security_officer", RolePatch{Permissions: &[]string{perm.ContactsRead}}); problem.CodeOf(err) != problem.Forbidden {
			t.Fatalf("taking the audit from security officers: %v", err)
		}
		sup, err := s.UpdateRole(actx, admin, "supervisor", RolePatch{Permissions: &[]string{perm.RequestsRead, perm.PatientsReadPD, perm.ContactsRead}})
		if err != nil || !slices.Contains(sup.Permissions, perm.PatientsReadPD) || slices.Contains(sup.Permissions, perm.RequestsAssign) {
			t.Fatalf("narrowing supervisors: %+v %v", sup, err)
		}
		if _, err := s.UpdateRole(actx, admin, "nope", RolePatch{Name: new(string)}); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("unknown role: %v", err)
		}

		// Users: only roles within the admin's own permissions.
		if _, err := s.AddUser(actx, admin, NewUser{Login: "sidorova", Role: "security_officer", Password: testPassword}); problem.CodeOf(err) != problem.Forbidden {
			t.Fatalf("creating a security officer (audit.read) as admin: %v", err)
		}
		u, err := s.AddUser(actx, admin, NewUser{Login: "sidorova", Name: "Анна Сидорова", Role: "registrar", Password: testPassword})
		if err != nil || u.Login != "sidorova" || u.Role != "registrar" || u.Blocked || u.TwoFactorEnabled {
			t.Fatalf("user %+v %v", u, err)
		}
		offRole := "security_officer"
		if _, err := s.UpdateUser(actx, admin, u.ID, UserPatch{Role: &offRole}); problem.CodeOf(err) != problem.Forbidden {
			t.Fatalf("making a security officer as admin: %v", err)
		}
		yes := true
		officer, _ := s.CreateUser(ctx, NewUser{Login: "savelev", Role: "security_officer", Password: testPassword})
		if _, err := s.UpdateUser(actx, admin, officer.ID, UserPatch{Blocked: &yes}); problem.CodeOf(err) != problem.Forbidden {
			t.Fatalf("blocking the security officer as admin: %v", err)
		}
		if _, err := s.UpdateUser(actx, admin, boss.ID, UserPatch{Blocked: &yes}); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("blocking yourself: %v", err)
		}
		if _, err := s.UpdateUser(actx, admin, "01a1fb81-0a4e-7843-816b-a532f5ad9efa", UserPatch{Blocked: &yes}); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("unknown user: %v", err)
		}

		// Blocking revokes every session and token at once.
		_, sess, _ := s.Login(ctx, LoginInput{Login: "sidorova", Password: testPassword})
		tok, _, _ := s.CreateToken(ctx, "sidorova", "cli", time.Hour)
		name := "Анна Петровна Сидорова"
		u, err = s.UpdateUser(actx, admin, u.ID, UserPatch{Name: &name, Blocked: &yes})
		if err != nil || !u.Blocked || u.Name != name {
			t.Fatalf("block %+v %v", u, err)
		}
		for _, cred := range []string{sess.Token, tok} {
			if _, err := s.Authenticate(ctx, cred); problem.CodeOf(err) != problem.Unauthorized {
				t.Fatalf("a blocked user's credential still works: %v", err)
			}
		}
		var live int
		_ = s.DB.R.QueryRow(`SELECT (SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL) + (SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL)`, u.ID).Scan(&live)
		if live != 0 {
			t.Fatalf("%d sessions and tokens left unrevoked", live)
		}
		// Unblocking lets them log in again, with new credentials only.
		no := false
		if _, err := s.UpdateUser(actx, admin, u.ID, UserPatch{Blocked: &no}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, sess.Token); err == nil {
			t.Fatal("unblocking revived an old session")
		}
		if _, _, err := s.Login(ctx, LoginInput{Login: "sidorova", Password: testPassword}); err != nil {
			t.Fatal(err)
		}

		users, _ := s.ListUsers(ctx)
		roles, _ := s.ListRoles(ctx)
		if len(users) != 3 || len(roles) != len(perm.BuiltinRoles)+1 {
			t.Fatalf("%d users, %d roles", len(users), len(roles))
		}

		recs := auditRecords(t, s)
		for action, want := range map[string]int{"role.created": 1, "role.updated": 1, "user.created": 3, "user.blocked": 1, "user.updated": 2} {
			if got := countAudit(recs, action, "", ""); got != want {
				t.Errorf("%d %s records, want %d", got, action, want)
			}
		}
		for _, r := range recs {
			switch r.Action {
			case "role.updated":
				var removed []string
				for _, p := range perm.BuiltinRoles[1].Permissions {
					if !slices.Contains(sup.Permissions, p) {
						removed = append(removed, p)
					}
				}
				if r.Details["removed"] != strings.Join(removed, ",") || r.Details["added"] != "" || r.ActorID != boss.ID {
					t.Errorf("role.updated recorded as %+v", r)
				}
			case "user.blocked":
				if r.Details["sessions_revoked"] != "1" || r.Details["tokens_revoked"] != "1" || r.ActorLogin != "boss" {
					t.Errorf("user.blocked recorded as %+v", r)
				}
			}
		}
		subjects := outboxSubjects(t, s)
		for _, want := range []string{"identity.role.created", "identity.role.updated", "identity.user.updated", "identity.user.blocked"} {
			if !slices.Contains(subjects, want) {
				t.Errorf("no %s event", want)
			}
		}
	})
}
