package contactcenter

import (
	"context"
	"testing"

	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
	"github.com/okno-crm/okno/internal/testenv"
)

func TestStoreDataSubjectRights(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, b testenv.Backend) {
		s := newService(t, b)
		ctx := context.Background()
		officer := principal.Principal{UserID: "u-officer", Login: "officer", Role: "security_officer", ClientAddr: "10.0.0.5"}
		first := submit(t, s, IntakeInput{Name: "Анна Ёлкина", Phone: "+79123456701", Email: "anna@example.ru", Message: "болит голова"}, "")
		submit(t, s, IntakeInput{Phone: "+79123456701", Message: "запишите к неврологу"}, "")
		other := submit(t, s, IntakeInput{Name: "Иван", Phone: "+79123456702", Message: "другой пациент"}, "")

		found, err := s.SearchContacts(ctx, "8 912 345-67-01", "")
		if err != nil || len(found) != 1 || found[0].Name != "Анна Ёлкина" {
			t.Fatalf("search by phone: %+v %v", found, err)
		}
		byMail, _ := s.SearchContacts(ctx, "", "ANNA@example.ru")
		if len(byMail) != 1 || byMail[0].ID != found[0].ID {
			t.Fatalf("search by e-mail: %+v", byMail)
		}
		if _, err := s.SearchContacts(ctx, "12", ""); problem.CodeOf(err) != problem.Invalid {
			t.Fatalf("bad phone: %v", err)
		}
		id := found[0].ID

		rep, err := s.Report(ctx, id)
		if err != nil || len(rep.Requests) != 2 || len(rep.Consents) != 2 || rep.Contact.Email != "anna@example.ru" {
			t.Fatalf("report: %+v %v", rep, err)
		}
		if err := s.WithdrawConsent(ctx, officer, id, rep.Consents[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := s.WithdrawConsent(ctx, officer, id, rep.Consents[0].ID); problem.CodeOf(err) != problem.NotFound {
			t.Fatalf("withdrawing twice: %v", err)
		}
		cons, _ := s.FindConsents(ctx, id)
		if cons[0].WithdrawnAt == nil || cons[1].WithdrawnAt != nil {
			t.Fatalf("consents after withdrawal: %+v", cons)
		}

		if err := s.Anonymize(ctx, officer, id); err != nil {
			t.Fatal(err)
		}
		rep, err = s.Report(ctx, id)
		if err != nil || rep.Anonymized == nil || rep.Contact.Name != "" || rep.Contact.Phone != "" || rep.Requests[0].Message != "" || rep.Requests[1].Message != "" {
			t.Fatalf("after anonymization: %+v %v", rep, err)
		}
		if left, _ := s.SearchContacts(ctx, "+79123456701", ""); len(left) != 0 {
			t.Fatal("an anonymized person is still found by phone")
		}
		// The other patient is untouched.
		o, _ := s.FindRequestByID(ctx, other.RequestID)
		if o.Message != "другой пациент" || o.Contact.Name != "Иван" {
			t.Fatalf("anonymization touched someone else: %+v", o)
		}
		// Every service learns of it; the audit names the record, not the person.
		var n int
		_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM outbox WHERE subject = 'contactcenter.contact.anonymized' AND payload LIKE $1`, "%"+id+"%").Scan(&n)
		if n != 1 {
			t.Fatalf("%d anonymization events, want 1", n)
		}
		_ = s.DB.R.QueryRow(`SELECT COUNT(*) FROM outbox WHERE subject = 'contactcenter.audit.recorded' AND payload LIKE '%contact.anonymized%' AND payload LIKE '%officer%'`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d audit records of the anonymization, want 1", n)
		}
		_ = first
	})
}
