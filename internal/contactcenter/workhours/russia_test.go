package workhours

import (
	"slices"
	"testing"
	"time"
)

func yearDays(year int) []Date {
	var out []Date
	for x := (Date{year, time.January, 1}); x.Year == year; x = x.AddDays(1) {
		out = append(out, x)
	}
	return out
}

func isWeekend(x Date) bool { return x.Weekday() == time.Saturday || x.Weekday() == time.Sunday }

// The published production calendars: 247 working days in 2025 and in 2026.
// 2027 has no decree on record, so only the statute applies (249 days; the
// decree moving 2 and 3 January will take two more).
func TestRussiaWorkingDays(t *testing.T) {
	for year, want := range map[int]int{2025: 247, 2026: 247, 2027: 249} {
		n := 0
		for _, x := range yearDays(year) {
			if Russia.Day(x).Kind == Workday {
				n++
			}
		}
		if n != want {
			t.Errorf("%d: %d working days, want %d", year, n, want)
		}
	}
}

func dates(year int, md ...[2]int) []Date {
	out := make([]Date, len(md))
	for i, v := range md {
		out[i] = Date{year, time.Month(v[0]), v[1]}
	}
	return out
}

func TestRussiaYears(t *testing.T) {
	cases := []struct {
		year           int
		closedWeekdays []Date // holidays and rest days that fall Monday to Friday
		workingWeekend []Date
		short          []Date
		decreed        bool
	}{
		{
			year: 2025,
			closedWeekdays: dates(2025, [2]int{1, 1}, [2]int{1, 2}, [2]int{1, 3}, [2]int{1, 6}, [2]int{1, 7}, [2]int{1, 8},
				[2]int{5, 1}, [2]int{5, 2}, [2]int{5, 8}, [2]int{5, 9}, [2]int{6, 12}, [2]int{6, 13},
				[2]int{11, 3}, [2]int{11, 4}, [2]int{12, 31}),
			workingWeekend: dates(2025, [2]int{11, 1}),
			short:          dates(2025, [2]int{3, 7}, [2]int{4, 30}, [2]int{6, 11}, [2]int{11, 1}),
			decreed:        true,
		},
		{
			year: 2026,
			closedWeekdays: dates(2026, [2]int{1, 1}, [2]int{1, 2}, [2]int{1, 5}, [2]int{1, 6}, [2]int{1, 7}, [2]int{1, 8}, [2]int{1, 9},
				[2]int{2, 23}, [2]int{3, 9}, [2]int{5, 1}, [2]int{5, 11}, [2]int{6, 12}, [2]int{11, 4}, [2]int{12, 31}),
			short:   dates(2026, [2]int{4, 30}, [2]int{5, 8}, [2]int{6, 11}, [2]int{11, 3}),
			decreed: true,
		},
		{
			year: 2027,
			closedWeekdays: dates(2027, [2]int{1, 1}, [2]int{1, 4}, [2]int{1, 5}, [2]int{1, 6}, [2]int{1, 7}, [2]int{1, 8},
				[2]int{2, 23}, [2]int{3, 8}, [2]int{5, 3}, [2]int{5, 10}, [2]int{6, 14}, [2]int{11, 4}),
		},
		{
			// Statute only: 4 November 2028 is a Saturday, so Monday 6 November rests.
			year: 2028,
			closedWeekdays: dates(2028, [2]int{1, 3}, [2]int{1, 4}, [2]int{1, 5}, [2]int{1, 6}, [2]int{1, 7},
				[2]int{2, 23}, [2]int{3, 8}, [2]int{5, 1}, [2]int{5, 9}, [2]int{6, 12}, [2]int{11, 6}),
		},
	}
	for _, c := range cases {
		var closed, working, short []Date
		for _, x := range yearDays(c.year) {
			day := Russia.Day(x)
			if !isWeekend(x) && day.Closed() {
				closed = append(closed, x)
			}
			if isWeekend(x) && day.Kind == Workday {
				working = append(working, x)
			}
			if day.Short {
				short = append(short, x)
			}
			if day.Short && day.Kind != Workday {
				t.Errorf("%s: shortened but %v", x, day.Kind)
			}
		}
		if !slices.Equal(closed, c.closedWeekdays) {
			t.Errorf("%d: closed weekdays %v, want %v", c.year, closed, c.closedWeekdays)
		}
		if !slices.Equal(working, c.workingWeekend) {
			t.Errorf("%d: working weekend days %v, want %v", c.year, working, c.workingWeekend)
		}
		if !slices.Equal(short, c.short) {
			t.Errorf("%d: shortened days %v, want %v", c.year, short, c.short)
		}
		if src, decreed := RussiaSource(c.year); decreed != c.decreed || src == "" {
			t.Errorf("%d: RussiaSource = %q, %v", c.year, src, decreed)
		}
	}
}

