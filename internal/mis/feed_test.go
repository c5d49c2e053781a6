package mis

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

// The status feed: an outage loses nothing, a crash in the middle of a page
// applies nothing of it (and the page is applied whole afterwards), a
// restart resumes from the stored cursor, and nothing is announced twice.
func TestStoreMISStatusFeed(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, f, _ := newFakeService(t, b)
		s.FeedPage = 2
		ctx := context.Background()
		if _, _, err := s.LinkPatient(ctx, operator, motherContact, "pat-mother"); err != nil {
			t.Fatal(err)
		}
		booked, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-0", ContactID: motherContact, RequestID: "0193a000-0000-7000-8000-000000000201"})
		if err != nil {
			t.Fatal(err)
		}
		before := len(outbox(t, s))

		// The reception desk: the patient confirms; a visit is booked for
		// the linked mother and one for a patient nobody linked.
		_ = f.setStatus(booked.MISID, ApptConfirmed)
		deskMother := f.bookExternal("pat-mother", "slot-doc-3-4")
		f.bookExternal("pat-other", "slot-doc-2-4")

		// The MIS is down for three polls: nothing applied, the error shown,
		// the cursor where it was.
		f.failChanges = 3
		for range 3 {
			if _, err := s.PollFeed(ctx); problem.CodeOf(err) != problem.Unavailable {
				t.Fatalf("poll during the outage: %v", err)
			}
		}
		st, err := s.Feed(ctx)
		if err != nil || st.LastError == "" || st.LastPollAt == nil || st.Cursor != "" || st.AppliedTotal != 0 {
			t.Fatalf("feed during the outage: %+v %v", st, err)
		}
		if len(outbox(t, s)) != before {
			t.Fatal("events during the outage")
		}

		// A crash in the middle of the second page: that page leaves no trace.
		calls := 0
		s.beforeApply = func(ch MISAppointment) error {
			calls++
			if calls == 4 {
				return errors.New("crash")
			}
			return nil
		}
		if _, err := s.PollFeed(ctx); err == nil {
			t.Fatal("the crash went unnoticed")
		}
		mid, _ := s.Feed(ctx)
		if mid.Cursor != "2" || mid.AppliedTotal != 1 {
			t.Fatalf("after the crash the cursor is %q with %d applied, want the first page's", mid.Cursor, mid.AppliedTotal)
		}
		s.beforeApply = nil

		// Back up: everything arrives once.
		n, err := s.PollFeed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st, _ = s.Feed(ctx)
		// booked→confirmed (1) and the mother's desk booking (1); the
		// unlinked patient's and the re-reads of changes already applied
		// are nothing.
		if n != 1 || st.AppliedTotal != 2 || st.LastError != "" || st.Cursor != "4" || st.CursorAt == nil {
			t.Fatalf("after the outage: applied %d, state %+v", n, st)
		}
		confirmed := eventsOf(t, s, SubjectAppointment(ApptConfirmed))
		if len(confirmed) != 1 || confirmed[0]["appointment_id"] != booked.ID || confirmed[0]["request_id"] == "" || confirmed[0]["contact_id"] != motherContact ||
			confirmed[0]["status"] != ApptConfirmed || confirmed[0]["start"] == "" {
			t.Fatalf("confirmed events: %v", confirmed)
		}
		deskBooked := eventsOf(t, s, SubjectBooked)
		if len(deskBooked) != 2 || deskBooked[1]["mis_id"] != deskMother || deskBooked[1]["contact_id"] != motherContact || deskBooked[1]["source"] != SourceMIS {
			t.Fatalf("booked events: %v", deskBooked)
		}
		var kept int
		_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM appointments`).Scan(&kept)
		if kept != 2 {
			t.Fatalf("%d appointments kept, want Okno's booking and the linked patient's", kept)
		}

		// A restart resumes from the stored cursor.
		s2, err := New(ctx, s.DB, f, s.Now)
		if err != nil {
			t.Fatal(err)
		}
		_ = f.setStatus(booked.MISID, ApptArrived)
		_ = f.setStatus(deskMother, ApptNoShow)
		_ = f.setStatus(booked.MISID, ApptCompleted)
		f.changeCalls = nil
		if _, err := s2.PollFeed(ctx); err != nil {
			t.Fatal(err)
		}
		if len(f.changeCalls) == 0 || f.changeCalls[0] != "4" {
			t.Fatalf("the restarted feed asked from %v, want the stored cursor 4", f.changeCalls)
		}
		// The MIS answers records as they are now: arrived was overtaken by
		// completed before Okno looked, so completed is what is announced.
		if got := eventsOf(t, s2, SubjectAppointment(ApptCompleted)); len(got) != 1 || got[0]["appointment_id"] != booked.ID {
			t.Fatalf("completed events: %v", got)
		}
		if got := eventsOf(t, s2, SubjectAppointment(ApptNoShow)); len(got) != 1 || got[0]["mis_id"] != deskMother {
			t.Fatalf("noshow events: %v", got)
		}
		a, _ := s2.Appointment(ctx, booked.ID)
		if a.Status != ApptCompleted {
			t.Fatalf("stored status %s", a.Status)
		}
		// Polling again with nothing new announces nothing.
		count := len(outbox(t, s2))
		if n, err := s2.PollFeed(ctx); err != nil || n != 0 || len(outbox(t, s2)) != count {
			t.Fatalf("an idle poll applied %d (%v)", n, err)
		}
		h, err := s2.Health(ctx)
		if err != nil || h.Feed.AppliedTotal != 4 || h.Feed.CursorAt == nil || h.Counts.Doctors != 3 || h.Counts.Services != 2 {
			t.Fatalf("health: %+v %v", h, err)
		}
	})
}

// A desk move of an appointment Okno booked is announced as rescheduled; an
// older change arriving late changes nothing.
func TestStoreMISFeedRescheduleAndOrder(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s, f, _ := newFakeService(t, b)
		ctx := context.Background()
		a, err := s.Book(ctx, operator, BookInput{SlotID: "slot-doc-1-0", ContactID: motherContact})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Reschedule(ctx, a.MISID, "slot-doc-1-6"); err != nil {
			t.Fatal(err)
		}
		old := *f.appts[a.MISID] // the moved record, as a late duplicate
		if _, err := s.PollFeed(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Appointment(ctx, a.ID)
		if got.SlotID != "slot-doc-1-6" || !got.Start.Equal(f.slots["slot-doc-1-6"].Start) || got.Status != ApptBooked {
			t.Fatalf("after the desk moved it: %+v", got)
		}
		ev := eventsOf(t, s, SubjectRescheduled)
		if len(ev) != 1 || ev[0]["appointment_id"] != a.ID || ev[0]["previous_start"] == ev[0]["start"] {
			t.Fatalf("rescheduled: %v", ev)
		}
		_ = f.setStatus(a.MISID, ApptCancelled)
		if _, err := s.PollFeed(ctx); err != nil {
			t.Fatal(err)
		}
		stale := old
		stale.UpdatedAt = old.UpdatedAt.Add(-1) // older than the cancellation Okno has
		err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
			changed, err := s.applyChange(ctx, tx, stale, s.Now())
			if changed {
				return errors.New("a stale change was applied")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Appointment(ctx, a.ID); got.Status != ApptCancelled {
			t.Fatalf("status after a stale change: %s", got.Status)
		}
		if n := len(eventsOf(t, s, SubjectCancelled)); n != 1 {
			t.Fatalf("%d cancelled events", n)
		}
	})
}
