package problem

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Lang is a language a problem is told in. Messages are written in English
// in the code; the catalogs (catalog_ru.go) give them in other languages.
type Lang string

const (
	English Lang = "en"
	Russian Lang = "ru"
)

// English comes first: it is the answer when the client prefers nothing
// Okno speaks.
var matcher = language.NewMatcher([]language.Tag{language.English, language.Russian})

// LangOf picks the language of an Accept-Language header: Russian when the
// client prefers it (ru, ru-RU, with q-values weighed), English otherwise,
// also without a header.
func LangOf(acceptLanguage string) Lang {
	if acceptLanguage == "" {
		return English
	}
	if _, i := language.MatchStrings(matcher, acceptLanguage); i == 1 {
		return Russian
	}
	return English
}

// In returns the body told in lang. The title, the detail and every field
// message are translated. Field names stay the API's names, also where the
// detail repeats them ("phone: укажите номер телефона"): they are the keys a
// client sends and reads, the same as in "field", the web UI prints the
// same "field: message" for a field no input of the form shows, and a
// website's own form puts its labels next to its inputs by these names. A
// detail that stands alone begins with a capital letter; a field message
// stays lower-case, as it continues its field's name. Text the catalog does
// not know (a message passed on from elsewhere) stays as it is.
func (b Body) In(lang Lang) Body {
	cat := catalogs[lang]
	if cat == nil {
		return b
	}
	if t, ok := cat.titles[b.Code]; ok {
		b.Title = t
	}
	if len(b.Errors) > 0 {
		fs := make([]FieldError, len(b.Errors))
		for i, f := range b.Errors {
			fs[i] = FieldError{Field: f.Field, Message: cat.translate(f.Message, 0)}
		}
		// Field and Fields say a single field's problem as "field: message".
		if len(fs) == 1 && b.Detail == b.Errors[0].Field+": "+b.Errors[0].Message {
			b.Detail = fs[0].Field + ": " + fs[0].Message
		} else {
			b.Detail = cat.sentence(b.Detail)
		}
		b.Errors = fs
		return b
	}
	b.Detail = cat.sentence(b.Detail)
	return b
}

// sentence translates a detail that stands alone and capitalises it.
func (c *catalog) sentence(msg string) string {
	tr := c.translate(msg, 0)
	if tr == msg {
		return msg
	}
	r, n := utf8.DecodeRuneInString(tr)
	return string(unicode.ToUpper(r)) + tr[n:]
}

// A catalog is one language's texts: the titles of the codes, and the
// messages by their English text. An English text with verbs (%s, %d) is a
// template: a message it produced is recognised by the template's fixed
// parts, and what stood for the verbs is put into the translation as it is.
// So the catalog needs no knowledge of where a message was made, and a
// message that crossed a service boundary in English (the gateway calling
// a service) is translated the same way.
type catalog struct {
	titles    map[Code]string
	exact     map[string]string
	templates []template
	plural    func(n int) int // 0, 1 or 2: which of a {form|form|form} group to use
}

type template struct {
	english string
	prefix  string // the fixed text before the first verb, a cheap first test
	re      *regexp.Regexp
	out     string // the translation with every verb turned into %s
}

var catalogs = map[Lang]*catalog{
	Russian: newCatalog(titlesRU, messagesRU, pluralRU),
}

// verbs are the formatting verbs a message template may use: text (%s) and
// whole numbers (%d). A number is what a plural group follows.
var verbs = regexp.MustCompile(`%[sd]`)

func newCatalog(titles map[Code]string, messages map[string]string, plural func(int) int) *catalog {
	c := &catalog{titles: titles, exact: map[string]string{}, plural: plural}
	for en, tr := range messages {
		c.exact[en] = tr
		locs := verbs.FindAllStringIndex(en, -1)
		if len(locs) == 0 {
			continue
		}
		var re strings.Builder
		re.WriteString("^")
		last := 0
		for _, l := range locs {
			re.WriteString(regexp.QuoteMeta(en[last:l[0]]))
			if en[l[0]+1] == 'd' {
				re.WriteString(`(-?\d+)`)
			} else {
				re.WriteString(`(.+?)`)
			}
			last = l[1]
		}
		re.WriteString(regexp.QuoteMeta(en[last:]) + "$")
		c.templates = append(c.templates, template{
			english: en,
			prefix:  en[:locs[0][0]],
			re:      regexp.MustCompile(re.String()),
			out:     verbs.ReplaceAllString(tr, "%s"),
		})
	}
	// The template with more fixed text is the more specific one: try it
	// first, in a stable order.
	sort.Slice(c.templates, func(i, j int) bool {
		a, b := c.templates[i], c.templates[j]
		fa, fb := len(verbs.ReplaceAllString(a.english, "")), len(verbs.ReplaceAllString(b.english, ""))
		if fa != fb {
			return fa > fb
		}
		return a.english < b.english
	})
	return c
}

// translate says msg in the catalog's language, or returns it unchanged
// when the catalog does not know it. An argument of a template that is
// itself a catalogued sentence is translated too: that is a service's
// detail quoted by another ("the contact center is unavailable: …").
func (c *catalog) translate(msg string, depth int) string {
	if msg == "" {
		return ""
	}
	if tr, ok := c.exact[msg]; ok {
		return c.plurals(tr)
	}
	for _, t := range c.templates {
		if !strings.HasPrefix(msg, t.prefix) {
			continue
		}
		m := t.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			if depth == 0 && strings.Contains(a, " ") {
				if _, known := c.exact[a]; known {
					a = c.translate(a, depth+1)
				}
			}
			args[i] = a
		}
		return c.plurals(fmt.Sprintf(t.out, args...))
	}
	return msg
}

// pluralGroup is a number followed by the forms of the word it counts:
// "12 {интервал|интервала|интервалов}" (one, few, many).
var pluralGroup = regexp.MustCompile(`(\d+)(\s+)\{([^|{}]*)\|([^|{}]*)\|([^|{}]*)\}`)

func (c *catalog) plurals(s string) string {
	if c.plural == nil || !strings.Contains(s, "{") {
		return s
	}
	return pluralGroup.ReplaceAllStringFunc(s, func(g string) string {
		m := pluralGroup.FindStringSubmatch(g)
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return g
		}
		return m[1] + m[2] + m[3+c.plural(n)]
	})
}

// pluralRU chooses the Russian form for n: 1, 21 → one; 2–4, 22 → few;
// 0, 5–20, 25 → many.
func pluralRU(n int) int {
	if n < 0 {
		n = -n
	}
	switch {
	case n%10 == 1 && n%100 != 11:
		return 0
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return 1
	}
	return 2
}
