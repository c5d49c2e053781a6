package contactcenter

import (
	"strings"
	"testing"

	"github.com/okno-crm/okno/internal/problem"
)

func TestParseWebFormAccepts(t *testing.T) {
	cases := []struct {
		name, ct, body string
		want           IntakeInput
	}{
		{"json", "application/json", `{"name":"Иван Петров","phone":"8 (343) 222-33-44","email":"Ivan@Example.ru","message":"Запись","consent":true}`,
			IntakeInput{Name: "Иван Петров", Phone: "+73432223344", Email: "ivan@example.ru", Message: "Запись"}},
		{"json charset", "application/json; charset=utf-8", `{"phone":"+79123456701","consent":"on"}`,
			IntakeInput{Phone: "+79123456701"}},
		{"form", "application/x-www-form-urlencoded", "name=%D0%81%D0%BB%D0%BA%D0%B8%D0%BD&phone=89123456701&consent=on",
			IntakeInput{Name: "Ёлкин", Phone: "+79123456701"}},
		{"email only", "application/json", `{"email":"a@b.ru","consent":true}`, IntakeInput{Email: "a@b.ru"}},
		{"emoji and Ё kept", "application/json", `{"name":"Алёна 🌸","phone":"89123456701","consent":true}`,
			IntakeInput{Name: "Алёна 🌸", Phone: "+79123456701"}},
		{"html stored verbatim", "application/json", `{"phone":"89123456701","message":"<script>alert(1)</script>","consent":true}`,
			IntakeInput{Phone: "+79123456701", Message: "<script>alert(1)</script>"}},
		{"sql stored verbatim", "application/json", `{"name":"Robert'); DROP TABLE requests;--","phone":"89123456701","consent":true}`,
			IntakeInput{Name: "Robert'); DROP TABLE requests;--", Phone: "+79123456701"}},
		{"multiline message", "application/json", `{"phone":"89123456701","message":"строка 1\nстрока 2\tконец","consent":true}`,
			IntakeInput{Phone: "+79123456701", Message: "строка 1\nстрока 2\tконец"}},
		{"unknown fields ignored", "application/json", `{"phone":"89123456701","consent":true,"utm_source":"yandex"}`,
			IntakeInput{Phone: "+79123456701"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseWebForm(c.ct, []byte(c.body))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestParseWebFormRefuses(t *testing.T) {
	long := strings.Repeat("я", maxName+1)
	cases := []struct {
		name, ct, body string
		code           problem.Code
		field          string
	}{
		{"no consent", "application/json", `{"phone":"89123456701"}`, problem.Invalid, "consent"},
		{"consent false", "application/json", `{"phone":"89123456701","consent":false}`, problem.Invalid, "consent"},
		{"consent off in form", "application/x-www-form-urlencoded", "phone=89123456701&consent=off", problem.Invalid, "consent"},
		{"consent wrong type", "application/json", `{"phone":"89123456701","consent":[1]}`, problem.Invalid, "consent"},
		{"bad phone", "application/json", `{"phone":"123","consent":true}`, problem.Invalid, "phone"},
		{"no contact", "application/json", `{"name":"Иван","consent":true}`, problem.Invalid, "phone"},
		{"bad email", "application/json", `{"email":"not-an-email","consent":true}`, problem.Invalid, "email"},
		{"email with display name", "application/json", `{"email":"Ivan <a@b.ru>","consent":true}`, problem.Invalid, "email"},
		{"phone not a string", "application/json", `{"phone":89123456701,"consent":true}`, problem.Invalid, "phone"},
		{"name too long", "application/json", `{"name":"` + long + `","phone":"89123456701","consent":true}`, problem.Invalid, "name"},
		{"message too long", "application/json", `{"message":"` + strings.Repeat("a", maxMessage+1) + `","phone":"89123456701","consent":true}`, problem.Invalid, "message"},
		{"control char in name", "application/json", `{"name":"Ив\u0000ан","phone":"89123456701","consent":true}`, problem.Invalid, "name"},
		{"newline in name", "application/json", `{"name":"Ив\nан","phone":"89123456701","consent":true}`, problem.Invalid, "name"},
		{"bidi override in name", "application/json", `{"name":"Ив\u202eан","phone":"89123456701","consent":true}`, problem.Invalid, "name"},
		{"bell in message", "application/json", `{"message":"a\u0007","phone":"89123456701","consent":true}`, problem.Invalid, "message"},
		{"invalid utf8 in form", "application/x-www-form-urlencoded", "name=%FF%FE&phone=89123456701&consent=on", problem.Invalid, "name"},
		{"empty json body", "application/json", ``, problem.Malformed, ""},
		{"json array", "application/json", `[1,2]`, problem.Malformed, ""},
		{"broken json", "application/json", `{"phone":`, problem.Malformed, ""},
		{"two json objects", "application/json", `{"phone":"89123456701","consent":true}{}`, problem.Malformed, ""},
		{"json null", "application/json", `null`, problem.Malformed, ""},
		{"bad form encoding", "application/x-www-form-urlencoded", "phone=%zz", problem.Malformed, ""},
		{"empty form", "application/x-www-form-urlencoded", "", problem.Invalid, "consent"},
		{"text/plain", "text/plain", `phone=1`, problem.Unsupported, ""},
		{"no content type", "", `{"phone":"89123456701","consent":true}`, problem.Unsupported, ""},
		{"multipart", "multipart/form-data; boundary=x", "--x--", problem.Unsupported, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseWebForm(c.ct, []byte(c.body))
			if err == nil {
				t.Fatal("accepted")
			}
			if got := problem.CodeOf(err); got != c.code {
				t.Fatalf("code %s, want %s (%v)", got, c.code, err)
			}
			if c.field != "" {
				b := problem.BodyOf(err)
				found := false
				for _, f := range b.Errors {
					found = found || f.Field == c.field
				}
				if !found {
					t.Fatalf("problem does not name %q: %+v", c.field, b.Errors)
				}
			}
		})
	}
}

func FuzzParseWebForm(f *testing.F) {
	f.Add("application/json", []byte(`{"name":"Иван","phone":"89123456701","consent":true}`))
	f.Add("application/x-www-form-urlencoded", []byte("phone=89123456701&consent=on"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		in, err := ParseWebForm(ct, body)
		if err != nil {
			if problem.CodeOf(err) == problem.Internal {
				t.Fatalf("internal error for outside input: %v", err)
			}
			return
		}
		if in.Phone == "" && in.Email == "" {
			t.Fatal("accepted without a way to reach the patient")
		}
	})
}
