package telephony

import (
	"bufio"
	"net/url"
	"strings"
	"testing"
)

// Every parser must either refuse or return a valid Event, never panic.
func checkParsed(t *testing.T, e Event, err error) {
	if err == nil {
		if verr := e.Validate(); verr != nil {
			t.Fatalf("accepted an invalid event %+v: %v", e, verr)
		}
	}
}

func FuzzGenericEvent(f *testing.F) {
	f.Add([]byte(`{"type":"call.ended","call_id":"c","result":"missed","at":"2026-03-02T09:15:00Z"}`))
	f.Add([]byte(`{"type":"call.started","call_id":"c","direction":"inbound","at":"2026-03-02T09:15:00+03:00"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := ParseGenericEvent("id", body)
		checkParsed(t, e, err)
	})
}

func FuzzMango(f *testing.F) {
	for _, s := range mangoOutbound {
		f.Add(s)
	}
	f.Add(`{"entry_id":"E1","call_direction":1,"end_time":5,"talk_time":2,"entry_result":1}`)
	f.Fuzz(func(t *testing.T, js string) {
		e, err := ParseMangoCall([]byte(js))
		checkParsed(t, e, err)
		e, err = ParseMangoSummary([]byte(js))
		checkParsed(t, e, err)
		e, err = ParseMangoRecordAdded([]byte(js))
		checkParsed(t, e, err)
	})
}

func FuzzZadarma(f *testing.F) {
	f.Add("event=NOTIFY_END&pbx_call_id=in_1&call_start=2026-03-02+09:15:00&caller_id=79161234567&called_did=74951112233&disposition=answered&duration=5")
	f.Add("event=NOTIFY_RECORD&pbx_call_id=in_1&call_id_with_rec=1.2")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		z := &Zadarma{Secret: zdSecret}
		e, err := z.Parse(zdSigned(form, zdSecret), form)
		checkParsed(t, e, err)
	})
}

func FuzzAMIMessage(f *testing.F) {
	f.Add("Event: Hangup\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\n\r\n")
	f.Add("Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\nEvent: Cdr\r\n\r\n")
	f.Fuzz(func(t *testing.T, stream string) {
		c := NewAMIClient(AMIConfig{OnEvent: func(e Event) {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event %+v: %v", e, err)
			}
		}})
		r := bufio.NewReaderSize(strings.NewReader(stream), amiMaxLine)
		for range 100 {
			m, err := readAMIMessage(r)
			if err != nil {
				return
			}
			c.event(m)
		}
	})
}
