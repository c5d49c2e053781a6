package renovatio

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeAnswer feeds arbitrary bodies to everything that reads
// Renovatio's answers: the envelope, schedule cells, patients, appointments
// and the change-feed cursor. Nothing may panic, and data handed on must be
// JSON.
func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []string{
		`{"error":0,"data":[{"id":1,"title":"Клиника"}]}`,
		`{"error":1,"data":{"code":5,"desc":"Время занято"}}`,
		`{"error":"0","data":{"101":[{"user_id":"101","clinic_id":"1","time_start":"2026-11-23 09:00:00","time_end":"2026-11-23 09:30:00","is_busy":false}]}}`,
		`{"error":0,"data":[]}`,
		`{"error":0,"data":[{"id":7,"patient_id":3,"doctor_id":101,"clinic_id":1,"time_start":"23.11.2026 09:00","time_end":"23.11.2026 09:30","status":"upcoming"}]}`,
		`{"error":0,"data":{"patient_id":"12","birth_date":"17.05.1980","mobile":"79123456789"}}`,
		`{"error":true}`, `[]`, `null`, `{"error":0}`, "rn1:H4sIAAAAAAAA",
	} {
		f.Add([]byte(s))
	}
	c, err := New(Config{APIKey: "k", Location: time.UTC})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		data, err := DecodeEnvelope("fuzz", body)
		var ae *APIError
		if err == nil && !json.Valid(data) {
			t.Fatalf("data %q is not JSON", data)
		}
		if errors.As(err, &ae) && ae.Code == "" {
			t.Fatal("a refusal without a code")
		}
		if err != nil {
			data = body
		}
		c.decodeSchedule(data)
		if ps, err := listOf[patient](data); err == nil {
			for _, p := range ps {
				p.toMIS()
			}
		}
		if as, err := listOf[appointment](data); err == nil {
			for _, a := range as {
				c.toMIS(a, nil)
			}
		}
		createdID(data, "id")
		decodeCursor(string(body))
	})
}
