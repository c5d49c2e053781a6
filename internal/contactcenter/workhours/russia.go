package workhours

import "time"

// Russia is the Russian production calendar (производственный календарь) for
// a five-day week: the public holidays of Labour Code art. 112 part 1, the
// transfers of rest days the Government decrees each year, and the pre-holiday
// days shortened by one hour (art. 95).
//
// Years with a decree on record are exact to it (see ruYears). Any other year
// gets what the Labour Code alone fixes: the holidays, and a weekend day that
// coincides with a holiday other than the New Year ones moving to the next
// working day (art. 112 part 2). The New Year weekend days are moved only by a
// decree, and pre-holiday days are not guessed, so such a year is an
// approximation: add its decree here when it is published.
var Russia Calendar = russia{}

type russia struct{}

type ruTransfer struct {
	from Date // the rest day given up: a weekend day, or a holiday on a weekend
	to   Date // the weekday that becomes a day off
}

type ruYear struct {
	source    string
	transfers []ruTransfer
	short     []Date
}

func ymd(y int, m time.Month, day int) Date { return Date{y, m, day} }

// ruYears holds the decreed years. A decree replaces the statutory transfers
// of art. 112 part 2 (2025 moved 23 February and 8 March to May and June
// instead of the next Monday), so a decreed year lists every transfer it has,
// statutory ones included.
//
// 2027: no decree «О переносе выходных дней в 2027 году» could be found when
// this was written (November 2026), so 2027 falls back to the statute: its
// holidays, 1 May → 3 May, 9 May → 10 May, 12 June → 14 June; 2 and 3 January
// (Saturday and Sunday) stay unmoved and no day is shortened.
var ruYears = map[int]ruYear{
	2025: {
		source: "Постановление Правительства РФ от 04.10.2024 № 1335 «О переносе выходных дней в 2025 году»",
		transfers: []ruTransfer{
			{ymd(2025, time.January, 4), ymd(2025, time.May, 2)},
			{ymd(2025, time.January, 5), ymd(2025, time.December, 31)},
			{ymd(2025, time.February, 23), ymd(2025, time.May, 8)},
			{ymd(2025, time.March, 8), ymd(2025, time.June, 13)},
			// Saturday 1 November works in place of Monday 3 November.
			{ymd(2025, time.November, 1), ymd(2025, time.November, 3)},
		},
		// Art. 95; 1 November is the working Saturday standing in for the eve of 4 November.
		short: []Date{
			ymd(2025, time.March, 7), ymd(2025, time.April, 30), ymd(2025, time.June, 11), ymd(2025, time.November, 1),
		},
	},
	2026: {
		source: "Постановление Правительства РФ от 24.09.2025 № 1466 «О переносе выходных дней в 2026 году»",
		transfers: []ruTransfer{
			{ymd(2026, time.January, 3), ymd(2026, time.January, 9)},
			{ymd(2026, time.January, 4), ymd(2026, time.December, 31)},
			// Not in the decree: art. 112 part 2 moves these by itself.
			{ymd(2026, time.March, 8), ymd(2026, time.March, 9)},
			{ymd(2026, time.May, 9), ymd(2026, time.May, 11)},
		},
		// Art. 95. 20 February is not shortened (22 February, a Sunday, is the
		// eve of 23 February), nor 30 December (31 December is a transferred
		// rest day, not a holiday).
		short: []Date{
			ymd(2026, time.April, 30), ymd(2026, time.May, 8), ymd(2026, time.June, 11), ymd(2026, time.November, 3),
		},
	},
}

// RussiaSource names what the calendar of a year rests on, for the admin UI.
func RussiaSource(year int) (source string, decreed bool) {
	if y, ok := ruYears[year]; ok {
		return y.source, true
	}
	return "Трудовой кодекс РФ, ст. 112 (постановление о переносе выходных дней не внесено)", false
}

// ruHoliday reports the non-working public holidays of art. 112 part 1.
func ruHoliday(m time.Month, day int) bool {
	switch m {
	case time.January:
		return day >= 1 && day <= 8
	case time.February:
		return day == 23
	case time.March:
		return day == 8
	case time.May:
		return day == 1 || day == 9
	case time.June:
		return day == 12
	case time.November:
		return day == 4
	}
	return false
}

// ruMovable are the holidays whose weekend coincidence the statute moves by
// itself (art. 112 part 2 excludes the New Year holidays).
var ruMovable = [...]struct {
	m   time.Month
	day int
}{{time.February, 23}, {time.March, 8}, {time.May, 1}, {time.May, 9}, {time.June, 12}, {time.November, 4}}

// ruStatutoryOff reports whether d is the weekday a weekend holiday of its
// year moves to under art. 112 part 2: the next working day after it.
func ruStatutoryOff(x Date) bool {
	for _, h := range ruMovable {
		hd := Date{x.Year, h.m, h.day}
		if wd := hd.Weekday(); wd != time.Saturday && wd != time.Sunday {
			continue
		}
		next := hd.AddDays(1)
		for next.Weekday() == time.Saturday || next.Weekday() == time.Sunday || ruHoliday(next.Month, next.Day) {
			next = next.AddDays(1)
		}
		if next == x {
			return true
		}
	}
	return false
}

func (russia) Day(x Date) CalendarDay {
	if ruHoliday(x.Month, x.Day) {
		return CalendarDay{Kind: Holiday}
	}
	weekend := x.Weekday() == time.Saturday || x.Weekday() == time.Sunday
	y, decreed := ruYears[x.Year]
	if !decreed {
		if !weekend && ruStatutoryOff(x) {
			return CalendarDay{Kind: DayOff}
		}
		if weekend {
			return CalendarDay{Kind: Weekend}
		}
		return CalendarDay{Kind: Workday}
	}
	short := false
	for _, s := range y.short {
		if s == x {
			short = true
			break
		}
	}
	for _, t := range y.transfers {
		if t.to == x {
			return CalendarDay{Kind: DayOff}
		}
		if t.from == x && weekend {
			return CalendarDay{Kind: Workday, Short: short, WorksAs: t.to.Weekday()}
		}
	}
	if weekend {
		return CalendarDay{Kind: Weekend}
	}
	return CalendarDay{Kind: Workday, Short: short}
}
