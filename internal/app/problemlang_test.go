package app_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// localizedProblem is what a client reads of a refusal.
type localizedProblem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Refusals are told in the language the client prefers: Russian for the
// Russian UI and a patient's browser, English otherwise and as before. The
// language travels through the gateway to the service that refuses (the
// reverse proxy and the in-process transport keep Accept-Language), and the
// gateway translates what it says itself and what it passes on from its own
// calls to a service.
func TestSystemProblemLanguage(t *testing.T) {
	a := boot(t, baseConfig(t.TempDir(), "", ""), false)
	ru := map[string]string{"Accept-Language": "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"}
	en := map[string]string{"Accept-Language": "en-US,en;q=0.9"}

	type want struct {
		status int
		lang   string
		title  string
		detail string
		fields map[string]string // field → message
	}
	check := func(t *testing.T, b *browser, method, path, ct, body string, hdr map[string]string, w want) {
		t.Helper()
		resp, data := b.do(method, path, ct, []byte(body), hdr)
		if resp.StatusCode != w.status || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
		if got := resp.Header.Get("Content-Language"); got != w.lang {
			t.Errorf("Content-Language %q, want %q", got, w.lang)
		}
		var p localizedProblem
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatalf("not a problem: %s", data)
		}
		if p.Title != w.title || p.Detail != w.detail {
			t.Errorf("title %q detail %q\nwant  %q detail %q", p.Title, p.Detail, w.title, w.detail)
		}
		got := map[string]string{}
		for _, e := range p.Errors {
			got[e.Field] = e.Message
		}
		if len(got) != len(w.fields) {
			t.Errorf("fields %v, want %v", got, w.fields)
		}
		for f, m := range w.fields {
			if got[f] != m {
				t.Errorf("field %s: %q, want %q", f, got[f], m)
			}
		}
		for _, pd := range []string{"12345", "mail@@", "Ивано"} {
			if strings.Contains(string(data), pd) {
				t.Errorf("the refusal echoes a submitted value: %s", data)
			}
		}
	}

	// A patient's form on the clinic's site: a wrong phone and e-mail and
	// no consent.
	form := `{"name":"Иванова Мария","phone":"12345","email":"mail@@","message":"Запись к терапевту"}`
	t.Run("web form in Russian", func(t *testing.T) {
		check(t, a.browser(), "POST", "/api/v1/intake/web-forms/site", "application/json", form, ru, want{
			status: 422, lang: "ru", title: "Неверное значение", detail: "Некоторые поля заполнены неверно",
			fields: map[string]string{
				"phone":   "проверьте номер телефона",
				"email":   "проверьте адрес электронной почты",
				"consent": "нужно согласие на обработку персональных данных",
			}})
	})
	englishForm := want{status: 422, lang: "en", title: "Invalid field", detail: "some fields are not acceptable",
		fields: map[string]string{
			"phone":   "is not a valid phone number",
			"email":   "is not a valid e-mail address",
			"consent": "consent to personal data processing is required",
		}}
	t.Run("web form without a language", func(t *testing.T) {
		check(t, a.browser(), "POST", "/api/v1/intake/web-forms/site", "application/json", form, nil, englishForm)
	})
	t.Run("web form in English", func(t *testing.T) {
		check(t, a.browser(), "POST", "/api/v1/intake/web-forms/site", "application/json", form, en, englishForm)
	})
	t.Run("one field: its name stays the API's", func(t *testing.T) {
		check(t, a.browser(), "POST", "/api/v1/intake/web-forms/site", "application/json", `{"phone":"12345","consent":true}`, ru, want{
			status: 422, lang: "ru", title: "Неверное значение", detail: "phone: проверьте номер телефона",
			fields: map[string]string{"phone": "проверьте номер телефона"}})
	})
	t.Run("an unknown form", func(t *testing.T) {
		check(t, a.browser(), "POST", "/api/v1/intake/web-forms/nope", "application/json", `{"phone":"89123456701","consent":true}`, ru, want{
			status: 404, lang: "ru", title: "Не найдено", detail: "Веб-форма не найдена"})
	})

	op := a.browser()
	op.login("operator")
	// The contact center refuses a filter value behind the gateway's proxy.
	t.Run("signed in: a service's refusal in Russian", func(t *testing.T) {
		check(t, op, "GET", "/api/v1/requests?status=bogus&limit=0", "", "", ru, want{
			status: 422, lang: "ru", title: "Неверное значение", detail: "Некоторые поля заполнены неверно",
			fields: map[string]string{
				"status": "допустимые значения: new, in_progress, booked, visited, lost",
				"limit":  "укажите число от 1 до 200",
			}})
	})
	t.Run("signed in: a service's refusal in English", func(t *testing.T) {
		check(t, op, "GET", "/api/v1/requests?status=bogus", "", "", nil, want{
			status: 422, lang: "en", title: "Invalid field", detail: "status: must be one of new, in_progress, booked, visited, lost",
			fields: map[string]string{"status": "must be one of new, in_progress, booked, visited, lost"}})
	})
	// The gateway refuses by itself: a permission the operator lacks.
	t.Run("signed in: the gateway's refusal", func(t *testing.T) {
		check(t, op, "GET", "/api/v1/audit", "", "", ru, want{
			status: 403, lang: "ru", title: "Доступ запрещён", detail: "Для этого действия нужно право audit.read"})
		check(t, op, "GET", "/api/v1/audit", "", "", en, want{
			status: 403, lang: "en", title: "Forbidden", detail: "this action needs the permission audit.read"})
	})
	// The gateway's own call to the identity service comes back in English
	// and is told in Russian by the gateway.
	t.Run("a wrong password", func(t *testing.T) {
		check(t, a.browser(), "POST", "/api/v1/auth/login", "application/json", `{"login":"operator","password":"wrong-password-123"}`, ru, want{
			status: 401, lang: "ru", title: "Нужно войти в систему", detail: "Неверный логин или пароль"})
	})
}
