package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/okno-crm/okno/internal/audit"
	"github.com/okno-crm/okno/internal/testenv"
)

// Rotating the data key while Okno runs re-seals everything under the new
// key; afterwards everything reads, also after a restart, though the old
// key is gone.
func TestStoreKeyRotationOnline(t *testing.T) {
	forEachProfile(t, func(t *testing.T, p profile) {
		dir, pg := testenv.Storage(t, p.db)
		cfg := baseConfig(dir, pg, p.bus.URL)
		a := boot(t, cfg, false)
		var ids []string
		for i := 0; i < 30; i++ {
			_, body := postJSON(a.browser(), "site", map[string]any{"name": fmt.Sprint("Пациент ", i), "phone": fmt.Sprintf("+7912555%04d", i), "message": fmt.Sprint("жалоба ", i), "consent": true}, nil)
			var r struct{ ID string }
			_ = json.Unmarshal(body, &r)
			ids = append(ids, r.ID)
		}
		ctx := context.Background()
		res, err := a.CC.RotateKeys(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.Version != 2 || res.Contacts != 30 || res.Requests != 30 {
			t.Fatalf("rotation: %+v", res)
		}
		if v, _ := a.CC.KeyVersions(ctx); len(v) != 1 || v[0] != 2 {
			t.Fatalf("key versions after rotation: %v", v)
		}
		waitUntil(t, "the rotation in the audit", func() bool {
			items, _, err := a.Audit.Find(ctx, audit.Filter{Action: "keys.rotated", Limit: 5})
			return err == nil && len(items) == 1 && items[0].ObjectID == "2"
		})
		var stale int
		_ = a.CC.DB.R.QueryRow(`SELECT COUNT(*) FROM contacts WHERE name_sealed LIKE 'v1.%' OR phone_sealed LIKE 'v1.%'`).Scan(&stale)
		if stale != 0 {
			t.Fatalf("%d contacts still sealed under the old key", stale)
		}
		// Intake keeps working on the new key while the old one is gone.
		if r, body := postJSON(a.browser(), "site", map[string]any{"phone": "+79125559999", "consent": true}, nil); r.StatusCode != 201 {
			t.Fatalf("intake after rotation: %d %s", r.StatusCode, body)
		}
		a.stop()
		b := boot(t, cfg, false)
		m := b.browser()
		m.login("supervisor")
		for i, id := range ids {
			_, body := m.do("GET", "/api/v1/requests/"+id, "", nil, nil)
			var r struct {
				Message string
				Contact struct{ Name, Phone string }
			}
			_ = json.Unmarshal(body, &r)
			if r.Message != fmt.Sprint("жалоба ", i) || r.Contact.Phone != fmt.Sprintf("+7912555%04d", i) {
				t.Fatalf("request %d after rotation and restart: %s", i, body)
			}
		}
	})
}
