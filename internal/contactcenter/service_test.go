package contactcenter

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

var testMasterKey = []byte("0123456789abcdef0123456789abcdef")

var testForm = WebForm{Key: "site", Name: "Сайт", ConsentText: "Согласие", ConsentVersion: "v3", Active: true}

func newService(t *testing.T, b testenv.Backend) *Service {
	t.Helper()
	db := testenv.OpenDB(t, b, "contactcenter")
	s, err := New(context.Background(), db, testMasterKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := s.SaveWebForm(context.Background(), testForm); err != nil {
		t.Fatal(err)
	}
	return s
}

func count(t *testing.T, s *Service, table string) int {
	t.Helper()
	var n int
	if err := s.DB.R.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func submit(t *testing.T, s *Service, in IntakeInput, key string) SubmitResult {
	t.Helper()
	res, err := s.Submit(context.Background(), Submission{Form: testForm, Input: in, IdemKey: key, Fingerprint: "fp-" + in.Phone + in.Message})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestStoreIntake(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newService(t, b)
		ctx := context.Background()

		res := submit(t, s, IntakeInput{Name: "Анна Ёлкина", Phone: "+79123456701", Message: "<b>Запись</b>"}, "")
		if res.Status != 201 || res.RequestID == "" {
			t.Fatalf("result %+v", res)
		}
		r, err := s.FindRequestByID(ctx, res.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != StatusNew || r.Channel != ChannelWebForm || r.Source != "site" || r.SourceName != "Сайт" {
			t.Fatalf("request %+v", r)
		}
		if r.Contact.Name != "Анна Ёлкина" || r.Contact.Phone != "+79123456701" || r.Message != "<b>Запись</b>" {
			t.Fatalf("stored differently: %+v", r)
		}
		if r.Consent == nil || r.Consent.TextVersion != "v3" || r.Consent.GivenAt.IsZero() {
			t.Fatalf("consent %+v", r.Consent)
		}

		// The same phone joins the same contact; the name first given stays.
		res2 := submit(t, s, IntakeInput{Name: "Другое имя", Phone: "+79123456701", Email: "anna@example.ru"}, "")
		r2, _ := s.FindRequestByID(ctx, res2.RequestID)
		if r2.Contact.ID != r.Contact.ID {
			t.Fatal("second form from the same phone made a new contact")
		}
		if r2.Contact.Name != "Анна Ёлкина" || r2.Contact.Email != "anna@example.ru" {
			t.Fatalf("contact after join: %+v", r2.Contact)
		}
		// E-mail only joins by e-mail.
		res3 := submit(t, s, IntakeInput{Email: "anna@example.ru"}, "")
		r3, _ := s.FindRequestByID(ctx, res3.RequestID)
		if r3.Contact.ID != r.Contact.ID {
			t.Fatal("e-mail-only form did not join the contact with that e-mail")
		}
		if n := count(t, s, "contacts"); n != 1 {
			t.Fatalf("%d contacts, want 1", n)
		}
		// Each request announces itself in the outbox; the new contact once.
		if n := count(t, s, "outbox"); n != 4 {
			t.Fatalf("%d outbox rows, want 4 (1 contact.created + 3 request.created)", n)
		}
	})
}

func TestStoreIntakeIdempotency(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newService(t, b)
		in := IntakeInput{Phone: "+79123456702", Message: "one"}
		first := submit(t, s, in, "key-1")
		again := submit(t, s, in, "key-1")
		if !again.Replayed || string(again.Body) != string(first.Body) || again.Status != first.Status {
			t.Fatalf("retry answered %+v, first %+v", again, first)
		}
		if n := count(t, s, "requests"); n != 1 {
			t.Fatalf("%d requests after a retry, want 1", n)
		}
		_, err := s.Submit(context.Background(), Submission{Form: testForm, Input: IntakeInput{Phone: "+79123456702", Message: "other"}, IdemKey: "key-1", Fingerprint: "different"})
		if problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("reused key with another body: %v", err)
		}
		if n := count(t, s, "requests"); n != 1 {
			t.Fatalf("%d requests after a refused reuse, want 1", n)
		}
	})
}

