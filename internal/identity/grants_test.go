package identity

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/testenv"
)

// An installation seeded before a permission existed gets it once; an
// administrator who then takes it away is not overruled at the next start.
func TestStoreGrantsAddedPermissionsOnce(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		s := newService(t, b, &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)})
		rolePerms := func() []string {
			var raw string
			if err := s.DB.R.QueryRowContext(ctx, `SELECT permissions FROM roles WHERE id = 'operator'`).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var p []string
			if err := json.Unmarshal([]byte(raw), &p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		setPerms := func(p []string) {
			raw, _ := json.Marshal(p)
			if _, err := s.DB.W.ExecContext(ctx, `UPDATE roles SET permissions = $1 WHERE id = 'operator'`, string(raw)); err != nil {
				t.Fatal(err)
			}
		}
		// As an installation from before calls.read: the role lacks it and
		// the grant was never applied.
		setPerms(slices.DeleteFunc(rolePerms(), func(p string) bool { return p == perm.CallsRead }))
		if _, err := s.DB.W.ExecContext(ctx, `DELETE FROM permission_grants WHERE permission = $1`, perm.CallsRead); err != nil {
			t.Fatal(err)
		}
		if err := s.ensureRoles(ctx); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(rolePerms(), perm.CallsRead) {
			t.Fatal("calls.read not granted to operator on upgrade")
		}
		setPerms(slices.DeleteFunc(rolePerms(), func(p string) bool { return p == perm.CallsRead }))
		if err := s.ensureRoles(ctx); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(rolePerms(), perm.CallsRead) {
			t.Fatal("calls.read granted again after the administrator took it away")
		}
	})
}
