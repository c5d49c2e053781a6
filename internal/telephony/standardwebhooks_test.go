package telephony

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The reference vector of the Standard Webhooks test suite.
const (
	swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTS     = 1614265330
	swBody   = `{"test": 2432232314}`
	swSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func swHeaders(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	if id != "" {
		h.Set(HeaderWebhookID, id)
	}
	if ts != 0 {
		h.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	}
	if sig != "" {
		h.Set(HeaderWebhookSignature, sig)
	}
	return h
}

func swAt(ts int64) func() time.Time { return func() time.Time { return time.Unix(ts, 0) } }

func TestStandardWebhooksReferenceVector(t *testing.T) {
	sig, err := SignStandardWebhook(swSecret, swID, swTS, []byte(swBody))
	if err != nil || sig != swSig {
		t.Fatalf("sign = %q, %v; want %q", sig, err, swSig)
	}
	v := NewStandardWebhooks(swSecret)
	v.Now = swAt(swTS + 10)
	id, err := v.Verify(swHeaders(swID, swTS, swSig), []byte(swBody))
	if err != nil || id != swID {
		t.Fatalf("verify = %q, %v", id, err)
	}
	// The bare base64 secret is the same key.
	v2 := NewStandardWebhooks("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	v2.Now = swAt(swTS)
	if _, err := v2.Verify(swHeaders(swID, swTS, swSig), []byte(swBody)); err != nil {
		t.Fatalf("bare secret: %v", err)
	}
}

func TestStandardWebhooksRefusals(t *testing.T) {
	other := NewWebhookSecret([]byte("another-secret-of-32-bytes-long!"))
	otherSig, _ := SignStandardWebhook(other, swID, swTS, []byte(swBody))
	cases := []struct {
		name   string
		secret string
		h      http.Header
		body   string
		now    int64
		want   error
	}{
		{"several signatures, one valid", swSecret, swHeaders(swID, swTS, "v1,Zm9v v1a,abc "+swSig), swBody, swTS, nil},
		{"tampered body", swSecret, swHeaders(swID, swTS, swSig), `{"test": 2432232315}`, swTS, ErrSignature},
		{"other id", swSecret, swHeaders("msg_other", swTS, swSig), swBody, swTS, ErrSignature},
		{"other timestamp", swSecret, swHeaders(swID, swTS+1, swSig), swBody, swTS, ErrSignature},
		{"wrong secret", other, swHeaders(swID, swTS, swSig), swBody, swTS, ErrSignature},
		{"signed with another secret", swSecret, swHeaders(swID, swTS, otherSig), swBody, swTS, ErrSignature},
		{"missing signature", swSecret, swHeaders(swID, swTS, ""), swBody, swTS, ErrSignature},
		{"missing id", swSecret, swHeaders("", swTS, swSig), swBody, swTS, ErrSignature},
		{"missing timestamp", swSecret, swHeaders(swID, 0, swSig), swBody, swTS, ErrSignature},
		{"v1 signature without version", swSecret, swHeaders(swID, swTS, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), swBody, swTS, ErrSignature},
		{"v2 label on a v1 mac", swSecret, swHeaders(swID, swTS, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), swBody, swTS, ErrSignature},
		{"empty secret refuses a signature made with an empty key", "", swHeaders(swID, swTS, "v1,"+emptyKeyMAC()), swBody, swTS, ErrSignature},
		{"garbage secret", "whsec_!!!", swHeaders(swID, swTS, swSig), swBody, swTS, ErrSignature},
		{"stale by 6 minutes", swSecret, swHeaders(swID, swTS, swSig), swBody, swTS + 360, ErrStale},
		{"future by 6 minutes", swSecret, swHeaders(swID, swTS, swSig), swBody, swTS - 360, ErrStale},
		{"4m59s old is fine", swSecret, swHeaders(swID, swTS, swSig), swBody, swTS + 299, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := NewStandardWebhooks(c.secret)
			v.Now = swAt(c.now)
			_, err := v.Verify(c.h, []byte(c.body))
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want != nil && !IsSignatureError(err) {
				t.Fatalf("IsSignatureError(%v) = false", err)
			}
		})
	}
}

func emptyKeyMAC() string {
	return b64(standardMAC(nil, swID, strconv.Itoa(swTS), []byte(swBody)))
}

func TestParseWebhookSecret(t *testing.T) {
	for _, s := range []string{"", "whsec_", "whsec_***", "   "} {
		if _, err := ParseWebhookSecret(s); err == nil {
			t.Errorf("ParseWebhookSecret(%q) accepted", s)
		} else if fe := (*FieldError)(nil); !errors.As(err, &fe) || fe.Field != "secret" {
			t.Errorf("ParseWebhookSecret(%q) = %v, want a FieldError on secret", s, err)
		}
	}
	k, err := ParseWebhookSecret(NewWebhookSecret([]byte{1, 2, 3}))
	if err != nil || string(k) != "\x01\x02\x03" {
		t.Fatalf("round trip = %v, %v", k, err)
	}
}

func TestGenericEventFormat(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 15, 0, 0, time.FixedZone("MSK", 3*3600))
	cases := []struct {
		name  string
		body  string
		want  Event
		field string // refused field, when not ""
	}{
		{"started", `{"type":"call.started","call_id":"c-1","direction":"inbound","from":"+79161234567","to":"+74951112233","at":"2026-03-02T09:15:00+03:00"}`,
			Event{Type: TypeStarted, CallID: "c-1", Direction: Inbound, From: "+79161234567", To: "+74951112233", At: at}, ""},
		{"ringing", `{"type":"call.ringing","call_id":"c-1","extension":"101","at":"2026-03-02T06:15:00Z"}`,
			Event{Type: TypeRinging, CallID: "c-1", Extension: "101", At: at}, ""},
		{"ended abandoned", `{"type":"call.ended","call_id":"c-1","direction":"inbound","result":"abandoned","at":"2026-03-02T09:15:00+03:00"}`,
			Event{Type: TypeEnded, CallID: "c-1", Direction: Inbound, Result: ResultAbandoned, At: at}, ""},
		{"recording", `{"type":"call.recording_ready","call_id":"c-1","recording_url":"https://pbx.example/r/1.mp3","at":"2026-03-02T09:15:00+03:00"}`,
			Event{Type: TypeRecordingReady, CallID: "c-1", RecordingURL: "https://pbx.example/r/1.mp3", At: at}, ""},
		{"unknown type", `{"type":"call.held","call_id":"c-1","at":"2026-03-02T09:15:00Z"}`, Event{}, "type"},
		{"no call id", `{"type":"call.answered","at":"2026-03-02T09:15:00Z"}`, Event{}, "call_id"},
		{"no at", `{"type":"call.answered","call_id":"c"}`, Event{}, "at"},
		{"bad at", `{"type":"call.answered","call_id":"c","at":"02.03.2026 09:15"}`, Event{}, "at"},
		{"ended without result", `{"type":"call.ended","call_id":"c","at":"2026-03-02T09:15:00Z"}`, Event{}, "result"},
		{"result on answered", `{"type":"call.answered","call_id":"c","result":"answered","at":"2026-03-02T09:15:00Z"}`, Event{}, "result"},
		{"bad result", `{"type":"call.ended","call_id":"c","result":"busy","at":"2026-03-02T09:15:00Z"}`, Event{}, "result"},
		{"bad direction", `{"type":"call.started","call_id":"c","direction":"in","at":"2026-03-02T09:15:00Z"}`, Event{}, "direction"},
		{"started without direction", `{"type":"call.started","call_id":"c","at":"2026-03-02T09:15:00Z"}`, Event{}, "direction"},
		{"recording without url", `{"type":"call.recording_ready","call_id":"c","at":"2026-03-02T09:15:00Z"}`, Event{}, "recording_url"},
		{"javascript url", `{"type":"call.recording_ready","call_id":"c","recording_url":"javascript:alert(1)","at":"2026-03-02T09:15:00Z"}`, Event{}, "recording_url"},
		{"not json", `type=call.started`, Event{}, "body"},
		{"two objects", `{"type":"call.answered","call_id":"c","at":"2026-03-02T09:15:00Z"}{}`, Event{}, "body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseGenericEvent("msg_1", []byte(c.body))
			if c.field != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != c.field {
					t.Fatalf("err = %v, want a FieldError on %q", err, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.want.Provider, c.want.ID = ProviderGeneric, "msg_1"
			if !got.At.Equal(c.want.At) {
				t.Fatalf("At = %v, want %v", got.At, c.want.At)
			}
			got.At, c.want.At = time.Time{}, time.Time{}
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestStandardWebhooksParse(t *testing.T) {
	secret := NewWebhookSecret([]byte("0123456789abcdef0123456789abcdef"))
	body := []byte(`{"type":"call.ended","call_id":"c-9","direction":"outbound","result":"missed","at":"2026-03-02T09:15:00Z"}`)
	now := time.Date(2026, 3, 2, 9, 15, 3, 0, time.UTC)
	sig, _ := SignStandardWebhook(secret, "msg_9", now.Unix(), body)
	v := NewStandardWebhooks(secret)
	v.Now = func() time.Time { return now }
	e, err := v.Parse(swHeaders("msg_9", now.Unix(), sig), body)
	if err != nil || e.ID != "msg_9" || e.Result != ResultMissed || e.Direction != Outbound {
		t.Fatalf("parse = %+v, %v", e, err)
	}
	// The same signature over a changed body is refused before parsing.
	if _, err := v.Parse(swHeaders("msg_9", now.Unix(), sig), append(body[:len(body)-1:len(body)-1], ' ', '}')); !errors.Is(err, ErrSignature) {
		t.Fatalf("tampered: %v", err)
	}
}
