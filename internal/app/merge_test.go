package app_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/okno-crm/okno/internal/app"
	"github.com/okno-crm/okno/internal/audit"
	"github.com/okno-crm/okno/internal/bus"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/ids"
	"github.com/okno-crm/okno/internal/principal"
)

// contactPatients lists the patient ids on the contact's MIS card, and the
// status of the answer. Bodies are not printed: they hold patient data.
func contactPatients(b *browser, contactID string) (int, []string) {
	r, body := b.do("GET", "/api/v1/mis/contacts/"+contactID+"/patients", "", nil, nil)
	var card struct {
		Items []struct {
			Patient struct {
				ID string `json:"id"`
			} `json:"patient"`
		} `json:"items"`
	}
	_ = json.Unmarshal(body, &card)
	var out []string
	for _, it := range card.Items {
		out = append(out, it.Patient.ID)
	}
	return r.StatusCode, out
}

// A supervisor merges a contact card linked to an MIS patient into
// another: the mis service follows contactcenter.contact.merged, and the
// survivor's card shows the patient while the merged card shows none.
func TestSystemMergeMovesMISLinks(t *testing.T) {
	cfg := baseConfig(t.TempDir(), "", "")
	cfg.Demo = true
	a := boot(t, cfg, false)
	sv := a.browser()
	sv.login("supervisor")

	contactOf := func(phone string) string {
		t.Helper()
		r, body := postJSON(a.browser(), "site", map[string]any{"name": "Анна", "phone": phone, "consent": true}, nil)
		var created struct{ ID string }
		if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
			t.Fatalf("web form: %d", r.StatusCode)
		}
		r, body = sv.do("GET", "/api/v1/requests/"+created.ID, "", nil, nil)
		var req struct{ Contact struct{ ID string } }
		if err := json.Unmarshal(body, &req); err != nil || req.Contact.ID == "" {
			t.Fatalf("request: %d", r.StatusCode)
		}
		return req.Contact.ID
	}
	survivor, merged := contactOf("8 912 345-67-11"), contactOf("8 912 345-67-12")
	if survivor == merged {
		t.Fatal("two numbers made one contact")
	}

	r, body := sv.call("POST", "/api/v1/mis/links", map[string]string{"contact_id": merged, "patient_id": "pat-010"}, nil)
	var link struct{ ID string }
	_ = json.Unmarshal(body, &link)
	if r.StatusCode != 201 || link.ID == "" {
		t.Fatalf("link: %d", r.StatusCode)
	}
	if code, got := contactPatients(sv, merged); code != 200 || len(got) != 1 || got[0] != "pat-010" {
		t.Fatalf("the card before the merge: %d %v", code, got)
	}

	// POST /contacts/{merged}/merge {"into": survivor}: the path names the
	// card that goes away.
	if r, _ := sv.call("POST", "/api/v1/contacts/"+merged+"/merge", map[string]string{"into": survivor}, nil); r.StatusCode != 200 {
		t.Fatalf("merge: %d", r.StatusCode)
	}
	var got []string
	waitUntil(t, "the patient on the surviving card", func() bool {
		var code int
		code, got = contactPatients(sv, survivor)
		return code == 200 && len(got) == 1 && got[0] == "pat-010"
	})
	if code, got := contactPatients(sv, merged); code != 200 || len(got) != 0 {
		t.Fatalf("the merged card still lists patients: %d %v", code, got)
	}

	// The move reaches the audit trail under the supervisor who merged.
	var found []audit.Entry
	waitUntil(t, "the move in the audit trail", func() bool {
		found, _, _ = a.Audit.Find(context.Background(), audit.Filter{Action: "patient.relinked", ObjectID: link.ID, Limit: 5})
		return len(found) > 0
	})
	if len(found) != 1 || found[0].Service != "mis" || found[0].ActorID != userID(t, a, "supervisor") {
		t.Fatalf("audit of the move: %d records", len(found))
	}
}

// okno serve mis runs the consumer too: a merge announced on a shared NATS
// moves the links held by a mis process running alone.
func TestSystemServeMISFollowsMerges(t *testing.T) {
	ns := startNATS(t, 0, filepath.Join(t.TempDir(), "nats"))
	cfg := baseConfig(t.TempDir(), "", ns.url())
	cfg.InternalToken = "shared-internal-secret-for-the-test"
	cfg.Demo = true
	ms, err := app.Open(context.Background(), cfg, app.MIS, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ms.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ms.Close(ctx)
	})
	if ms.CC != nil || ms.MIS == nil {
		t.Fatal("okno serve mis runs another service, or not the mis one")
	}
	ctx := context.Background()
	actor := principal.Principal{UserID: ids.New(), Login: "supervisor", Role: "supervisor"}
	survivor, merged := ids.New(), ids.New()
	l, _, err := ms.MIS.LinkPatient(ctx, actor, merged, "pat-010")
	if err != nil {
		t.Fatal(err)
	}

	data, _ := json.Marshal(map[string]string{"contact_id": survivor, "merged_contact_id": merged, "actor_id": actor.UserID})
	env := events.Envelope{ID: ids.New(), Type: "contactcenter.contact.merged", At: time.Now().UTC(), Data: data}
	payload, _ := json.Marshal(env)
	if _, err := ms.Bus.JS.Publish(ctx, env.Type, payload, jetstream.WithMsgID(env.ID)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the link on the surviving contact", func() bool {
		var contactID string
		err := ms.MIS.DB.R.QueryRow(`SELECT contact_id FROM patient_links WHERE id = $1 AND unlinked_at IS NULL`, l.ID).Scan(&contactID)
		return err == nil && contactID == survivor
	})
	info, err := ms.Bus.JS.Consumer(ctx, bus.Stream, "mis-contactcenter")
	if err != nil {
		t.Fatalf("the durable consumer: %v", err)
	}
	if ci := info.CachedInfo(); ci.Config.Durable != "mis-contactcenter" || ci.Config.FilterSubject != "contactcenter.contact.merged" {
		t.Fatalf("consumer config: %+v", ci.Config)
	}
}
