package workhours

import (
	"math/rand/v2"
	"testing"
	"time"
)

var yekt = mustZone("Asia/Yekaterinburg")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at reads "2006-01-02 15:04" as Yekaterinburg wall time.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, yekt)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func mustNew(t testing.TB, spec Spec) *Schedule {
	t.Helper()
	s, err := New(spec)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// clinic: Mon–Fri 08:00–20:00, Sat 09:00–15:00, Sunday closed, Russian calendar.
func clinic(t testing.TB) *Schedule { return mustNew(t, DefaultSpec()) }

// weekdays: Mon–Fri 08:00–20:00 only, Russian calendar.
func weekdays(t testing.TB) *Schedule {
	wd := []string{"08:00-20:00"}
	return mustNew(t, Spec{Week: &WeekSpec{Mon: wd, Tue: wd, Wed: wd, Thu: wd, Fri: wd}, Calendar: "ru"})
}

// office: the statutory eight-hour day with a lunch hour, Russian calendar.
func office(t testing.TB) *Schedule {
	wd := []string{"09:00-13:00", "14:00-18:00"}
	return mustNew(t, Spec{Week: &WeekSpec{Mon: wd, Tue: wd, Wed: wd, Thu: wd, Fri: wd}, Calendar: "ru"})
}

func TestAddWorking(t *testing.T) {
	lunch := mustNew(t, Spec{Week: &WeekSpec{
		Mon: []string{"08:00-12:00", "13:00-17:00"}, Tue: []string{"08:00-12:00", "13:00-17:00"},
	}})
	always := mustNew(t, Spec{AlwaysOpen: true})
	cases := []struct {
		name  string
		s     *Schedule
		start string
		d     time.Duration
		want  string
	}{
		{"inside a working day", clinic(t), "2026-11-16 10:00", 30 * time.Minute, "2026-11-16 10:30"},
		{"15 min before closing carries to the next morning", clinic(t), "2026-11-17 19:55", 15 * time.Minute, "2026-11-18 08:10"},
		{"missed call at night is due 15 min after opening", clinic(t), "2026-11-17 23:00", 15 * time.Minute, "2026-11-18 08:15"},
		{"missed call after midnight", clinic(t), "2026-11-18 03:00", 15 * time.Minute, "2026-11-18 08:15"},
		{"exactly used up at closing yields closing", clinic(t), "2026-11-17 19:45", 15 * time.Minute, "2026-11-17 20:00"},
		{"Friday evening carries to Saturday hours", clinic(t), "2026-11-20 19:55", 15 * time.Minute, "2026-11-21 09:10"},
		{"Saturday afternoon carries over the closed Sunday", clinic(t), "2026-11-21 14:50", 30 * time.Minute, "2026-11-23 08:20"},
		{"weekday queue skips the whole weekend", weekdays(t), "2026-11-20 19:55", 15 * time.Minute, "2026-11-23 08:10"},
		{"several working days", weekdays(t), "2026-11-16 08:00", 36 * time.Hour, "2026-11-18 20:00"},
		{"several working days and a bit", weekdays(t), "2026-11-16 08:00", 36*time.Hour + time.Minute, "2026-11-19 08:01"},

		// New Year 2026: 31 Dec 2025 and 9 Jan 2026 are rest days moved by the
		// decrees, 1–8 January are holidays.
		{"New Year: clinic reopens on Saturday 10 January", clinic(t), "2025-12-30 19:30", time.Hour, "2026-01-10 09:30"},
		{"New Year: weekday queue reopens on 12 January", weekdays(t), "2025-12-30 19:30", time.Hour, "2026-01-12 08:30"},
		{"inside the New Year holidays", weekdays(t), "2026-01-05 12:00", 10 * time.Minute, "2026-01-12 08:10"},
		// 23 February 2026 is a Monday holiday; 20 February is not shortened.
		{"23 February: weekday queue", weekdays(t), "2026-02-20 19:50", 20 * time.Minute, "2026-02-24 08:10"},
		{"23 February: clinic works Saturday 21st", clinic(t), "2026-02-20 19:50", 20 * time.Minute, "2026-02-21 09:10"},
		// 8 March 2026 is a Sunday: Monday 9 March is the day off (art. 112 part 2).
		{"8 March on Sunday moves the rest to Monday", clinic(t), "2026-03-07 14:30", time.Hour, "2026-03-10 08:30"},
		// 30 April is a pre-holiday day: closes 19:00; 1 May is a holiday.
		{"shortened 30 April then 1 May", clinic(t), "2026-04-30 18:50", 20 * time.Minute, "2026-05-02 09:10"},
		// 8 May shortened; 9 May (Saturday) holiday; Monday 11 May day off.
		{"9 May on Saturday moves the rest to Monday 11th", clinic(t), "2026-05-08 18:30", time.Hour, "2026-05-12 08:30"},
		{"11 June shortened, 12 June holiday", clinic(t), "2026-06-11 18:55", 10 * time.Minute, "2026-06-13 09:05"},
		{"3 November shortened, 4 November holiday", clinic(t), "2026-11-03 18:45", 30 * time.Minute, "2026-11-05 08:15"},
		{"31 December 2026 is a rest day", weekdays(t), "2026-12-30 19:50", 20 * time.Minute, "2027-01-11 08:10"},
		// Saturday 1 November 2025 worked as Monday 3 November (decree № 1335),
		// shortened as the eve of 4 November: Monday hours less one, 08:00–19:00.
		{"working Saturday keeps weekday hours", clinic(t), "2025-10-31 19:55", 15 * time.Minute, "2025-11-01 08:10"},
		{"weekday queue works the transferred Saturday", weekdays(t), "2025-10-31 19:55", 15 * time.Minute, "2025-11-01 08:10"},
		{"working Saturday is shortened, then 2–4 November rest", clinic(t), "2025-11-01 18:30", time.Hour, "2025-11-05 08:30"},

		{"lunch break is not working time", lunch, "2026-11-16 11:50", 20 * time.Minute, "2026-11-16 13:10"},
		{"morning before opening, across lunch", lunch, "2026-11-16 06:00", 5 * time.Hour, "2026-11-16 14:00"},
		{"no calendar: 23 February is an ordinary Monday", lunch, "2026-02-20 12:00", time.Hour, "2026-02-23 09:00"},

		{"24/7 ignores holidays", always, "2026-01-01 00:00", 15 * time.Minute, "2026-01-01 00:15"},
		{"24/7 across midnight", always, "2026-12-31 23:50", 20 * time.Minute, "2027-01-01 00:10"},
		{"zero duration", clinic(t), "2026-11-22 12:00", 0, "2026-11-22 12:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start, want := at(t, c.start), at(t, c.want)
			got := c.s.AddWorking(start, c.d)
			if !got.Equal(want) {
				t.Fatalf("AddWorking(%s, %v) = %s, want %s", c.start, c.d, got.Format("2006-01-02 15:04 MST"), c.want)
			}
			if got.Location() != c.s.Location() {
				t.Errorf("result in %v, want the schedule's zone", got.Location())
			}
			if back := c.s.WorkingBetween(start, got); back != c.d {
				t.Errorf("WorkingBetween(start, result) = %v, want %v", back, c.d)
			}
		})
	}
}

