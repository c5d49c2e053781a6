package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
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

// formContact is the contact a web form with the phone makes, as reader
// sees it on the request.
func formContact(t *testing.T, a *testApp, reader *browser, phone string) string {
	t.Helper()
	r, body := postJSON(a.browser(), "site", map[string]any{"name": "Анна", "phone": phone, "consent": true}, nil)
	var created struct{ ID string }
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" {
		t.Fatalf("web form: %d", r.StatusCode)
	}
	r, body = reader.do("GET", "/api/v1/requests/"+created.ID, "", nil, nil)
	var req struct{ Contact struct{ ID string } }
	if err := json.Unmarshal(body, &req); err != nil || req.Contact.ID == "" {
		t.Fatalf("request: %d", r.StatusCode)
	}
	return req.Contact.ID
}

// contactAppointments lists the ids and contact ids of the appointments on
// the contact's list (GET /mis/appointments?contact_id=), and the status.
func contactAppointments(b *browser, contactID string) (int, map[string]string) {
	r, body := b.do("GET", "/api/v1/mis/appointments?"+url.Values{"contact_id": {contactID}}.Encode(), "", nil, nil)
	var list struct {
		Items []struct {
			ID        string `json:"id"`
			ContactID string `json:"contact_id"`
		} `json:"items"`
	}
	_ = json.Unmarshal(body, &list)
	out := map[string]string{}
	for _, it := range list.Items {
		out[it.ID] = it.ContactID
	}
	return r.StatusCode, out
}

// freeSlots are n free slots of the demo MIS's therapists.
func freeSlots(t *testing.T, b *browser, n int) []string {
	t.Helper()
	var slots struct {
		Items []struct{ ID string } `json:"items"`
	}
	from := time.Now().UTC().Truncate(time.Second)
	q := url.Values{"specialty": {"therapist"}, "from": {from.Format(time.RFC3339)}, "to": {from.Add(14 * 24 * time.Hour).Format(time.RFC3339)}, "limit": {strconv.Itoa(n)}}
	waitUntil(t, "free slots from the demo MIS", func() bool {
		_, body := b.do("GET", "/api/v1/mis/slots?"+q.Encode(), "", nil, nil)
		_ = json.Unmarshal(body, &slots)
		return len(slots.Items) == n
	})
	out := make([]string, 0, n)
	for _, it := range slots.Items {
		out = append(out, it.ID)
	}
	return out
}

// A supervisor merges a contact card linked to an MIS patient, and booked
// for without one, into another: the mis service follows
// contactcenter.contact.merged, and the survivor's card shows the patient
// and its list the appointment, while the merged card shows none. A
// screen still open on the merged card then links, and books, for the
// survivor.
func TestSystemMergeMovesMISLinks(t *testing.T) {
	cfg := baseConfig(t.TempDir(), "", "")
	cfg.Demo = true
	a := boot(t, cfg, false)
	sv := a.browser()
	sv.login("supervisor")

	survivor, merged := formContact(t, a, sv, "8 912 345-67-11"), formContact(t, a, sv, "8 912 345-67-12")
	if survivor == merged {
		t.Fatal("two numbers made one contact")
	}

	// Booked for the merged card before it had a patient: only its
	// contact_id ties the appointment to the card.
	slots := freeSlots(t, sv, 2)
	r, body := sv.call("POST", "/api/v1/mis/appointments", map[string]string{"slot_id": slots[0], "contact_id": merged}, nil)
	var early struct {
		ID        string `json:"id"`
		ContactID string `json:"contact_id"`
	}
	_ = json.Unmarshal(body, &early)
	if r.StatusCode != 201 || early.ID == "" || early.ContactID != merged {
		t.Fatalf("book for the card to be merged: %d", r.StatusCode)
	}

	r, body = sv.call("POST", "/api/v1/mis/links", map[string]string{"contact_id": merged, "patient_id": "pat-010"}, nil)
	var link struct{ ID string }
	_ = json.Unmarshal(body, &link)
	if r.StatusCode != 201 || link.ID == "" {
		t.Fatalf("link: %d", r.StatusCode)
	}
	if code, got := contactPatients(sv, merged); code != 200 || len(got) != 1 || got[0] != "pat-010" {
		t.Fatalf("the card before the merge: %d %v", code, got)
	}
	if code, got := contactAppointments(sv, survivor); code != 200 || len(got) != 0 {
		t.Fatalf("the survivor's list before the merge: %d %v", code, got)
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
	// The appointment moved in the same transaction as the link.
	if code, list := contactAppointments(sv, survivor); code != 200 || list[early.ID] != survivor {
		t.Fatalf("the survivor's list after the merge: %d %v", code, list)
	}
	if code, list := contactAppointments(sv, merged); code != 200 || len(list) != 0 {
		t.Fatalf("the merged card's list after the merge: %d %v", code, list)
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

	// A screen opened before the merge links the merged card: the link is
	// the survivor's, and the answer says so.
	r, body = sv.call("POST", "/api/v1/mis/links", map[string]string{"contact_id": merged, "patient_id": "pat-011"}, nil)
	var late struct {
		ID        string `json:"id"`
		ContactID string `json:"contact_id"`
	}
	_ = json.Unmarshal(body, &late)
	if r.StatusCode != 201 || late.ContactID != survivor {
		t.Fatalf("link to the merged card: %d, contact %s", r.StatusCode, late.ContactID)
	}
	if code, got := contactPatients(sv, survivor); code != 200 || !slices.Equal(got, []string{"pat-010", "pat-011"}) {
		t.Fatalf("the survivor's card: %d %v", code, got)
	}
	if code, got := contactPatients(sv, merged); code != 200 || len(got) != 0 {
		t.Fatalf("the merged card got patients: %d %v", code, got)
	}
	// And books for it: for the survivor.
	r, body = sv.call("POST", "/api/v1/mis/appointments", map[string]string{"slot_id": slots[1], "contact_id": merged, "patient_id": "pat-011"}, nil)
	var booked struct {
		ID        string `json:"id"`
		ContactID string `json:"contact_id"`
	}
	_ = json.Unmarshal(body, &booked)
	if r.StatusCode != 201 || booked.ContactID != survivor {
		t.Fatalf("book for the merged card: %d, contact %s", r.StatusCode, booked.ContactID)
	}
	if code, list := contactAppointments(sv, survivor); code != 200 || list[booked.ID] != survivor || list[early.ID] != survivor {
		t.Fatalf("the survivor's list: %d %v", code, list)
	}
	// The contact center audited its answers to the mis service under the
	// supervisor: for the merged card, where it went and no field of it.
	seen := map[string]bool{}
	waitUntil(t, "the merge checks in the audit trail", func() bool {
		found, _, _ = a.Audit.Find(context.Background(), audit.Filter{Action: "contact.read", ObjectID: merged, Limit: 50})
		for _, e := range found {
			if e.Details["by_service"] == "mis" && e.Details["merged_into"] == survivor {
				seen[e.Details["purpose"]] = true
			}
		}
		return seen["patient_link"] && seen["appointment_book"]
	})
	for _, e := range found {
		if e.Details["by_service"] == "mis" && (e.Service != "contactcenter" || e.ActorID != userID(t, a, "supervisor") || len(e.Fields) != 0) {
			t.Fatalf("audit of a merge check: %s by %s, fields %v", e.Service, e.ActorID, e.Fields)
		}
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
