package demo

import (
	"html/template"
	"net/http"

	"github.com/okno-crm/okno/internal/mis/demofhir"
)

// siteForm stands in for the clinic's website: a plain HTML form that posts
// to Okno exactly as a real site would, so the whole flow can be tried in a
// browser.
var siteForm = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Медицинский центр — запись на приём</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f7f9;margin:0;color:#1d2b36}
header{background:#0b7285;color:#fff;padding:18px 32px;font-size:20px}
main{max-width:520px;margin:32px auto;background:#fff;padding:28px 32px;border-radius:10px;box-shadow:0 1px 4px #0002}
label{display:block;margin:14px 0 4px;font-size:14px}
input[type=text],input[type=tel],input[type=email],textarea{width:100%;box-sizing:border-box;padding:9px;border:1px solid #c9d3da;border-radius:6px;font:inherit}
.consent{display:flex;gap:8px;margin-top:16px;font-size:13px;color:#44525e}
button{margin-top:18px;background:#0b7285;color:#fff;border:0;padding:11px 20px;border-radius:6px;font-size:15px;cursor:pointer}
.ok{background:#e6fcf5;border:1px solid #63e6be;padding:14px;border-radius:6px}
small{color:#6b7a86}
</style></head><body>
<header>Медицинский центр · Екатеринбург</header>
<main>
{{if .Sent}}<p class="ok">Спасибо! Заявка принята, администратор перезвонит вам в ближайшее время.</p>{{end}}
<h2>Запись на приём</h2>
<form method="post" action="/api/v1/intake/web-forms/{{.Key}}">
<label for="name">Имя</label><input id="name" name="name" type="text" autocomplete="name" maxlength="200">
<label for="phone">Телефон</label><input id="phone" name="phone" type="tel" autocomplete="tel" placeholder="8 (343) 222-33-44" required>
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="email">
<label for="message">Сообщение</label><textarea id="message" name="message" rows="4" maxlength="5000"></textarea>
<div class="consent"><input id="consent" name="consent" type="checkbox" value="on" required><label for="consent" style="margin:0">{{.Consent}}</label></div>
<button type="submit">Отправить</button>
</form>
<p><small>Демонстрационная страница Окна: так форма сайта клиники отправляет заявки.</small></p>
</main></body></html>`))

// Routes are the demo's pages outside the API: the clinic's website form
// and the built-in demo MIS, a FHIR R4 server at /demo/fhir (a demo and
// test peer for the MIS adapter, not a product).
func Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"/demo/fhir/": http.StripPrefix("/demo/fhir", demofhir.New(demofhir.Options{})),
		"GET /demo/form/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
			_ = siteForm.Execute(w, map[string]any{"Key": FormKey, "Consent": ConsentText, "Sent": r.URL.Query().Get("sent") == "1"})
		}),
	}
}