func TestOpenAndNextOpen(t *testing.T) {
	cases := []struct {
		name string
		s    *Schedule
		at   string
		open bool
		next string
	}{
		{"weekday morning", clinic(t), "2026-11-16 08:00", true, "2026-11-16 08:00"},
		{"closing instant is closed", clinic(t), "2026-11-16 20:00", false, "2026-11-17 08:00"},
		{"a minute before closing", clinic(t), "2026-11-16 19:59", true, "2026-11-16 19:59"},
		{"Sunday", clinic(t), "2026-11-22 12:00", false, "2026-11-23 08:00"},
		{"Saturday hours", clinic(t), "2026-11-21 15:00", false, "2026-11-23 08:00"},
		{"holiday 4 November", clinic(t), "2026-11-04 12:00", false, "2026-11-05 08:00"},
		{"holiday 12 June", clinic(t), "2026-06-12 12:00", false, "2026-06-13 09:00"},
		{"shortened day closes at 19:00", clinic(t), "2026-04-30 19:00", false, "2026-05-02 09:00"},
		{"shortened day open at 18:59", clinic(t), "2026-04-30 18:59", true, "2026-04-30 18:59"},
		{"transferred rest day 9 January", clinic(t), "2026-01-09 10:00", false, "2026-01-10 09:00"},
		{"working Saturday opens at weekday time", clinic(t), "2025-11-01 08:30", true, "2025-11-01 08:30"},
		{"Monday made a rest day", clinic(t), "2025-11-03 10:00", false, "2025-11-05 08:00"},
		{"24/7", mustNew(t, Spec{AlwaysOpen: true}), "2026-01-01 03:00", true, "2026-01-01 03:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tm := at(t, c.at)
			if got := c.s.Open(tm); got != c.open {
				t.Errorf("Open(%s) = %v, want %v", c.at, got, c.open)
			}
			if got, want := c.s.NextOpen(tm), at(t, c.next); !got.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, want %s", c.at, got.Format("2006-01-02 15:04"), c.next)
			}
		})
	}
}

