// Package auditlog is the vocabulary every service uses to report security
// events to the audit service: a Record, and Emit, which puts it in the
// service's own outbox so that it travels like any other fact. The audit
// service (internal/audit) chains what arrives; this package knows nothing
// about it, so that emitting services depend on a few types only.
package auditlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/okno-crm/okno/internal/events"
)

// Outcomes of an audited action.
const (
	OutcomeSuccess = "success"
	OutcomeDenied  = "denied"  // refused by a permission or policy check
	OutcomeFailure = "failure" // attempted and failed (wrong password, error)
)

// SubjectSuffix ends the subject of every audit event: "<service>" + SubjectSuffix.
const SubjectSuffix = ".audit.recorded"

// Record is one security event. It names who did what to which object and
// which fields were involved, never the values: the audit trail must not
// become a second copy of the patient data it watches over.
type Record struct {
	At         time.Time         `json:"at"`
	ActorID    string            `json:"actor_id"` // user id, or "system", or "" for anonymous
	ActorLogin string            `json:"actor_login"`
	ActorRole  string            `json:"actor_role"`
	ClientAddr string            `json:"client_addr"`
	Action     string            `json:"action"`      // e.g. "contact.read", "login.failed", "audit.exported"
	ObjectType string            `json:"object_type"` // "contact", "request", "user", "role", "session", …
	ObjectID   string            `json:"object_id"`
	Fields     []string          `json:"fields,omitempty"`  // which fields were seen or changed, never their values
	Outcome    string            `json:"outcome"`           // OutcomeSuccess, OutcomeDenied or OutcomeFailure
	Details    map[string]string `json:"details,omitempty"` // never personal data
}

// Validate returns an error for a record the audit service could not file:
// one without an action, a known outcome or a time.
func Validate(r Record) error {
	var errs []error
	if r.Action == "" {
		errs = append(errs, errors.New("action is missing"))
	}
	switch r.Outcome {
	case OutcomeSuccess, OutcomeDenied, OutcomeFailure:
	case "":
		errs = append(errs, errors.New("outcome is missing"))
	default:
		errs = append(errs, errors.New("outcome must be success, denied or failure"))
	}
	if r.At.IsZero() {
		errs = append(errs, errors.New("at is missing"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("auditlog: %w", err)
	}
	return nil
}

// The service name becomes the first token of a NATS subject.
var serviceName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Emit writes the record to the service's outbox inside tx, under the
// subject "<service>.audit.recorded". The caller's commit makes it durable
// together with (or before) the access it describes: an access whose audit
// cannot be recorded is refused, so callers must fail when Emit fails.
func Emit(ctx context.Context, tx *sql.Tx, service string, r Record) error {
	if !serviceName.MatchString(service) {
		return fmt.Errorf("auditlog: bad service name %q", service)
	}
	if err := Validate(r); err != nil {
		return err
	}
	r.At = r.At.UTC()
	_, err := events.Add(ctx, tx, service+SubjectSuffix, r.At, r)
	return err
}
