package contactcenter

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/events"
	"github.com/okno-crm/okno/internal/mask"
	"github.com/okno-crm/okno/internal/perm"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// MaskPhone hides the middle of a phone: "+79123456701" → "+7 912 ***-**-01".
func MaskPhone(p string) string { return mask.Phone(p) }

// MaskEmail keeps the first letter and the domain: "a***@example.ru".
func MaskEmail(e string) string { return mask.Email(e) }

// forViewer shows phones and e-mails only to those allowed to see them.
func forViewer(p principal.Principal, c *Contact) {
	if p.Can(perm.PatientsReadPD) {
		return
	}
	c.Phone, c.Email, c.Masked = MaskPhone(c.Phone), MaskEmail(c.Email), true
}

// audit records an access. It returns only once the record is durable; the
// caller refuses the access when it fails.
func (s *Service) audit(ctx context.Context, p principal.Principal, r auditlog.Record) error {
	r.At = s.Now().UTC()
	r.ActorID, r.ActorLogin, r.ActorRole, r.ClientAddr = p.UserID, p.Login, p.Role, p.ClientAddr
	if r.Outcome == "" {
		r.Outcome = auditlog.OutcomeSuccess
	}
	if err := auditlog.Validate(r); err != nil {
		return err
	}
	if err := s.auditor.Add(ctx, r.At, events.Event{Subject: "contactcenter" + auditlog.SubjectSuffix, Data: r}); err != nil {
		return &problem.Error{Code: problem.Unavailable, Message: "the access could not be audited, so it is refused; please retry", Err: err}
	}
	return nil
}

// viewedFields names what a viewer saw of a request's contact.
func viewedFields(p principal.Principal) []string {
	if p.Can(perm.PatientsReadPD) {
		return []string{"contact.name", "contact.phone", "contact.email", "message"}
	}
	return []string{"contact.name", "contact.phone.masked", "contact.email.masked", "message"}
}

// FindContactByID returns one contact, unmasked.
func (s *Service) FindContactByID(ctx context.Context, id string) (Contact, error) {
	ring, err := s.keys.Ring(ctx)
	if err != nil {
		return Contact{}, err
	}
	var name, phone, email string
	err = s.DB.R.QueryRowContext(ctx, `SELECT name_sealed, phone_sealed, email_sealed FROM contacts WHERE id = $1`, id).Scan(&name, &phone, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return Contact{}, problem.New(problem.NotFound, "no such contact")
	}
	if err != nil {
		return Contact{}, fmt.Errorf("contactcenter: find contact: %w", err)
	}
	c := Contact{ID: id}
	for _, f := range []struct {
		dst    *string
		sealed string
		field  string
	}{{&c.Name, name, "name"}, {&c.Phone, phone, "phone"}, {&c.Email, email, "email"}} {
		if *f.dst, err = ring.Open(f.sealed, aad("contacts", id, f.field)); err != nil {
			return Contact{}, fmt.Errorf("contact %s: %w", id, err)
		}
	}
	return c, nil
}
