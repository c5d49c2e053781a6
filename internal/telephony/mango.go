package telephony

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Mango Office VPBX API: the VPBX posts application/x-www-form-urlencoded
// bodies with the fields vpbx_api_key, sign and json to
// <our url>/events/call, /events/summary, /events/record/added, …; our
// commands to it (https://app.mango-office.ru/vpbx/commands/callback, …) are
// signed the same way.
const (
	MangoEventCall        = "call"         // events/call
	MangoEventSummary     = "summary"      // events/summary
	MangoEventRecordAdded = "record/added" // events/record/added
)

// MangoSign is the VPBX signature: hex SHA-256 of key + json + salt.
func MangoSign(apiKey, jsonText, salt string) string {
	sum := sha256.Sum256([]byte(apiKey + jsonText + salt))
	return hex.EncodeToString(sum[:])
}

// Mango verifies and parses one VPBX's deliveries. An empty key or salt
// refuses everything.
type Mango struct {
	APIKey string // vpbx_api_key, the VPBX's unique code
	Salt   string // vpbx_api_salt, the signing key; never sent over the wire
}

// Verify checks the form's vpbx_api_key and sign and returns the json text.
func (m *Mango) Verify(form url.Values) ([]byte, error) {
	if m == nil || m.APIKey == "" || m.Salt == "" {
		return nil, ErrSignature
	}
	key, sign, js := form.Get("vpbx_api_key"), form.Get("sign"), form.Get("json")
	if key == "" || sign == "" || len(sign) != 64 {
		return nil, ErrSignature
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(m.APIKey)) != 1 {
		return nil, ErrSignature
	}
	got, err := hex.DecodeString(strings.ToLower(sign))
	if err != nil {
		return nil, ErrSignature
	}
	want := sha256.Sum256([]byte(m.APIKey + js + m.Salt))
	if subtle.ConstantTimeCompare(got, want[:]) != 1 {
		return nil, ErrSignature
	}
	return []byte(js), nil
}

// Parse verifies a delivery to events/<kind> and maps it to an Event.
func (m *Mango) Parse(kind string, form url.Values) (Event, error) {
	js, err := m.Verify(form)
	if err != nil {
		return Event{}, err
	}
	switch kind {
	case MangoEventCall:
		return ParseMangoCall(js)
	case MangoEventSummary:
		return ParseMangoSummary(js)
	case MangoEventRecordAdded:
		return ParseMangoRecordAdded(js)
	}
	return Event{}, ErrIgnored
}

// SignCommand builds the form for a VPBX command (commands/callback, …).
func (m *Mango) SignCommand(command any) (url.Values, error) {
	js, err := json.Marshal(command)
	if err != nil {
		return nil, err
	}
	return url.Values{"vpbx_api_key": {m.APIKey}, "sign": {MangoSign(m.APIKey, string(js), m.Salt)}, "json": {string(js)}}, nil
}

// MangoCallback is the json of commands/callback: the VPBX first calls the
// employee (From.Extension), then, once they answer, ToNumber.
type MangoCallback struct {
	CommandID string            `json:"command_id"`
	From      MangoCallbackFrom `json:"from"`
	ToNumber  string            `json:"to_number"`
	// LineNumber chooses the VPBX line shown to the patient; optional.
	LineNumber string `json:"line_number,omitempty"`
}

// MangoCallbackFrom is the employee side of a callback command.
type MangoCallbackFrom struct {
	Extension string `json:"extension"`
	Number    string `json:"number,omitempty"`
}

// flexString accepts a JSON string or number: the documentation's own
// examples send seq, timestamp and extensions both ways.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

func (f flexString) int(field string) (int64, error) {
	if f == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil || n < 0 {
		return 0, fieldErr(field, "not a non-negative integer")
	}
	return n, nil
}

type mangoParty struct {
	Extension  flexString `json:"extension"`
	Number     flexString `json:"number"`
	LineNumber flexString `json:"line_number"`
	AcdGroup   flexString `json:"acd_group"`
}

type mangoCall struct {
	EntryID          flexString `json:"entry_id"`
	CallID           flexString `json:"call_id"`
	Timestamp        flexString `json:"timestamp"`
	Seq              flexString `json:"seq"`
	CallState        string     `json:"call_state"`
	Location         string     `json:"location"`
	From             mangoParty `json:"from"`
	To               mangoParty `json:"to"`
	DisconnectReason flexString `json:"disconnect_reason"`
	CommandID        string     `json:"command_id"`
}

func decodeMango(js []byte, v any) error {
	if err := json.Unmarshal(js, v); err != nil {
		return fieldErr("json", "not a JSON object of the documented shape")
	}
	return nil
}

func unixField(f flexString, field string) (time.Time, error) {
	n, err := f.int(field)
	if err != nil {
		return time.Time{}, err
	}
	if n == 0 {
		return time.Time{}, fieldErr(field, "required")
	}
	return time.Unix(n, 0).UTC(), nil
}

