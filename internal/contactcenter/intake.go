package contactcenter

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/okno-crm/okno/internal/phone"
	"github.com/okno-crm/okno/internal/problem"
)

// IntakeInput is a validated web-form submission.
type IntakeInput struct {
	Name    string
	Phone   string // E.164
	Email   string // lower-cased
	Message string
}

// Limits on what a website visitor may send.
const (
	maxName    = 200
	maxEmail   = 254
	maxMessage = 5000
)

// ParseWebForm reads a submission posted as JSON or as a plain HTML form
// (application/x-www-form-urlencoded). It never changes anything: a refusal
// names the field and the reason, never the value.
func ParseWebForm(contentType string, body []byte) (IntakeInput, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return IntakeInput{}, problem.New(problem.Unsupported, "Content-Type must be application/json or application/x-www-form-urlencoded")
	}
	if mt == "application/json" && len(bytes.TrimSpace(body)) == 0 {
		return IntakeInput{}, problem.New(problem.Malformed, "the request body is empty")
	}
	raw := map[string]string{}
	consent := false
	consentSeen := false
	var fe []problem.FieldError
	switch mt {
	case "application/json":
		var obj map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&obj); err != nil || obj == nil {
			return IntakeInput{}, problem.New(problem.Malformed, "the body must be a JSON object")
		}
		if dec.More() {
			return IntakeInput{}, problem.New(problem.Malformed, "the body must hold one JSON object")
		}
		for _, f := range []string{"name", "phone", "email", "message"} {
			v, ok := obj[f]
			if !ok || string(v) == "null" {
				continue
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				fe = append(fe, problem.FieldError{Field: f, Message: "must be a string"})
				continue
			}
			raw[f] = s
		}
		if v, ok := obj["consent"]; ok && string(v) != "null" {
			consentSeen = true
			var b bool
			var s string
			switch {
			case json.Unmarshal(v, &b) == nil:
				consent = b
			case json.Unmarshal(v, &s) == nil:
				consent = truthy(s)
			default:
				fe = append(fe, problem.FieldError{Field: "consent", Message: "must be true or false"})
			}
		}
	case "application/x-www-form-urlencoded":
		if !utf8.Valid(body) {
			return IntakeInput{}, problem.New(problem.Malformed, "the form must be UTF-8")
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return IntakeInput{}, problem.New(problem.Malformed, "the form body is not valid application/x-www-form-urlencoded")
		}
		for _, f := range []string{"name", "phone", "email", "message"} {
			if v, ok := vals[f]; ok {
				raw[f] = v[0]
			}
		}
		if v, ok := vals["consent"]; ok {
			consentSeen = true
			consent = truthy(v[0])
		}
	default:
		return IntakeInput{}, problem.New(problem.Unsupported, "Content-Type must be application/json or application/x-www-form-urlencoded")
	}

	var in IntakeInput
	in.Name = checkText("name", raw["name"], maxName, false, &fe)
	in.Message = checkText("message", raw["message"], maxMessage, true, &fe)
	if p := strings.TrimSpace(raw["phone"]); p != "" {
		if !utf8.ValidString(p) {
			fe = append(fe, problem.FieldError{Field: "phone", Message: "must be valid UTF-8 text"})
		} else if n, err := phone.Normalize(p); err != nil {
			fe = append(fe, problem.FieldError{Field: "phone", Message: "is not a valid phone number"})
		} else {
			in.Phone = n
		}
	}
	if e := strings.TrimSpace(raw["email"]); e != "" {
		a, err := mail.ParseAddress(e)
		switch {
		case len(e) > maxEmail || !utf8.ValidString(e):
			fe = append(fe, problem.FieldError{Field: "email", Message: "is not a valid e-mail address"})
		case err != nil || a.Address != e || a.Name != "":
			fe = append(fe, problem.FieldError{Field: "email", Message: "is not a valid e-mail address"})
		default:
			in.Email = strings.ToLower(a.Address)
		}
	}
	if in.Phone == "" && in.Email == "" && !hasField(fe, "phone") && !hasField(fe, "email") {
		fe = append(fe, problem.FieldError{Field: "phone", Message: "a phone or an e-mail is required to reach the patient"})
	}
	if !consent && !hasField(fe, "consent") {
		msg := "consent to personal data processing is required"
		if consentSeen {
			msg = "consent to personal data processing must be given"
		}
		fe = append(fe, problem.FieldError{Field: "consent", Message: msg})
	}
	if len(fe) > 0 {
		return IntakeInput{}, problem.Fields(fe)
	}
	return in, nil
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "1", "да":
		return true
	}
	return false
}

func hasField(fe []problem.FieldError, f string) bool {
	for _, e := range fe {
		if e.Field == f {
			return true
		}
	}
	return false
}

// checkText trims a free-text field and refuses invalid UTF-8, control
// characters (line breaks and tabs only where multiline) and excess length.
// Anything else — HTML, SQL, emoji, Ё — is stored verbatim and escaped when shown.
func checkText(field, s string, max int, multiline bool, fe *[]problem.FieldError) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		*fe = append(*fe, problem.FieldError{Field: field, Message: "must be valid UTF-8 text"})
		return ""
	}
	if utf8.RuneCountInString(s) > max {
		*fe = append(*fe, problem.FieldError{Field: field, Message: "is too long"})
		return ""
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			*fe = append(*fe, problem.FieldError{Field: field, Message: "must not contain control characters"})
			return ""
		}
	}
	return s
}