func TestWorkingBetween(t *testing.T) {
	cases := []struct {
		name string
		s    *Schedule
		a, b string
		want time.Duration
	}{
		{"an ordinary week of the clinic", clinic(t), "2026-11-16 08:00", "2026-11-23 08:00", 5*12*time.Hour + 6*time.Hour},
		{"inside one interval", clinic(t), "2026-11-16 10:00", "2026-11-16 10:07", 7 * time.Minute},
		{"overnight counts nothing", clinic(t), "2026-11-16 20:00", "2026-11-17 08:00", 0},
		{"reversed is negative", clinic(t), "2026-11-17 08:30", "2026-11-16 19:30", -time.Hour},
		{"January 2026: 15 working days of 8 hours", office(t), "2026-01-01 00:00", "2026-02-01 00:00", 15 * 8 * time.Hour},
		{"May 2026: 19 working days, 8 May shortened", office(t), "2026-05-01 00:00", "2026-06-01 00:00", (19*8 - 1) * time.Hour},
		// The annual norm of a 40-hour week: 247 days × 8 h less 4 shortened days.
		{"2026 norm of hours", office(t), "2026-01-01 00:00", "2027-01-01 00:00", 1972 * time.Hour},
		{"2025 norm of hours", office(t), "2025-01-01 00:00", "2026-01-01 00:00", 1972 * time.Hour},
		{"24/7 counts the clock", mustNew(t, Spec{AlwaysOpen: true}), "2026-01-01 00:00", "2026-01-08 00:00", 7 * 24 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.s.WorkingBetween(at(t, c.a), at(t, c.b)); got != c.want {
				t.Fatalf("WorkingBetween(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
			}
		})
	}
}

// Yekaterinburg is UTC+5 all year: the same wall time is the same UTC time in
// January and July, and the day length never changes.
func TestYekaterinburgHasNoDaylightSaving(t *testing.T) {
	s := clinic(t)
	for _, c := range []struct{ start, wantUTC string }{
		{"2026-01-12 07:00", "2026-01-12T03:15:00Z"},
		{"2026-03-30 07:00", "2026-03-30T03:15:00Z"}, // after Europe's spring change
		{"2026-07-01 07:00", "2026-07-01T03:15:00Z"},
		{"2026-10-26 07:00", "2026-10-26T03:15:00Z"}, // after Europe's autumn change
	} {
		got := s.AddWorking(at(t, c.start), 15*time.Minute)
		want, _ := time.Parse(time.RFC3339, c.wantUTC)
		if !got.Equal(want) {
			t.Errorf("AddWorking(%s, 15m) = %s, want %s", c.start, got.UTC().Format(time.RFC3339), c.wantUTC)
		}
	}
	always := mustNew(t, Spec{Week: &WeekSpec{
		Mon: []string{"00:00-24:00"}, Tue: []string{"00:00-24:00"}, Wed: []string{"00:00-24:00"}, Thu: []string{"00:00-24:00"},
		Fri: []string{"00:00-24:00"}, Sat: []string{"00:00-24:00"}, Sun: []string{"00:00-24:00"},
	}})
	if got := always.WorkingBetween(at(t, "2026-03-29 00:00"), at(t, "2026-03-30 00:00")); got != 24*time.Hour {
		t.Errorf("a Yekaterinburg day lasted %v", got)
	}
}

// In a zone that does change its clocks, a day's open time is its real length.
func TestDaylightSavingZone(t *testing.T) {
	full := []string{"00:00-24:00"}
	s := mustNew(t, Spec{TZ: "Europe/Berlin", Week: &WeekSpec{Mon: full, Tue: full, Wed: full, Thu: full, Fri: full, Sat: full, Sun: full}})
	berlin := s.Location()
	spring := time.Date(2026, 3, 29, 0, 0, 0, 0, berlin)
	if got := s.WorkingBetween(spring, spring.AddDate(0, 0, 1)); got != 23*time.Hour {
		t.Errorf("spring-forward day = %v, want 23h", got)
	}
	autumn := time.Date(2026, 10, 25, 0, 0, 0, 0, berlin)
	if got := s.WorkingBetween(autumn, autumn.AddDate(0, 0, 1)); got != 25*time.Hour {
		t.Errorf("fall-back day = %v, want 25h", got)
	}
	if got, want := s.AddWorking(spring, 3*time.Hour), time.Date(2026, 3, 29, 4, 0, 0, 0, berlin); !got.Equal(want) {
		t.Errorf("3h after midnight on spring-forward day = %s, want 04:00", got)
	}
}

