package fhir

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"
)

// roundTrip decodes the spec example, encodes it again and compares both as generic JSON, so
// that a dropped, renamed or wrongly typed element fails the test.
func roundTrip(t *testing.T, file string, want Resource) Resource {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.TypeOf(r) != reflect.TypeOf(want) {
		t.Fatalf("Decode gave %T, want %T", r, want)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed %s:\nspec: %v\nours: %v", file, a, b)
	}
	return r
}

func TestSlotExampleRoundTrip(t *testing.T) {
	s := roundTrip(t, "testdata/slot-example.json", &Slot{}).(*Slot)
	if s.Status != SlotFree || s.Schedule.Reference != "Schedule/example" || s.ID != "example" {
		t.Fatalf("decoded slot: %+v", s)
	}
	if s.Overbooked == nil || *s.Overbooked {
		t.Fatalf("overbooked false must survive: %v", s.Overbooked)
	}
	if s.Meta == nil || len(s.Meta.Tag) != 1 || s.Meta.Tag[0].Code != "HTEST" {
		t.Fatalf("meta.tag: %+v", s.Meta)
	}
	if s.AppointmentType == nil || !s.AppointmentType.HasCoding("http://terminology.hl7.org/CodeSystem/v2-0276", "WALKIN") {
		t.Fatalf("appointmentType: %+v", s.AppointmentType)
	}
}

func TestAppointmentExampleRoundTrip(t *testing.T) {
	a := roundTrip(t, "testdata/appointment-example.json", &Appointment{}).(*Appointment)
	if a.Status != AppointmentBooked || len(a.Participant) != 3 || a.Priority == nil || *a.Priority != 5 {
		t.Fatalf("decoded appointment: %+v", a)
	}
	typ, id, ok := a.Participant[1].Actor.Split()
	if !ok || typ != "Practitioner" || id != "example" {
		t.Fatalf("participant reference split: %q %q %v", typ, id, ok)
	}
}

func TestMarshalFillsResourceTypeAndOmitsEmpty(t *testing.T) {
	out, err := json.Marshal(&Slot{Schedule: Ref("Schedule", "s1"), Status: SlotBusy, Start: "2024-01-01T09:00:00Z", End: "2024-01-01T09:15:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"resourceType":"Slot","schedule":{"reference":"Schedule/s1"},"status":"busy","start":"2024-01-01T09:00:00Z","end":"2024-01-01T09:15:00Z"}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	out, err = json.Marshal(Bundle{Type: "searchset", Total: Int(0)})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"resourceType":"Bundle","type":"searchset","total":0}` {
		t.Fatalf("bundle: %s", out)
	}
}

func TestDecodeRejectsWrongType(t *testing.T) {
	if err := DecodeAs([]byte(`{"resourceType":"Patient","id":"x"}`), &Slot{}); err == nil {
		t.Fatal("a Patient decoded as a Slot")
	}
	if _, err := Decode([]byte(`{"id":"x"}`)); err == nil {
		t.Fatal("a resource without resourceType decoded")
	}
	if _, err := Decode([]byte(`{"resourceType":"Observation"}`)); err == nil {
		t.Fatal("an unsupported type decoded")
	}
}

func TestParseDateTimePrecision(t *testing.T) {
	ekb := time.FixedZone("YEKT", 5*3600)
	cases := []struct {
		in         string
		start, end time.Time
	}{
		{"2024-03-01", time.Date(2024, 3, 1, 0, 0, 0, 0, ekb), time.Date(2024, 3, 2, 0, 0, 0, 0, ekb)},
		{"2024-03-01T09:15:00+05:00", time.Date(2024, 3, 1, 9, 15, 0, 0, ekb), time.Date(2024, 3, 1, 9, 15, 1, 0, ekb)},
		{"2024-03-01T04:15Z", time.Date(2024, 3, 1, 4, 15, 0, 0, time.UTC), time.Date(2024, 3, 1, 4, 16, 0, 0, time.UTC)},
		{"2024-03", time.Date(2024, 3, 1, 0, 0, 0, 0, ekb), time.Date(2024, 4, 1, 0, 0, 0, 0, ekb)},
	}
	for _, c := range cases {
		s, e, err := ParseDateTime(c.in, ekb)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if !s.Equal(c.start) || !e.Equal(c.end) {
			t.Errorf("%s: got [%v, %v), want [%v, %v)", c.in, s, e, c.start, c.end)
		}
	}
	if _, _, err := ParseDateTime("01.03.2024", ekb); err == nil {
		t.Error("a Russian-format date was accepted")
	}
}

func TestReferenceSplitAbsolute(t *testing.T) {
	typ, id, ok := Reference{Reference: "https://mis.example/fhir/Slot/42/_history/3"}.Split()
	if !ok || typ != "Slot" || id != "42" {
		t.Fatalf("got %q %q %v", typ, id, ok)
	}
	if _, _, ok := (Reference{Reference: "Slot"}).Split(); ok {
		t.Fatal("a bare type split")
	}
}
