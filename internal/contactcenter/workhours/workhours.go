// Package workhours is working-time arithmetic for a clinic's branch or
// contact-center queue: is it open now, when does it open next, when is
// something due that needs a given amount of working time, and how much
// working time lies between two instants.
//
// A Schedule is a weekly pattern of open intervals in local time, a time zone,
// optionally a public calendar (Russia: holidays, transferred rest days,
// shortened pre-holiday days) and the clinic's own dated exceptions. Or it is
// "always open", for 24/7 queues. Everything is pure: no clock, no storage.
package workhours

import (
	"time"
	// The zone database is compiled in so that a schedule's zone resolves on
	// hosts and containers without /usr/share/zoneinfo (about 450 KB).
	_ "time/tzdata"
)

// DefaultZone is the zone of a schedule that names none: the clinic's city.
const DefaultZone = "Asia/Yekaterinburg"

// maxClosedDays bounds the search for the next open minute once past the
// clinic's last dated exception: a public calendar closes a queue for two
// weeks at most, so a schedule closed for longer than this after its last
// dated exception never opens again. Validation requires an open weekly
// interval, so this only guards against a foreign Calendar closing every day.
const maxClosedDays = 400

const minutesPerDay = 24 * 60

// span is one open interval of a day, in minutes since local midnight:
// [from, to), with to at most 1440 (24:00).
type span struct{ from, to int }

// Schedule answers working-time questions for one queue or branch. It is
// immutable and safe for concurrent use. Build it with New or Parse.
type Schedule struct {
	loc    *time.Location
	always bool
	week   [7][]span // indexed by time.Weekday
	cal    Calendar  // nil: no public calendar
	closed map[Date]bool
	days   map[Date][]span // the clinic's explicit hours for a date; empty means closed
	last   Date            // the latest date in closed and days
	spec   Spec            // normalised form, for storage
}

// Location is the schedule's time zone; every instant it returns is in it.
func (s *Schedule) Location() *time.Location { return s.loc }

// AlwaysOpen reports a 24/7 schedule.
func (s *Schedule) AlwaysOpen() bool { return s.always }

// hours are the open intervals of a day after the calendar and the clinic's
// exceptions: an explicit date beats an extra holiday, which beats the public
// calendar, which adjusts the weekly pattern.
func (s *Schedule) hours(day Date) []span {
	if sp, ok := s.days[day]; ok {
		return sp
	}
	if s.closed[day] {
		return nil
	}
	wd := day.Weekday()
	short := false
	if s.cal != nil {
		c := s.cal.Day(day)
		if c.Closed() {
			return nil
		}
		if c.Kind == Workday && (wd == time.Saturday || wd == time.Sunday) {
			// A working Saturday works the hours of the weekday it replaces.
			wd = c.WorksAs
		}
		short = c.Short
	}
	if short {
		return shorten(s.week[wd], 60)
	}
	return s.week[wd]
}

// shorten removes the last n minutes of open time, crossing into earlier
// intervals (a lunch break) when the last one is shorter than that.
func shorten(sp []span, n int) []span {
	out := append([]span(nil), sp...)
	for n > 0 && len(out) > 0 {
		last := &out[len(out)-1]
		if l := last.to - last.from; l > n {
			last.to -= n
			break
		} else {
			n -= l
			out = out[:len(out)-1]
		}
	}
	return out
}

// walk calls fn with each open interval [a, b) that ends after t, in order,
// until fn returns false or, past the last dated exception, the schedule
// stays closed for maxClosedDays.
func (s *Schedule) walk(t time.Time, fn func(a, b time.Time) bool) {
	day := DateOf(t.In(s.loc))
	for closedRun := 0; closedRun <= maxClosedDays; day = day.AddDays(1) {
		open := false
		for _, x := range s.hours(day) {
			a, b := day.at(x.from, s.loc), day.at(x.to, s.loc)
			if !a.Before(b) {
				continue // swallowed by a daylight-saving gap
			}
			open = true
			if !b.After(t) {
				continue
			}
			if !fn(a, b) {
				return
			}
		}
		if open || !s.last.Before(day) {
			closedRun = 0
		} else {
			closedRun++
		}
	}
}

// Open reports whether the queue is working at t.
func (s *Schedule) Open(t time.Time) bool {
	if s.always {
		return true
	}
	t = t.In(s.loc)
	day := DateOf(t)
	for _, x := range s.hours(day) {
		a, b := day.at(x.from, s.loc), day.at(x.to, s.loc)
		if !t.Before(a) && t.Before(b) {
			return true
		}
	}
	return false
}

// NextOpen is the first working instant at or after t: t itself when open.
// It is the zero Time only if the schedule never opens again (see maxClosedDays).
func (s *Schedule) NextOpen(t time.Time) time.Time {
	if s.always {
		return t.In(s.loc)
	}
	var next time.Time
	s.walk(t, func(a, b time.Time) bool {
		if a.Before(t) {
			a = t
		}
		next = a.In(s.loc)
		return false
	})
	return next
}

// AddWorking is the earliest instant by which d of working time has passed
// since t: a call missed 15 minutes before closing is due 15 minutes into the
// next working day; one missed at night is due d after the next opening.
// An interval that ends exactly when d runs out yields its end, not the next
// opening. d ≤ 0 returns t. It is the zero Time only if the schedule never
// opens again before d is used up (see maxClosedDays).
func (s *Schedule) AddWorking(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t.In(s.loc)
	}
	if s.always {
		return t.Add(d).In(s.loc)
	}
	var due time.Time
	s.walk(t, func(a, b time.Time) bool {
		if a.Before(t) {
			a = t
		}
		if avail := b.Sub(a); d > avail {
			d -= avail
			return true
		}
		due = a.Add(d).In(s.loc)
		return false
	})
	return due
}

// WorkingBetween is the working time from a to b; negative when b is before a.
func (s *Schedule) WorkingBetween(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -s.WorkingBetween(b, a)
	}
	if s.always {
		return b.Sub(a)
	}
	var sum time.Duration
	s.walk(a, func(x, y time.Time) bool {
		if !x.Before(b) {
			return false
		}
		if x.Before(a) {
			x = a
		}
		if y.After(b) {
			y = b
		}
		sum += y.Sub(x)
		return true
	})
	return sum
}