func TestRussiaDayKinds(t *testing.T) {
	cases := []struct {
		day  Date
		want CalendarDay
	}{
		{Date{2026, time.January, 3}, CalendarDay{Kind: Holiday}}, // a Saturday, still a holiday
		{Date{2026, time.January, 9}, CalendarDay{Kind: DayOff}},
		{Date{2026, time.January, 10}, CalendarDay{Kind: Weekend}},
		{Date{2026, time.January, 12}, CalendarDay{Kind: Workday}},
		{Date{2026, time.March, 8}, CalendarDay{Kind: Holiday}},
		{Date{2026, time.March, 9}, CalendarDay{Kind: DayOff}},
		{Date{2026, time.April, 30}, CalendarDay{Kind: Workday, Short: true}},
		{Date{2026, time.December, 30}, CalendarDay{Kind: Workday}},
		{Date{2025, time.November, 1}, CalendarDay{Kind: Workday, Short: true, WorksAs: time.Monday}},
		{Date{2025, time.February, 24}, CalendarDay{Kind: Workday}}, // the 2025 decree moved 23 Feb's rest to 8 May
		{Date{2027, time.January, 2}, CalendarDay{Kind: Holiday}},
	}
	for _, c := range cases {
		if got := Russia.Day(c.day); got != c.want {
			t.Errorf("Russia.Day(%s) = %+v, want %+v", c.day, got, c.want)
		}
	}
}

// The decreed years list their statutory transfers themselves; those must be
// the ones the statute gives, so that the fallback for other years is the
// same rule.
func TestRussiaStatuteAgreesWithDecrees(t *testing.T) {
	for _, x := range []Date{{2026, time.March, 9}, {2026, time.May, 11}, {2027, time.May, 3}, {2027, time.May, 10}, {2027, time.June, 14}} {
		if !ruStatutoryOff(x) {
			t.Errorf("statute does not move a rest day to %s", x)
		}
	}
	for _, x := range []Date{{2026, time.March, 10}, {2026, time.January, 9}, {2027, time.May, 4}} {
		if ruStatutoryOff(x) {
			t.Errorf("statute moves a rest day to %s", x)
		}
	}
}

func TestDate(t *testing.T) {
	x, err := ParseDate("2028-02-29")
	if err != nil || x != (Date{2028, time.February, 29}) || x.String() != "2028-02-29" {
		t.Fatalf("ParseDate(2028-02-29) = %v, %v", x, err)
	}
	if got := x.AddDays(1); got != (Date{2028, time.March, 1}) {
		t.Errorf("AddDays across February = %v", got)
	}
	if got := (Date{2026, time.December, 31}).AddDays(1); got != (Date{2027, time.January, 1}) {
		t.Errorf("AddDays across the year = %v", got)
	}
	for _, bad := range []string{"2026-02-29", "2026-13-01", "26-01-01", "2026-1-1", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if !(Date{2026, time.January, 31}).Before(Date{2026, time.February, 1}) || (Date{2026, time.February, 1}).Before(Date{2026, time.February, 1}) {
		t.Error("Before is wrong")
	}
	if Holiday.String() != "holiday" || DayOff.String() != "day_off" {
		t.Error("DayKind names changed")
	}
}
