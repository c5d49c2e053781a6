package workhours

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/okno-crm/okno/internal/problem"
)

// Spec is the stored and edited form of a schedule, as JSON:
//
//	{"tz":"Asia/Yekaterinburg",
//	 "week":{"mon":["08:00-13:00","14:00-20:00"],"tue":["08:00-20:00"],…,"sat":["09:00-15:00"],"sun":[]},
//	 "calendar":"ru",
//	 "extra_holidays":["2026-12-30"],
//	 "days":[{"date":"2026-12-26","hours":["10:00-14:00"]}]}
//
// or, for a 24/7 queue, {"tz":"Asia/Yekaterinburg","always_open":true}.
//
// Intervals are local wall-clock times, "HH:MM-HH:MM", end after start, "24:00"
// allowed as an end; a weekday left out or empty is closed. calendar "ru"
// applies the Russian production calendar (holidays and transferred rest days
// close the queue, a pre-holiday day closes an hour early, a working Saturday
// keeps the hours of the weekday it replaces); "" applies none. extra_holidays
// closes the clinic's own dates; days gives a date its own hours (an empty
// list closes it), overriding everything else for that date.
type Spec struct {
	TZ            string    `json:"tz"`
	AlwaysOpen    bool      `json:"always_open,omitempty"`
	Week          *WeekSpec `json:"week,omitempty"`
	Calendar      string    `json:"calendar,omitempty"`
	ExtraHolidays []string  `json:"extra_holidays,omitempty"`
	Days          []DaySpec `json:"days,omitempty"`
}

// WeekSpec holds the open intervals of each weekday.
type WeekSpec struct {
	Mon []string `json:"mon"`
	Tue []string `json:"tue"`
	Wed []string `json:"wed"`
	Thu []string `json:"thu"`
	Fri []string `json:"fri"`
	Sat []string `json:"sat"`
	Sun []string `json:"sun"`
}

// DaySpec gives one date its own hours.
type DaySpec struct {
	Date  string   `json:"date"`
	Hours []string `json:"hours"`
}

// CalendarRussia is the Spec.Calendar value of the Russian production calendar.
const CalendarRussia = "ru"

// Limits that keep a schedule small enough to store and to compute with.
const (
	maxIntervalsPerDay = 12
	maxDatedEntries    = 1000
)

var weekKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // by time.Weekday

func (w *WeekSpec) day(wd time.Weekday) *[]string {
	return [7]*[]string{&w.Sun, &w.Mon, &w.Tue, &w.Wed, &w.Thu, &w.Fri, &w.Sat}[wd]
}

// DefaultSpec is Mon–Fri 08:00–20:00, Sat 09:00–15:00, Sunday closed, the
// Russian calendar, in Yekaterinburg: the clinic's usual hours, for seeding.
func DefaultSpec() Spec {
	wd := []string{"08:00-20:00"}
	return Spec{
		TZ:       DefaultZone,
		Week:     &WeekSpec{Mon: wd, Tue: wd, Wed: wd, Thu: wd, Fri: wd, Sat: []string{"09:00-15:00"}, Sun: []string{}},
		Calendar: CalendarRussia,
	}
}

// Spec is the normalised form of the schedule: zone named, intervals sorted
// and merged, dates sorted. Parse(MarshalJSON()) gives the same schedule.
func (s *Schedule) Spec() Spec {
	sp := s.spec
	if sp.Week != nil {
		w := *sp.Week
		sp.Week = &w
	}
	sp.ExtraHolidays = slices.Clone(sp.ExtraHolidays)
	sp.Days = slices.Clone(sp.Days)
	return sp
}

// MarshalJSON writes the normalised Spec.
func (s *Schedule) MarshalJSON() ([]byte, error) { return json.Marshal(s.spec) }

// Always is a 24/7 schedule in the default zone.
func Always() *Schedule {
	s, err := New(Spec{AlwaysOpen: true})
	if err != nil {
		panic(err) // the default zone is compiled in
	}
	return s
}

// New validates a Spec. A refusal is a problem.Invalid naming each field.
func New(spec Spec) (*Schedule, error) { return build(spec, "") }

// Parse reads a schedule's JSON (a whole request body); see ParseField.
func Parse(data []byte) (*Schedule, error) { return ParseField("", data) }

