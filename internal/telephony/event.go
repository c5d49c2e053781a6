package telephony

import (
	"errors"
	"fmt"
	"time"
)

// Event types. A call is started, may ring one or more extensions, may be
// answered, and ends once; a recording may become ready after the end.
const (
	TypeStarted        = "call.started"
	TypeRinging        = "call.ringing"
	TypeAnswered       = "call.answered"
	TypeEnded          = "call.ended"
	TypeRecordingReady = "call.recording_ready"
)

// Directions, seen from the clinic.
const (
	Inbound  = "inbound"
	Outbound = "outbound"
)

// Results, set on call.ended only.
const (
	ResultAnswered  = "answered"
	ResultMissed    = "missed"
	ResultAbandoned = "abandoned"
)

// Providers, the value of Event.Provider.
const (
	ProviderGeneric  = "generic"
	ProviderMango    = "mango"
	ProviderZadarma  = "zadarma"
	ProviderAsterisk = "asterisk"
)

// Event is one fact about one call, the same whatever PBX reported it.
// Phone numbers are kept as the provider sent them: normalizing them
// (internal/phone) and matching contacts is the caller's job.
type Event struct {
	Provider string
	// ID is what a delivery is de-duplicated by: the same fact delivered
	// twice (provider retries, resync after an AMI reconnect) has the same
	// ID. Replay protection is the caller's job; this is the key for it.
	ID string
	// CallID identifies the whole call (Mango entry_id, Zadarma pbx_call_id,
	// Asterisk Linkedid, the generic call_id).
	CallID string
	// Leg identifies one leg of the call where the provider has legs
	// (Mango call_id, Asterisk Uniqueid of the dialled channel); Seq, when
	// set, orders events within (CallID, Leg).
	Leg          string
	Type         string
	Direction    string
	From         string
	To           string
	Extension    string
	At           time.Time
	Result       string
	RecordingURL string
	// RecordingID is the provider's recording handle where it sends an id
	// rather than a URL (Zadarma call_id_with_rec, Mango recording_id).
	RecordingID string
	// Duration of the conversation, when the provider reports it on call.ended.
	Duration time.Duration
	// Seq is the provider's ordering counter when it has one (Mango seq);
	// 0 when it has none. Keep the highest Seq per (CallID, Leg): a lower
	// one arriving later is stale.
	Seq int64
}

// FieldError says which field of a delivery was refused and why. Values are
// never echoed: they may be phone numbers.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("telephony: %s: %s", e.Field, e.Reason) }

func fieldErr(field, reason string) error { return &FieldError{Field: field, Reason: reason} }

// ErrSignature means a delivery is not signed, or not signed with the
// configured secret, or its secret is not configured: answer 401, store
// nothing.
var ErrSignature = errors.New("telephony: missing or invalid signature")

// ErrStale means a signed delivery's timestamp is outside the tolerance.
var ErrStale = errors.New("telephony: timestamp outside tolerance")

// ErrIgnored means the delivery is authentic but carries nothing this
// package maps to an Event (Mango OnHold or a leg's Disconnected, an event
// kind that is not about calls). Answer 200 so the provider stops retrying.
var ErrIgnored = errors.New("telephony: delivery carries no call event")

// Validate checks the invariants every adapter guarantees.
func (e *Event) Validate() error {
	switch {
	case e.Provider == "":
		return fieldErr("provider", "required")
	case e.CallID == "":
		return fieldErr("call_id", "required")
	case len(e.CallID) > 200:
		return fieldErr("call_id", "longer than 200 characters")
	}
	switch e.Type {
	case TypeStarted, TypeRinging, TypeAnswered, TypeEnded, TypeRecordingReady:
	case "":
		return fieldErr("type", "required")
	default:
		return fieldErr("type", "unknown type")
	}
	switch e.Direction {
	case Inbound, Outbound, "":
	default:
		return fieldErr("direction", "must be inbound or outbound")
	}
	switch e.Result {
	case "":
		if e.Type == TypeEnded {
			return fieldErr("result", "required on call.ended")
		}
	case ResultAnswered, ResultMissed, ResultAbandoned:
		if e.Type != TypeEnded {
			return fieldErr("result", "only on call.ended")
		}
	default:
		return fieldErr("result", "must be answered, missed or abandoned")
	}
	if e.At.IsZero() {
		return fieldErr("at", "required")
	}
	return nil
}
