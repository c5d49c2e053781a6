package telephony

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Zadarma PBX notifications: POST application/x-www-form-urlencoded with the
// field "event", signed in the "Signature" header.
const (
	ZadarmaNotifyStart    = "NOTIFY_START"
	ZadarmaNotifyInternal = "NOTIFY_INTERNAL"
	ZadarmaNotifyAnswer   = "NOTIFY_ANSWER"
	ZadarmaNotifyEnd      = "NOTIFY_END"
	ZadarmaNotifyOutStart = "NOTIFY_OUT_START"
	ZadarmaNotifyOutEnd   = "NOTIFY_OUT_END"
	ZadarmaNotifyRecord   = "NOTIFY_RECORD"
)

// HeaderZadarmaSignature carries the notification's signature.
const HeaderZadarmaSignature = "Signature"

// zadarmaSigned lists, per event, the form fields whose values, concatenated
// in this order, are signed (Zadarma's user-api-v1 lib/Webhook/Notify*.php).
var zadarmaSigned = map[string][]string{
	ZadarmaNotifyStart:    {"caller_id", "called_did", "call_start"},
	ZadarmaNotifyInternal: {"caller_id", "called_did", "call_start"},
	ZadarmaNotifyEnd:      {"caller_id", "called_did", "call_start"},
	ZadarmaNotifyAnswer:   {"caller_id", "destination", "call_start"},
	ZadarmaNotifyOutStart: {"internal", "destination", "call_start"},
	ZadarmaNotifyOutEnd:   {"internal", "destination", "call_start"},
	ZadarmaNotifyRecord:   {"pbx_call_id", "call_id_with_rec"},
}

// ZadarmaSignedString is the text Zadarma signs for one notification.
func ZadarmaSignedString(form url.Values) (string, bool) {
	fields, ok := zadarmaSigned[form.Get("event")]
	if !ok {
		return "", false
	}
	s := ""
	for _, f := range fields {
		s += form.Get(f)
	}
	return s, true
}

// ZadarmaSign is the Signature header value: base64 of the hex text of
// HMAC-SHA1 (PHP's base64_encode(hash_hmac('sha1', $data, $secret))).
func ZadarmaSign(secret, data string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(data))
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(m.Sum(nil))))
}

// ZadarmaCallStartLayout is how call_start is written.
const ZadarmaCallStartLayout = "2006-01-02 15:04:05"

// Zadarma verifies and parses one account's notifications. An empty Secret
// refuses everything.
type Zadarma struct {
	Secret string // the API secret (ss.zadarma.com → Settings → API)
	// Location is the account's time zone, in which call_start is written;
	// Moscow time (UTC+3) when nil.
	Location *time.Location
	// Now stamps NOTIFY_RECORD, which carries no time; time.Now when nil.
	Now func() time.Time
}

var moscow = time.FixedZone("MSK", 3*3600)

// Verify checks the Signature header against the signed fields of the form.
func (z *Zadarma) Verify(h http.Header, form url.Values) error {
	if z == nil || z.Secret == "" {
		return ErrSignature
	}
	got := h.Get(HeaderZadarmaSignature)
	data, ok := ZadarmaSignedString(form)
	if got == "" || !ok {
		return ErrSignature
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(ZadarmaSign(z.Secret, data))) != 1 {
		return ErrSignature
	}
	return nil
}

// Parse verifies a notification and maps it to an Event. Only the fields
// listed in zadarmaSigned are covered by the signature: disposition,
// duration and internal on NOTIFY_END are not (see the package doc).
func (z *Zadarma) Parse(h http.Header, form url.Values) (Event, error) {
	if err := z.Verify(h, form); err != nil {
		return Event{}, err
	}
	return z.parse(form)
}

func (z *Zadarma) parse(f url.Values) (Event, error) {
	ev := f.Get("event")
	e := Event{Provider: ProviderZadarma, CallID: f.Get("pbx_call_id"), Extension: f.Get("internal")}
	if e.CallID == "" {
		return Event{}, fieldErr("pbx_call_id", "required")
	}
	e.ID = "zadarma:" + ev + ":" + e.CallID + ":" + e.Extension
	if ev == ZadarmaNotifyRecord {
		e.Type, e.RecordingID, e.At = TypeRecordingReady, f.Get("call_id_with_rec"), time.Now().UTC()
		if z.Now != nil {
			e.At = z.Now()
		}
		if e.RecordingID == "" {
			return Event{}, fieldErr("call_id_with_rec", "required")
		}
		e.ID = "zadarma:" + ev + ":" + e.CallID + ":" + e.RecordingID
		return e, e.Validate()
	}
	loc := z.Location
	if loc == nil {
		loc = moscow
	}
	at, err := time.ParseInLocation(ZadarmaCallStartLayout, f.Get("call_start"), loc)
	if err != nil {
		return Event{}, fieldErr("call_start", "not YYYY-MM-DD hh:mm:ss")
	}
	e.At = at
	switch ev {
	case ZadarmaNotifyStart:
		e.Type, e.Direction, e.From, e.To = TypeStarted, Inbound, f.Get("caller_id"), f.Get("called_did")
	case ZadarmaNotifyInternal:
		e.Type, e.Direction, e.From, e.To = TypeRinging, Inbound, f.Get("caller_id"), f.Get("called_did")
		if e.Extension == "" {
			return Event{}, fieldErr("internal", "required on NOTIFY_INTERNAL")
		}
	case ZadarmaNotifyAnswer:
		e.Type, e.Direction, e.From, e.To = TypeAnswered, Inbound, f.Get("caller_id"), f.Get("destination")
	case ZadarmaNotifyEnd:
		e.Type, e.Direction, e.From, e.To = TypeEnded, Inbound, f.Get("caller_id"), f.Get("called_did")
	case ZadarmaNotifyOutStart:
		e.Type, e.Direction, e.From, e.To = TypeStarted, Outbound, f.Get("caller_id"), f.Get("destination")
	case ZadarmaNotifyOutEnd:
		e.Type, e.Direction, e.From, e.To = TypeEnded, Outbound, f.Get("caller_id"), f.Get("destination")
	}
	if e.Type == TypeEnded {
		// call_start is the start of the call; the end is start + duration.
		if d := f.Get("duration"); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil || n < 0 {
				return Event{}, fieldErr("duration", "not a number of seconds")
			}
			e.Duration = time.Duration(n) * time.Second
			e.At = e.At.Add(e.Duration)
		}
		switch f.Get("disposition") {
		case "answered":
			e.Result = ResultAnswered
		case "":
			return Event{}, fieldErr("disposition", "required")
		default: // busy, cancel, no answer, failed, no money, …
			e.Result = ResultMissed
			e.Duration = 0
		}
		if f.Get("is_recorded") == "1" {
			e.RecordingID = f.Get("call_id_with_rec")
		}
	}
	return e, e.Validate()
}

// ZadarmaEcho answers the check Zadarma makes when the notification URL is
// saved: GET ?zd_echo=<text> must answer <text>. It returns the text to
// write (as text/plain) and true when the request is such a check; text that
// is not a short token is not echoed, so the URL cannot reflect markup.
func ZadarmaEcho(q url.Values) (string, bool) {
	s := q.Get("zd_echo")
	if s == "" || len(s) > 128 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "", false
		}
	}
	return s, true
}
