package problem

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLangOf(t *testing.T) {
	cases := []struct {
		header string
		want   Lang
	}{
		{"", English},
		{"ru", Russian},
		{"ru-RU", Russian},
		{"RU-ru", Russian},
		{"ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", Russian},
		{"en-US,en;q=0.9,ru;q=0.8", English},
		{"en;q=0.5, ru;q=0.9", Russian},
		{"de-DE,ru;q=0.5", Russian},
		{"de-DE", English},
		{"ru;q=0, en", English},
		{"*", English},
		{"en", English},
		{";;;q=,", English},
	}
	for _, c := range cases {
		if got := LangOf(c.header); got != c.want {
			t.Errorf("LangOf(%q) = %s, want %s", c.header, got, c.want)
		}
	}
}

// A translation keeps the English text's verbs, in the same order: the
// arguments are put into it as they come.
func TestCatalogVerbs(t *testing.T) {
	for en, ru := range messagesRU {
		ve, vr := anyVerb.FindAllString(en, -1), anyVerb.FindAllString(ru, -1)
		if !slices.Equal(ve, vr) {
			t.Errorf("%q has verbs %v, its translation %q has %v", en, ve, ru, vr)
		}
		if strings.TrimSpace(ru) == "" || ru == en {
			t.Errorf("%q is not translated: %q", en, ru)
		}
		// A plural group follows a number: %d, or digits in the text.
		for _, g := range regexp.MustCompile(`\{[^{}]*\|[^{}]*\}`).FindAllStringIndex(ru, -1) {
			before := ru[:g[0]]
			if !regexp.MustCompile(`(%d|\d)\s+$`).MatchString(before) || strings.Count(ru[g[0]:g[1]], "|") != 2 {
				t.Errorf("translation %q of %q has a plural group not after a number, or not of three forms", ru, en)
			}
		}
		if strings.ContainsAny(ru, "\"") && !strings.ContainsAny(en, "\"") {
			t.Errorf("translation %q of %q: Russian quotes are «»", ru, en)
		}
	}
}

func TestTitlesComplete(t *testing.T) {
	for code := range statusOf {
		if titlesRU[code] == "" {
			t.Errorf("no Russian title for %s", code)
		}
		if titleOf[code] == "" {
			t.Errorf("no English title for %s", code)
		}
	}
}

// Every template's message is translated by that template, not caught by
// another one whose fixed parts happen to fit it.
func TestTemplatesUnambiguous(t *testing.T) {
	ru := catalogs[Russian]
	for en, tr := range messagesRU {
		if !verbs.MatchString(en) {
			continue
		}
		var args []any
		for _, v := range verbs.FindAllString(en, -1) {
			if v == "%d" {
				args = append(args, 7)
			} else {
				args = append(args, "machine_name")
			}
		}
		msg := fmt.Sprintf(en, args...)
		want := ru.plurals(fmt.Sprintf(tr, args...))
		if got := ru.translate(msg, 0); got != want {
			t.Errorf("%q: translated %q, want %q", msg, got, want)
		}
	}
}

func TestOwnTextsTranslated(t *testing.T) {
	for _, own := range ownTexts {
		if messagesRU[own] == "" {
			t.Errorf("no Russian for %q", own)
		}
	}
	for _, err := range []error{
		Fields([]FieldError{{Field: "a", Message: "is required"}, {Field: "b", Message: "is required"}}),
		&http.MaxBytesError{Limit: 1},
	} {
		b := BodyOf(err)
		if got := b.In(Russian).Detail; got == b.Detail || got == "" {
			t.Errorf("detail %q not translated: %q", b.Detail, got)
		}
	}
}