// Concurrent submissions share transactions, and each gets its own answer.
func TestStoreIntakeGroupCommit(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newService(t, b)
		const n = 300
		var wg sync.WaitGroup
		got := make([]string, n)
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				res, err := s.Submit(context.Background(), Submission{Form: testForm,
					Input: IntakeInput{Phone: fmt.Sprintf("+7912%07d", i%50), Message: fmt.Sprint(i)}, IdemKey: fmt.Sprint("k", i), Fingerprint: fmt.Sprint(i)})
				if err != nil {
					errs <- err
					return
				}
				var body struct{ ID string }
				_ = json.Unmarshal(res.Body, &body)
				got[i] = body.ID
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for i, id := range got {
			if id == "" || seen[id] {
				t.Fatalf("submission %d answered id %q (duplicate or empty)", i, id)
			}
			seen[id] = true
			r, err := s.FindRequestByID(context.Background(), id)
			if err != nil || r.Message != fmt.Sprint(i) {
				t.Fatalf("submission %d: answered id holds %+v, %v", i, r, err)
			}
		}
		if c := count(t, s, "contacts"); c != 50 {
			t.Fatalf("%d contacts, want 50 distinct phones", c)
		}
	})
}

func TestStoreFindRequests(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newService(t, b)
		ctx := context.Background()
		base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		var hist []HistoricRequest
		for i := 0; i < 25; i++ {
			st := StatusNew
			if i%5 == 0 {
				st = StatusBooked
			}
			ch := ChannelWebForm
			if i%2 == 1 {
				ch = ChannelPhone
			}
			hist = append(hist, HistoricRequest{Name: fmt.Sprint("n", i), Phone: fmt.Sprintf("+7912%07d", i), Message: fmt.Sprint(i), Channel: ch, Status: st, Source: "site", At: base.Add(time.Duration(i) * time.Minute)})
		}
		if err := s.ImportRequests(ctx, hist); err != nil {
			t.Fatal(err)
		}
		// Newest first, pages of 10 that join up without gaps or repeats.
		var all []Request
		cursor := ""
		for page := 0; page < 5; page++ {
			items, next, err := s.FindRequests(ctx, RequestFilter{Before: cursor, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, items...)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(all) != 25 {
			t.Fatalf("paged through %d, want 25", len(all))
		}
		for i, r := range all {
			if r.Message != fmt.Sprint(24-i) {
				t.Fatalf("position %d holds %s: not newest first", i, r.Message)
			}
		}
		booked, _, _ := s.FindRequests(ctx, RequestFilter{Status: StatusBooked, Limit: 50})
		if len(booked) != 5 {
			t.Fatalf("%d booked, want 5", len(booked))
		}
		phoneNew, _, _ := s.FindRequests(ctx, RequestFilter{Status: StatusNew, Channel: ChannelPhone, Limit: 50})
		for _, r := range phoneNew {
			if r.Status != StatusNew || r.Channel != ChannelPhone {
				t.Fatalf("filter leaked %+v", r)
			}
		}
		if len(phoneNew) != 10 {
			t.Fatalf("%d new phone requests, want 10", len(phoneNew))
		}
		if _, err := s.FindRequestByID(ctx, "01a1fb81-0a4e-7843-816b-a532f5ad9efa"); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("missing request: %v", err)
		}
	})
}

func TestStoreFindRequestsByIDs(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newService(t, b)
		var want []string
		for i := 0; i < 5; i++ {
			want = append(want, submit(t, s, IntakeInput{Phone: fmt.Sprintf("+7912000000%d", i)}, "").RequestID)
		}
		got, _, err := s.FindRequests(context.Background(), RequestFilter{IDs: []string{want[1], want[3]}, Status: StatusNew, Channel: ChannelWebForm, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != want[3] || got[1].ID != want[1] {
			t.Fatalf("by ids: %+v", got)
		}
	})
}