// A day's hours lose their last open hour on a pre-holiday day, across a lunch
// break when the afternoon is shorter than that.
func TestShorten(t *testing.T) {
	cases := []struct {
		in, want []span
	}{
		{[]span{{480, 1200}}, []span{{480, 1140}}},
		{[]span{{480, 720}, {780, 1020}}, []span{{480, 720}, {780, 960}}},
		{[]span{{480, 720}, {990, 1020}}, []span{{480, 690}}},
		{[]span{{480, 720}, {960, 1020}}, []span{{480, 720}}},
		{[]span{{600, 630}}, nil},
		{nil, nil},
	}
	for _, c := range cases {
		got := shorten(c.in, 60)
		if len(got) != len(c.want) {
			t.Errorf("shorten(%v) = %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("shorten(%v) = %v, want %v", c.in, got, c.want)
			}
		}
	}
	// The week's own slice is never modified by shortening a day.
	s := office(t)
	_ = s.WorkingBetween(at(t, "2026-04-30 00:00"), at(t, "2026-05-01 00:00"))
	if got := s.week[time.Thursday]; len(got) != 2 || got[1] != (span{840, 1080}) {
		t.Errorf("weekly hours changed to %v", got)
	}
}

func TestDatedExceptions(t *testing.T) {
	spec := DefaultSpec()
	spec.ExtraHolidays = []string{"2026-12-30"}
	spec.Days = []DaySpec{
		{Date: "2026-12-29", Hours: []string{"10:00-14:00"}},
		{Date: "2026-11-22", Hours: []string{"12:00-13:00"}}, // a Sunday opened
		{Date: "2026-11-04", Hours: []string{"09:00-12:00"}}, // a holiday opened
		{Date: "2026-11-23", Hours: []string{}},              // a Monday closed
	}
	s := mustNew(t, spec)
	cases := []struct {
		start string
		d     time.Duration
		want  string
	}{
		{"2026-12-29 08:00", 30 * time.Minute, "2026-12-29 10:30"},
		{"2026-12-29 13:50", 20 * time.Minute, "2027-01-09 09:10"}, // 30th closed, 31st rest, 1–8 holidays, 9th a Saturday
		{"2026-11-21 14:50", 20 * time.Minute, "2026-11-22 12:10"},
		{"2026-11-22 12:50", 20 * time.Minute, "2026-11-24 08:10"},
		{"2026-11-03 18:50", 20 * time.Minute, "2026-11-04 09:10"},
	}
	for _, c := range cases {
		if got, want := s.AddWorking(at(t, c.start), c.d), at(t, c.want); !got.Equal(want) {
			t.Errorf("AddWorking(%s, %v) = %s, want %s", c.start, c.d, got.Format("2006-01-02 15:04"), c.want)
		}
	}
}

// A schedule that never opens again must not loop forever.
func TestClosedForeverEnds(t *testing.T) {
	var days []DaySpec
	start := Date{2026, time.November, 23}
	for i := 0; i < maxDatedEntries; i++ {
		days = append(days, DaySpec{Date: start.AddDays(7 * i).String(), Hours: []string{}})
	}
	s := mustNew(t, Spec{Week: &WeekSpec{Mon: []string{"08:00-09:00"}}, Days: days})
	from := at(t, "2026-11-22 00:00")
	if got := s.NextOpen(from); got.IsZero() || got.Year() < 2045 {
		t.Errorf("NextOpen = %v, want the first Monday after the closures", got)
	}
	if got := s.AddWorking(from, time.Hour); got.Year() < 2045 {
		t.Errorf("AddWorking = %v, want after the closures", got)
	}
}