// ParseMangoCall maps the json of events/call. Appeared at an employee
// (location "abonent") is call.ringing, Appeared in the IVR or a queue is
// call.started, Connected is call.answered. OnHold and a leg's Disconnected
// give ErrIgnored: the call as a whole ends with events/summary.
func ParseMangoCall(js []byte) (Event, error) {
	var c mangoCall
	if err := decodeMango(js, &c); err != nil {
		return Event{}, err
	}
	if c.EntryID == "" {
		return Event{}, fieldErr("entry_id", "required")
	}
	if c.CallID == "" {
		return Event{}, fieldErr("call_id", "required")
	}
	seq, err := c.Seq.int("seq")
	if err != nil {
		return Event{}, err
	}
	at, err := unixField(c.Timestamp, "timestamp")
	if err != nil {
		return Event{}, err
	}
	e := Event{
		Provider: ProviderMango, CallID: string(c.EntryID), Leg: string(c.CallID), Seq: seq, At: at,
		ID: "mango:call:" + string(c.EntryID) + ":" + string(c.CallID) + ":" + string(c.Seq) + ":" + c.CallState,
	}
	fromExt, toExt := string(c.From.Extension), string(c.To.Extension)
	switch {
	case c.CommandID != "":
		// A leg of our own commands/callback: the VPBX rings the employee first.
		e.Direction, e.Extension = Outbound, toExt
		if e.Extension == "" {
			e.Extension = fromExt
		}
		e.From, e.To = string(c.From.Number), string(c.To.Number)
	case fromExt != "" && toExt == "":
		e.Direction, e.Extension = Outbound, fromExt
		e.From, e.To = string(c.From.Number), string(c.To.Number)
	case fromExt != "" && toExt != "" && c.From.Number == "":
		e.Extension = toExt // internal call between two employees: no direction
	default:
		e.Direction, e.Extension = Inbound, toExt
		e.From = string(c.From.Number)
		e.To = string(c.To.LineNumber)
		if e.To == "" {
			e.To = string(c.To.Number)
		}
	}
	switch c.CallState {
	case "Appeared":
		if c.Location == "abonent" {
			e.Type = TypeRinging
		} else {
			e.Type = TypeStarted
		}
	case "Connected":
		e.Type = TypeAnswered
	case "OnHold", "Disconnected":
		return Event{}, ErrIgnored
	case "":
		return Event{}, fieldErr("call_state", "required")
	default:
		return Event{}, fieldErr("call_state", "not Appeared, Connected, OnHold or Disconnected")
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

type mangoSummary struct {
	EntryID          flexString `json:"entry_id"`
	CallDirection    flexString `json:"call_direction"`
	From             mangoParty `json:"from"`
	To               mangoParty `json:"to"`
	LineNumber       flexString `json:"line_number"`
	CreateTime       flexString `json:"create_time"`
	ForwardTime      flexString `json:"forward_time"`
	TalkTime         flexString `json:"talk_time"`
	EndTime          flexString `json:"end_time"`
	EntryResult      flexString `json:"entry_result"`
	DisconnectReason flexString `json:"disconnect_reason"`
}

// ParseMangoSummary maps the json of events/summary, the end of the whole
// call: entry_result 1 is answered, 0 missed (the VPBX does not tell a
// caller who gave up in the queue from one nobody answered).
func ParseMangoSummary(js []byte) (Event, error) {
	var s mangoSummary
	if err := decodeMango(js, &s); err != nil {
		return Event{}, err
	}
	if s.EntryID == "" {
		return Event{}, fieldErr("entry_id", "required")
	}
	end, err := unixField(s.EndTime, "end_time")
	if err != nil {
		return Event{}, err
	}
	talk, err := s.TalkTime.int("talk_time")
	if err != nil {
		return Event{}, err
	}
	e := Event{Provider: ProviderMango, ID: "mango:summary:" + string(s.EntryID), CallID: string(s.EntryID), Type: TypeEnded, At: end}
	switch s.EntryResult {
	case "1":
		e.Result = ResultAnswered
	case "0":
		e.Result = ResultMissed
	default:
		return Event{}, fieldErr("entry_result", "not 0 or 1")
	}
	if talk > 0 && end.Unix() >= talk {
		e.Duration = time.Duration(end.Unix()-talk) * time.Second
	}
	switch s.CallDirection {
	case "1":
		e.Direction, e.Extension, e.From = Inbound, string(s.To.Extension), string(s.From.Number)
		e.To = string(s.LineNumber)
		if e.To == "" {
			e.To = string(s.To.Number)
		}
	case "2":
		e.Direction, e.Extension = Outbound, string(s.From.Extension)
		e.From, e.To = string(s.LineNumber), string(s.To.Number)
		if e.From == "" {
			e.From = string(s.From.Number)
		}
	case "0":
		e.Extension = string(s.To.Extension)
	default:
		return Event{}, fieldErr("call_direction", "not 0, 1 or 2")
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

type mangoRecordAdded struct {
	EntryID     flexString `json:"entry_id"`
	RecordingID flexString `json:"recording_id"`
	Timestamp   flexString `json:"timestamp"`
}

// ParseMangoRecordAdded maps events/record/added (the recording is in the
// cloud store) to call.recording_ready with RecordingID set; the file is
// fetched with the queries/recording/post command.
func ParseMangoRecordAdded(js []byte) (Event, error) {
	var r mangoRecordAdded
	if err := decodeMango(js, &r); err != nil {
		return Event{}, err
	}
	if r.EntryID == "" {
		return Event{}, fieldErr("entry_id", "required")
	}
	if r.RecordingID == "" {
		return Event{}, fieldErr("recording_id", "required")
	}
	at, err := unixField(r.Timestamp, "timestamp")
	if err != nil {
		return Event{}, err
	}
	e := Event{Provider: ProviderMango, ID: "mango:record:" + string(r.RecordingID), CallID: string(r.EntryID),
		Type: TypeRecordingReady, RecordingID: string(r.RecordingID), At: at}
	return e, e.Validate()
}
