package contactcenter

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/testenv"
)

// The MIS's statuses move the request: booked → visited when the patient
// arrived or was seen; a no-show opens a follow-up task to call and rebook.
func TestStoreMISStatusesMoveRequests(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		res, err := s.Submit(ctx, Submission{Form: testForm, Input: IntakeInput{Name: "Анна", Phone: "+79120001122"}})
		if err != nil {
			t.Fatal(err)
		}
		reqID := res.RequestID
		apply := func(subject string) {
			t.Helper()
			data, _ := json.Marshal(map[string]string{"request_id": reqID, "appointment_id": "a-1", "status": subject})
			e := events.Envelope{ID: subject + reqID, Type: "mis.appointment." + subject, At: time.Now().UTC(), Data: data}
			if err := s.DB.InTx(ctx, func(tx *sql.Tx) error { return s.ApplyMISEvent(ctx, tx, e) }); err != nil {
				t.Fatal(err)
			}
		}
		status := func() string {
			r, err := s.FindRequestByID(ctx, reqID)
			if err != nil {
				t.Fatal(err)
			}
			return r.Status
		}
		apply("booked")
		if st := status(); st != StatusBooked {
			t.Fatalf("after booked: %s", st)
		}
		apply("arrived")
		if st := status(); st != StatusVisited {
			t.Fatalf("after arrived: %s", st)
		}
		apply("cancelled")
		if st := status(); st != StatusVisited {
			t.Fatalf("a late cancel moved a visited request: %s", st)
		}
		tasks, _, err := s.FindTasks(ctx, TaskFilter{Kind: TaskNoShow, Limit: 10})
		if err != nil || len(tasks) != 0 {
			t.Fatalf("no-show tasks before a no-show: %d", len(tasks))
		}
		apply("noshow")
		tasks, _, err = s.FindTasks(ctx, TaskFilter{Kind: TaskNoShow, Limit: 10})
		if err != nil || len(tasks) != 1 || tasks[0].RequestID != reqID || tasks[0].Contact == nil || tasks[0].Status != TaskOpen {
			t.Fatalf("no-show follow-up: %v %+v", err, tasks)
		}
		trail, err := s.Trail(ctx, reqID)
		if err != nil || len(trail.History) < 2 {
			t.Fatalf("history of the MIS's moves: %v %d", err, len(trail.History))
		}
	})
}

// A manager's changes: lost needs one of the clinic's reasons; every change
// and comment is in the trail; a duplicate merges into its survivor; two
// contact cards merge keeping every request and number.
func TestStorePipelineChangesAndMerges(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		ctx := context.Background()
		s := newService(t, b)
		submit := func(phone string) (string, string) {
			res, err := s.Submit(ctx, Submission{Form: testForm, Input: IntakeInput{Name: "Пациент", Phone: phone}})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.FindRequestByID(ctx, res.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			if r.FirstResponseDue == nil || r.ResolutionDue == nil {
				t.Fatal("a new request has no SLA due times")
			}
			return r.ID, r.Contact.ID
		}
		r1, c1 := submit("+79120002201")
		r2, _ := submit("+79120002201")
		r3, c3 := submit("+79120002202")
		lost := StatusLost
		if err := s.UpdateRequest(ctx, "op", r1, RequestChange{Status: &lost}); err == nil {
			t.Fatal("lost without a reason accepted")
		}
		bad := "просто так"
		if err := s.UpdateRequest(ctx, "op", r1, RequestChange{Status: &lost, LostReason: &bad}); err == nil {
			t.Fatal("a reason not on the clinic's list accepted")
		}
		inProgress, tags := StatusInProgress, []string{"VIP", "дети", "vip"}
		if err := s.UpdateRequest(ctx, "op", r1, RequestChange{Status: &inProgress, Tags: &tags}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddComment(ctx, "op", r1, "Перезвонить после 18:00"); err != nil {
			t.Fatal(err)
		}
		r, _ := s.FindRequestByID(ctx, r1)
		if r.Status != StatusInProgress || len(r.Tags) != 2 || r.FirstResponseAt == nil {
			t.Fatalf("after the change: status %s tags %v first response %v", r.Status, r.Tags, r.FirstResponseAt)
		}
		if err := s.MergeRequests(ctx, "op", r2, r1); err != nil {
			t.Fatal(err)
		}
		dup, _ := s.FindRequestByID(ctx, r2)
		if dup.Status != StatusLost || dup.MergedInto != r1 {
			t.Fatalf("the duplicate after merging: %s into %q", dup.Status, dup.MergedInto)
		}
		if err := s.UpdateRequest(ctx, "op", r2, RequestChange{Status: &inProgress}); err == nil {
			t.Fatal("a merged duplicate was changed")
		}
		trail, err := s.Trail(ctx, r1)
		if err != nil || len(trail.Comments) != 1 || trail.Comments[0].Body != "Перезвонить после 18:00" || len(trail.History) < 3 {
			t.Fatalf("trail: %v, %d comments, %d changes", err, len(trail.Comments), len(trail.History))
		}
		// Two cards of one person: merged, every request and both numbers kept.
		if err := s.MergeContacts(ctx, "sup", c3, c1); err != nil {
			t.Fatal(err)
		}
		card, err := s.ContactCard(ctx, principalWithPD(), c1)
		if err != nil {
			t.Fatal(err)
		}
		requests := 0
		for _, it := range card.Timeline {
			if it.Kind == "request" && (it.ID == r1 || it.ID == r3) {
				requests++
			}
		}
		if len(card.Phones) != 2 || requests != 2 {
			t.Fatalf("merged card: %d phones, %d of its requests", len(card.Phones), requests)
		}
		// The merged number now finds the survivor.
		_, again := submit("+79120002202")
		if again != c1 {
			t.Fatal("a request from the merged number made a new contact")
		}
	})
}

func principalWithPD() principal.Principal {
	return principal.Principal{UserID: "sup", Permissions: []string{perm.ContactsRead, perm.PatientsReadPD}}
}
