package workhours

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/okno-crm/okno/internal/problem"
)

func TestParseExample(t *testing.T) {
	s, err := Parse([]byte(`{"tz":"Asia/Yekaterinburg",
		"week":{"mon":["08:00-20:00"],"tue":["08:00-20:00"],"wed":["08:00-20:00"],"thu":["08:00-20:00"],
		        "fri":["08:00-20:00"],"sat":["09:00-15:00"],"sun":[]},
		"calendar":"ru","extra_holidays":["2026-12-30"]}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if s.Location().String() != "Asia/Yekaterinburg" || s.AlwaysOpen() {
		t.Fatalf("zone %v, always %v", s.Location(), s.AlwaysOpen())
	}
	if s.Open(at(t, "2026-12-30 10:00")) {
		t.Error("open on an extra holiday")
	}
	if !s.Open(at(t, "2026-12-29 10:00")) {
		t.Error("closed on an ordinary Tuesday")
	}
	if s.Open(at(t, "2026-11-04 10:00")) {
		t.Error("the Russian calendar is not applied")
	}
}

func TestNormalisedRoundTrip(t *testing.T) {
	in := `{"calendar":"ru","week":{"tue":["14:00-18:00","08:00-12:00","12:00-13:00"],"sat":["09:00-15:00"]},
		"days":[{"date":"2026-12-31","hours":[]},{"date":"2026-12-26","hours":["10:00-14:00"]}],
		"extra_holidays":["2026-12-30","2026-05-04"]}`
	s, err := Parse([]byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"tz":"Asia/Yekaterinburg",` +
		`"week":{"mon":[],"tue":["08:00-13:00","14:00-18:00"],"wed":[],"thu":[],"fri":[],"sat":["09:00-15:00"],"sun":[]},` +
		`"calendar":"ru","extra_holidays":["2026-05-04","2026-12-30"],` +
		`"days":[{"date":"2026-12-26","hours":["10:00-14:00"]},{"date":"2026-12-31","hours":[]}]}`
	if string(out) != want {
		t.Fatalf("normalised:\n%s\nwant\n%s", out, want)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(normalised): %v", err)
	}
	if !reflect.DeepEqual(again.Spec(), s.Spec()) {
		t.Errorf("round trip changed the spec: %+v vs %+v", again.Spec(), s.Spec())
	}
	// Spec returns a copy: editing it leaves the schedule alone.
	sp := s.Spec()
	sp.Week.Tue[0] = "00:00-01:00"
	sp.ExtraHolidays[0] = "2000-01-01"
	if s.Spec().ExtraHolidays[0] != "2026-05-04" {
		t.Error("Spec shares the extra holidays")
	}
	if got := s.AddWorking(at(t, "2026-12-29 12:30"), time.Hour); !got.Equal(at(t, "2026-12-29 14:30")) {
		t.Errorf("merged 08:00-13:00 then lunch: %s", got)
	}
}

func TestAlwaysOpenSpec(t *testing.T) {
	s, err := Parse([]byte(`{"always_open":true}`))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(s)
	if string(out) != `{"tz":"Asia/Yekaterinburg","always_open":true}` {
		t.Errorf("got %s", out)
	}
	if !Always().AlwaysOpen() || !Always().Open(at(t, "2026-01-01 03:00")) {
		t.Error("Always() is not always open")
	}
}

func TestParseRefusals(t *testing.T) {
	okWeek := `"week":{"mon":["08:00-20:00"]}`
	cases := []struct {
		name  string
		field string
		in    string
		want  []problem.FieldError
	}{
		{"unknown zone and bad interval", "", `{"tz":"Mars/Olympus","week":{"mon":["8-20"]}}`, []problem.FieldError{
			{Field: "tz", Message: "must be a time zone name such as Asia/Yekaterinburg"},
			{Field: "week.mon[0]", Message: `must look like "08:00-20:00"`},
		}},
		{"Local is the server's zone, not a clinic's", "", `{"tz":"Local",` + okWeek + `}`, []problem.FieldError{
			{Field: "tz", Message: "must be a time zone name such as Asia/Yekaterinburg"},
		}},
		{"backwards interval", "", `{"week":{"mon":["20:00-08:00"]}}`, []problem.FieldError{
			{Field: "week.mon[0]", Message: "must end after it starts"},
		}},
		{"bad clock values", "", `{"week":{"mon":["08:60-09:00","24:00-24:00","23:00-24:01","0a:00-09:00"]}}`, []problem.FieldError{
			{Field: "week.mon[0]", Message: `must look like "08:00-20:00"`},
			{Field: "week.mon[1]", Message: `must look like "08:00-20:00"`},
			{Field: "week.mon[2]", Message: `must look like "08:00-20:00"`},
			{Field: "week.mon[3]", Message: `must look like "08:00-20:00"`},
		}},
		{"overlap", "", `{"week":{"mon":["08:00-12:00","11:00-13:00"]}}`, []problem.FieldError{
			{Field: "week.mon[1]", Message: "overlaps another interval of the day"},
		}},
		{"too many intervals", "", `{"week":{"mon":["00:00-00:01","00:02-00:03","00:04-00:05","00:06-00:07","00:08-00:09","00:10-00:11",
			"00:12-00:13","00:14-00:15","00:16-00:17","00:18-00:19","00:20-00:21","00:22-00:23","00:24-00:25"]}}`, []problem.FieldError{
			{Field: "week.mon", Message: "must have at most 12 intervals"},
		}},
		{"unknown weekday", "", `{"week":{"funday":["08:00-12:00"],"mon":["08:00-12:00"]}}`, []problem.FieldError{
			{Field: "week.funday", Message: "is not a weekday: use mon, tue, wed, thu, fri, sat, sun"},
		}},
		{"never open", "", `{"week":{"mon":[]}}`, []problem.FieldError{
			{Field: "week", Message: "must have at least one open interval"},
		}},
		{"week required", "", `{}`, []problem.FieldError{
			{Field: "week", Message: "is required unless the schedule is always open"},
		}},
		{"unknown calendar", "", `{` + okWeek + `,"calendar":"us"}`, []problem.FieldError{
			{Field: "calendar", Message: `must be "ru" or left out`},
		}},
		{"bad and repeated extra holidays", "", `{` + okWeek + `,"extra_holidays":["2026-02-30","2026-12-31","2026-12-31"]}`, []problem.FieldError{
			{Field: "extra_holidays[0]", Message: "must be a date as YYYY-MM-DD"},
			{Field: "extra_holidays[2]", Message: "is listed twice"},
		}},
		{"bad dated hours", "", `{` + okWeek + `,"extra_holidays":["2026-12-30"],"days":[{"date":"2026-12-31","hours":["25:00-26:00"]},
			{"date":"x"},{"date":"2026-12-31","hours":[]},{"date":"2026-12-30","hours":[]}]}`, []problem.FieldError{
			{Field: "days[0].hours[0]", Message: `must look like "08:00-20:00"`},
			{Field: "days[1].date", Message: "must be a date as YYYY-MM-DD"},
			{Field: "days[2].date", Message: "is listed twice"},
			{Field: "days[3].date", Message: "is also an extra holiday"},
		}},
		{"always open with hours", "", `{"always_open":true,` + okWeek + `,"calendar":"ru","extra_holidays":["2026-12-30"],"days":[{"date":"2026-12-31","hours":[]}]}`, []problem.FieldError{
			{Field: "week", Message: "must be left out of a schedule that is always open"},
			{Field: "calendar", Message: "must be left out of a schedule that is always open"},
			{Field: "extra_holidays", Message: "must be left out of a schedule that is always open"},
			{Field: "days", Message: "must be left out of a schedule that is always open"},
		}},
		{"wrong JSON types", "", `{"tz":5,"always_open":"yes","week":[],"calendar":false,"extra_holidays":"2026-01-01","days":{},"colour":"red"}`, []problem.FieldError{
			{Field: "always_open", Message: "must be true or false"},
			{Field: "calendar", Message: "must be a string"},
			{Field: "colour", Message: "is not a known field"},
			{Field: "days", Message: `must be a list of {"date", "hours"} objects`},
			{Field: "extra_holidays", Message: "must be a list of strings"},
			{Field: "tz", Message: "must be a string"},
			{Field: "week", Message: "must be an object with keys mon, tue, wed, thu, fri, sat, sun"},
		}},
		{"wrong element types", "", `{"week":{"mon":[5]},"days":[7,{"date":1,"hours":[2],"note":"x"}]}`, []problem.FieldError{
			{Field: "days[0]", Message: "must be an object with date and hours"},
			{Field: "days[1].date", Message: "must be a string"},
			{Field: "days[1].hours[0]", Message: "must be a string"},
			{Field: "days[1].note", Message: "is not a known field"},
			{Field: "week.mon[0]", Message: "must be a string"},
		}},
		{"an unknown key that is not an identifier is not echoed", "", `{"Пароль":"x",` + okWeek + `}`, []problem.FieldError{
			{Field: "(unknown)", Message: "is not a known field"},
		}},
		{"nested under a field", "schedule", `{"week":{"mon":["x"]},"extra_holidays":["x"]}`, []problem.FieldError{
			{Field: "schedule.extra_holidays[0]", Message: "must be a date as YYYY-MM-DD"},
			{Field: "schedule.week.mon[0]", Message: `must look like "08:00-20:00"`},
		}},
		{"nested value not an object", "schedule", `[1]`, []problem.FieldError{
			{Field: "schedule", Message: "must be a JSON object"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseField(c.field, []byte(c.in))
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Code != problem.Invalid {
				t.Fatalf("got %v, want an invalid-field problem", err)
			}
			got := append([]problem.FieldError(nil), pe.Fields...)
			sortFields(got)
			want := append([]problem.FieldError(nil), c.want...)
			sortFields(want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("fields:\n%v\nwant\n%v", got, want)
			}
			for _, v := range []string{"Mars/Olympus", "funday", "Пароль", "25:00", "2026-02-30"} {
				if strings.Contains(c.in, v) && v != "funday" && strings.Contains(err.Error(), v) {
					t.Errorf("the refusal echoes the submitted value %q", v)
				}
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	for _, in := range []string{``, `not json`, `[1]`, `null`, `{"week":{}}{"a":1}`, `{"week":`} {
		_, err := Parse([]byte(in))
		if problem.CodeOf(err) != problem.Malformed {
			t.Errorf("Parse(%q) = %v, want malformed", in, err)
		}
	}
}

func TestNewRefusesLikeParse(t *testing.T) {
	_, err := New(Spec{Week: &WeekSpec{Mon: []string{"08:00 - 20:00"}}})
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "week.mon[0]" {
		t.Fatalf("New = %v", err)
	}
	if _, err := New(DefaultSpec()); err != nil {
		t.Fatalf("DefaultSpec is refused: %v", err)
	}
}
