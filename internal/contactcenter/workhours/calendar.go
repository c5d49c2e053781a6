package workhours

import (
	"fmt"
	"time"
)

// Date is a calendar day with no time of day and no zone: holidays and
// schedule overrides are days, and a day's instants depend on the zone of the
// schedule that reads it.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the day t falls on in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads YYYY-MM-DD and refuses days that do not exist.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("workhours: date must be YYYY-MM-DD: %w", err)
	}
	return DateOf(t), nil
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// AddDays moves by n days; time.Date normalises month and year overflow.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Weekday of the day (the same in every zone).
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// at is the instant of a wall-clock time on the day in loc. Minutes may be
// 1440 (24:00), which time.Date normalises to the next midnight, so the end of
// one day's last interval is the very instant the next day begins.
func (d Date) at(min int, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, min/60, min%60, 0, 0, loc)
}

// DayKind says how a production calendar treats a day.
type DayKind uint8

const (
	// Workday is a working day: Monday to Friday, or a weekend day a decree
	// made working (then CalendarDay.WorksAs names the weekday it stands in for).
	Workday DayKind = iota
	// Weekend is an ordinary Saturday or Sunday.
	Weekend
	// Holiday is a non-working public holiday (Labour Code art. 112 part 1),
	// whatever weekday it falls on.
	Holiday
	// DayOff is a weekday made non-working by moving a weekend day onto it.
	DayOff
)

func (k DayKind) String() string {
	switch k {
	case Workday:
		return "workday"
	case Weekend:
		return "weekend"
	case Holiday:
		return "holiday"
	case DayOff:
		return "day_off"
	}
	return fmt.Sprintf("DayKind(%d)", uint8(k))
}

// CalendarDay is what a calendar says about one day.
type CalendarDay struct {
	Kind DayKind
	// Short marks a pre-holiday day: working time is one hour shorter
	// (Labour Code art. 95).
	Short bool
	// WorksAs is the weekday whose hours a working weekend day keeps (the
	// weekday the rest day was moved to). Meaningful only for a Workday that
	// falls on Saturday or Sunday.
	WorksAs time.Weekday
}

// Closed reports whether the calendar makes the day non-working.
func (c CalendarDay) Closed() bool { return c.Kind == Holiday || c.Kind == DayOff }

// Calendar is a source of public holidays and transfers.
type Calendar interface {
	Day(d Date) CalendarDay
}