// ParseField reads a schedule's JSON found under field of a larger body (for
// example "schedule"), so that refusals name "schedule.week.mon[0]". All the
// refusals of a stage come together (first the JSON types, then the values);
// values are never echoed.
func ParseField(field string, data []byte) (*Schedule, error) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		if field == "" {
			return nil, problem.New(problem.Malformed, "the schedule must be one JSON object")
		}
		return nil, problem.Field(field, "must be a JSON object")
	}
	var fe []problem.FieldError
	bad := func(f, msg string) { fe = append(fe, problem.FieldError{Field: join(field, f), Message: msg}) }
	var spec Spec
	for k, v := range obj {
		if isNull(v) {
			continue
		}
		switch k {
		case "tz":
			if json.Unmarshal(v, &spec.TZ) != nil {
				bad(k, "must be a string")
			}
		case "always_open":
			if json.Unmarshal(v, &spec.AlwaysOpen) != nil {
				bad(k, "must be true or false")
			}
		case "calendar":
			if json.Unmarshal(v, &spec.Calendar) != nil {
				bad(k, "must be a string")
			}
		case "week":
			var days map[string]json.RawMessage
			if json.Unmarshal(v, &days) != nil {
				bad(k, "must be an object with keys mon, tue, wed, thu, fri, sat, sun")
				continue
			}
			spec.Week = &WeekSpec{}
			for dk, dv := range days {
				i := slices.Index(weekKeys[:], dk)
				if i < 0 {
					bad("week."+safeKey(dk), "is not a weekday: use mon, tue, wed, thu, fri, sat, sun")
					continue
				}
				*spec.Week.day(time.Weekday(i)) = stringList(dv, "week."+dk, bad)
			}
		case "extra_holidays":
			spec.ExtraHolidays = stringList(v, k, bad)
		case "days":
			var items []json.RawMessage
			if json.Unmarshal(v, &items) != nil {
				bad(k, "must be a list of {\"date\", \"hours\"} objects")
				continue
			}
			for i, it := range items {
				f := k + "[" + strconv.Itoa(i) + "]"
				var m map[string]json.RawMessage
				if json.Unmarshal(it, &m) != nil || m == nil {
					bad(f, "must be an object with date and hours")
					continue
				}
				var ds DaySpec
				for ik, iv := range m {
					switch ik {
					case "date":
						if json.Unmarshal(iv, &ds.Date) != nil {
							bad(f+".date", "must be a string")
						}
					case "hours":
						ds.Hours = stringList(iv, f+".hours", bad)
						if ds.Hours == nil {
							ds.Hours = []string{}
						}
					default:
						bad(f+"."+safeKey(ik), "is not a known field")
					}
				}
				spec.Days = append(spec.Days, ds)
			}
		default:
			bad(safeKey(k), "is not a known field")
		}
	}
	if len(fe) > 0 {
		sortFields(fe)
		return nil, problem.Fields(fe)
	}
	return build(spec, field)
}

// stringList decodes a JSON list of strings, naming the element that is not one.
func stringList(v json.RawMessage, f string, bad func(f, msg string)) []string {
	if isNull(v) {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		bad(f, "must be a list of strings")
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if json.Unmarshal(it, &s) != nil {
			bad(f+"["+strconv.Itoa(i)+"]", "must be a string")
			continue
		}
		out = append(out, s)
	}
	return out
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// safeKey lets an unknown key name its own error only when it is a plain
// identifier, so nothing an admin pasted by mistake is echoed back.
func safeKey(k string) string {
	if k == "" || len(k) > 40 {
		return "(unknown)"
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return "(unknown)"
		}
	}
	return k
}

func join(prefix, f string) string {
	switch {
	case prefix == "":
		return f
	case f == "":
		return prefix
	}
	return prefix + "." + f
}

// sortFields orders refusals by field so that answers are stable (the object
// was read from a map).
func sortFields(fe []problem.FieldError) {
	slices.SortStableFunc(fe, func(a, b problem.FieldError) int {
		switch {
		case a.Field < b.Field:
			return -1
		case a.Field > b.Field:
			return 1
		}
		return 0
	})
}