func TestBodyIn(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Body
	}{
		{"a field: its name stays, the message is translated", Field("phone", "is not a valid phone number"), Body{
			Title: "Неверное значение", Detail: "phone: проверьте номер телефона",
			Errors: []FieldError{{Field: "phone", Message: "проверьте номер телефона"}}}},
		{"several fields", Fields([]FieldError{{Field: "name", Message: "is too long"}, {Field: "consent", Message: "consent to personal data processing is required"}}), Body{
			Title: "Неверное значение", Detail: "Некоторые поля заполнены неверно",
			Errors: []FieldError{{Field: "name", Message: "текст слишком длинный"}, {Field: "consent", Message: "нужно согласие на обработку персональных данных"}}}},
		{"a template keeps its machine names", Fieldf("status", "must be one of %s", "new, in_progress, lost"), Body{
			Title: "Неверное значение", Detail: "status: допустимые значения: new, in_progress, lost",
			Errors: []FieldError{{Field: "status", Message: "допустимые значения: new, in_progress, lost"}}}},
		{"a detail alone is capitalised", Newf(Forbidden, "this action needs the permission %s", "audit.read"), Body{
			Title: "Доступ запрещён", Detail: "Для этого действия нужно право audit.read"}},
		{"numbers choose the word's form", Field("name", fmt.Sprintf("must be at most %d characters", 101)), Body{
			Title: "Неверное значение", Detail: "name: не длиннее 101 символа",
			Errors: []FieldError{{Field: "name", Message: "не длиннее 101 символа"}}}},
		{"several numbers", New(Unavailable, fmt.Sprintf("the MIS is unavailable (%d failed calls in a row); booking and schedules are paused, try again in %d s", 3, 30)), Body{
			Title: "Сервис недоступен", Detail: "МИС недоступна (3 сбоя подряд); запись и расписание приостановлены, повторите через 30 с"}},
		{"a quoted service detail is translated too", New(Unavailable, fmt.Sprintf("the contact center is unavailable: %s", "the access could not be audited, so it is refused; please retry")), Body{
			Title: "Сервис недоступен", Detail: "Контакт-центр недоступен: не удалось записать обращение в журнал аудита, поэтому доступ не предоставлен; пожалуйста, повторите попытку"}},
		{"text the catalog does not know stays", New(Conflict, "something new"), Body{Title: "Конфликт", Detail: "something new"}},
		{"an internal error says nothing more", fmt.Errorf("db: %w", http.ErrAbortHandler), Body{Title: "Внутренняя ошибка"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			en := BodyOf(c.err)
			got := en.In(Russian)
			want := c.want
			want.Type, want.Status, want.Code = en.Type, en.Status, en.Code
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if again := en.In(English); !reflect.DeepEqual(again, en) {
				t.Errorf("English changed the body: %+v", again)
			}
			// Translating does not touch the body it was given.
			if !reflect.DeepEqual(en, BodyOf(c.err)) {
				t.Errorf("In changed its receiver's errors")
			}
		})
	}
}

func TestPluralRU(t *testing.T) {
	forms := map[int]string{0: "дней", 1: "день", 2: "дня", 4: "дня", 5: "дней", 11: "дней", 12: "дней", 14: "дней", 21: "день", 22: "дня", 25: "дней", 101: "день", 111: "дней", 112: "дней"}
	for n, want := range forms {
		got := catalogs[Russian].plurals(fmt.Sprintf("%d {день|дня|дней}", n))
		if got != fmt.Sprintf("%d %s", n, want) {
			t.Errorf("%d: %q", n, got)
		}
	}
}

func TestWriteNegotiates(t *testing.T) {
	err := &Error{Code: RateLimited, Message: "too many requests from this address, try again in a minute", RetryAfter: 1500 * time.Millisecond}
	cases := []struct {
		header, lang, title, detail string
	}{
		{"", "en", "Too many requests", "too many requests from this address, try again in a minute"},
		{"en-GB", "en", "Too many requests", "too many requests from this address, try again in a minute"},
		{"ru-RU,ru;q=0.9", "ru", "Слишком много запросов", "Слишком много запросов с этого адреса, попробуйте через минуту"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Accept-Language", c.header)
		}
		w := httptest.NewRecorder()
		Write(w, r, err)
		var b Body
		if e := json.Unmarshal(w.Body.Bytes(), &b); e != nil {
			t.Fatal(e)
		}
		h := w.Header()
		if h.Get("Content-Language") != c.lang || h.Get("Vary") != "Accept-Language" || h.Get("Retry-After") != "2" || w.Code != 429 {
			t.Errorf("%q: headers %v, status %d", c.header, h, w.Code)
		}
		if b.Title != c.title || b.Detail != c.detail || b.Code != RateLimited {
			t.Errorf("%q: body %+v", c.header, b)
		}
	}
}
