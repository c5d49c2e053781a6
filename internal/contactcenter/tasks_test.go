package contactcenter

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

// getAs makes a GET on the service's API as a user with perms and decodes
// the answer.
func getAs(t *testing.T, srv *httptest.Server, path, userID string, perms ...string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set(principal.HeaderUserID, userID)
	req.Header.Set(principal.HeaderPermissions, strings.Join(perms, ","))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("GET %s: %d, %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), out
}

// GET /tasks?request_id= lists exactly one request's tasks — not the other
// requests of the same contact, not the contact's own tasks — pages through
// them and combines with the other filters; a request_id that is no id is
// refused naming the field.
func TestStoreTasksByRequest(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		clock := &testClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, yekt)}
		s, srv := newClockedService(t, b, clock)
		ctx := context.Background()
		res := submit(t, s, IntakeInput{Name: "Анна Ёлкина", Phone: "+79123450031", Message: "Запись к терапевту"}, "")
		first, err := s.FindRequestByID(ctx, res.RequestID)
		if err != nil || first.Contact.ID == "" {
			t.Fatalf("the web request: %v", err)
		}
		contactID := first.Contact.ID
		secondID, err := s.CreateRequest(ctx, "op-1", NewRequest{ContactID: contactID, Channel: ChannelPhone, Message: "Вопрос по анализам"})
		if err != nil {
			t.Fatal(err)
		}
		due := clock.Now().Add(time.Hour)
		task := func(in NewTask) Task {
			t.Helper()
			in.DueAt = due
			k, err := s.CreateTask(ctx, "op-1", in)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		want := map[string]bool{}
		for _, note := range []string{"Перезвонить", "Напомнить о приёме", "Уточнить филиал"} {
			want[task(NewTask{RequestID: first.ID, Note: note}).ID] = true
		}
		other := task(NewTask{RequestID: secondID, Note: "Отправить результаты"})
		task(NewTask{ContactID: contactID, Note: "Без заявки"})

		list := func(query string) ([]Task, string) {
			t.Helper()
			st, _, out := getAs(t, srv, "/tasks?"+query, "op-1", perm.TasksRead)
			if st != 200 {
				t.Fatalf("GET /tasks?%s: %d %v", query, st, out)
			}
			raw, _ := json.Marshal(out["items"])
			var items []Task
			if err := json.Unmarshal(raw, &items); err != nil {
				t.Fatal(err)
			}
			next, _ := out["next_cursor"].(string)
			return items, next
		}
		got := map[string]bool{}
		cursor, pages := "", 0
		for {
			q := "request_id=" + first.ID + "&limit=2"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			items, next := list(q)
			pages++
			for _, k := range items {
				if k.RequestID != first.ID || got[k.ID] {
					t.Fatalf("page %d: task of request %q (repeated: %v)", pages, k.RequestID, got[k.ID])
				}
				got[k.ID] = true
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if len(got) != len(want) || pages != 2 {
			t.Fatalf("the request's tasks: %d in %d pages, want %d in 2", len(got), pages, len(want))
		}
		for id := range want {
			if !got[id] {
				t.Fatal("a task of the request is missing")
			}
		}
		if items, _ := list("request_id=" + secondID); len(items) != 1 || items[0].ID != other.ID {
			t.Fatalf("the other request's tasks: %d", len(items))
		}

		// With the other filters: one of the first request's tasks is done.
		var doneID string
		for id := range want {
			doneID = id
			break
		}
		done := TaskDone
		if _, err := s.UpdateTask(ctx, "op-1", doneID, TaskChange{Status: &done}); err != nil {
			t.Fatal(err)
		}
		if items, _ := list("request_id=" + first.ID + "&status=open"); len(items) != 2 {
			t.Fatalf("the request's open tasks: %d, want 2", len(items))
		}
		if items, _ := list("request_id=" + first.ID + "&status=done"); len(items) != 1 || items[0].ID != doneID {
			t.Fatalf("the request's done tasks: %d, want 1", len(items))
		}

		st, ct, out := getAs(t, srv, "/tasks?request_id=42", "op-1", perm.TasksRead)
		if st != 422 || ct != "application/problem+json" || !problemNames(out, "request_id") {
			t.Fatalf("a request_id that is no id: %d %s %v", st, ct, out)
		}
		if st, _, _ := getAs(t, srv, "/tasks?request_id="+first.ID, "op-1", perm.RequestsRead); st != 403 {
			t.Fatalf("without tasks.read: %d", st)
		}
	})
}

// An opened socket (online, if offline) brings an offline operator online
// but leaves one who stepped away as they are; the answer is the stored
// presence, and a condition that is no presence is refused.
func TestStorePresenceCondition(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newService(t, b)
		ctx := context.Background()
		steps := []struct {
			presence, onlyFrom, want string
		}{
			{PresenceOnline, PresenceOffline, PresenceOnline}, // first socket
			{PresenceAway, "", PresenceAway},                  // the operator steps away
			{PresenceOnline, PresenceOffline, PresenceAway},   // a reload or a second tab
			{PresenceOffline, "", PresenceOffline},            // every window closed
			{PresenceOnline, PresenceOffline, PresenceOnline}, // a window opened again
		}
		for i, st := range steps {
			got, err := s.SetPresence(ctx, "op-1", st.presence, st.onlyFrom)
			if err != nil || got != st.want {
				t.Fatalf("step %d: %q, %v; want %q", i, got, err, st.want)
			}
		}
		if got := outboxData(t, s, "contactcenter.operator.presence"); len(got) != 4 {
			t.Fatalf("%d presence events, want 4 (one per change)", len(got))
		}
		_, err := s.SetPresence(ctx, "op-1", PresenceOnline, "busy")
		var pe *problem.Error
		if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "if" {
			t.Fatalf("a condition that is no presence: %v", err)
		}
	})
}

func problemNames(body map[string]any, field string) bool {
	errs, _ := body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}
