// Package mask hides personal data from viewers who may not see it in full
// (those without patients.read_pd): enough is left to tell two people apart
// on a call, not enough to copy a phone or a name out of Okno. Every service
// that shows personal data masks it the same way.
package mask

import (
	"strings"
	"unicode/utf8"
)

// Phone hides the middle of a phone: "+79123456701" → "+7 912 ***-**-01".
func Phone(p string) string {
	if p == "" {
		return ""
	}
	if strings.HasPrefix(p, "+7") && len(p) == 12 {
		return "+7 " + p[2:5] + " ***-**-" + p[10:]
	}
	if len(p) <= 6 {
		return strings.Repeat("*", len(p))
	}
	return p[:4] + strings.Repeat("*", len(p)-6) + p[len(p)-2:]
}

// Email keeps the first letter and the domain: "a***@example.ru".
func Email(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return strings.Repeat("*", len(e))
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}

// Name keeps the first two letters: "Иванова" → "Ив***". A name of two
// letters or fewer keeps one.
func Name(n string) string {
	if n == "" {
		return ""
	}
	r := []rune(n)
	keep := 2
	if len(r) <= 2 {
		keep = 1
	}
	return string(r[:keep]) + "***"
}

// BirthDate keeps the year of a YYYY-MM-DD date: "1985-03-14" → "1985".
func BirthDate(d string) string {
	if len(d) >= 4 && utf8.ValidString(d[:4]) {
		return d[:4]
	}
	return ""
}