// checkProperties asserts what every result must satisfy, whatever the schedule.
func checkProperties(t *testing.T, s *Schedule, start time.Time, d1, d2 time.Duration) {
	t.Helper()
	if d1 > d2 {
		d1, d2 = d2, d1
	}
	r1, r2 := s.AddWorking(start, d1), s.AddWorking(start, d2)
	if r1.Before(start) {
		t.Fatalf("AddWorking(%s, %v) = %s went back in time", start, d1, r1)
	}
	if r2.Before(r1) || d1 < d2 && !r1.Before(r2) || d1 == d2 && !r1.Equal(r2) {
		t.Fatalf("not monotonic at %s: %v→%s, %v→%s", start, d1, r1, d2, r2)
	}
	for _, c := range []struct {
		d time.Duration
		r time.Time
	}{{d1, r1}, {d2, r2}} {
		if got := s.WorkingBetween(start, c.r); got != c.d {
			t.Fatalf("WorkingBetween(%s, AddWorking(%v)=%s) = %v", start, c.d, c.r, got)
		}
		// The earliest such instant: a nanosecond before it, d is not yet used up.
		if c.d > 0 {
			if got := s.WorkingBetween(start, c.r.Add(-time.Nanosecond)); got != c.d-time.Nanosecond {
				t.Fatalf("AddWorking(%s, %v) = %s is not the earliest instant (a ns before: %v)", start, c.d, c.r, got)
			}
		}
	}
	if got := s.WorkingBetween(r2, start); got != -d2 {
		t.Fatalf("WorkingBetween reversed = %v, want %v", got, -d2)
	}
	next := s.NextOpen(start)
	if next.Before(start) || !s.Open(next) || s.WorkingBetween(start, next) != 0 {
		t.Fatalf("NextOpen(%s) = %s: before, closed, or with working time in between", start, next)
	}
	if s.Open(start) != next.Equal(start) {
		t.Fatalf("Open(%s) = %v but NextOpen = %s", start, s.Open(start), next)
	}
}

func propertySchedules(t testing.TB) []*Schedule {
	full := []string{"00:00-24:00"}
	return []*Schedule{
		clinic(t),
		office(t),
		mustNew(t, Spec{AlwaysOpen: true}),
		mustNew(t, Spec{TZ: "Europe/Berlin", Week: &WeekSpec{Sat: []string{"01:30-03:30"}, Sun: []string{"00:00-02:15", "02:45-03:30"}}}),
		mustNew(t, Spec{Week: &WeekSpec{Fri: []string{"20:00-24:00"}, Sat: full, Sun: []string{"00:00-00:01"}}, Calendar: "ru"}),
	}
}

// Random instants from 2025 to 2027 and durations up to three working weeks.
func TestAddWorkingProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2026))
	lo := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC).Unix()
	for _, s := range propertySchedules(t) {
		for range 400 {
			start := time.Unix(lo+rng.Int64N(hi-lo), rng.Int64N(1e9))
			if rng.IntN(4) == 0 { // whole minutes hit interval edges
				start = start.Truncate(time.Minute)
			}
			d1 := time.Duration(rng.Int64N(int64(120 * time.Hour)))
			d2 := time.Duration(rng.Int64N(int64(120 * time.Hour)))
			if rng.IntN(3) == 0 {
				d1, d2 = d1.Truncate(time.Minute), d2.Truncate(time.Minute)
			}
			checkProperties(t, s, start, d1, d2)
		}
	}
}

func FuzzAddWorking(f *testing.F) {
	f.Add(at(f, "2026-11-17 19:55").Unix(), int64(15*time.Minute), int64(16*time.Minute), uint8(0))
	f.Add(at(f, "2025-12-30 19:30").Unix(), int64(time.Hour), int64(30*time.Hour), uint8(1))
	f.Add(at(f, "2025-10-31 19:55").Unix(), int64(0), int64(12*time.Hour), uint8(0))
	f.Add(time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC).Unix(), int64(time.Hour), int64(5*time.Hour), uint8(3))
	scheds := propertySchedules(f)
	lo := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	f.Fuzz(func(t *testing.T, unix, d1, d2 int64, which uint8) {
		unix = lo + abs(unix)%(hi-lo) // instants from 2000 to 2100
		const limit = int64(1000 * time.Hour)
		d1, d2 = abs(d1)%limit, abs(d2)%limit
		checkProperties(t, scheds[int(which)%len(scheds)], time.Unix(unix, 0), time.Duration(d1), time.Duration(d2))
	})
}

func abs(v int64) int64 {
	if v < 0 {
		return -(v + 1)
	}
	return v
}
