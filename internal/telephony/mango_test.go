package telephony

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

const (
	mangoKey  = "qwerty123"
	mangoSalt = "s3cr3t-salt"
)

func mangoForm(key, js, salt string) url.Values {
	return url.Values{"vpbx_api_key": {key}, "sign": {MangoSign(key, js, salt)}, "json": {js}}
}

// The documentation's example of an employee calling out (API VPBX v1.9,
// "Уведомление о вызове"), as sent: seq and timestamp are JSON strings.
var mangoOutbound = []string{
	`{ "call_id": "100:500:256", "entry_id": "232wc3e3w3s222", "timestamp": "1399906976", "seq": "1", "location": "abonent", "call_state": "Appeared", "from": { "extension": "1234" }, "to": { "number": "12345678" } }`,
	`{ "call_id": "100:500:256", "entry_id": "232wc3e3w3s222", "timestamp": "1399906988", "seq": "2", "location": "abonent", "call_state": "Connected", "from": { "extension": "1234", "number": "74955404444" }, "to": { "number": "12345678" } }`,
	`{ "call_id": "100:500:256", "entry_id": "232wc3e3w3s222", "timestamp": "1399907008", "seq": "3", "location": "abonent", "call_state": "Disconnected", "from": { "extension": "1234", "number": "74955404444" }, "to": { "number": "12345678" }, "disconnect_reason": "1120" }`,
}

func TestMangoSignatureChecks(t *testing.T) {
	m := &Mango{APIKey: mangoKey, Salt: mangoSalt}
	js := mangoOutbound[0]
	good := mangoForm(mangoKey, js, mangoSalt)
	if got, err := m.Verify(good); err != nil || string(got) != js {
		t.Fatalf("valid: %v", err)
	}
	upper := mangoForm(mangoKey, js, mangoSalt)
	upper.Set("sign", toUpper(upper.Get("sign")))
	if _, err := m.Verify(upper); err != nil {
		t.Fatalf("upper-case hex refused: %v", err)
	}
	tampered := mangoForm(mangoKey, js, mangoSalt)
	tampered.Set("json", js[:len(js)-1]+" }")
	cases := map[string]struct {
		m    *Mango
		form url.Values
	}{
		"tampered json":     {m, tampered},
		"wrong salt":        {m, mangoForm(mangoKey, js, "other")},
		"other vpbx key":    {m, mangoForm("other-key", js, mangoSalt)},
		"missing sign":      {m, url.Values{"vpbx_api_key": {mangoKey}, "json": {js}}},
		"sign not hex":      {m, url.Values{"vpbx_api_key": {mangoKey}, "json": {js}, "sign": {"zz" + good.Get("sign")[2:]}}},
		"no salt set":       {&Mango{APIKey: mangoKey}, mangoForm(mangoKey, js, "")},
		"no key set":        {&Mango{Salt: mangoSalt}, mangoForm("", js, mangoSalt)},
		"nil adapter":       {nil, good},
		"sign of key only":  {m, url.Values{"vpbx_api_key": {mangoKey}, "json": {js}, "sign": {MangoSign(mangoKey, "", "")}}},
		"salt-less signing": {m, mangoForm(mangoKey, js, "")},
	}
	for name, c := range cases {
		if _, err := c.m.Verify(c.form); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: err = %v, want ErrSignature", name, err)
		}
	}
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func TestMangoDocumentedOutboundCall(t *testing.T) {
	m := &Mango{APIKey: mangoKey, Salt: mangoSalt}
	e1, err := m.Parse(MangoEventCall, mangoForm(mangoKey, mangoOutbound[0], mangoSalt))
	if err != nil {
		t.Fatal(err)
	}
	want := Event{Provider: ProviderMango, ID: "mango:call:232wc3e3w3s222:100:500:256:1:Appeared", CallID: "232wc3e3w3s222", Leg: "100:500:256",
		Type: TypeRinging, Direction: Outbound, To: "12345678", Extension: "1234", At: time.Unix(1399906976, 0).UTC(), Seq: 1}
	if e1 != want {
		t.Fatalf("Appeared:\n got %+v\nwant %+v", e1, want)
	}
	e2, err := m.Parse(MangoEventCall, mangoForm(mangoKey, mangoOutbound[1], mangoSalt))
	if err != nil || e2.Type != TypeAnswered || e2.Seq != 2 || e2.From != "74955404444" || e2.Direction != Outbound || e2.ID == e1.ID {
		t.Fatalf("Connected: %+v, %v", e2, err)
	}
	if _, err := m.Parse(MangoEventCall, mangoForm(mangoKey, mangoOutbound[2], mangoSalt)); !errors.Is(err, ErrIgnored) {
		t.Fatalf("leg Disconnected: %v, want ErrIgnored", err)
	}
}

func TestMangoDocumentedInboundThroughIVR(t *testing.T) {
	// "Маршрутизация вызова": a call to DID 7800123456789 lands in the IVR.
	e, err := ParseMangoCall([]byte(`{ "call_id": "100:500:256", "entry_id": "232wc3e3w3s222", "timestamp": "1399906976", "seq": "1", "call_state": "Appeared", "location": "ivr", "from": { "number": "79000000000" }, "to": { "number": "7800123456789", "line_number": "7800123456789" } }`))
	if err != nil || e.Type != TypeStarted || e.Direction != Inbound || e.From != "79000000000" || e.To != "7800123456789" || e.Extension != "" {
		t.Fatalf("%+v, %v", e, err)
	}
	// Then it rings employee 101 (numbers as JSON numbers, as other senders do).
	e, err = ParseMangoCall([]byte(`{"entry_id":"232wc3e3w3s222","call_id":"100:500:257","timestamp":1399906980,"seq":1,"call_state":"Appeared","location":"abonent","from":{"number":"79000000000"},"to":{"extension":101,"line_number":"7800123456789","acd_group":5}}`))
	if err != nil || e.Type != TypeRinging || e.Extension != "101" || e.Leg != "100:500:257" || e.Seq != 1 {
		t.Fatalf("%+v, %v", e, err)
	}
}

