package identity

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/okno-crm/okno/internal/auditlog"
	"github.com/okno-crm/okno/internal/principal"
	"github.com/okno-crm/okno/internal/problem"
)

// ServiceName is the first token of identity's subjects.
const ServiceName = "identity"

// record is an audit record of a successful action by the caller in ctx.
// Calls without a principal come from the operator's own tools (the command
// line, the demo seeding), recorded as "system".
func (s *Service) record(ctx context.Context, at time.Time, action, objType, objID string, fields []string, details map[string]string) auditlog.Record {
	p := principal.From(ctx)
	actor := p.UserID
	if actor == "" {
		actor = "system"
	}
	return auditlog.Record{At: at, ActorID: actor, ActorLogin: p.Login, ActorRole: p.Role, ClientAddr: p.ClientAddr,
		Action: action, ObjectType: objType, ObjectID: objID, Fields: fields, Outcome: auditlog.OutcomeSuccess, Details: details}
}

// emit writes r to the outbox in tx: the change and its audit commit
// together, or neither does.
func (s *Service) emit(ctx context.Context, tx *sql.Tx, r auditlog.Record) error {
	return auditlog.Emit(ctx, tx, ServiceName, r)
}

// checkGrant refuses to hand out permissions the grantor does not hold
// itself: an administrator cannot make anyone, or any role, mightier than
// they are.
func checkGrant(grantor principal.Principal, perms []string) error {
	return checkHeld(grantor, perms, "you cannot grant permissions you do not hold: %s")
}

// checkReach refuses to touch a role or a user holding permissions the
// grantor lacks: an administrator can neither strip the security officer's
// role of the audit nor block or demote the officer who reads it.
func checkReach(grantor principal.Principal, perms []string, refusal string) error {
	return checkHeld(grantor, perms, refusal)
}

// refusal is a template whose %s is the list of missing permissions.
func checkHeld(grantor principal.Principal, perms []string, refusal string) error {
	var missing []string
	for _, p := range perms {
		if !grantor.Can(p) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return problem.Newf(problem.Forbidden, refusal, strings.Join(missing, ", "))
	}
	return nil
}
