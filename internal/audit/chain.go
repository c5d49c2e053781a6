package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// genesis is the prev_hash of the first record.
const genesis = ""

// canonical is the hashed form of a record. Its field order is fixed by the
// struct and encoding/json writes map keys sorted, so the same record always
// gives the same bytes. Times are RFC 3339 with nanoseconds, in UTC; empty
// fields and details are written as [] and {} so that "none" has one form.
//
// Changing this struct changes every hash: a new layout needs a version in
// it and Verify must keep accepting the old one.
type canonical struct {
	Seq        int64             `json:"seq"`
	EventID    string            `json:"event_id"`
	Service    string            `json:"service"`
	RecordedAt string            `json:"recorded_at"`
	At         string            `json:"at"`
	ActorID    string            `json:"actor_id"`
	ActorLogin string            `json:"actor_login"`
	ActorRole  string            `json:"actor_role"`
	ClientAddr string            `json:"client_addr"`
	Action     string            `json:"action"`
	ObjectType string            `json:"object_type"`
	ObjectID   string            `json:"object_id"`
	Fields     []string          `json:"fields"`
	Outcome    string            `json:"outcome"`
	Details    map[string]string `json:"details"`
}

// chainHash returns hex(SHA-256(prev + "\n" + canonical JSON of e)).
func chainHash(prev string, e Entry) string {
	c := canonical{
		Seq: e.Seq, EventID: e.EventID, Service: e.Service,
		RecordedAt: e.RecordedAt.UTC().Format(time.RFC3339Nano),
		At:         e.At.UTC().Format(time.RFC3339Nano),
		ActorID:    e.ActorID, ActorLogin: e.ActorLogin, ActorRole: e.ActorRole, ClientAddr: e.ClientAddr,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
		Fields: e.Fields, Outcome: e.Outcome, Details: e.Details,
	}
	if c.Fields == nil {
		c.Fields = []string{}
	}
	if c.Details == nil {
		c.Details = map[string]string{}
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Strings, a slice and a map of strings always marshal.
		panic("audit: canonical record: " + err.Error())
	}
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