func TestMangoCallRefusals(t *testing.T) {
	cases := map[string]string{
		"entry_id":   `{"call_id":"c","timestamp":1,"seq":1,"call_state":"Appeared"}`,
		"call_id":    `{"entry_id":"e","timestamp":1,"seq":1,"call_state":"Appeared"}`,
		"timestamp":  `{"entry_id":"e","call_id":"c","seq":1,"call_state":"Appeared"}`,
		"seq":        `{"entry_id":"e","call_id":"c","timestamp":1,"seq":"x","call_state":"Appeared"}`,
		"call_state": `{"entry_id":"e","call_id":"c","timestamp":1,"seq":1,"call_state":"Ringing"}`,
		"json":       `[1,2]`,
	}
	for field, js := range cases {
		_, err := ParseMangoCall([]byte(js))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: err = %v", field, err)
		}
	}
	if _, err := ParseMangoCall([]byte(`{"entry_id":"e","call_id":"c","timestamp":1,"seq":4,"call_state":"OnHold"}`)); !errors.Is(err, ErrIgnored) {
		t.Errorf("OnHold: %v", err)
	}
}

func TestMangoSummary(t *testing.T) {
	cases := []struct {
		name string
		js   string
		want Event
	}{
		{"inbound answered", `{"entry_id":"E1","call_direction":1,"from":{"number":"79161234567"},"to":{"extension":"101","number":"sip:101@clinic.mangosip.ru"},"line_number":"74951112233","create_time":1700000000,"forward_time":1700000005,"talk_time":1700000010,"end_time":1700000130,"entry_result":1,"disconnect_reason":1110}`,
			Event{Provider: ProviderMango, ID: "mango:summary:E1", CallID: "E1", Type: TypeEnded, Direction: Inbound, From: "79161234567", To: "74951112233", Extension: "101", At: time.Unix(1700000130, 0).UTC(), Result: ResultAnswered, Duration: 120 * time.Second}},
		{"inbound missed", `{"entry_id":"E2","call_direction":"1","from":{"number":"79161234567"},"to":{"extension":"101"},"line_number":"74951112233","create_time":"1700000000","forward_time":"0","talk_time":"0","end_time":"1700000040","entry_result":"0","disconnect_reason":"1120"}`,
			Event{Provider: ProviderMango, ID: "mango:summary:E2", CallID: "E2", Type: TypeEnded, Direction: Inbound, From: "79161234567", To: "74951112233", Extension: "101", At: time.Unix(1700000040, 0).UTC(), Result: ResultMissed}},
		{"outbound", `{"entry_id":"E3","call_direction":2,"from":{"extension":"102","number":"74951112233"},"to":{"number":"79161234567"},"line_number":"74951112233","create_time":1700000000,"forward_time":1700000000,"talk_time":1700000020,"end_time":1700000080,"entry_result":1}`,
			Event{Provider: ProviderMango, ID: "mango:summary:E3", CallID: "E3", Type: TypeEnded, Direction: Outbound, From: "74951112233", To: "79161234567", Extension: "102", At: time.Unix(1700000080, 0).UTC(), Result: ResultAnswered, Duration: 60 * time.Second}},
	}
	m := &Mango{APIKey: mangoKey, Salt: mangoSalt}
	for _, c := range cases {
		got, err := m.Parse(MangoEventSummary, mangoForm(mangoKey, c.js, mangoSalt))
		if err != nil || got != c.want {
			t.Errorf("%s:\n got %+v, %v\nwant %+v", c.name, got, err, c.want)
		}
	}
	for field, js := range map[string]string{
		"entry_result":   `{"entry_id":"E","call_direction":1,"end_time":5,"entry_result":2}`,
		"call_direction": `{"entry_id":"E","call_direction":7,"end_time":5,"entry_result":1}`,
		"end_time":       `{"entry_id":"E","call_direction":1,"entry_result":1}`,
	} {
		var fe *FieldError
		if _, err := ParseMangoSummary([]byte(js)); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestMangoRecordAddedAndCommands(t *testing.T) {
	m := &Mango{APIKey: mangoKey, Salt: mangoSalt}
	e, err := m.Parse(MangoEventRecordAdded, mangoForm(mangoKey, `{"entry_id":"E1","product_id":1,"user_id":7,"recording_id":"MToxMDA1","timestamp":1700000200}`, mangoSalt))
	if err != nil || e.Type != TypeRecordingReady || e.RecordingID != "MToxMDA1" || e.CallID != "E1" {
		t.Fatalf("%+v, %v", e, err)
	}
	if _, err := m.Parse("dtmf", mangoForm(mangoKey, `{}`, mangoSalt)); !errors.Is(err, ErrIgnored) {
		t.Fatalf("dtmf: %v", err)
	}
	form, err := m.SignCommand(MangoCallback{CommandID: "cmd-1", From: MangoCallbackFrom{Extension: "101"}, ToNumber: "79161234567"})
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("json") != `{"command_id":"cmd-1","from":{"extension":"101"},"to_number":"79161234567"}` {
		t.Fatalf("json = %s", form.Get("json"))
	}
	if _, err := m.Verify(form); err != nil {
		t.Fatalf("our own command does not verify: %v", err)
	}
}