func build(spec Spec, field string) (*Schedule, error) {
	var fe []problem.FieldError
	bad := func(f, msg string) { fe = append(fe, problem.FieldError{Field: join(field, f), Message: msg}) }
	s := &Schedule{}
	norm := Spec{AlwaysOpen: spec.AlwaysOpen}

	tz := spec.TZ
	if tz == "" {
		tz = DefaultZone
	}
	if loc, err := time.LoadLocation(tz); err != nil || tz == "Local" || len(tz) > 64 {
		bad("tz", "must be a time zone name such as Asia/Yekaterinburg")
	} else {
		s.loc = loc
		norm.TZ = loc.String()
	}

	if spec.AlwaysOpen {
		s.always = true
		if spec.Week != nil {
			bad("week", "must be left out of a schedule that is always open")
		}
		if spec.Calendar != "" {
			bad("calendar", "must be left out of a schedule that is always open")
		}
		if len(spec.ExtraHolidays) > 0 {
			bad("extra_holidays", "must be left out of a schedule that is always open")
		}
		if len(spec.Days) > 0 {
			bad("days", "must be left out of a schedule that is always open")
		}
	} else {
		if spec.Week == nil {
			bad("week", "is required unless the schedule is always open")
		} else {
			norm.Week = &WeekSpec{}
			open := false
			for wd := time.Sunday; wd <= time.Saturday; wd++ {
				sp, ok := parseHours(*spec.Week.day(wd), "week."+weekKeys[wd], bad)
				if ok {
					s.week[wd] = sp
					*norm.Week.day(wd) = formatHours(sp)
					open = open || len(sp) > 0
				}
			}
			if !open && len(fe) == 0 {
				bad("week", "must have at least one open interval")
			}
		}

		switch spec.Calendar {
		case "":
		case CalendarRussia:
			s.cal = Russia
			norm.Calendar = CalendarRussia
		default:
			bad("calendar", `must be "ru" or left out`)
		}

		if len(spec.ExtraHolidays) > maxDatedEntries {
			bad("extra_holidays", fmt.Sprintf("must list at most %d dates", maxDatedEntries))
		} else {
			s.closed = make(map[Date]bool, len(spec.ExtraHolidays))
			for i, v := range spec.ExtraHolidays {
				f := "extra_holidays[" + strconv.Itoa(i) + "]"
				dt, err := ParseDate(v)
				switch {
				case err != nil:
					bad(f, "must be a date as YYYY-MM-DD")
				case s.closed[dt]:
					bad(f, "is listed twice")
				default:
					s.closed[dt] = true
					if s.last.Before(dt) {
						s.last = dt
					}
				}
			}
			for dt := range s.closed {
				norm.ExtraHolidays = append(norm.ExtraHolidays, dt.String())
			}
			slices.Sort(norm.ExtraHolidays)
		}

		if len(spec.Days) > maxDatedEntries {
			bad("days", fmt.Sprintf("must list at most %d dates", maxDatedEntries))
		} else {
			s.days = make(map[Date][]span, len(spec.Days))
			seen := make(map[Date]bool, len(spec.Days))
			for i, ds := range spec.Days {
				f := "days[" + strconv.Itoa(i) + "]"
				dt, err := ParseDate(ds.Date)
				switch {
				case err != nil:
					bad(f+".date", "must be a date as YYYY-MM-DD")
				case s.closed[dt]:
					bad(f+".date", "is also an extra holiday")
				case seen[dt]:
					bad(f+".date", "is listed twice")
				default:
					seen[dt] = true
					if sp, ok := parseHours(ds.Hours, f+".hours", bad); ok {
						s.days[dt] = sp
						if s.last.Before(dt) {
							s.last = dt
						}
						norm.Days = append(norm.Days, DaySpec{Date: dt.String(), Hours: formatHours(sp)})
					}
				}
			}
			slices.SortFunc(norm.Days, func(a, b DaySpec) int {
				switch {
				case a.Date < b.Date:
					return -1
				case a.Date > b.Date:
					return 1
				}
				return 0
			})
		}
	}

	if len(fe) > 0 {
		return nil, problem.Fields(fe)
	}
	s.spec = norm
	return s, nil
}

// parseHours reads a day's intervals, sorts them and merges touching ones.
func parseHours(list []string, f string, bad func(f, msg string)) ([]span, bool) {
	if len(list) > maxIntervalsPerDay {
		bad(f, fmt.Sprintf("must have at most %d intervals", maxIntervalsPerDay))
		return nil, false
	}
	type item struct {
		span
		i int
	}
	items := make([]item, 0, len(list))
	ok := true
	for i, v := range list {
		sp, msg := parseSpan(v)
		if msg != "" {
			bad(f+"["+strconv.Itoa(i)+"]", msg)
			ok = false
			continue
		}
		items = append(items, item{sp, i})
	}
	if !ok {
		return nil, false
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.from - b.from })
	var out []span
	for j, it := range items {
		if j > 0 && it.from < items[j-1].to {
			bad(f+"["+strconv.Itoa(max(it.i, items[j-1].i))+"]", "overlaps another interval of the day")
			ok = false
			continue
		}
		if n := len(out); n > 0 && out[n-1].to == it.from {
			out[n-1].to = it.to
			continue
		}
		out = append(out, it.span)
	}
	return out, ok
}

// parseSpan reads "HH:MM-HH:MM"; the message says what is wrong, never echoing it.
func parseSpan(v string) (span, string) {
	const shape = `must look like "08:00-20:00"`
	if len(v) != 11 || v[5] != '-' {
		return span{}, shape
	}
	from, ok1 := parseClock(v[:5])
	to, ok2 := parseClock(v[6:])
	switch {
	case !ok1 || !ok2 || from >= minutesPerDay:
		return span{}, shape
	case to <= from:
		return span{}, "must end after it starts"
	}
	return span{from, to}, ""
}

// parseClock reads "HH:MM" from 00:00 to 24:00 as minutes since midnight.
func parseClock(v string) (int, bool) {
	if len(v) != 5 || v[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	h := int(v[0]-'0')*10 + int(v[1]-'0')
	m := int(v[3]-'0')*10 + int(v[4]-'0')
	if m > 59 || h > 24 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

func formatHours(sp []span) []string {
	out := make([]string, len(sp))
	for i, x := range sp {
		out[i] = fmt.Sprintf("%02d:%02d-%02d:%02d", x.from/60, x.from%60, x.to/60, x.to%60)
	}
	return out
}
