package telephony

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

const zdSecret = "zd-secret"

func zdSigned(form url.Values, secret string) http.Header {
	data, _ := ZadarmaSignedString(form)
	h := http.Header{}
	h.Set(HeaderZadarmaSignature, ZadarmaSign(secret, data))
	return h
}

func TestZadarmaSignIsBase64OfHex(t *testing.T) {
	// Computed independently: base64(hmac_sha1_hex) as PHP's
	// base64_encode(hash_hmac('sha1', $callerId.$calledDid.$callStart, $secret)).
	got := ZadarmaSign(zdSecret, "79161234567"+"74951112233"+"2026-03-02 09:15:00")
	if got != "NTFjOTY1ZGMzYzc1MGM2YzVkMjA3ZDFlNWJlZjAyNzhmNDY5MWUzNg==" {
		t.Fatalf("sign = %s", got)
	}
}

func TestZadarmaNotifications(t *testing.T) {
	z := &Zadarma{Secret: zdSecret, Now: func() time.Time { return time.Date(2026, 3, 2, 6, 30, 0, 0, time.UTC) }}
	start := time.Date(2026, 3, 2, 6, 15, 0, 0, time.UTC) // 09:15 MSK
	in := url.Values{"call_start": {"2026-03-02 09:15:00"}, "pbx_call_id": {"in_abc"}, "caller_id": {"79161234567"}, "called_did": {"74951112233"}}
	with := func(base url.Values, kv ...string) url.Values {
		f := url.Values{}
		for k, v := range base {
			f[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	cases := []struct {
		name string
		form url.Values
		want Event
	}{
		{"start", with(in, "event", ZadarmaNotifyStart),
			Event{Type: TypeStarted, Direction: Inbound, From: "79161234567", To: "74951112233", At: start}},
		{"internal", with(in, "event", ZadarmaNotifyInternal, "internal", "101"),
			Event{Type: TypeRinging, Direction: Inbound, From: "79161234567", To: "74951112233", Extension: "101", At: start}},
		{"answer", with(in, "event", ZadarmaNotifyAnswer, "destination", "101", "internal", "101"),
			Event{Type: TypeAnswered, Direction: Inbound, From: "79161234567", To: "101", Extension: "101", At: start}},
		{"end answered", with(in, "event", ZadarmaNotifyEnd, "internal", "101", "duration", "95", "disposition", "answered", "status_code", "16", "is_recorded", "1", "call_id_with_rec", "1583241234.4567"),
			Event{Type: TypeEnded, Direction: Inbound, From: "79161234567", To: "74951112233", Extension: "101", At: start.Add(95 * time.Second), Result: ResultAnswered, Duration: 95 * time.Second, RecordingID: "1583241234.4567"}},
		{"end no answer", with(in, "event", ZadarmaNotifyEnd, "duration", "0", "disposition", "no answer", "is_recorded", "0"),
			Event{Type: TypeEnded, Direction: Inbound, From: "79161234567", To: "74951112233", At: start, Result: ResultMissed}},
		{"out start", url.Values{"event": {ZadarmaNotifyOutStart}, "call_start": {"2026-03-02 09:15:00"}, "pbx_call_id": {"out_1"}, "internal": {"102"}, "destination": {"79161234567"}},
			Event{CallID: "out_1", Type: TypeStarted, Direction: Outbound, To: "79161234567", Extension: "102", At: start}},
		{"out end busy", url.Values{"event": {ZadarmaNotifyOutEnd}, "call_start": {"2026-03-02 09:15:00"}, "pbx_call_id": {"out_1"}, "internal": {"102"}, "destination": {"79161234567"}, "caller_id": {"74951112233"}, "duration": {"0"}, "disposition": {"busy"}},
			Event{CallID: "out_1", Type: TypeEnded, Direction: Outbound, From: "74951112233", To: "79161234567", Extension: "102", At: start, Result: ResultMissed}},
		{"record", url.Values{"event": {ZadarmaNotifyRecord}, "pbx_call_id": {"in_abc"}, "call_id_with_rec": {"1583241234.4567"}},
			Event{Type: TypeRecordingReady, RecordingID: "1583241234.4567", At: time.Date(2026, 3, 2, 6, 30, 0, 0, time.UTC)}},
	}
	ids := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := z.Parse(zdSigned(c.form, zdSecret), c.form)
			if err != nil {
				t.Fatal(err)
			}
			if c.want.CallID == "" {
				c.want.CallID = "in_abc"
			}
			c.want.Provider = ProviderZadarma
			if !got.At.Equal(c.want.At) {
				t.Fatalf("At = %v, want %v", got.At, c.want.At)
			}
			if ids[got.ID] || got.ID == "" {
				t.Fatalf("ID %q empty or not distinct", got.ID)
			}
			ids[got.ID] = true
			got.ID, got.At, c.want.At = "", time.Time{}, time.Time{}
			if got != c.want {
				t.Fatalf("\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestZadarmaRefusals(t *testing.T) {
	form := url.Values{"event": {ZadarmaNotifyStart}, "call_start": {"2026-03-02 09:15:00"}, "pbx_call_id": {"in_abc"}, "caller_id": {"79161234567"}, "called_did": {"74951112233"}}
	z := &Zadarma{Secret: zdSecret}
	if _, err := z.Parse(zdSigned(form, zdSecret), form); err != nil {
		t.Fatalf("valid refused: %v", err)
	}
	changed := url.Values{}
	for k, v := range form {
		changed[k] = v
	}
	changed.Set("caller_id", "79990000000")
	// The raw HMAC in hex, not base64 of it: the documented format is base64 of the hex text.
	rawHex := http.Header{HeaderZadarmaSignature: {"51c965dc3c750c6c5d207d1e5bef0278f4691e36"}}
	cases := map[string]struct {
		z    *Zadarma
		h    http.Header
		form url.Values
	}{
		"wrong secret":         {z, zdSigned(form, "other"), form},
		"missing signature":    {z, http.Header{}, form},
		"signed field changed": {z, zdSigned(form, zdSecret), changed},
		"unknown event":        {z, zdSigned(form, zdSecret), url.Values{"event": {"NOTIFY_IVR"}}},
		"empty secret":         {&Zadarma{}, zdSigned(form, ""), form},
		"nil adapter":          {nil, zdSigned(form, zdSecret), form},
		"hex not base64":       {z, rawHex, form},
	}
	for name, c := range cases {
		if _, err := c.z.Parse(c.h, c.form); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: err = %v, want ErrSignature", name, err)
		}
	}
	bad := url.Values{"event": {ZadarmaNotifyStart}, "call_start": {"02.03.2026 09:15"}, "pbx_call_id": {"x"}}
	var fe *FieldError
	if _, err := z.Parse(zdSigned(bad, zdSecret), bad); !errors.As(err, &fe) || fe.Field != "call_start" {
		t.Errorf("bad call_start: %v", err)
	}
}

func TestZadarmaEcho(t *testing.T) {
	if s, ok := ZadarmaEcho(url.Values{"zd_echo": {"a1B2-c3_d4.e5"}}); !ok || s != "a1B2-c3_d4.e5" {
		t.Fatalf("echo = %q, %v", s, ok)
	}
	for _, q := range []string{"", "<script>alert(1)</script>", "a b", string(make([]byte, 200))} {
		if _, ok := ZadarmaEcho(url.Values{"zd_echo": {q}}); ok {
			t.Errorf("echoed %q", q)
		}
	}
}
